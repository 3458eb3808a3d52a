package dev.passthru.xen;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.RigBackend;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.spec.RdmPolicy;

import java.util.Set;
import java.util.TreeSet;

/** {@link XenHypervisor} over {@link FakeXenControl}, told of the functions as `xen serve` tells it. */
public final class XenOverFake implements RigBackend {

    private final FakeXenControl xen = new FakeXenControl();
    private final XenHypervisor hypervisor = new XenHypervisor(xen, 64);

    public XenOverFake(HostFunction... functions) {
        for (HostFunction f : functions) {
            hypervisor.describe(f.address(), new XenHypervisor.Facts(RdmPolicy.RELAXED, XenGuestDomain.msixTableBar(f)));
        }
    }

    @Override
    public Hypervisor hypervisor() {
        return hypervisor;
    }

    @Override
    public Object held() {
        return xen.held();
    }

    @Override
    public Set<Long> mappedFrames() {
        Set<Long> frames = new TreeSet<>();
        String domain = DeviceRig.DOMAIN + "/";
        xen.p2m.keySet().stream().filter(k -> k.startsWith(domain) && !k.contains("port"))
                .forEach(k -> frames.add(Long.parseLong(k.substring(domain.length()))));
        return frames;
    }
}
