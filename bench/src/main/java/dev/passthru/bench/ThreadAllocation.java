package dev.passthru.bench;

import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Bytes allocated per operation by each thread involved, measured with HotSpot's per-thread
 * allocation counters: after a warm-up long enough for the JIT, {@code count} operations on
 * the calling thread, the calling thread's and (where there is one) a serving thread's bytes
 * divided by {@code count}. JMH's gc.alloc.rate.norm sums every thread of the JVM, its own
 * included; this separates the threads that do the work.
 */
final class ThreadAllocation {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ThreadAllocation() {
    }

    /** Bytes per operation: [0] this thread's, [1] {@code serving}'s (NaN without one). */
    static double[] perOperation(LongSupplier operation, Thread serving, int warmUp, int count) {
        long sink = 0;
        for (int i = 0; i < warmUp; i++) {
            sink += operation.getAsLong();
        }
        long mine = THREADS.getCurrentThreadAllocatedBytes();
        long theirs = serving == null ? 0 : THREADS.getThreadAllocatedBytes(serving.threadId());
        for (int i = 0; i < count; i++) {
            sink += operation.getAsLong();
        }
        mine = THREADS.getCurrentThreadAllocatedBytes() - mine;
        theirs = serving == null ? 0 : THREADS.getThreadAllocatedBytes(serving.threadId()) - theirs;
        if (sink == Long.MIN_VALUE) {
            System.out.println();
        }
        return new double[] {(double) mine / count, serving == null ? Double.NaN : (double) theirs / count};
    }
}
