package dev.passthru.bench;

import dev.passthru.device.PassthroughDevice;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.qemu.DeviceProxyTarget;
import dev.passthru.qemu.ProxyClient;
import dev.passthru.qemu.ProxyConnection;
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

import static dev.passthru.pci.PciRegs.PCI_BASE_ADDRESS_0;
import static dev.passthru.pci.PciRegs.PCI_CACHE_LINE_SIZE;
import static dev.passthru.pci.PciRegs.PCI_COMMAND;
import static dev.passthru.pci.PciRegs.PCI_COMMAND_MEMORY;

/**
 * Round trips on QEMU's multi-process link over a real socketpair, as {@code x-pci-proxy-dev}
 * makes them: the benchmark thread sends a config or BAR read or write and waits for the RET;
 * a {@link ProxyConnection} on its own thread serves the 82576 through {@link DeviceProxyTarget},
 * attached on the simulated hypervisor with its config space and BARs behind VFIO
 * ({@link FileBackedNic}: pread and pwrite on a file descriptor). Each operation is one message
 * each way, the virtual config space or the BAR lookup, and the pread behind it; JMH's
 * allocation figure counts every thread of the JVM, the serving thread's included.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(1)
public class ProxyRoundTripBenchmark {

    private static final long BAR0 = 0xc000_0000L;
    /** 64 bytes, in dwords. */
    private static final int CACHE_LINE_DWORDS = 16;

    private final UnixSockets sockets = new ForeignUnixSockets();
    private FileBackedNic host;
    private int[] pair;
    private Thread server;
    private ProxyClient qemu;

    @Setup
    public void setUp() throws IOException {
        host = FileBackedNic.create();
        PassthroughDevice nic = ExampleFunctions.attach(host.function());
        pair = sockets.socketPair();
        server = Thread.ofPlatform().daemon().name("proxy-serving").start(new ProxyConnection(sockets, pair[0],
                new DeviceProxyTarget(nic), "benchmark"));
        qemu = new ProxyClient(sockets, pair[1]);
        qemu.configWrite(PCI_BASE_ADDRESS_0, 4, (int) BAR0);
        qemu.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        long id = qemu.configRead(0, 4);
        long pattern = qemu.barRead(BAR0 + FileBackedNic.BAR0_PATTERN_OFFSET, 4, true);
        if (id != 0x10c9_8086L || pattern != (FileBackedNic.BAR0_PATTERN & 0xffff_ffffL)) {
            throw new IllegalStateException(String.format("the remote answers %08x for the IDs and %08x in BAR 0: not the "
                    + "82576 as written", id, pattern));
        }
    }

    @TearDown
    public void tearDown() throws InterruptedException, IOException {
        sockets.shutdown(pair[1]);
        server.join(TimeUnit.SECONDS.toMillis(5));
        sockets.close(pair[1]);
        host.close();
    }

    /** The thread serving the connection, for {@link ThreadAllocation}. */
    Thread servingThread() {
        return server;
    }

    @Benchmark
    public long proxyConfigRead() {
        return qemu.configRead(0x00, 4);
    }

    @Benchmark
    public long proxyBarRead() {
        return qemu.barRead(BAR0 + FileBackedNic.BAR0_PATTERN_OFFSET, 4, true);
    }

    /** The cache line size register: a write the config space takes with no effect to apply. */
    @Benchmark
    public void proxyConfigWrite() {
        qemu.configWrite(PCI_CACHE_LINE_SIZE, 1, CACHE_LINE_DWORDS);
    }

    @Benchmark
    public void proxyBarWrite() {
        qemu.barWrite(BAR0 + FileBackedNic.BAR0_PATTERN_OFFSET, 4, FileBackedNic.BAR0_PATTERN, true);
    }
}
