package dev.passthru;

import dev.passthru.qemu.QemuMachine;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real programs and data the tests drive (lspci, QEMU, a Linux kernel with its modules, a
 * static busybox, Xen, shared/ fixtures), checked in one place. Where one is missing the test
 * is skipped with a line naming what to install; under {@code CI=true} it fails instead,
 * because in CI no real-peer test may skip.
 */
public final class RealPeers {

    /** The guest kernel of the real-guest tests and the folder of its modules. */
    public record GuestKernel(Path kernel, Path modules, String release) {
    }

    private RealPeers() {
    }

    /** The real lspci (pciutils): the oracle for config-space views. */
    public static void lspci() {
        need(runs("lspci", "--version"), "lspci", "pciutils");
    }

    public static void setpci() {
        need(Files.isExecutable(Path.of("/usr/bin/setpci")), "setpci", "pciutils");
    }

    /** QEMU for x86-64 guests: {@code PASSTHRU_QEMU} or qemu-system-x86_64 on PATH. */
    public static void qemu() {
        String binary = QemuMachine.binary();
        need(binary.contains("/") ? Files.isExecutable(Path.of(binary)) : onPath(binary), binary, "qemu-system-x86");
    }

    /** A busybox the guest can run alone in its initramfs: a dynamic one finds no libraries there. */
    public static void staticBusybox() {
        Path busybox = Path.of("/bin/busybox");
        need(Files.isExecutable(busybox) && !runs("ldd", busybox.toString()), "static /bin/busybox", "busybox-static");
    }

    /** Xen 4.17 with its tools and Xen's QEMU for the HVM guests' own devices. */
    public static void xen() {
        need(Files.isReadable(Path.of("/boot/xen-4.17-amd64.gz")) && Files.isExecutable(Path.of("/usr/lib/xen-4.17/bin/xl"))
                        && Files.isExecutable(Path.of("/usr/libexec/xen-qemu-system-i386")),
                "Xen 4.17", "xen-hypervisor-4.17-amd64 xen-utils-4.17 qemu-system-xen");
    }

    /** The first kernel in /boot, with its modules installed: the real guests boot it and load its drivers. */
    public static GuestKernel kernelWithModules() {
        Path kernel;
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            kernel = boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().findFirst().orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /boot", e);
        }
        need(kernel != null && Files.isReadable(kernel), "kernel in /boot", "linux-image-amd64");
        String release = kernel.getFileName().toString().substring("vmlinuz-".length());
        Path modules = Path.of("/lib/modules", release);
        need(Files.exists(modules.resolve("modules.dep")), "modules for " + release, "linux-image-" + release);
        return new GuestKernel(kernel, modules, release);
    }

    /** shared/ beside the repository (real hardware as data), as CI lays it out. */
    public static Path shared() {
        String configured = System.getProperty("passthru.shared");
        Path path = Path.of(configured != null ? configured : "../../shared").toAbsolutePath().normalize();
        if (!Files.isDirectory(path.resolve("fixtures"))) {
            missing("shared/fixtures (real hardware dumps) not found at " + path
                    + "; clone the repository beside shared/ as CI does");
        }
        return path;
    }

    private static void need(boolean present, String what, String packages) {
        if (!present) {
            missing("no " + what + " (apt-get install " + packages + "; bin/test installs it)");
        }
    }

    private static void missing(String why) {
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true and a real-peer test cannot run: " + why);
        }
        Assumptions.abort("SKIPPED: " + why);
    }

    private static boolean onPath(String binary) {
        return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, binary)));
    }

    /** Whether {@code command} runs and exits 0. */
    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
