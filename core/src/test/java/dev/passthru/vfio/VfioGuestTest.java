package dev.passthru.vfio;

import dev.passthru.qemu.Initramfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * passthru inside a Linux guest that has a real VFIO stack: QEMU (TCG) with an emulated Intel
 * IOMMU and its {@code edu} device; the guest binds edu to vfio-pci and runs passthru from this
 * machine's own files (the host's root shared read-only over 9p and entered with chroot, so the
 * guest needs no Java of its own: the JDK and the built jars are the ones the tests run with).
 */
class VfioGuestTest {

    /** vfio_iommu_type1 is only a soft dependency of vfio, which insmod does not follow. */
    private static final List<String> MODULES = List.of("virtio_pci", "9pnet_virtio", "9p", "vfio_iommu_type1", "vfio_virqfd",
            "vfio-pci");

    @TempDir
    Path dir;

    @Test
    void passthru_lists_edu_through_vfio_its_guest_reads_the_real_device_and_detach_releases_it() throws Exception {
        Path kernel = kernel();
        String release = kernel.getFileName().toString().substring("vmlinuz-".length());
        Path modules = Path.of("/lib/modules", release);
        assumeTrue(Files.exists(modules.resolve("modules.dep")), "SKIPPED: no modules for " + release);
        Path vm = Files.createDirectories(Path.of("/tmp")).resolve("passthru-vfio-" + ProcessHandle.current().pid() + ".cfg");
        Files.writeString(vm, """
                name = "edu"
                memory = 512
                pci = [ '00:03.0' ]
                passthru_sources = [ 'vfio:/sys/bus/pci' ]
                """);
        Path initrd = initramfs(modules);
        List<String> command = List.of("qemu-system-x86_64", "-machine", "q35,kernel-irqchip=split", "-accel", "tcg",
                "-m", "1024", "-nographic", "-no-reboot", "-nic", "none",
                "-device", "intel-iommu,intremap=on", "-device", "edu,addr=03.0",
                "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 quiet intel_iommu=on");
        Process qemu = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).start();
        List<String> console = new ArrayList<>();
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!qemu.waitFor(300, TimeUnit.SECONDS)) {
                    qemu.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Path log = Path.of("target/vfio-guest-console.txt");
        Files.deleteIfExists(log);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                console.add(line.strip());
                Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } finally {
            watchdog.interrupt();
            Files.deleteIfExists(vm);
        }
        String all = String.join("\n", console);
        assertThat(all).as(all).contains("PT-LIST-END 0");
        assertThat(console).as(all).anyMatch(l -> l.startsWith("0000:00:03.0 00ff: 1234:11e8") && l.contains("driver: vfio-pci"));
        assertThat(all).as(all).contains("BAR 0 +0x0: read 0x010000ed").contains("PT-RUN-END 0")
                .as("detach gave group and container back: the second attach opened them again")
                .contains("hot-unplug slot 0x06: 0000:00:03.0 detached")
                .contains("hot-plug plug:00:03.0: 0000:00:03.0 into slot 0x06, enumerated by the guest")
                .as("edu's raise-interrupt register: its MSI arrives through VFIO's eventfd and is injected")
                .containsPattern("poke slot 0x06 BAR 0 \\+0x60 = 0x1: interrupts injected: pirq \\d+ x1")
                .as("with MSI off, edu raises INTx: through VFIO's INTx eventfd, unmasked after each delivery")
                .contains("config slot 0x06 0x42/2 = 0x0")
                .containsPattern("poke slot 0x06 BAR 0 \\+0x60 = 0x2: interrupts injected: pirq \\d+ x\\d+")
                .as("edu's factorial register and a DMA round trip through a buffer mapped with VFIO_IOMMU_MAP_DMA")
                .contains("PT-FACTORIAL 120")
                .as("BAR 0 is mappable: reached by loads and stores through the mapping")
                .contains("PT-MMAP true 10000ed")
                .contains("PT-DMA same 'passthru DMA round trip through VFIO and edu'")
                .contains("PT-DMA-END 0");
    }

    private Path kernel() throws IOException {
        assumeTrue(Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "qemu-system-x86_64"))),
                "SKIPPED: no qemu-system-x86_64");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "SKIPPED: no /bin/busybox");
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            Path kernel = boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().findFirst().orElse(null);
            assumeTrue(kernel != null, "SKIPPED: no kernel in /boot");
            return kernel;
        }
    }

    private Path initramfs(Path modules) throws Exception {
        Initramfs image = new Initramfs();
        image.copy(Path.of("/bin/busybox"), "bin/busybox", 0755);
        try (InputStream init = VfioGuestTest.class.getResourceAsStream("init")) {
            image.file("init", init.readAllBytes(), 0755);
        }
        List<String> order = new ArrayList<>();
        for (String module : loadOrder(modules)) {
            String name = Path.of(module).getFileName().toString();
            image.copy(modules.resolve(module), "modules/" + name, 0644);
            order.add(name);
        }
        image.file("modules.order", String.join("\n", order).getBytes(StandardCharsets.US_ASCII), 0644);
        image.file("java", Path.of(System.getProperty("java.home"), "bin", "java").toString().getBytes(StandardCharsets.UTF_8), 0644);
        image.file("classpath", System.getProperty("java.class.path").getBytes(StandardCharsets.UTF_8), 0644);
        image.file("vmcfg", Path.of("/tmp").resolve("passthru-vfio-" + ProcessHandle.current().pid() + ".cfg").toString()
                .getBytes(StandardCharsets.UTF_8), 0644);
        image.characterDevice("dev/console", 5, 1);
        Path file = dir.resolve("initrd.cpio");
        Files.write(file, image.bytes());
        return file;
    }

    /** The wanted modules and what they depend on, dependencies first (from modules.dep). */
    private static List<String> loadOrder(Path modules) throws IOException {
        Map<String, List<String>> deps = new LinkedHashMap<>();
        for (String line : Files.readAllLines(modules.resolve("modules.dep"))) {
            int colon = line.indexOf(':');
            String module = line.substring(0, colon);
            String rest = line.substring(colon + 1).strip();
            deps.put(module, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        Set<String> ordered = new LinkedHashSet<>();
        for (String wanted : MODULES) {
            String path = deps.keySet().stream().filter(m -> Path.of(m).getFileName().toString().startsWith(wanted + ".ko"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no module " + wanted));
            visit(path, deps, ordered, new ArrayDeque<>());
        }
        return new ArrayList<>(ordered);
    }

    private static void visit(String module, Map<String, List<String>> deps, Set<String> ordered, Deque<String> path) {
        if (ordered.contains(module) || path.contains(module)) {
            return;
        }
        path.push(module);
        List<String> needs = new ArrayList<>(deps.getOrDefault(module, List.of()));
        java.util.Collections.reverse(needs);
        for (String dependency : needs) {
            visit(dependency, deps, ordered, path);
        }
        path.pop();
        ordered.add(module);
    }
}
