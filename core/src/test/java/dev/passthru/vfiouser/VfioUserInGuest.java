package dev.passthru.vfiouser;

import dev.passthru.config.ConfigOptions;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.pci.PciAddress;
import dev.passthru.vfio.ForeignVfioCalls;
import dev.passthru.vfio.VfioCalls;
import dev.passthru.vfio.VfioSource;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Run inside the VFIO test guest (VfioGuestTest), with QEMU's edu bound to vfio-pci: passthru
 * serves edu over vfio-user and {@link SpecClient} drives it as a VMM would. BAR 0 is mapped by
 * the descriptor GET_REGION_INFO passes (the VFIO device's own) and reached with no message; a
 * file of tmpfs is the guest memory, given by descriptor with DMA_MAP, and edu's DMA engine
 * copies into and out of it through the IOMMU mapping the server made; edu's MSI, routed by
 * SET_IRQS to the client's eventfd, is signalled by the kernel. Usage: VfioUserInGuest BDF DIR;
 * prints PT-VU lines.
 */
public final class VfioUserInGuest {

    private static final long RAM_ADDRESS = 0x10_0000;
    private static final long RAM_SIZE = 1 << 20;
    private static final long EDU_BUFFER = 0x4_0000;

    private VfioUserInGuest() {
    }

    public static void main(String[] args) throws Exception {
        VfioCalls calls = new ForeignVfioCalls();
        UnixSockets sockets = new ForeignUnixSockets();
        ServedFunction function = attach(calls, args[0]);
        try (VfioUserServer server = VfioUserServer.start(sockets, calls, function, args[1] + "/edu.sock");
             SpecClient client = new SpecClient(sockets, server.path())) {
            client.version("{\"capabilities\":{\"max_msg_fds\":8}}");
            SpecClient.Reply region = client.regionInfo(0, 256);
            ByteBuffer info = region.body();
            int flags = info.getInt(4);
            long size = info.getLong(16);
            long offset = info.getLong(24);
            int areas = info.getInt(12) != 0 ? info.getInt(info.getInt(12) + 8) : 0;
            long areaOffset = areas > 0 ? info.getLong(info.getInt(12) + 16) : 0;
            long areaSize = areas > 0 ? info.getLong(info.getInt(12) + 24) : 0;
            System.out.printf("PT-VU-REGION 0 flags 0x%x size 0x%x areas %d [0x%x+0x%x] fds %d%n", flags, size, areas,
                    areaOffset, areaSize, region.fds().length);
            long bar = calls.map(region.fds()[0], areaSize, offset + areaOffset, "edu BAR 0 by descriptor");
            long before = server.session().served();
            long id = calls.load(bar, 4);
            calls.store(bar + 0x08, 4, 5);
            while ((calls.load(bar + 0x20, 4) & 1) != 0) {
                Thread.sleep(1);
            }
            long factorial = calls.load(bar + 0x08, 4);
            long after = server.session().served();
            System.out.printf("PT-VU-MMAP id %x factorial %d messages %d%n", id, factorial, after - before);

            client.write(7, 4, 2, client.read(7, 4, 2) | 0x6);
            String path = args[1] + "/guest-ram";
            try (RandomAccessFile ram = new RandomAccessFile(path, "rw")) {
                ram.setLength(RAM_SIZE);
            }
            int ramFd = calls.open(path);
            long ram = calls.map(ramFd, RAM_SIZE, 0, "guest RAM");
            byte[] pattern = Arrays.copyOf("passthru vfio-user DMA by descriptor through edu".getBytes(StandardCharsets.US_ASCII), 64);
            calls.copyIn(ram, pattern);
            SpecClient.Reply mapped = client.dmaMap(3, 0, RAM_ADDRESS, RAM_SIZE, ramFd);
            calls.close(ramFd);
            System.out.println("PT-VU-DMA-MAP error " + mapped.error() + " iommu "
                    + server.session().memory().windows().stream().anyMatch(ClientMemory.Window::iommu));
            dma(calls, bar, RAM_ADDRESS, EDU_BUFFER, 1);
            dma(calls, bar, EDU_BUFFER, RAM_ADDRESS + 4096, 3);
            byte[] back = new byte[64];
            calls.copyOut(ram + 4096, back);
            System.out.println("PT-VU-DMA " + (Arrays.equals(back, pattern) ? "same" : "different") + " '"
                    + new String(back, StandardCharsets.US_ASCII).trim() + "'");

            int eventfd = calls.eventfd();
            SpecClient.Reply routed = client.setIrqs(4 | 32, 1, 0, 1, new byte[0], eventfd);
            calls.store(bar + 0x60, 4, 1);
            long signalled = 0;
            for (int i = 0; i < 2000 && signalled == 0; i++) {
                signalled = calls.drain(eventfd);
                Thread.sleep(1);
            }
            calls.store(bar + 0x64, 4, 1);
            System.out.println("PT-VU-MSI error " + routed.error() + " signalled " + signalled);
            // masked: the kernel signals the server's stand-in; unmasking delivers the pending vector once
            SpecClient.Reply masked = client.setIrqs(1 | 8, 1, 0, 1, new byte[0]);
            calls.store(bar + 0x60, 4, 1);
            Thread.sleep(200);
            long whileMasked = calls.drain(eventfd);
            boolean pending = server.session().interrupts().pending(1, 0);
            calls.store(bar + 0x64, 4, 1);
            SpecClient.Reply unmasked = client.setIrqs(1 | 16, 1, 0, 1, new byte[0]);
            long afterUnmask = calls.drain(eventfd);
            System.out.println("PT-VU-MSI-MASK errors " + masked.error() + " " + unmasked.error() + " while masked "
                    + whileMasked + " pending " + pending + " on unmask " + afterUnmask);
            client.setIrqs(1 | 32, 1, 0, 0, new byte[0]);
            calls.close(eventfd);
            System.out.println("PT-VU-UNMAP error " + client.dmaUnmap(RAM_ADDRESS, RAM_SIZE).error());
            calls.unmap(bar, areaSize);
            // the client's copy of the device descriptor keeps the VFIO device open: a VMM closes it as it lets go
            calls.close(region.fds()[0]);
            calls.unmap(ram, RAM_SIZE);
        } finally {
            function.detach();
        }
    }

    /** The guest's edu, found through VFIO and attached to be served. */
    static ServedFunction attach(VfioCalls calls, String bdf) {
        PciAddress address = PciAddress.parse(bdf);
        HostFunction edu = new VfioSource(SysfsSource.DEFAULT_ROOT, calls).scan().functions().stream()
                .filter(f -> f.address().equals(address)).findFirst().orElseThrow();
        return ServedFunction.attach(edu, ConfigOptions.DEFAULT, new Assignability.Verdict(true, ""));
    }

    /** One 64-byte edu DMA transfer; {@code command} 1: RAM to edu, 3: edu to RAM. */
    private static void dma(VfioCalls calls, long bar, long source, long destination, int command) throws InterruptedException {
        calls.store(bar + 0x80, 4, source);
        calls.store(bar + 0x88, 4, destination);
        calls.store(bar + 0x90, 4, 64);
        calls.store(bar + 0x98, 4, command);
        // edu runs a transfer 100 ms of virtual time after the command; wait for its run bit to drop.
        Thread.sleep(150);
        for (int i = 0; i < 5000 && (calls.load(bar + 0x98, 4) & 1) != 0; i++) {
            Thread.sleep(1);
        }
    }
}
