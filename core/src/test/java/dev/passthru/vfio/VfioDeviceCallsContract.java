package dev.passthru.vfio;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link VfioCalls} must do with a device: QEMU's edu bound to vfio-pci, through
 * container, group and device descriptors. Run on the in-memory kernel's edu, and inside
 * VfioGuestTest's guest on the real one ({@link ForeignVfioCallsInGuest}).
 */
abstract class VfioDeviceCallsContract extends VfioCallsContract {

    private static final long REGION_SHIFT = 40;
    private static final int CONFIG = Vfio.PCI_CONFIG_REGION_INDEX;
    private static final int IRQ_INFO_EVENTFD = 1;
    private static final int IRQ_INFO_MASKABLE = 2;
    private static final int IRQ_INFO_AUTOMASKED = 4;
    private static final int IRQ_INFO_NORESIZE = 8;
    private static final int GROUP_FLAGS_CONTAINER_SET = 2;
    private static final int DEVICE_FLAGS_PCI = 2;

    protected VfioDeviceCallsContract(VfioCalls calls) {
        super(calls);
    }

    /** The edu this implementation reaches. */
    protected abstract VfioContractDevice edu();

    /** Container, group and device descriptors, opened in the order the VFIO documentation gives. */
    private record Opened(int container, int group, int device) {
    }

    private Opened open(VfioContractDevice edu) {
        int container = calls.open("/dev/vfio/vfio");
        int group = calls.open("/dev/vfio/" + edu.group());
        calls.ioctl(group, Vfio.GROUP_SET_CONTAINER, fd(container), "group");
        calls.ioctl(container, Vfio.SET_IOMMU, Vfio.TYPE1V2_IOMMU, "container");
        int device = calls.ioctl(group, Vfio.GROUP_GET_DEVICE_FD, name(edu.address()), "group");
        return new Opened(container, group, device);
    }

    private void close(Opened opened) {
        calls.close(opened.device());
        calls.ioctl(opened.group(), Vfio.GROUP_UNSET_CONTAINER, fd(opened.container()), "group");
        calls.close(opened.group());
        calls.close(opened.container());
    }

    @Test
    void the_container_speaks_api_0_and_the_type1_iommu() {
        edu();
        int container = calls.open("/dev/vfio/vfio");
        try {
            assertThat(calls.ioctl(container, Vfio.GET_API_VERSION, 0, "container")).isEqualTo(Vfio.API_VERSION);
            assertThat(calls.ioctl(container, Vfio.CHECK_EXTENSION, Vfio.TYPE1V2_IOMMU, "container")).isPositive();
        } finally {
            calls.close(container);
        }
    }

    @Test
    void the_group_is_viable_is_held_once_and_gives_its_device_by_name_only_inside_a_container() {
        VfioContractDevice edu = edu();
        int container = calls.open("/dev/vfio/vfio");
        int group = calls.open("/dev/vfio/" + edu.group());
        try {
            byte[] status = struct(8);
            calls.ioctl(group, Vfio.GROUP_GET_STATUS, status, "group");
            assertThat(le(status).getInt(4)).as("viable, in no container").isEqualTo(Vfio.GROUP_FLAGS_VIABLE);
            assertThatThrownBy(() -> calls.open("/dev/vfio/" + edu.group())).as("a second open").hasMessageContaining("EBUSY");
            assertThatThrownBy(() -> calls.ioctl(group, Vfio.GROUP_GET_DEVICE_FD, name(edu.address()), "group"))
                    .as("a device before the group is in a container").hasMessageContaining("EINVAL");
            calls.ioctl(group, Vfio.GROUP_SET_CONTAINER, fd(container), "group");
            calls.ioctl(container, Vfio.SET_IOMMU, Vfio.TYPE1V2_IOMMU, "container");
            calls.ioctl(group, Vfio.GROUP_GET_STATUS, status, "group");
            assertThat(le(status).getInt(4)).isEqualTo(Vfio.GROUP_FLAGS_VIABLE | GROUP_FLAGS_CONTAINER_SET);
            assertThatThrownBy(() -> calls.ioctl(group, Vfio.GROUP_GET_DEVICE_FD, name("0000:00:1f.7"), "group"))
                    .as("a function not in the group").hasMessageContaining("ENODEV");
            assertThatThrownBy(() -> calls.ioctl(group, Vfio.DEVICE_GET_INFO, struct(16), "group"))
                    .as("a device request on the group").hasMessageContaining("ENOTTY");
            int device = calls.ioctl(group, Vfio.GROUP_GET_DEVICE_FD, name(edu.address()), "group");
            assertThat(device).isNotNegative().isNotIn(container, group);
            calls.close(device);
            calls.ioctl(group, Vfio.GROUP_UNSET_CONTAINER, fd(container), "group");
        } finally {
            calls.close(group);
            calls.close(container);
        }
    }

    @Test
    void device_info_regions_and_interrupts_are_those_of_edu_behind_vfio_pci() {
        Opened opened = open(edu());
        try {
            byte[] info = struct(16);
            calls.ioctl(opened.device(), Vfio.DEVICE_GET_INFO, info, "edu");
            assertThat(le(info).getInt(4) & DEVICE_FLAGS_PCI).as("a PCI device").isNotZero();
            assertThat(le(info).getInt(8)).as("regions: 6 BARs, ROM, config, VGA").isEqualTo(9);
            assertThat(le(info).getInt(12)).as("interrupt indices: INTx, MSI, MSI-X, error, request").isEqualTo(5);
            assertThat(region(opened.device(), 0)).as("BAR 0: 1 MiB, readable, writable, mappable")
                    .containsExactly(1L << 20, 0L, (long) (Vfio.REGION_INFO_FLAG_READ | Vfio.REGION_INFO_FLAG_WRITE | Vfio.REGION_INFO_FLAG_MMAP));
            for (int index = 1; index <= Vfio.PCI_ROM_REGION_INDEX; index++) {
                assertThat(region(opened.device(), index)).as("region %d is not implemented", index)
                        .containsExactly(0L, (long) index << REGION_SHIFT, 0L);
            }
            assertThat(region(opened.device(), CONFIG)).as("config space")
                    .containsExactly(256L, (long) CONFIG << REGION_SHIFT, (long) (Vfio.REGION_INFO_FLAG_READ | Vfio.REGION_INFO_FLAG_WRITE));
            assertThatThrownBy(() -> region(opened.device(), 8)).as("the VGA region of a function that is not VGA")
                    .hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> region(opened.device(), 9)).as("past the regions").hasMessageContaining("EINVAL");
            assertThat(irq(opened.device(), Vfio.PCI_INTX_IRQ_INDEX)).as("INTx, pin A")
                    .containsExactly(1, IRQ_INFO_EVENTFD | IRQ_INFO_MASKABLE | IRQ_INFO_AUTOMASKED);
            assertThat(irq(opened.device(), Vfio.PCI_MSI_IRQ_INDEX)).as("one MSI vector")
                    .containsExactly(1, IRQ_INFO_EVENTFD | IRQ_INFO_NORESIZE);
            assertThat(irq(opened.device(), Vfio.PCI_MSIX_IRQ_INDEX)[0]).as("no MSI-X").isZero();
            assertThatThrownBy(() -> irq(opened.device(), 3)).as("error reporting on conventional PCI").hasMessageContaining("EINVAL");
            assertThat(irq(opened.device(), 4)[0]).as("the device request interrupt").isEqualTo(1);
            assertThatThrownBy(() -> irq(opened.device(), 5)).as("past the interrupt indices").hasMessageContaining("EINVAL");
        } finally {
            close(opened);
        }
    }

    @Test
    void config_and_bar_registers_are_read_and_written_with_pread_and_pwrite() throws InterruptedException {
        Opened opened = open(edu());
        int device = opened.device();
        try {
            assertThat(read(device, CONFIG, 0, 4)).as("IDs").isEqualTo(0x11e8_1234L);
            assertThat(read(device, CONFIG, 1, 2)).as("an unaligned read").isEqualTo(0xe812L);
            assertThat(read(device, CONFIG, 0x3d, 1)).as("interrupt pin A").isEqualTo(1L);
            long line = read(device, CONFIG, 0x3c, 1);
            write(device, CONFIG, 0x3c, 1, line ^ 0x5a);
            assertThat(read(device, CONFIG, 0x3c, 1)).as("interrupt line written").isEqualTo(line ^ 0x5a);
            write(device, CONFIG, 0x3c, 1, line);
            write(device, CONFIG, 0, 4, 0);
            assertThat(read(device, CONFIG, 0, 4)).as("IDs are read-only").isEqualTo(0x11e8_1234L);
            assertThat(read(device, 0, 0, 4)).as("edu's identification register").isEqualTo(0x010000edL);
            write(device, 0, 0x04, 4, 0x1234_5678L);
            assertThat(read(device, 0, 0x04, 4)).as("edu's liveness register inverts").isEqualTo(0xedcb_a987L);
            write(device, 0, 0x08, 4, 5);
            for (int i = 0; i < 5000 && (read(device, 0, 0x20, 4) & 1) != 0; i++) {
                Thread.sleep(1);
            }
            assertThat(read(device, 0, 0x08, 4)).as("5!").isEqualTo(120L);
        } finally {
            close(opened);
        }
    }

    @Test
    void accesses_past_a_region_or_to_a_region_the_device_lacks_fail_with_an_errno() {
        Opened opened = open(edu());
        int device = opened.device();
        try {
            assertThatThrownBy(() -> read(device, CONFIG, 256, 4)).as("past config space").hasMessageContaining("EFAULT");
            assertThatThrownBy(() -> read(device, 0, 1 << 20, 4)).as("past BAR 0").hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> read(device, 1, 0, 4)).as("BAR 1, not implemented").hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> read(device, 9, 0, 4)).as("past the regions").hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> write(device, 9, 0, 4, 0)).as("a write past the regions").hasMessageContaining("EINVAL");
            assertThatThrownBy(() -> calls.ioctl(device, 0x3b7fL, struct(16), "edu")).as("a request vfio-pci does not know")
                    .hasMessageContaining("ENOTTY");
        } finally {
            close(opened);
        }
    }

    @Test
    void a_triggered_msi_reaches_its_eventfd_once_and_msix_which_edu_lacks_is_refused() {
        Opened opened = open(edu());
        int eventfd = calls.eventfd();
        try {
            calls.ioctl(opened.device(), Vfio.DEVICE_SET_IRQS,
                    setIrqs(Vfio.IRQ_SET_DATA_EVENTFD | Vfio.IRQ_SET_ACTION_TRIGGER, Vfio.PCI_MSI_IRQ_INDEX, 1, eventfd), "edu");
            assertThat(calls.drain(eventfd)).as("routed, not yet signalled").isZero();
            calls.ioctl(opened.device(), Vfio.DEVICE_SET_IRQS,
                    setIrqs(Vfio.IRQ_SET_DATA_NONE | Vfio.IRQ_SET_ACTION_TRIGGER, Vfio.PCI_MSI_IRQ_INDEX, 1), "edu");
            assertThat(calls.drain(eventfd)).as("one loopback trigger").isEqualTo(1);
            assertThat(calls.drain(eventfd)).as("drained").isZero();
            calls.ioctl(opened.device(), Vfio.DEVICE_SET_IRQS,
                    setIrqs(Vfio.IRQ_SET_DATA_NONE | Vfio.IRQ_SET_ACTION_TRIGGER, Vfio.PCI_MSI_IRQ_INDEX, 0), "edu");
            assertThatThrownBy(() -> calls.ioctl(opened.device(), Vfio.DEVICE_SET_IRQS,
                    setIrqs(Vfio.IRQ_SET_DATA_EVENTFD | Vfio.IRQ_SET_ACTION_TRIGGER, Vfio.PCI_MSIX_IRQ_INDEX, 1, eventfd), "edu"))
                    .hasMessageContaining("EINVAL");
        } finally {
            calls.close(eventfd);
            close(opened);
        }
    }

    @Test
    void a_mapped_bar_is_reached_by_loads_and_stores() {
        Opened opened = open(edu());
        try {
            long at = calls.map(opened.device(), 1 << 20, 0, "edu BAR 0");
            assertThat(at).as("BAR 0 is mappable").isNotZero();
            assertThat(calls.load(at, 4)).isEqualTo(0x010000edL);
            calls.store(at + 4, 4, 0x0f0f_0f0fL);
            assertThat(calls.load(at + 4, 4)).isEqualTo(0xf0f0_f0f0L);
            calls.unmap(at, 1 << 20);
        } finally {
            close(opened);
        }
    }

    @Test
    void dma_maps_and_unmaps_allocated_memory_and_reset_fails_where_the_device_and_its_bus_have_none() {
        Opened opened = open(edu());
        try {
            long buffer = calls.allocate(4096);
            byte[] map = struct(32);
            le(map).putInt(4, Vfio.DMA_MAP_FLAG_READ_WRITE).putLong(8, buffer).putLong(16, 0x10_0000).putLong(24, 4096);
            assertThat(calls.ioctl(opened.container(), Vfio.IOMMU_MAP_DMA, map, "container")).isZero();
            byte[] unmap = struct(24);
            le(unmap).putLong(8, 0x10_0000).putLong(16, 4096);
            assertThat(calls.ioctl(opened.container(), Vfio.IOMMU_UNMAP_DMA, unmap, "container")).isZero();
            byte[] info = struct(16);
            calls.ioctl(opened.device(), Vfio.DEVICE_GET_INFO, info, "edu");
            assertThat(le(info).getInt(4) & Vfio.DEVICE_FLAGS_RESET).as("edu has no FLR or PM reset, and no bridge above it to reset")
                    .isZero();
            assertThatThrownBy(() -> calls.ioctl(opened.device(), Vfio.DEVICE_RESET, 0, "edu")).hasMessageContaining("EINVAL");
            // vfio-pci answers ENODEV where neither the slot nor the bus can be reset: edu sits on the root bus
            assertThatThrownBy(() -> calls.ioctl(opened.device(), Vfio.DEVICE_GET_PCI_HOT_RESET_INFO, new HotResetInfo().bytes(),
                    "edu")).as("no bus hot reset either").hasMessageContaining("ENODEV");
        } finally {
            close(opened);
        }
    }

    /** Size, offset and flags of region {@code index}. */
    private long[] region(int device, int index) {
        byte[] region = struct(32);
        le(region).putInt(8, index);
        calls.ioctl(device, Vfio.DEVICE_GET_REGION_INFO, region, "edu");
        return new long[] {le(region).getLong(16), le(region).getLong(24), le(region).getInt(4)};
    }

    /** Vectors and flags of interrupt index {@code index}. */
    private int[] irq(int device, int index) {
        byte[] irq = struct(16);
        le(irq).putInt(8, index);
        calls.ioctl(device, Vfio.DEVICE_GET_IRQ_INFO, irq, "edu");
        return new int[] {le(irq).getInt(12), le(irq).getInt(4)};
    }

    private long read(int device, int region, long offset, int width) {
        byte[] bytes = new byte[8];
        assertThat(calls.pread(device, bytes, width, ((long) region << REGION_SHIFT) + offset, "edu region " + region))
                .as("bytes read").isEqualTo(width);
        return le(bytes).getLong(0);
    }

    private void write(int device, int region, long offset, int width, long value) {
        byte[] bytes = new byte[8];
        le(bytes).putLong(0, value);
        assertThat(calls.pwrite(device, bytes, width, ((long) region << REGION_SHIFT) + offset, "edu region " + region))
                .as("bytes written").isEqualTo(width);
    }

    /** struct vfio_irq_set for vectors {@code 0..count-1}, with eventfds when given. */
    private static byte[] setIrqs(int flags, int index, int count, int... eventfds) {
        byte[] set = struct(20 + 4 * eventfds.length);
        ByteBuffer s = le(set).putInt(4, flags).putInt(8, index).putInt(12, 0).putInt(16, count);
        for (int i = 0; i < eventfds.length; i++) {
            s.putInt(20 + 4 * i, eventfds[i]);
        }
        return set;
    }

    private static byte[] fd(int fd) {
        byte[] bytes = new byte[4];
        le(bytes).putInt(0, fd);
        return bytes;
    }

    private static byte[] name(String address) {
        return (address + "\0").getBytes(StandardCharsets.US_ASCII);
    }

}
