package dev.passthru.vfio;

import dev.passthru.host.Inventory;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two functions of one IOMMU group (a GPU and its audio function) opened together, on the in-memory kernel. */
class VfioGroupTest {

    @TempDir
    Path sysfs;

    private final FakeVfio kernel = new FakeVfio(FakeVfio.ADDRESS, FakeVfio.AUDIO);

    private VfioDevice open(String address) {
        return VfioDevice.open(kernel, PciAddress.parse(address), "7");
    }

    @Test
    void both_functions_of_a_group_open_through_vfio_source_sharing_one_group_and_one_container() throws IOException {
        kernel.writeSysfs(sysfs);
        Inventory inventory = new VfioSource(sysfs, kernel).scan();
        assertThat(inventory.problems()).isEmpty();
        assertThat(inventory.functions()).extracting(f -> f.address().toString()).containsExactly(FakeVfio.ADDRESS, FakeVfio.AUDIO);
        assertThat(inventory.functions()).allSatisfy(f -> assertThat(f.config().read(0, 4)).isEqualTo(0x11e8_1234));
        assertThat(kernel.opened(FakeVfio.Kind.GROUP)).as("the group, opened once").isEqualTo(1);
        assertThat(kernel.opened(FakeVfio.Kind.CONTAINER)).as("one container").isEqualTo(1);
        assertThat(kernel.opened(FakeVfio.Kind.DEVICE)).as("a device each").isEqualTo(2);
        assertThat(kernel.ioctls).containsEntry(Vfio.GROUP_SET_CONTAINER, 1).containsEntry(Vfio.SET_IOMMU, 1)
                .containsEntry(Vfio.GROUP_GET_DEVICE_FD, 2);
        inventory.functions().forEach(f -> f.config().release());
        assertThat(kernel.open).as("everything closed with the last function").isEmpty();
    }

    @Test
    void dma_mapped_through_one_function_is_a_mapping_of_the_container_the_other_sees() {
        try (VfioDevice gpu = open(FakeVfio.ADDRESS); VfioDevice audio = open(FakeVfio.AUDIO)) {
            gpu.mapDma(0x7f00_0000_0000L, 0x10_0000, 0x2000);
            assertThat(audio.dmaMappings()).containsExactly(new VfioDevice.DmaMapping(0x7f00_0000_0000L, 0x10_0000, 0x2000));
            assertThat(kernel.dma).isEqualTo(Map.of(0x10_0000L, 0x2000L));
            assertThatThrownBy(() -> audio.mapDma(0x7f00_0000_4000L, 0x10_1000, 0x1000)).as("the overlap check is the container's")
                    .hasMessage("0000:00:03.1: DMA range 0x101000+0x1000 overlaps the mapping at 0x100000+0x2000");
            audio.unmapDma(0x10_0000, 0x2000);
            assertThat(gpu.dmaMappings()).isEmpty();
            assertThat(kernel.dma).isEmpty();
        }
    }

    @Test
    void closing_the_first_function_leaves_the_group_and_its_dma_and_closing_the_last_closes_everything() {
        VfioDevice gpu = open(FakeVfio.ADDRESS);
        VfioDevice audio = open(FakeVfio.AUDIO);
        gpu.mapDma(0x7f00_0000_0000L, 0x10_0000, 0x1000);
        gpu.close();
        assertThat(kernel.opened(FakeVfio.Kind.DEVICE)).isEqualTo(1);
        assertThat(kernel.opened(FakeVfio.Kind.GROUP)).as("the group stays with the audio function").isEqualTo(1);
        assertThat(audio.dmaMappings()).as("the container's mappings stay while the group is open").hasSize(1);
        assertThat(audio.read(7, 0, 4)).isEqualTo(0x11e8_1234L);
        audio.close();
        assertThat(kernel.ioctls).containsEntry(Vfio.IOMMU_UNMAP_DMA, 1).containsEntry(Vfio.GROUP_UNSET_CONTAINER, 1);
        assertThat(kernel.open).isEmpty();
        try (VfioDevice again = open(FakeVfio.AUDIO)) {
            assertThat(again.dmaMappings()).as("a group opened anew starts with no mappings").isEmpty();
        }
        assertThat(kernel.open).isEmpty();
    }

    @Test
    void a_function_the_group_lacks_is_refused_and_a_group_opened_for_it_alone_is_closed() {
        assertThatThrownBy(() -> open("0000:00:03.5")).hasMessageContaining("ENODEV");
        assertThat(kernel.open).isEmpty();
        try (VfioDevice gpu = open(FakeVfio.ADDRESS)) {
            assertThatThrownBy(() -> open("0000:00:03.5")).hasMessageContaining("ENODEV");
            assertThat(kernel.opened(FakeVfio.Kind.GROUP)).as("the group stays with the function that holds it").isEqualTo(1);
            assertThat(gpu.read(7, 0, 4)).isEqualTo(0x11e8_1234L);
        }
        assertThat(kernel.open).isEmpty();
    }

    @Test
    void reset_says_which_reset_function_level_bus_hot_reset_or_none_and_why() {
        try (VfioDevice gpu = open(FakeVfio.ADDRESS); VfioDevice audio = open(FakeVfio.AUDIO)) {
            assertThat(gpu.reset()).isEqualTo(VfioReset.none("it has no function-level or power-management reset, and its bus "
                    + "cannot be reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: ENODEV)"));
            kernel.busResettable = true;
            kernel.foreignOnBus = true;
            assertThat(gpu.reset().said()).isEqualTo("not reset: it has no function-level reset, and a hot reset of its bus "
                    + "would also reset 0000:00:03.2 (group 8), outside its group");
            kernel.foreignOnBus = false;
            assertThat(gpu.reset()).isEqualTo(new VfioReset(VfioReset.Kind.HOT, "bus hot reset of group 7"));
            assertThat(kernel.hotResets).isEqualTo(1);
            gpu.withGuest(true);
            assertThat(audio.reset().said()).as("the gpu's hot reset was the audio function's too, and no guest has had it since")
                    .isEqualTo("reset: bus hot reset of group 7");
            audio.withGuest(true);
            audio.withGuest(false);
            assertThat(audio.reset().said()).as("a hot reset now would hit the gpu under its guest")
                    .isEqualTo("not reset: it has no function-level reset, and a hot reset of its bus would also reset "
                            + "0000:00:03.0, which a guest has");
            assertThat(kernel.hotResets).isEqualTo(1);
        }
    }

    @Test
    void a_function_with_a_reset_of_its_own_gets_it_whatever_its_group_holds() {
        kernel.resettable = true;
        kernel.busResettable = true;
        try (VfioDevice gpu = open(FakeVfio.ADDRESS); VfioDevice audio = open(FakeVfio.AUDIO)) {
            gpu.withGuest(true);
            assertThat(audio.reset().said()).isEqualTo("reset: VFIO_DEVICE_RESET");
            assertThat(kernel.resets).isEqualTo(Map.of(FakeVfio.AUDIO, 1));
            assertThat(kernel.hotResets).isZero();
        }
    }
}
