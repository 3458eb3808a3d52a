package dev.passthru.qemu;

import dev.passthru.InputError;
import dev.passthru.os.UnixSockets;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A QEMU guest whose pass-through functions are served by this process: q35, TCG (see
 * {@link #accelerator}), guest RAM from a memfd (which QEMU's multi-process link requires), one pcie-root-port
 * per slot that may hold a function, and QMP on a unix socket. QEMU starts paused; functions are
 * plugged into root ports through QMP ({@code getfd} hands QEMU the socket, then
 * {@code device_add driver=x-pci-proxy-dev}) before {@link #start} lets the guest run, and can
 * be plugged and unplugged while it runs.
 */
public final class QemuMachine implements AutoCloseable {

    /** What to boot and how. */
    public record Options(Path kernel, Path initrd, String append, long memoryMib, List<Integer> ports,
                          ProcessBuilder.Redirect console) {
    }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final QmpClient qmp;
    private final Path runDir;

    private QemuMachine(Process process, QmpClient qmp, Path runDir) {
        this.process = process;
        this.qmp = qmp;
        this.runDir = runDir;
    }

    /** The QEMU binary: $PASSTHRU_QEMU, or qemu-system-x86_64 on the PATH. */
    public static String binary() {
        String configured = System.getenv("PASSTHRU_QEMU");
        return configured != null ? configured : "qemu-system-x86_64";
    }

    public static QemuMachine launch(UnixSockets sockets, Options options) {
        Path runDir;
        try {
            runDir = Files.createTempDirectory("passthru-qemu-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot make a folder for QEMU's sockets", e);
        }
        Path monitor = runDir.resolve("qmp.sock");
        List<String> command = new ArrayList<>(List.of(binary(),
                "-machine", "q35,memory-backend=mem", "-accel", accelerator(),
                "-object", "memory-backend-memfd,id=mem,size=" + options.memoryMib() + "M", "-m", options.memoryMib() + "M",
                "-nographic", "-no-reboot", "-nic", "none", "-S",
                "-qmp", "unix:" + monitor + ",server=on,wait=off",
                "-kernel", options.kernel().toString(), "-initrd", options.initrd().toString(),
                "-append", options.append()));
        for (int port : options.ports()) {
            command.addAll(List.of("-device", String.format("pcie-root-port,id=%s,bus=pcie.0,chassis=%d,slot=%d,addr=0x%x",
                    port(port), port, port, port)));
        }
        Process process;
        try {
            process = new ProcessBuilder(command).redirectInput(options.console().type() == ProcessBuilder.Redirect.Type.INHERIT
                            ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(options.console()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new InputError("cannot start " + binary() + " (" + e.getMessage() + "); install qemu-system-x86 "
                    + "or set PASSTHRU_QEMU");
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(monitor)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException(binary() + " did not open its monitor socket (exit status "
                        + (process.isAlive() ? "none: still running" : process.exitValue()) + ")");
            }
            sleep(20);
        }
        return new QemuMachine(process, QmpClient.connect(sockets, monitor.toString()), runDir);
    }

    /**
     * TCG unless $PASSTHRU_QEMU_ACCEL says otherwise: /dev/kvm may exist where KVM does not work
     * (on this project's machines the node is there and a KVM guest hangs in its first
     * instructions), and interrupts through the proxy need KVM anyway, which whoever has it
     * can ask for.
     */
    public static String accelerator() {
        String configured = System.getenv("PASSTHRU_QEMU_ACCEL");
        return configured != null && !configured.isBlank() ? configured : "tcg";
    }

    static String port(int slot) {
        return "rp" + slot;
    }

    /**
     * Hands QEMU {@code fd} (one end of a connected socket, whose other end must already be
     * served: QEMU's proxy talks to the remote while it is being added) and plugs an
     * {@code x-pci-proxy-dev} on it as function {@code function} of the root port for
     * {@code slot}. The caller keeps and closes its own copy of {@code fd}.
     */
    public void plug(int slot, int function, boolean multifunction, int fd) {
        String id = "pt" + slot + "_" + function;
        qmp.execute("getfd", Map.of("fdname", id), fd);
        Map<String, Object> device = new LinkedHashMap<>();
        device.put("driver", "x-pci-proxy-dev");
        device.put("id", id);
        device.put("bus", port(slot));
        device.put("addr", "0." + function);
        if (multifunction) {
            device.put("multifunction", "on");
        }
        device.put("fd", id);
        qmp.execute("device_add", device);
    }

    /** Unplugs the proxy device of {@code slot.function} and waits until the guest let it go. */
    public void unplug(int slot, int function, Duration timeout) {
        String id = "pt" + slot + "_" + function;
        qmp.execute("device_del", Map.of("id", id));
        qmp.awaitEvent("DEVICE_DELETED", timeout);
    }

    /** Lets the paused guest run. */
    public void start() {
        qmp.execute("cont", Map.of());
    }

    /** Waits for QEMU to end (the guest powered off); its exit status, or -1 on timeout. */
    public int await(Duration timeout) {
        try {
            if (process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public Process process() {
        return process;
    }

    @Override
    public void close() {
        qmp.close();
        process.destroy();
        await(Duration.ofSeconds(5));
        process.destroyForcibly();
        try (var files = Files.list(runDir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(runDir);
        } catch (IOException e) {
            // a leftover socket file in /tmp is harmless
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
