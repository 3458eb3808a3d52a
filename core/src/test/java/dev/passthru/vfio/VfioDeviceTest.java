package dev.passthru.vfio;

import dev.passthru.InputError;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The VFIO open sequence and device access, against the in-memory kernel. */
class VfioDeviceTest {

    private final FakeVfio kernel = new FakeVfio();

    private VfioDevice open() {
        return VfioDevice.open(kernel, PciAddress.parse(FakeVfio.ADDRESS), "7");
    }

    @Test
    void opens_container_group_and_device_and_reads_regions() {
        try (VfioDevice edu = open()) {
            assertThat(edu.regions().getFirst()).satisfies(r -> {
                assertThat(r.size()).isEqualTo(1 << 20);
                assertThat(r.mappable()).isTrue();
            });
            assertThat(edu.config().size()).isEqualTo(256);
            assertThat(edu.read(7, 0, 4)).isEqualTo(0x11e8_1234L);
            assertThat(edu.read(0, 0, 4)).isEqualTo(0x010000edL);
            edu.write(0, 8, 4, 5);
            assertThat(edu.read(0, 8, 4)).isEqualTo(120);
            assertThat(edu.irqs()).extracting(VfioDevice.Irq::count).startsWith(1, 1, 0);
            assertThat(kernel.ioctls).containsKeys(Vfio.GROUP_SET_CONTAINER, Vfio.SET_IOMMU, Vfio.GROUP_GET_DEVICE_FD);
        }
        assertThat(kernel.open).as("container, group and device closed").isEmpty();
    }

    @Test
    void the_config_engine_and_bars_work_over_the_vfio_regions_and_release_gives_everything_back() {
        VfioHandle handle = new VfioHandle(kernel, PciAddress.parse(FakeVfio.ADDRESS), "7");
        VfioHostConfig config = new VfioHostConfig(handle, kernel);
        VfioBarMemory memory = new VfioBarMemory(handle);
        var view = dev.passthru.config.VirtualConfigSpace.create(config, new dev.passthru.host.BarLayout(java.util.List.of(
                new dev.passthru.host.HostBar(0, dev.passthru.host.BarKind.MEM32, false, 1 << 20, 0xfe00_0000L)), 0),
                dev.passthru.config.ConfigOptions.DEFAULT);
        assertThat(view.read(0, 4)).isEqualTo(0x11e8_1234);
        assertThat(config.size()).isEqualTo(256);
        assertThat(memory.read(0, 0, 4)).isEqualTo(0x010000edL);
        assertThat(memory.read(0, 1 << 20, 4)).as("past BAR 0").isEqualTo(0xffff_ffffL);
        assertThat(memory.read(1, 0, 4)).as("BAR 1 is not implemented").isEqualTo(0xffff_ffffL);
        config.release();
        assertThat(handle.open()).isFalse();
        assertThat(kernel.open).as("container, group and device closed").isEmpty();
        assertThat(memory.read(0, 0, 4)).as("opened again on the next access").isEqualTo(0x010000edL);
        assertThat(handle.open()).isTrue();
        handle.release();
    }

    @Test
    void a_group_that_is_not_viable_is_refused_and_nothing_stays_open() {
        kernel.viable = false;
        assertThatThrownBy(this::open).isInstanceOf(InputError.class)
                .hasMessage("IOMMU group 7 of 0000:00:03.0 is not viable: bind every function of the group to vfio-pci "
                        + "(or unbind it from its driver)");
        assertThat(kernel.open).isEmpty();
    }

    @Test
    void reset_without_support_says_why_and_dma_refuses_overlaps() {
        try (VfioDevice edu = open()) {
            assertThat(edu.reset().said()).isEqualTo("not reset: it has no function-level or power-management reset, and "
                    + "its bus cannot be reset (VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: ENODEV)");
            edu.mapDma(0x7f00_0000_0000L, 0x10_0000, 0x1000);
            assertThatThrownBy(() -> edu.mapDma(0x7f00_0000_1000L, 0x10_0800, 0x1000))
                    .hasMessage("0000:00:03.0: DMA range 0x100800+0x1000 overlaps the mapping at 0x100000+0x1000");
            assertThat(edu.dmaMappings()).hasSize(1);
        }
        assertThat(kernel.ioctls).containsEntry(Vfio.IOMMU_UNMAP_DMA, 1);
    }

    @Test
    void a_failing_ioctl_names_the_ioctl_the_device_and_errno() {
        kernel.resettable = true;
        try (VfioDevice edu = open()) {
            kernel.resettable = false;
            assertThatThrownBy(edu::reset).isInstanceOf(NativeCallFailed.class)
                    .hasMessage("VFIO_DEVICE_RESET on 0000:00:03.0: EINVAL (errno 22)");
        }
    }
}
