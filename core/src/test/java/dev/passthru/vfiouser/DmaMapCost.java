package dev.passthru.vfiouser;

import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.vfio.ForeignVfioCalls;
import dev.passthru.vfio.VfioCalls;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run inside the VFIO test guest (VfioGuestTest): the time a vfio-user client's DMA_MAP of 1,
 * 2, 4 and 8 GiB of guest memory (a tmpfs file, given by descriptor) takes to be answered,
 * against the time the kernel's VFIO_IOMMU_MAP_DMA inside it takes to pin and map the pages,
 * which the server measures around the ioctl; and the DMA_UNMAP that gives them back. Each size
 * is a fresh file, its pages allocated by the pinning itself. Usage: DmaMapCost BDF DIR; prints
 * a PT-VU-COST line per size.
 */
public final class DmaMapCost {

    private static final long GIB = 1L << 30;
    private static final long IOVA = 1L << 32;

    private DmaMapCost() {
    }

    public static void main(String[] args) throws Exception {
        VfioCalls calls = new ForeignVfioCalls();
        UnixSockets sockets = new ForeignUnixSockets();
        ServedFunction function = VfioUserInGuest.attach(calls, args[0]);
        try (VfioUserServer server = VfioUserServer.start(sockets, calls, function, args[1] + "/cost.sock");
             SpecClient client = new SpecClient(sockets, server.path())) {
            client.version(null);
            for (long gib : new long[] {1, 2, 4, 8}) {
                Path file = Path.of(args[1], "ram-" + gib + "g");
                try (RandomAccessFile ram = new RandomAccessFile(file.toFile(), "rw")) {
                    ram.setLength(gib * GIB);
                }
                int fd = calls.open(file.toString());
                long start = System.nanoTime();
                SpecClient.Reply mapped = client.dmaMap(3, 0, IOVA, gib * GIB, fd);
                long mapNanos = System.nanoTime() - start;
                calls.close(fd);
                long pinNanos = server.session().memory().windows().stream().mapToLong(ClientMemory.Window::pinNanos).sum();
                start = System.nanoTime();
                SpecClient.Reply unmapped = client.dmaUnmap(IOVA, gib * GIB);
                long unmapNanos = System.nanoTime() - start;
                Files.delete(file);
                System.out.printf("PT-VU-COST %d GiB map %.1f ms kernel pin %.1f ms (%.1f%%) unmap %.1f ms errors %d %d%n",
                        gib, mapNanos / 1e6, pinNanos / 1e6, 100.0 * pinNanos / mapNanos, unmapNanos / 1e6,
                        mapped.error(), unmapped.error());
            }
        } finally {
            function.detach();
        }
    }
}
