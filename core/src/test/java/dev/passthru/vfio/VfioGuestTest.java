package dev.passthru.vfio;

import dev.passthru.RealPeers;
import dev.passthru.qemu.GuestConsole;
import dev.passthru.qemu.Initramfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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
        List<String> console = boot("init", 10240, List.of("-device", "edu,addr=03.0"), """
                name = "edu"
                memory = 512
                pci = [ '00:03.0' ]
                passthru_sources = [ 'vfio:/sys/bus/pci' ]
                """, "target/vfio-guest-console.txt");
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
                .contains("PT-DMA-END 0")
                .as("vfio-user: BAR 0 offered as one sparse mmap area of the VFIO device's descriptor")
                .containsPattern("PT-VU-REGION 0 flags 0xf size 0x100000 areas 1 \\[0x0\\+0x100000\\] fds 1")
                .as("and reached through the client's mapping of it, with no message to the server")
                .contains("PT-VU-MMAP id 10000ed factorial 120 messages 0")
                .as("guest RAM given by descriptor is mapped for the device with VFIO_IOMMU_MAP_DMA; edu's DMA copies in and out")
                .contains("PT-VU-DMA-MAP error 0 iommu true")
                .contains("PT-VU-DMA same 'passthru vfio-user DMA by descriptor through edu'")
                .as("edu's MSI, routed by SET_IRQS to the client's eventfd, is signalled by the kernel")
                .contains("PT-VU-MSI error 0 signalled 1")
                .as("MSI masked by the client: held by the server as pending, delivered once on unmask")
                .contains("PT-VU-MSI-MASK errors 0 0 while masked 0 pending true on unmask 1")
                .contains("PT-VU-UNMAP error 0")
                .contains("PT-VU-END 0")
                .as("DMA_MAP of 1, 2, 4 and 8 GiB by descriptor: each answered, the kernel's pinning timed inside it")
                .containsPattern(cost(1)).containsPattern(cost(2)).containsPattern(cost(4)).containsPattern(cost(8))
                .contains("PT-VU-COST-END 0")
                .as("the host source and VFIO calls contracts, every case run on the real vfio-pci and edu")
                .as("10 host-source and 12 VFIO-calls contract cases on the real vfio-pci and edu")
                .contains("PT-CONTRACTS passed 22 failed 0 skipped 0")
                .contains("PT-CONTRACTS-END 0");
    }

    private static String cost(int gib) {
        return "PT-VU-COST " + gib + " GiB map [\\d.]+ ms kernel pin [\\d.]+ ms \\([\\d.]+%\\) unmap [\\d.]+ ms errors 0 0";
    }

    @Test
    void two_functions_of_one_iommu_group_open_together_share_one_container_and_are_reset_and_attached_together()
            throws Exception {
        List<String> console = boot("group-init", 1024, List.of("-device", "pci-bridge,id=bridge,chassis_nr=1,shpc=off,addr=04.0",
                "-device", "edu,bus=bridge,addr=01.0", "-device", "edu,bus=bridge,addr=02.0"), """
                name = "pair"
                memory = 512
                pci = [ '01:01.0', '01:02.0' ]
                passthru_sources = [ 'vfio:/sys/bus/pci' ]
                """, "target/vfio-group-guest-console.txt");
        String all = String.join("\n", console);
        String group = console.stream().filter(l -> l.contains("PT-GROUP-OF 0000:01:01.0")).findFirst()
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).orElseThrow(() -> new AssertionError(all));
        assertThat(all).as(all).contains("PT-GROUP-OF 0000:01:02.0 " + group)
                .as("both functions of the group opened at once: one group, one container")
                .contains("PT-GROUP-OPENED 2 problems []")
                .as("a mapping made through the first is the container's, so the second's")
                .contains("PT-GROUP-MAPPINGS 1 1")
                .as("the second's DMA engine copies from and into the buffer mapped through the first")
                .contains("PT-GROUP-DMA same")
                .contains("PT-GROUP-SECOND-AFTER-FIRST-RELEASED 10000ed")
                .contains("PT-GROUP-RELEASED").contains("PT-GROUP-END 0")
                .as("each reset by a hot reset of the bus behind the bridge, which holds only the group")
                .contains("PT-GROUP-RESET reset: bus hot reset of group " + group + " | reset: bus hot reset of group " + group)
                .as("passthru run attaches both and unplugs both, each reset at attach and detach, saying which")
                .contains("0000:01:01.0 at attach: reset: bus hot reset of group " + group)
                .contains("0000:01:02.0 at attach: reset: bus hot reset of group " + group)
                .containsPattern("0000:01:01.0 at detach: (reset|not reset): ")
                .contains("0000:01:02.0 at detach: reset: bus hot reset of group " + group)
                .contains("PT-GROUP-RUN-END 0");
    }

    /** Boots the guest with edu bound to vfio-pci there, running {@code init}; its console. */
    private List<String> boot(String init, int memoryMib, List<String> devices, String vmConfig, String consoleFile)
            throws Exception {
        RealPeers.qemu();
        RealPeers.staticBusybox();
        RealPeers.GuestKernel guest = RealPeers.kernelWithModules();
        Path vm = Files.createDirectories(Path.of("/tmp")).resolve("passthru-vfio-" + ProcessHandle.current().pid() + ".cfg");
        Files.writeString(vm, vmConfig);
        Path initrd = initramfs(init, guest.modules(), vm);
        List<String> command = new ArrayList<>(List.of("qemu-system-x86_64", "-machine", "q35,kernel-irqchip=split",
                "-accel", "tcg", "-m", String.valueOf(memoryMib), "-nographic", "-no-reboot", "-nic", "none",
                "-device", "intel-iommu,intremap=on"));
        command.addAll(devices);
        command.addAll(List.of("-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on",
                "-kernel", guest.kernel().toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 quiet intel_iommu=on"));
        try {
            return GuestConsole.run(command, 300, Path.of(consoleFile));
        } finally {
            Files.deleteIfExists(vm);
        }
    }

    private Path initramfs(String init, Path modules, Path vm) throws Exception {
        Initramfs image = new Initramfs();
        image.copy(Path.of("/bin/busybox"), "bin/busybox", 0755);
        try (InputStream script = VfioGuestTest.class.getResourceAsStream(init)) {
            image.file("init", script.readAllBytes(), 0755);
        }
        image.modules(modules, MODULES);
        image.file("java", Path.of(System.getProperty("java.home"), "bin", "java").toString().getBytes(StandardCharsets.UTF_8), 0644);
        image.file("classpath", System.getProperty("java.class.path").getBytes(StandardCharsets.UTF_8), 0644);
        image.file("vmcfg", vm.toString().getBytes(StandardCharsets.UTF_8), 0644);
        image.characterDevice("dev/console", 5, 1);
        Path file = dir.resolve(init + ".cpio");
        Files.write(file, image.bytes());
        return file;
    }
}
