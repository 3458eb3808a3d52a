package dev.passthru.bench;

import dev.passthru.config.VirtualConfigSpace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A guest's config accesses to a real function (QEMU's virtio-net), one thread:
 * a dword read that goes through to the host (vendor and device ID), one answered from the
 * virtual copy (BAR 0), and a BAR write that moves BAR 1 every time, so that each write updates
 * the virtual register and reports the move.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(1)
public class ConfigAccessBenchmark {

    private static final int BAR1 = 0x14;
    private static final int ADDRESS_A = 0xfebd6000;
    private static final int ADDRESS_B = 0xfebd7000;

    private VirtualConfigSpace view;
    private int next;

    @Setup
    public void setUp() {
        view = ExampleFunctions.virtioNet();
        next = ADDRESS_A;
    }

    @Benchmark
    public int readThrough() {
        return view.read(0x00, 4);
    }

    @Benchmark
    public int readEmulated() {
        return view.read(0x10, 4);
    }

    @Benchmark
    public int writeBar() {
        int address = next;
        next = address ^ (ADDRESS_A ^ ADDRESS_B);
        return view.write(BAR1, 4, address);
    }
}
