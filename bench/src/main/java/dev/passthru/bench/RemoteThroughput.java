package dev.passthru.bench;

import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.qemu.DeviceProxyTarget;
import dev.passthru.qemu.ProxyClient;
import dev.passthru.qemu.ProxyConnection;

import java.util.Arrays;

/**
 * The same stream of config reads, sent the way QEMU's {@code x-pci-proxy-dev} sends them (one
 * message, wait for the reply), to passthru's remote (serving the 82576 from examples/) over a
 * socketpair and to QEMU's own remote ({@code qemu-system-x86_64 -machine x-remote} serving
 * an emulated device) over the socket whose descriptor number is the first argument.
 * Alternating rounds; prints each side's median throughput and the ratio.
 * Run through {@code bench/scripts/remote-vs-qemu.sh}.
 */
public final class RemoteThroughput {

    private static final int WARM_UP = 50_000;
    private static final int ROUND = 100_000;
    private static final int ROUNDS = 7;

    private RemoteThroughput() {
    }

    public static void main(String[] args) throws Exception {
        UnixSockets sockets = new ForeignUnixSockets();
        ProxyClient qemu = new ProxyClient(sockets, Integer.parseInt(args[0]));
        int[] pair = sockets.socketPair();
        Thread server = Thread.ofPlatform().daemon().start(new ProxyConnection(sockets, pair[0],
                new DeviceProxyTarget(ExampleFunctions.attach(ExampleFunctions.nic())), "benchmark"));
        ProxyClient passthru = new ProxyClient(sockets, pair[1]);
        System.out.printf("QEMU's remote answers vendor:device %08x; passthru's %08x%n",
                qemu.configRead(0, 4), passthru.configRead(0, 4));
        reads(qemu, WARM_UP);
        reads(passthru, WARM_UP);
        double[] ours = new double[ROUNDS];
        double[] theirs = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            theirs[r] = reads(qemu, ROUND);
            ours[r] = reads(passthru, ROUND);
        }
        Arrays.sort(ours);
        Arrays.sort(theirs);
        double a = ours[ROUNDS / 2];
        double b = theirs[ROUNDS / 2];
        System.out.printf("config reads, %d rounds of %,d, alternating; median (min-max) reads per second:%n", ROUNDS, ROUND);
        System.out.printf("  passthru's remote         %,10.0f (%,.0f-%,.0f)%n", a, ours[0], ours[ROUNDS - 1]);
        System.out.printf("  QEMU's x-remote           %,10.0f (%,.0f-%,.0f)%n", b, theirs[0], theirs[ROUNDS - 1]);
        System.out.printf("  ratio passthru / QEMU     %.2f%n", a / b);
        sockets.shutdown(pair[1]);
        server.join(2000);
    }

    /** Reads {@code count} config registers, all header offsets by turns, in widths 4, 2, 1; reads per second. */
    private static double reads(ProxyClient client, int count) {
        long start = System.nanoTime();
        long sum = 0;
        for (int i = 0; i < count; i++) {
            int width = 4 >> (i % 3);
            int offset = (i * 4) % 64;
            sum += client.configRead(offset, width);
        }
        long nanos = System.nanoTime() - start;
        if (sum == Long.MIN_VALUE) {
            System.out.println();
        }
        return count / (nanos / 1e9);
    }
}
