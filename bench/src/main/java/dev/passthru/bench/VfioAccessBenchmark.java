package dev.passthru.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A host config read and BAR read on the VFIO path, one thread: {@code VfioHostConfig} and
 * {@code VfioBarMemory} over {@code VfioDevice}, down to {@code ForeignVfioCalls} pread on a real
 * file descriptor, the 82576 of {@link FileBackedNic}. VFIO reaches config space and unmapped
 * BARs with pread at region offsets of the device fd, as here; what the kernel's vfio-pci does
 * behind the pread is not measured.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(1)
public class VfioAccessBenchmark {

    private FileBackedNic nic;

    @Setup
    public void setUp() throws IOException {
        nic = FileBackedNic.create();
        if (nic.config().read(0, 4) != 0x10c9_8086
                || nic.bars().read(0, FileBackedNic.BAR0_PATTERN_OFFSET, 4) != (FileBackedNic.BAR0_PATTERN & 0xffff_ffffL)) {
            throw new IllegalStateException("the file does not read back as written");
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        nic.close();
    }

    @Benchmark
    public int vfioConfigRead() {
        return nic.config().read(0x00, 4);
    }

    @Benchmark
    public long vfioBarRead() {
        return nic.bars().read(0, FileBackedNic.BAR0_PATTERN_OFFSET, 4);
    }
}
