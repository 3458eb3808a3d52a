package dev.passthru.bench;

import dev.passthru.config.ConfigOptions;
import dev.passthru.config.VirtualConfigSpace;
import dev.passthru.dump.DumpBars;
import dev.passthru.dump.DumpedFunction;
import dev.passthru.dump.LspciDumpReader;
import dev.passthru.host.MemoryHostConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Real functions from examples/dumps (packed into the benchmark jar), as guest views. */
final class ExampleFunctions {

    private ExampleFunctions() {
    }

    /** QEMU's virtio-net from qemu-virtio.txt: I/O BAR 0, 4K BAR 1, 512K BAR 2, MSI-X. */
    static VirtualConfigSpace virtioNet() {
        DumpedFunction net = read("qemu-virtio.txt").stream()
                .filter(f -> f.address().shortForm().equals("00:09.0")).findFirst().orElseThrow();
        return VirtualConfigSpace.create(MemoryHostConfig.of(net.config()), DumpBars.layout(net, Map.of(), null),
                ConfigOptions.DEFAULT);
    }

    private static java.util.List<DumpedFunction> read(String name) {
        try (InputStream in = ExampleFunctions.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not in the benchmark jar");
            }
            return LspciDumpReader.parse(name, new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
