package dev.passthru.bench;

import dev.passthru.host.BarMemory;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.vfio.FileBackedVfioCalls;
import dev.passthru.vfio.VfioBarMemory;
import dev.passthru.vfio.VfioHandle;
import dev.passthru.vfio.VfioHostConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The 82576 of examples/ as a VFIO function whose device fd is a file in /dev/shm (memory, as a
 * memfd is): its dumped config space at the config region, {@link #BAR0_PATTERN} at offset
 * {@link #BAR0_PATTERN_OFFSET} of BAR 0, the rest zeros (a sparse file). Config space and BARs
 * are reached through {@link VfioHostConfig} and {@link VfioBarMemory}, that is by pread and
 * pwrite on that fd through {@code ForeignVfioCalls}.
 */
final class FileBackedNic implements AutoCloseable {

    static final int BAR0_PATTERN_OFFSET = 0x10;
    static final int BAR0_PATTERN = 0xcafe_f00d;

    private final Path file;
    private final VfioHandle handle;
    private final VfioHostConfig config;
    private final VfioBarMemory bars;
    private final HostFunction function;

    private FileBackedNic(Path file, HostFunction nic) {
        this.file = file;
        long[] sizes = new long[BarMemory.ROM + 1];
        for (HostBar bar : nic.bars().bars()) {
            sizes[bar.index()] = bar.size();
        }
        sizes[BarMemory.ROM] = nic.bars().romSize();
        FileBackedVfioCalls calls = new FileBackedVfioCalls(file, sizes);
        handle = new VfioHandle(calls, nic.address(), "1");
        config = new VfioHostConfig(handle, calls);
        bars = new VfioBarMemory(handle);
        function = new HostFunction(nic.address(), nic.origin(), "vfio " + file, nic.header(), config, nic.bars(),
                nic.unsized(), bars, nic.binding());
    }

    static FileBackedNic create() throws IOException {
        Path shm = Path.of("/dev/shm");
        Path file = Files.createTempFile(Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                "passthru-vfio-bench", ".bin");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, BAR0_PATTERN), BAR0_PATTERN_OFFSET);
            channel.write(ByteBuffer.wrap(ExampleFunctions.nicConfig()),
                    FileBackedVfioCalls.CONFIG_REGION * FileBackedVfioCalls.REGION_STRIDE);
        }
        return new FileBackedNic(file, ExampleFunctions.nic());
    }

    VfioHostConfig config() {
        return config;
    }

    VfioBarMemory bars() {
        return bars;
    }

    /** The function with VFIO's config space and BARs, to attach. */
    HostFunction function() {
        return function;
    }

    @Override
    public void close() throws IOException {
        handle.release();
        Files.delete(file);
    }
}
