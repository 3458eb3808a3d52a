package dev.passthru.device;

import dev.passthru.hypervisor.FaultyHypervisor;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.PageSize;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import dev.passthru.xen.XenOverFake;
import org.junit.jupiter.api.Named;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@link DeviceRig}'s functions over a chosen backend with a {@link FaultyHypervisor} in front:
 * for the tests that fail every hypervisor call of an operation in turn, run over each backend
 * of {@link #backends()}.
 */
public final class FaultRig {

    public final DeviceRig machine = new DeviceRig();
    public final RigBackend backend;
    public final FaultyHypervisor hv;

    private FaultRig(Function<DeviceRig, RigBackend> over) {
        backend = over.apply(machine);
        hv = new FaultyHypervisor(backend.hypervisor());
    }

    /** The backends, as arguments of a parameterized test: each makes a fresh rig. */
    public static Stream<Named<Backend>> backends() {
        return Stream.of(Named.of("simulated", () -> new FaultRig(FaultRig::simulated)),
                Named.of("xen over a fake libxenctrl", () -> new FaultRig(rig -> new XenOverFake(rig.nic, rig.sixBars))));
    }

    /** Makes a fresh rig over one backend. */
    public interface Backend {
        FaultRig rig();
    }

    public PassthroughDevice attach(PciAddress guest, Placement placement) {
        return DeviceRig.attach(hv, machine.nic, guest, placement);
    }

    public PassthroughDevice attach(Placement placement) {
        return attach(DeviceRig.GUEST_SLOT, placement);
    }

    public PassthroughDevice attachSixBars(PciAddress guest, Placement placement) {
        return DeviceRig.attach(hv, machine.sixBars, guest, placement);
    }

    /** The guest frames the device believes it mapped. */
    public static Set<Long> mappedByDevice(PassthroughDevice d) {
        Set<Long> frames = new TreeSet<>();
        for (int slot = 0; slot <= BarMappings.ROM; slot++) {
            d.mappedRuns(slot).forEach(r -> {
                for (long f = 0; f < r.frames(); f++) {
                    frames.add(r.guestFrame() + f);
                }
            });
        }
        return frames;
    }

    private static RigBackend simulated(DeviceRig rig) {
        return new RigBackend() {
            @Override
            public Hypervisor hypervisor() {
                return rig.hv;
            }

            @Override
            public Object held() {
                return rig.hv.state();
            }

            @Override
            public Set<Long> mappedFrames() {
                Set<Long> frames = new TreeSet<>();
                for (HypervisorState.Domain domain : rig.hv.state().domains()) {
                    for (HypervisorState.P2m run : domain.p2m()) {
                        long size = Arrays.stream(PageSize.values()).filter(p -> p.toString().equals(run.pageSize()))
                                .findFirst().orElseThrow().frames();
                        long first = Long.decode(run.gfn());
                        for (long f = 0; f < run.pages() * size; f++) {
                            frames.add(first + f);
                        }
                    }
                }
                return frames;
            }
        };
    }
}
