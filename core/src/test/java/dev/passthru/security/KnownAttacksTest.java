package dev.passthru.security;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What attacking guests did to Xen's and QEMU's device models, done to passthru's, one test each,
 * asserting the host side through a whole pass-through function (config engine, device, the
 * simulated hypervisor). The function is the Intel 82576 from examples/dumps: MSI at 0x50,
 * MSI-X at 0x70 with its table in BAR 3.
 */
class KnownAttacksTest {

    private static final int MSI = 0x50;
    private static final int MSIX = 0x70;

    private final DeviceRig rig = new DeviceRig();
    private final PassthroughDevice nic = rig.attach(rig.nic, Placement.NONE);
    private final byte[] hostBefore = rig.nic.config().snapshot(4096);

    private int hostWord(int offset) {
        return rig.nic.config().read(offset, 2);
    }

    private void place() {
        nic.configWrite(PCI_BASE_ADDRESS_0, 4, 0xc000_0000);
        nic.configWrite(PCI_BASE_ADDRESS_0 + 4, 4, 0xc040_0000);
        nic.configWrite(PCI_BASE_ADDRESS_0 + 12, 4, 0xc080_0000);
        nic.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    }

    @Test
    void xsa_120_serr_and_parity_enables_never_reach_the_host_command_register() {
        nic.configWrite(PCI_COMMAND, 2, PCI_COMMAND_SERR | PCI_COMMAND_PARITY | PCI_COMMAND_MEMORY);
        assertThat(hostWord(PCI_COMMAND) & (PCI_COMMAND_SERR | PCI_COMMAND_PARITY))
                .isEqualTo((hostBefore[PCI_COMMAND] & 0xff | (hostBefore[PCI_COMMAND + 1] & 0xff) << 8)
                        & (PCI_COMMAND_SERR | PCI_COMMAND_PARITY));
        assertThat(nic.configRead(PCI_COMMAND, 2) & PCI_COMMAND_SERR).as("the guest sees what it wrote").isNotZero();
    }

    @Test
    void xsa_126_clearing_decode_leaves_the_host_decode_on_and_the_mapping_follows_the_virtual_bit() {
        int hostDecode = hostWord(PCI_COMMAND) & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
        place();
        assertThat(nic.mappedRuns(0)).isNotEmpty();
        nic.configWrite(PCI_COMMAND, 2, 0);
        assertThat(hostWord(PCI_COMMAND) & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO)).isEqualTo(hostDecode);
        assertThat(nic.configRead(PCI_COMMAND, 2) & PCI_COMMAND_MEMORY).isZero();
        assertThat(nic.mappedRuns(0)).isEmpty();
    }

    @Test
    void xsa_128_a_write_spanning_msi_control_and_address_never_writes_the_hosts_msi_registers() {
        nic.configWrite(MSI + PCI_MSI_FLAGS, 4, 0xffff_ffff);
        nic.configWrite(MSI + PCI_MSI_ADDRESS_LO - 1, 4, 0xdead_beef);
        nic.configWrite(MSI + PCI_MSI_DATA_64, 4, 0x1234_5678);
        byte[] after = rig.nic.config().snapshot(4096);
        assertThat(Arrays.copyOfRange(after, MSI, MSI + 24)).isEqualTo(Arrays.copyOfRange(hostBefore, MSI, MSI + 24));
    }

    @Test
    void xsa_129_msi_mask_bits_stay_virtual() {
        nic.configWrite(MSI + PCI_MSI_MASK_64, 4, 0xffff_ffff);
        byte[] after = rig.nic.config().snapshot(4096);
        assertThat(Arrays.copyOfRange(after, MSI + PCI_MSI_MASK_64, MSI + PCI_MSI_MASK_64 + 4))
                .isEqualTo(Arrays.copyOfRange(hostBefore, MSI + PCI_MSI_MASK_64, MSI + PCI_MSI_MASK_64 + 4));
        assertThat(nic.configRead(MSI + PCI_MSI_MASK_64, 4)).as("the guest sees its mask").isEqualTo(1);
    }

    @Test
    void xsa_130_a_flood_of_bad_msix_writes_is_answered_and_logs_boundedly() {
        place();
        nic.configWrite(MSIX + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        Logger logger = Logger.getLogger(PassthroughDevice.class.getName());
        AtomicInteger lines = new AtomicInteger();
        Handler counter = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.incrementAndGet();
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(counter);
        long start = System.nanoTime();
        try {
            for (int i = 0; i < 200_000; i++) {
                nic.mmioWrite(3, (i * 16L) % 160, 8, 0xdead_0000_0000_0000L | i);
                nic.mmioWrite(3, (i * 16L) % 160 + 12, 4, 0);
            }
        } finally {
            logger.removeHandler(counter);
        }
        long intervals = 1 + (System.nanoTime() - start) / 5_000_000_000L;
        assertThat(rig.hv.operationCounts().get("bind_msi")).as("the guest's bindings were tried and refused")
                .isGreaterThan(100_000L);
        assertThat(lines.get()).as("log lines for the refusals: ten an interval at most")
                .isLessThanOrEqualTo((int) (10 * (intervals + 1)));
        assertThat(nic.configRead(PCI_VENDOR_ID, 2)).as("still answering").isEqualTo(0x8086);
        assertThat(rig.hv.state().domains().getFirst().msi()).as("addresses outside the MSI window are never bound").isEmpty();
    }

    @Test
    void xsa_131_unmediated_registers_keep_reserved_bits_off_the_host_in_non_permissive_mode() {
        for (int offset = 0; offset < 0x40; offset += 2) {
            nic.configWrite(offset, 2, 0xffff);
        }
        byte[] after = rig.nic.config().snapshot(64);
        assertThat(Arrays.copyOfRange(after, PCI_BASE_ADDRESS_0, PCI_CAPABILITY_LIST))
                .as("BARs, subsystem, ROM: never the host's to take from the guest")
                .isEqualTo(Arrays.copyOfRange(hostBefore, PCI_BASE_ADDRESS_0, PCI_CAPABILITY_LIST));
        assertThat(Arrays.copyOfRange(after, 0, 4)).isEqualTo(Arrays.copyOfRange(hostBefore, 0, 4));
        assertThat(after[PCI_INTERRUPT_PIN]).isEqualTo(hostBefore[PCI_INTERRUPT_PIN]);
    }

    @Test
    void cve_2020_13754_and_cve_2015_7549_msix_table_accesses_out_of_range_or_odd_are_answered_and_contained() {
        place();
        long[] widths = {1, 2, 4, 8, 3, 16, 0, -1};
        for (long offset : new long[] {0, 1, 3, 7, 13, 15, 150, 159, 160, 161, 0x1fff, 0x2000, 0x2007, 0x3fff, 0x4000, -1,
                Long.MAX_VALUE}) {
            for (long width : widths) {
                nic.mmioWrite(3, offset, (int) width, -1L);
                nic.mmioRead(3, offset, (int) width);
            }
        }
        assertThat(rig.nic.memory().read(3, 0x2000, 8)).as("the PBA is read-only to the guest").isZero();
        assertThat(rig.nic.memory().read(3, 0, 8)).as("the host table is never written").isZero();
        assertThat(nic.mmioRead(3, 160 + 4, 4)).as("past the 10-entry table: the host's register").isEqualTo(
                rig.nic.memory().read(3, 164, 4));
    }

    @Test
    void bar_relocation_onto_ram_another_bar_the_msix_page_or_past_2_to_the_64_never_maps_foreign_frames() {
        PassthroughDevice other = rig.attach(rig.sixBars, PciAddress.parse("00:06.0"), Placement.NONE);
        place();
        other.configWrite(PCI_BASE_ADDRESS_0, 4, 0xd000_0000);
        other.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        nic.configWrite(PCI_BASE_ADDRESS_0, 4, 0x1000_0000);
        assertThat(nic.mappedRuns(0)).as("onto RAM").isEmpty();
        nic.configWrite(PCI_BASE_ADDRESS_0, 4, 0xd000_0000);
        assertThat(nic.mappedRuns(0)).as("onto another function's BAR").isEmpty();
        nic.configWrite(PCI_BASE_ADDRESS_0, 4, 0xc080_0000);
        assertThat(nic.mappedRuns(0)).as("onto the MSI-X BAR's guest range").isEmpty();
        assertMachineFramesInsideOwners();
        nic.configWrite(PCI_BASE_ADDRESS_0, 4, 0xffff_0000);
        nic.configWrite(PCI_BASE_ADDRESS_0 + 4, 4, 0xffff_fffc);
        assertMachineFramesInsideOwners();
        assertThat(nic.detach().clean()).isTrue();
        assertThat(other.detach().clean()).isTrue();
        assertThat(rig.hv.state().entries()).isZero();
    }

    /** The simulated hypervisor's rule, checked from its state: every run lies inside its owner's BAR or ROM. */
    private void assertMachineFramesInsideOwners() {
        for (HypervisorState.Domain d : rig.hv.state().domains()) {
            for (HypervisorState.P2m m : d.p2m()) {
                long start = Long.decode(m.mfn()) << 12;
                long size = m.pages() * switch (m.pageSize()) {
                    case "1G" -> 1L << 30;
                    case "2M" -> 2L << 20;
                    default -> 4096L;
                };
                var owner = m.function().equals(rig.nic.address().toString()) ? rig.nic : rig.sixBars;
                boolean inside = owner.bars().bars().stream().anyMatch(b -> start >= b.address() && start + size <= b.address() + b.size())
                        || owner.bars().hasRom() && start >= owner.bars().romAddress()
                        && start + size <= owner.bars().romAddress() + owner.bars().romSize();
                assertThat(inside).as("%s inside a BAR of %s", m, owner.address()).isTrue();
            }
            for (int i = 0; i < d.p2m().size(); i++) {
                for (int j = i + 1; j < d.p2m().size(); j++) {
                    assertThat(overlap(d.p2m().get(i), d.p2m().get(j))).as("no overlapping guest runs").isFalse();
                }
            }
        }
    }

    private static boolean overlap(HypervisorState.P2m a, HypervisorState.P2m b) {
        long as = Long.decode(a.gfn());
        long bs = Long.decode(b.gfn());
        return as < bs + frames(b) && bs < as + frames(a);
    }

    private static long frames(HypervisorState.P2m m) {
        return m.pages() * switch (m.pageSize()) {
            case "1G" -> 1L << 18;
            case "2M" -> 512L;
            default -> 1L;
        };
    }
}
