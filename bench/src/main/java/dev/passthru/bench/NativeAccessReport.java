package dev.passthru.bench;

import org.openjdk.jmh.runner.RunnerException;

import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * Runs {@link VfioAccessBenchmark} and {@link ProxyRoundTripBenchmark} with JMH's allocation
 * profiler and prints their tables (see {@link BenchTable}) beside issue 18's goal: no
 * allocation per guest access on the VFIO and QEMU-proxy paths. JMH's figure sums every thread
 * of the JVM, its own included, so the same operations are then counted per thread
 * ({@link ThreadAllocation}): the thread making the access and, for the proxy, the thread
 * serving it.
 */
public final class NativeAccessReport {

    private static final int VFIO_WARM_UP = 200_000;
    private static final int VFIO_COUNT = 200_000;
    private static final int PROXY_WARM_UP = 30_000;
    private static final int PROXY_COUNT = 30_000;
    private static final int ROUNDS = 3;

    private NativeAccessReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException, InterruptedException {
        BenchTable.run(VfioAccessBenchmark.class, args, name -> "0 B/op");
        BenchTable.run(ProxyRoundTripBenchmark.class, args, name -> "0 B/op");

        System.out.printf("%nper thread, after a warm-up, %d rounds: bytes allocated per operation in each round%n", ROUNDS);
        System.out.printf("%-16s %10s   %-24s %-24s%n", "operation", "per round", "accessing thread", "serving thread");
        VfioAccessBenchmark vfio = new VfioAccessBenchmark();
        vfio.setUp();
        try {
            row("vfioConfigRead", vfio::vfioConfigRead, null, VFIO_WARM_UP, VFIO_COUNT);
            row("vfioBarRead", vfio::vfioBarRead, null, VFIO_WARM_UP, VFIO_COUNT);
        } finally {
            vfio.tearDown();
        }
        ProxyRoundTripBenchmark proxy = new ProxyRoundTripBenchmark();
        proxy.setUp();
        try {
            Thread serving = proxy.servingThread();
            row("proxyConfigRead", proxy::proxyConfigRead, serving, PROXY_WARM_UP, PROXY_COUNT);
            row("proxyConfigWrite", () -> {
                proxy.proxyConfigWrite();
                return 0;
            }, serving, PROXY_WARM_UP, PROXY_COUNT);
            row("proxyBarRead", proxy::proxyBarRead, serving, PROXY_WARM_UP, PROXY_COUNT);
            row("proxyBarWrite", () -> {
                proxy.proxyBarWrite();
                return 0;
            }, serving, PROXY_WARM_UP, PROXY_COUNT);
        } finally {
            proxy.tearDown();
        }
    }

    /** One warm-up, then {@link #ROUNDS} counted rounds of {@code count} operations. */
    private static void row(String name, LongSupplier operation, Thread serving, int warmUp, int count) {
        StringBuilder accessing = new StringBuilder();
        StringBuilder served = new StringBuilder();
        for (int round = 0; round < ROUNDS; round++) {
            double[] bytes = ThreadAllocation.perOperation(operation, serving, round == 0 ? warmUp : 0, count);
            accessing.append(round == 0 ? "" : " / ").append(String.format("%.2f", bytes[0]));
            served.append(round == 0 ? "" : " / ").append(Double.isNaN(bytes[1]) ? "-" : String.format("%.2f", bytes[1]));
        }
        System.out.printf("%-16s %,10d   %-24s %-24s%n", name, count, accessing, served);
    }
}
