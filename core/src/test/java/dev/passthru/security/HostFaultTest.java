package dev.passthru.security;

import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The host side failing at every call: from the n-th host config access on, reads answer
 * all-ones (as a function that fell off the bus does) and writes are lost. Attach, a BAR move,
 * an MSI-X enable and detach must neither throw nor leave anything behind.
 */
class HostFaultTest {

    /** A host config that fails from its n-th access on. */
    private static final class FailingConfig implements HostConfig {
        private final HostConfig real;
        private final int failFrom;
        private int calls;

        FailingConfig(HostConfig real, int failFrom) {
            this.real = real;
            this.failFrom = failFrom;
        }

        int calls() {
            return calls;
        }

        @Override
        public int size() {
            return real.size();
        }

        @Override
        public int readable() {
            return real.readable();
        }

        @Override
        public int read(int offset, int width) {
            return ++calls >= failFrom ? (width == 4 ? -1 : (1 << (8 * width)) - 1) : real.read(offset, width);
        }

        @Override
        public void write(int offset, int width, int value) {
            if (++calls < failFrom) {
                real.write(offset, width, value);
            }
        }
    }

    private static HostFunction with(HostFunction f, HostConfig config) {
        return new HostFunction(f.address(), f.origin(), f.source(), f.header(), config, f.bars(), f.unsized(), f.memory(),
                f.binding());
    }

    private static void lifecycle(DeviceRig rig, HostFunction function) {
        PassthroughDevice d = PassthroughDevice.attach(rig.hv, new AttachRequest(DeviceRig.DOMAIN, PciAddress.parse("00:05.0"),
                function, ConfigOptions.DEFAULT, new Placement(Map.of(0, 0xc000_0000L, 3, 0xc080_0000L), 0, false, true, false)),
                DeviceRig.YES);
        d.configWrite(PCI_BASE_ADDRESS_0, 4, 0xd000_0000);
        for (int e = 0; e < 4; e++) {
            d.mmioWrite(3, e * 16L, 8, 0xfee0_0000L);
            d.mmioWrite(3, e * 16L + 8, 4, 0x40 + e);
            d.mmioWrite(3, e * 16L + 12, 4, 0);
        }
        d.configWrite(0x70 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        d.configRead(PCI_VENDOR_ID, 4);
        assertThat(d.detach().clean()).isTrue();
    }

    @Test
    void a_host_that_fails_at_any_access_breaks_nothing() {
        DeviceRig counting = new DeviceRig();
        FailingConfig probe = new FailingConfig(counting.nic.config(), Integer.MAX_VALUE);
        lifecycle(counting, with(counting.nic, probe));
        int total = probe.calls();
        assertThat(total).isPositive();
        for (int failFrom = 1; failFrom <= total; failFrom++) {
            DeviceRig rig = new DeviceRig();
            lifecycle(rig, with(rig.nic, new FailingConfig(rig.nic.config(), failFrom)));
            assertThat(rig.hv.state().entries()).as("failing from host access %d of %d", failFrom, total).isZero();
        }
    }
}
