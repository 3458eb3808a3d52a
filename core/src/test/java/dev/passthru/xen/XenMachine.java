package dev.passthru.xen;

import dev.passthru.RealPeers;
import dev.passthru.qemu.GuestConsole;
import dev.passthru.qemu.Initramfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;


/**
 * A real Xen 4.17 machine for the tests: QEMU (TCG) boots Xen with an emulated VT-d and the
 * devices a test gives it; dom0 runs Xen's tools and passthru from this machine's own files
 * (its root shared read-only over 9p and entered with chroot: the JDK and the built classes are
 * those the tests run with, so dom0 needs no Java of its own and nothing is copied), then the
 * test's scenario script, then powers off. HVM guests get an initramfs built here (busybox,
 * lspci, setpci, the guest kernel's own modules) and an xl config.
 */
final class XenMachine {

    static final Path XEN = Path.of("/boot/xen-4.17-amd64.gz");
    private static final List<String> DOM0_MODULES = List.of("virtio_pci", "9pnet_virtio", "9p", "xen-privcmd", "xenfs",
            "xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-pciback");

    /**
     * QEMU 7.2's TCG "max" CPU, less SMAP (dom0 faults at once with it) and RDTSCP (guests loop
     * on SVM instruction-length emulation).
     */
    static final String CPU = "max,-smap,-rdtscp";

    /**
     * dom0 on one vCPU of its own, pinned to Xen's CPU 0, and each guest pinned to CPU 1
     * ({@link #guestConfig}). With dom0 on both CPUs and sharing them with a guest, processes in
     * dom0 died now and then of corrupted memory (a busybox grep or sleep of SIGSEGV, busybox's
     * heap, the JVM in its own code) while an HVM guest booted, with no device passed through
     * and no passthru running: a fault of this emulated machine (QEMU 7.2's TCG under Xen), which
     * one TCG thread for both vCPUs, no ASIDs or no 2 MiB and 1 GiB nested pages did not cure.
     * Kept apart, dom0 held in every run since (a lab run and whole test runs).
     */
    private static final String DOM0_ALONE = "dom0_max_vcpus=1 dom0_vcpus_pin";

    private final Path dir;
    private final Path kernel;
    private final Path modules;
    private final Path xen;

    private XenMachine(Path dir, Path kernel, Path modules, Path xen) {
        this.dir = dir;
        this.kernel = kernel;
        this.modules = modules;
        this.xen = xen;
    }

    /** Checks that QEMU, Xen, busybox, pciutils and a kernel with its modules are here (skips the test otherwise). */
    static XenMachine prepare(Path dir) throws IOException {
        RealPeers.qemu();
        RealPeers.staticBusybox();
        RealPeers.setpci();
        RealPeers.xen();
        RealPeers.GuestKernel guest = RealPeers.kernelWithModules();
        Path xen = dir.resolve("xen");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(XEN))) {
            Files.copy(in, xen);
        }
        return new XenMachine(dir, guest.kernel(), guest.modules(), xen);
    }

    /**
     * An HVM guest's initramfs: busybox, the {@code wanted} modules of the guest kernel (with
     * what they need, listed in load order in /modules.order), {@code init}, and with
     * {@code pciutils} lspci and setpci with pci.ids. The guest's firmware reads it byte by byte
     * through QEMU's fw_cfg port (about 4 KiB an ioreq), so it is kept as small as each guest
     * allows (pciutils and the libraries lspci links double it) and compressed: the guest's
     * kernel unpacks it faster than its firmware copies it.
     */
    Path guestImage(String name, byte[] init, List<String> wanted, boolean pciutils) throws IOException, InterruptedException {
        Initramfs image = new Initramfs();
        image.copy(Path.of("/bin/busybox"), "bin/busybox", 0755);
        image.file("init", init, 0755);
        if (pciutils) {
            image.binary(Path.of("/usr/bin/lspci")).binary(Path.of("/usr/bin/setpci"));
            image.pciIds();
        }
        image.characterDevice("dev/console", 5, 1);
        if (!wanted.isEmpty()) {
            image.modules(modules, wanted);
        }
        Path file = dir.resolve(name + ".cpio.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(image.bytes());
        }
        return file;
    }

    /**
     * An xl config for an HVM guest {@code name} booting this machine's kernel with {@code image},
     * its serial console in dom0's /run/NAME.log; {@code more} lines are added as they are.
     */
    Path guestConfig(String name, Path image, int memory, String extra, List<String> more) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "type = \"hvm\"",
                "name = \"" + name + "\"",
                "memory = " + memory,
                "vcpus = 1",
                "cpus = \"1\"",
                "kernel = \"" + kernel + "\"",
                "ramdisk = \"" + image + "\"",
                "extra = \"console=ttyS0 quiet " + extra + "\"",
                "serial = \"file:/run/" + name + ".log\"",
                "vga = \"none\"",
                "xen_platform_pci = 0",
                "passthrough = \"enabled\"",
                "shadow_memory = 32",
                "on_poweroff = \"destroy\""));
        lines.addAll(more);
        Path cfg = dir.resolve(name + ".cfg");
        Files.writeString(cfg, String.join("\n", lines) + "\n");
        return cfg;
    }

    /**
     * dom0's initramfs: the common /init (resource dom0-init), {@code scenario} as /scenario,
     * the JDK and class path of this test run, and {@code files} (name to content) at the root.
     */
    Path dom0Image(byte[] scenario, Map<String, String> files) throws IOException {
        Initramfs image = new Initramfs();
        image.copy(Path.of("/bin/busybox"), "bin/busybox", 0755);
        try (InputStream init = XenMachine.class.getResourceAsStream("dom0-init")) {
            image.file("init", init.readAllBytes(), 0755);
        }
        image.file("scenario", scenario, 0644);
        image.modules(modules, DOM0_MODULES);
        Map<String, String> all = new LinkedHashMap<>();
        all.put("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        all.put("classpath", System.getProperty("java.class.path"));
        all.putAll(files);
        all.forEach((name, content) -> image.file(name, content.getBytes(StandardCharsets.UTF_8), 0644));
        image.characterDevice("dev/console", 5, 1);
        Path file = dir.resolve("dom0.cpio");
        Files.write(file, image.bytes());
        return file;
    }

    /**
     * Boots Xen with dom0 {@code image} and the L0 QEMU arguments {@code devices} (the devices
     * Xen's machine has besides the emulated VT-d), and returns the console once Xen powers off
     * (or after {@code seconds}), also written with timestamps to {@code log}.
     */
    List<String> boot(Path image, List<String> devices, int seconds, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of("qemu-system-x86_64", "-machine", "q35,kernel-irqchip=split",
                "-accel", "tcg", "-cpu", CPU, "-smp", "2", "-m", "3072", "-nographic", "-no-reboot",
                "-nic", "none", "-device", "intel-iommu,intremap=on"));
        command.addAll(devices);
        command.addAll(List.of(
                "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
                "-kernel", xen.toString(),
                "-append", "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all noreboot iommu=verbose "
                        + DOM0_ALONE,
                "-initrd", kernel + " console=hvc0 quiet," + image));
        return GuestConsole.run(command, seconds, log);
    }

    /**
     * Why the emulated machine broke down during a run, or empty: dom0's kernel panicked, the
     * scenario's shell died of a signal, or an HVM guest triple-faulted. Under QEMU 7.2's TCG
     * (nested SVM, a PV dom0) both were seen here, now and then: dom0's busybox died of heap
     * corruption ("free(): corrupted unsorted chunks") minutes after passthru had exited, and a
     * guest triple-faulted between its ROM read and its first disk write, 14 s after its last
     * access to a register passthru serves. A failure of passthru or of a guest's driver is not
     * among these.
     */
    static Optional<String> breakdown(List<String> console) {
        for (String line : console) {
            if (line.contains("(XEN) Hardware Dom0 crashed") || line.contains("Triple fault - invoking HVM shutdown")) {
                return Optional.of(line.strip());
            }
            Matcher end = SCENARIO_END.matcher(line);
            if (end.find() && Integer.parseInt(end.group(1)) > 128) {
                return Optional.of("dom0's scenario shell died of signal " + (Integer.parseInt(end.group(1)) - 128));
            }
        }
        return Optional.empty();
    }

    private static final Pattern SCENARIO_END = Pattern.compile("^PT-SCENARIO-END (\\d+)");

    Path dir() {
        return dir;
    }
}
