package dev.passthru.host;

import dev.passthru.host.Assignability.Verdict;
import dev.passthru.host.recorded.RecordedFunctions;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Which functions may be given to a guest, and the reason named when not. */
class AssignabilityTest {

    private static final int NETWORK = 0x0200;

    private static HostFunction function(String bdf, int deviceClass, int headerType, String driver, String group,
                                         Origin origin, List<UnsizedBar> unsized) {
        byte[] config = new byte[256];
        config[PCI_VENDOR_ID] = (byte) 0x86;
        config[PCI_VENDOR_ID + 1] = (byte) 0x80;
        config[PCI_CLASS_DEVICE] = (byte) deviceClass;
        config[PCI_CLASS_DEVICE + 1] = (byte) (deviceClass >> 8);
        config[PCI_HEADER_TYPE] = (byte) headerType;
        return RecordedFunctions.of(PciAddress.parse(bdf), origin, "test", config, BarLayout.NONE, unsized,
                new HostBinding(Optional.ofNullable(driver), Optional.ofNullable(group), OptionalInt.empty(), OptionalInt.empty()));
    }

    private static HostFunction nic(String bdf, String driver, String group) {
        return function(bdf, NETWORK, PCI_HEADER_TYPE_NORMAL, driver, group, Origin.SYSFS, List.of());
    }

    private static Map<PciAddress, Verdict> judge(boolean seize, HostFunction... functions) {
        return Assignability.judge(new Inventory("test", List.of(functions), List.of()), seize);
    }

    private static String verdict(Map<PciAddress, Verdict> verdicts, String bdf) {
        return verdicts.get(PciAddress.parse(bdf)).toString();
    }

    @Test
    void a_function_held_by_a_stub_or_by_nothing_in_its_own_group_is_assignable() {
        var verdicts = judge(false, nic("01:00.0", "vfio-pci", "1"), nic("02:00.0", "pciback", "2"),
                nic("03:00.0", "pci-stub", "3"), nic("04:00.0", null, "4"));
        assertThat(verdicts.values()).extracting(Verdict::assignable).containsOnly(true);
    }

    @Test
    void bridges_stay_with_the_host() {
        var verdicts = judge(false,
                function("00:00.0", 0x0600, PCI_HEADER_TYPE_NORMAL, null, "0", Origin.SYSFS, List.of()),
                function("00:1c.0", 0x0604, PCI_HEADER_TYPE_BRIDGE, "pcieport", "1", Origin.SYSFS, List.of()),
                function("00:1f.0", 0x0601, PCI_HEADER_TYPE_NORMAL, null, "2", Origin.SYSFS, List.of()));
        assertThat(verdict(verdicts, "00:00.0")).isEqualTo("no (it is a host bridge; bridges stay with the host)");
        assertThat(verdict(verdicts, "00:1c.0")).isEqualTo("no (it is a PCI bridge; bridges stay with the host)");
        assertThat(verdict(verdicts, "00:1f.0")).isEqualTo("no (it is an ISA bridge; bridges stay with the host)");
    }

    @Test
    void a_host_driver_keeps_the_function_unless_the_spec_says_seize() {
        HostFunction bound = nic("01:00.0", "igb", "1");
        assertThat(verdict(judge(false, bound), "01:00.0"))
                .isEqualTo("no (bound to host driver igb; bind it to vfio-pci or pciback, or give seize=1)");
        assertThat(verdict(judge(true, bound), "01:00.0")).isEqualTo("yes");
    }

    @Test
    void every_other_function_of_the_group_must_go_too_or_be_handed_over() {
        var verdicts = judge(false, nic("01:00.0", "vfio-pci", "7"), nic("01:00.1", "igb", "7"),
                nic("02:00.0", "vfio-pci", "8"), nic("02:00.1", "vfio-pci", "8"));
        assertThat(verdict(verdicts, "01:00.0")).isEqualTo("no (IOMMU group 7 also holds 0000:01:00.1 (bound to host "
                + "driver igb; bind it to vfio-pci or pciback, or give seize=1), which cannot be handed over with it)");
        assertThat(verdict(verdicts, "02:00.0")).isEqualTo("yes");
        assertThat(verdict(verdicts, "02:00.1")).isEqualTo("yes");
        assertThat(verdict(judge(true, nic("01:00.0", "vfio-pci", "7"), nic("01:00.1", "igb", "7")), "01:00.0"))
                .as("with seize the sibling can be taken too").isEqualTo("yes");
    }

    @Test
    void a_bridge_in_the_group_blocks_it() {
        var verdicts = judge(false, nic("01:00.0", "vfio-pci", "3"),
                function("00:1c.0", 0x0604, PCI_HEADER_TYPE_BRIDGE, "pcieport", "3", Origin.SYSFS, List.of()));
        assertThat(verdict(verdicts, "01:00.0")).startsWith("no (IOMMU group 3 also holds 0000:00:1c.0 (it is a PCI bridge");
    }

    @Test
    void a_live_function_without_a_group_cannot_be_isolated_but_a_recording_counts_as_alone() {
        assertThat(verdict(judge(false, nic("01:00.0", "vfio-pci", null)), "01:00.0"))
                .isEqualTo("no (no IOMMU group: the host has no IOMMU, or it is off, so the function cannot be isolated)");
        HostFunction recorded = function("01:00.0", NETWORK, PCI_HEADER_TYPE_NORMAL, null, null, Origin.DUMP, List.of());
        assertThat(verdict(judge(false, recorded), "01:00.0")).isEqualTo("yes");
    }

    @Test
    void a_bar_without_a_known_size_says_how_to_give_it() {
        UnsizedBar bar = new UnsizedBar(2, BarKind.MEM64, true, 0x38c000000000L);
        HostFunction gpu = function("62:00.0", 0x0302, PCI_HEADER_TYPE_NORMAL, null, null, Origin.DUMP, List.of(bar));
        assertThat(verdict(judge(false, gpu), "62:00.0"))
                .isEqualTo("no (BAR 2 (64-bit prefetchable memory at 0x38c000000000) has no known size; give it with --bar 2=SIZE)");
    }
}
