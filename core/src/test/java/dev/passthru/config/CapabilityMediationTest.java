package dev.passthru.config;

import dev.passthru.config.Subjects.Subject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.passthru.pci.CapabilityIds.*;
import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The guest's capability lists: kept ones linked and mediated, hidden ones gone. */
class CapabilityMediationTest {

    /** Follows the guest's conventional list: (offset, id) pairs. */
    private static List<int[]> guestList(VirtualConfigSpace view) {
        List<int[]> caps = new java.util.ArrayList<>();
        if ((view.read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) == 0) {
            return caps;
        }
        for (int at = view.read(PCI_CAPABILITY_LIST, 1); at != 0 && caps.size() < 48; at = view.read(at + 1, 1)) {
            caps.add(new int[] {at, view.read(at, 1)});
        }
        return caps;
    }

    /** Follows the guest's extended list: offset, id pairs. */
    private static List<int[]> guestExtendedList(VirtualConfigSpace view) {
        List<int[]> caps = new java.util.ArrayList<>();
        for (int at = PCI_CFG_SPACE_SIZE; at != 0 && caps.size() < 960; ) {
            int header = view.read(at, 4);
            if (header == 0) {
                break;
            }
            caps.add(new int[] {at, header & 0xffff});
            at = header >>> PCI_EXT_CAP_NEXT_SHIFT;
        }
        return caps;
    }

    @Test
    void a_hidden_first_capability_moves_the_list_start() {
        Subject s = Subjects.rootPort();
        assertThat(s.hostRead(PCI_CAPABILITY_LIST, 1)).isEqualTo(0x40);
        assertThat(guestList(s.view())).extracting(c -> c[0]).containsExactly(0x60, 0x90, 0xe0);
        assertThat(guestList(s.view())).extracting(c -> c[1]).containsExactly(PCI_CAP_ID_MSI, PCI_CAP_ID_EXP, PCI_CAP_ID_PM);
    }

    @Test
    void hidden_capabilities_read_as_zeros_and_drop_writes() {
        Subject s = Subjects.rootPort();
        for (int at = 0x40; at < 0x48; at++) {
            assertThat(s.view().read(at, 1)).as("0x%02x", at).isZero();
        }
        s.view().write(0x44, 4, 0xffffffff);
        assertThat(s.host().writes).isEmpty();
    }

    @Test
    void extended_list_links_kept_capabilities_only() {
        Subject s = Subjects.nic82576();
        assertThat(guestExtendedList(s.view())).extracting(c -> c[1])
                .containsExactly(PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_DSN);
        GuestCapability sriov = s.view().capabilities().stream()
                .filter(c -> c.host().extended() && c.host().id() == PCI_EXT_CAP_ID_SRIOV).findFirst().orElseThrow();
        assertThat(sriov.kept()).isFalse();
        assertThat(sriov.length()).isEqualTo(64);
        for (int at = sriov.host().offset(); at < sriov.host().offset() + 64; at += 4) {
            assertThat(s.view().read(at, 4)).isZero();
        }
    }

    @Test
    void writes_to_a_hidden_sriov_capability_never_reach_the_host() {
        Subject s = Subjects.nic82576();
        int sriov = 0x160;
        s.view().write(sriov + 8, 2, 0x0009);   // VF Enable | VF MSE
        s.view().write(sriov + 0x10, 2, 0x0007); // NumVFs
        assertThat(s.host().writes).isEmpty();
    }

    @Test
    void a_hidden_capability_at_0x100_leaves_a_null_header_that_links_on() {
        Subject s = Subjects.connectX3();
        assertThat(s.hostRead(0x100, 4) & 0xffff).isEqualTo(PCI_EXT_CAP_ID_ARI);
        int header = s.view().read(0x100, 4);
        assertThat(header & 0xffff).isEqualTo(PCI_EXT_CAP_ID_NULL);
        assertThat(header >>> PCI_EXT_CAP_NEXT_SHIFT).isEqualTo(0x148);
        assertThat(guestExtendedList(s.view())).extracting(c -> c[1])
                .containsExactly(PCI_EXT_CAP_ID_NULL, PCI_EXT_CAP_ID_DSN, PCI_EXT_CAP_ID_ERR);
        assertThat(s.view().read(0x104, 4)).as("rest of the hidden ARI").isZero();
    }

    @Test
    void with_nothing_kept_the_extended_list_reads_empty() {
        Subject s = Subjects.of(dev.passthru.Fixtures.function("cap-ptm-1.txt", "0003:01:00.0"),
                java.util.Map.of(), null, ConfigOptions.DEFAULT);
        assertThat(s.hostRead(0x100, 4)).isNotZero();
        assertThat(s.view().read(0x100, 4)).isZero();
    }

    @Test
    void kept_vendor_capabilities_pass_their_body_through() {
        Subject s = Subjects.virtioNet();
        // virtio's common config capability at 0x40: cfg_type, bar, offset and length read through.
        assertThat(s.view().read(0x40 + 4, 4)).isEqualTo(s.hostRead(0x40 + 4, 4));
        assertThat(s.view().read(0x40 + 2, 1)).isEqualTo(0x10);
        s.view().write(0x40 + 2, 1, 0x20);
        assertThat(s.view().read(0x40 + 2, 1)).as("length is read-only").isEqualTo(0x10);
    }

    @Test
    void msi_address_data_and_control_never_reach_the_host_xsa_128() {
        Subject s = Subjects.nic82576();
        int msi = 0x50;
        byte[] before = s.host().bytes();
        int changes = s.view().write(msi + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
        changes |= s.view().write(msi + PCI_MSI_ADDRESS_HI, 4, 0);
        changes |= s.view().write(msi + PCI_MSI_DATA_64, 2, 0x4041);
        changes |= s.view().write(msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
        assertThat(s.host().writes).isEmpty();
        assertThat(s.host().bytes()).isEqualTo(before);
        assertThat(changes).isEqualTo(ConfigChanges.MSI);
        assertThat(s.view().msi()).isEqualTo(new MsiState(true, 1, 0xfee00000L, 0x4041, 0));
    }

    @Test
    void a_write_spanning_msi_control_and_address_reaches_nothing_on_the_host_xsa_128() {
        Subject s = Subjects.nic82576();
        int msi = 0x50;
        s.view().write(msi + 2, 4, 0xffffffff);
        s.view().write(msi + 3, 4, 0xffffffff);
        s.view().write(msi, 4, 0xffffffff);
        s.view().write(msi + PCI_MSI_DATA_64 - 1, 4, 0xffffffff);
        assertThat(s.host().writes).isEmpty();
        assertThat(s.view().read(msi, 1)).isEqualTo(PCI_CAP_ID_MSI);
        assertThat(s.view().read(msi + 1, 1)).as("next pointer unchanged").isEqualTo(0x70);
    }

    @Test
    void msi_mask_bits_stay_virtual_xsa_129() {
        Subject s = Subjects.h100();
        int msi = 0x48;
        int hostMask = s.hostRead(msi + PCI_MSI_MASK_64, 4);
        int changes = s.view().write(msi + PCI_MSI_MASK_64, 4, 0xffffffff);
        // 16 vectors capable: 16 mask bits.
        assertThat(s.view().read(msi + PCI_MSI_MASK_64, 4)).isEqualTo(0xffff);
        assertThat(s.hostRead(msi + PCI_MSI_MASK_64, 4)).isEqualTo(hostMask);
        assertThat(changes).isEqualTo(ConfigChanges.MSI);
        assertThat(s.host().writes).isEmpty();
    }

    @Test
    void msi_capability_bits_read_through_and_vector_count_is_the_guest_s() {
        Subject s = Subjects.h100();
        int msi = 0x48;
        int flags = s.view().read(msi + PCI_MSI_FLAGS, 2);
        assertThat(flags & (PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT)).isEqualTo(PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
        assertThat(flags & PCI_MSI_FLAGS_QMASK).isEqualTo(4 << 1);
        s.view().write(msi + PCI_MSI_FLAGS, 2, 0xffff);
        int after = s.view().read(msi + PCI_MSI_FLAGS, 2);
        assertThat(after & (PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)).isEqualTo(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
        assertThat(after & PCI_MSI_FLAGS_QMASK).as("capable count is the host's").isEqualTo(4 << 1);
        assertThat(after & 0xf800).as("reserved").isZero();
    }

    @Test
    void msix_enable_and_function_mask_are_virtual_and_reported() {
        Subject s = Subjects.virtioNet();
        int msix = 0x84;
        assertThat(s.hostRead(msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE).isNotZero();
        assertThat(s.view().read(msix + PCI_MSIX_FLAGS, 2)).as("table size only").isEqualTo(2);
        int changes = s.view().write(msix + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        assertThat(changes).isEqualTo(ConfigChanges.MSIX);
        assertThat(s.view().msixEnabled()).isTrue();
        assertThat(s.view().msixFunctionMasked()).isTrue();
        s.view().write(msix + PCI_MSIX_FLAGS, 2, 0);
        assertThat(s.host().writes).isEmpty();
        assertThat(s.view().read(msix + PCI_MSIX_TABLE, 4)).isEqualTo(s.hostRead(msix + PCI_MSIX_TABLE, 4));
        assertThat(s.view().read(msix + PCI_MSIX_PBA, 4)).isEqualTo(0x801);
    }

    @Test
    void express_device_control_is_virtual_and_flr_asks_for_a_reset() {
        Subject s = Subjects.nic82576();
        int exp = 0xa0;
        int hostControl = s.hostRead(exp + PCI_EXP_DEVCTL, 2);
        assertThat(s.view().read(exp + PCI_EXP_DEVCTL, 2)).isEqualTo(hostControl);
        int changes = s.view().write(exp + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR | 0x00e0);
        assertThat(changes).isEqualTo(ConfigChanges.RESET);
        assertThat(s.view().read(exp + PCI_EXP_DEVCTL, 2)).as("FLR reads 0").isEqualTo(0x00e0);
        assertThat(s.hostRead(exp + PCI_EXP_DEVCTL, 2)).isEqualTo(hostControl);
    }

    @Test
    void express_device_status_errors_clear_on_the_host() {
        Subject s = Subjects.nic82576();
        int exp = 0xa0;
        s.view().write(exp + PCI_EXP_DEVSTA, 2, 0x0009);
        assertThat(s.host().writes).singleElement().satisfies(w -> {
            assertThat(w.offset()).isEqualTo(exp + PCI_EXP_DEVSTA);
            assertThat(w.width()).isEqualTo(1);
            assertThat(w.value() & PCI_EXP_DEVSTA_ERRORS).isEqualTo(0x09);
        });
    }

    @Test
    void express_link_control_never_reaches_the_host() {
        Subject s = Subjects.fiji();
        int exp = 0x58;
        int host = s.hostRead(exp + PCI_EXP_LNKCTL, 2);
        s.view().write(exp + PCI_EXP_LNKCTL, 2, 0x0030);   // link disable and retrain
        assertThat(s.hostRead(exp + PCI_EXP_LNKCTL, 2)).isEqualTo(host);
        assertThat(s.view().read(exp + PCI_EXP_LNKCTL, 2)).isEqualTo(0x0030);
    }

    @Test
    void aer_status_is_cleared_on_the_host_but_masks_stay_virtual() {
        Subject s = Subjects.fiji();
        int aer = 0x150;
        int mask = s.hostRead(aer + PCI_ERR_UNCOR_MASK, 4);
        s.view().write(aer + PCI_ERR_UNCOR_MASK, 4, 0xffffffff);
        s.view().write(aer + PCI_ERR_UNCOR_STATUS, 4, 0x00100000);
        assertThat(s.hostRead(aer + PCI_ERR_UNCOR_MASK, 4)).isEqualTo(mask);
        assertThat(s.view().read(aer + PCI_ERR_UNCOR_MASK, 4)).isEqualTo(0xffffffff);
        assertThat(s.host().writes).containsExactly(new RecordingHost.Write(aer + PCI_ERR_UNCOR_STATUS, 4, 0x00100000));
    }

    @Test
    void power_state_is_virtual_unless_power_management_is_given() {
        Subject s = Subjects.nic82576();
        int pm = 0x40;
        s.view().write(pm + PCI_PM_CTRL, 2, 3);
        assertThat(s.view().read(pm + PCI_PM_CTRL, 2) & 3).isEqualTo(3);
        assertThat(s.hostRead(pm + PCI_PM_CTRL, 2) & 3).isZero();

        Subject managed = Subjects.nic82576(new ConfigOptions(false, true, CapabilityPolicy.DEFAULT));
        managed.view().write(pm + PCI_PM_CTRL, 2, 3);
        assertThat(managed.hostRead(pm + PCI_PM_CTRL, 2) & 3).isEqualTo(3);
    }

    @Test
    void a_partial_recording_ends_the_list_where_the_bytes_end() {
        Subject s = Subjects.h100();
        assertThat(guestList(s.view())).extracting(c -> c[0]).containsExactly(0x40, 0x48);
        assertThat(s.view().read(0x48 + 1, 1)).as("MSI is last").isZero();
        assertThat(s.view().problems()).anySatisfy(p -> assertThat(p).contains("0x60").contains("96 bytes"));
        assertThat(s.view().read(0x60, 4)).as("unrecorded bytes").isEqualTo(0xffffffff);
    }
}
