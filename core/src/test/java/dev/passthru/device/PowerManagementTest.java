package dev.passthru.device;

import dev.passthru.config.CapabilityPolicy;
import dev.passthru.config.ConfigOptions;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import org.junit.jupiter.api.Test;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * xl's power_mgmt=1 on the 82576 of examples/dumps, whose PM capability at 0x40 has No_Soft_Reset
 * clear: going from D3hot to D0 resets it. The host side here is the recording with that reset
 * added: BARs, ROM and command cleared on the D3hot to D0 write.
 */
class PowerManagementTest {

    private static final int PMCSR = 0x40 + PCI_PM_CTRL;
    private static final ConfigOptions POWER_MANAGED = new ConfigOptions(false, true, CapabilityPolicy.DEFAULT);

    private final DeviceRig rig = new DeviceRig();

    /** The recording, plus the soft reset a real function without No_Soft_Reset does on D3hot to D0. */
    private static final class SoftResetting implements HostConfig {
        private final HostConfig inner;

        SoftResetting(HostConfig inner) {
            this.inner = inner;
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public int readable() {
            return inner.readable();
        }

        @Override
        public int read(int offset, int width) {
            return inner.read(offset, width);
        }

        @Override
        public void write(int offset, int width, int value) {
            boolean wake = offset == PMCSR && (inner.read(PMCSR, 2) & PCI_PM_CTRL_STATE_MASK) == 3 && (value & PCI_PM_CTRL_STATE_MASK) == 0;
            inner.write(offset, width, value);
            if (wake) {
                for (int at = PCI_BASE_ADDRESS_0; at < PCI_CARDBUS_CIS; at += 4) {
                    inner.write(at, 4, 0);
                }
                inner.write(PCI_ROM_ADDRESS, 4, 0);
                inner.write(PCI_COMMAND, 2, 0);
            }
        }
    }

    private PassthroughDevice attach(HostConfig host, ConfigOptions options) {
        HostFunction nic = rig.nic;
        HostFunction function = new HostFunction(nic.address(), nic.origin(), nic.source(), nic.header(), host, nic.bars(),
                nic.unsized(), nic.memory(), nic.binding());
        return PassthroughDevice.attach(rig.hv, new AttachRequest(DeviceRig.DOMAIN, DeviceRig.GUEST_SLOT, function, options,
                Placement.NONE), DeviceRig.YES);
    }

    @Test
    void d3hot_to_d0_waits_10_ms_and_restores_what_the_soft_reset_cleared() {
        SoftResetting host = new SoftResetting(rig.nic.config());
        int bar0 = host.read(PCI_BASE_ADDRESS_0, 4);
        int rom = host.read(PCI_ROM_ADDRESS, 4);
        int command = host.read(PCI_COMMAND, 2);
        PassthroughDevice device = attach(host, POWER_MANAGED);
        device.configWrite(PMCSR, 2, 3);
        assertThat(host.read(PMCSR, 2) & PCI_PM_CTRL_STATE_MASK).as("the guest's D3hot reaches the host").isEqualTo(3);
        long started = System.nanoTime();
        device.configWrite(PMCSR, 2, 0);
        assertThat(System.nanoTime() - started).as("the recovery time").isGreaterThanOrEqualTo(10_000_000L);
        assertThat(host.read(PCI_BASE_ADDRESS_0, 4)).isEqualTo(bar0);
        assertThat(host.read(PCI_ROM_ADDRESS, 4)).isEqualTo(rom);
        assertThat(host.read(PCI_COMMAND, 2)).isEqualTo(command);
        assertThat(device.configRead(PMCSR, 2) & PCI_PM_CTRL_STATE_MASK).isZero();
        assertThat(rig.hv.state().domains().getFirst().intx()).as("INTx routed again").hasSize(1);
        assertThat(device.detach().failures()).isEmpty();
    }

    @Test
    void without_power_mgmt_the_d_state_is_the_guests_alone() {
        SoftResetting host = new SoftResetting(rig.nic.config());
        PassthroughDevice device = attach(host, ConfigOptions.DEFAULT);
        device.configWrite(PMCSR, 2, 3);
        assertThat(device.configRead(PMCSR, 2) & PCI_PM_CTRL_STATE_MASK).isEqualTo(3);
        assertThat(host.read(PMCSR, 2) & PCI_PM_CTRL_STATE_MASK).as("the host stays in D0").isZero();
    }
}
