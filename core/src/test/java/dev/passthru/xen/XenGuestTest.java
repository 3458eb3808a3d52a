package dev.passthru.xen;

import dev.passthru.qemu.GuestConsole;
import dev.passthru.qemu.Initramfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * passthru as the device model of a real Xen 4.17: QEMU (TCG) boots Xen with an emulated
 * VT-d and QEMU's edu device; dom0 runs Xen's tools and passthru from this machine's own files
 * (its root shared read-only over 9p and entered with chroot: the JDK and the built classes are
 * those the tests run with, so dom0 needs no Java of its own and nothing is copied). dom0
 * creates an HVM guest paused, `passthru xen serve` assigns edu to it and serves its config
 * space from an ioreq server, and the guest finds it, reads it, moves its BAR; then passthru
 * detaches and Xen's debug keys say what Xen still holds.
 */
class XenGuestTest {

    private static final Path XEN = Path.of("/boot/xen-4.17-amd64.gz");
    private static final Path XL = Path.of("/usr/lib/xen-4.17/bin/xl");
    private static final List<String> DOM0_MODULES = List.of("virtio_pci", "9pnet_virtio", "9p", "xen-privcmd", "xenfs",
            "xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-pciback");

    @TempDir
    Path dir;

    @Test
    void passthru_serves_edu_to_an_hvm_guest_through_real_xen_and_leaves_nothing_behind() throws Exception {
        Path kernel = kernel();
        assumeTrue(Files.isReadable(XEN) && Files.isExecutable(XL),
                "SKIPPED: no Xen 4.17 (apt-get install xen-hypervisor-4.17-amd64 xen-utils-4.17 qemu-system-xen)");
        String release = kernel.getFileName().toString().substring("vmlinuz-".length());
        Path modules = Path.of("/lib/modules", release);
        assumeTrue(Files.exists(modules.resolve("modules.dep")), "SKIPPED: no modules for " + release);
        Path xen = dir.resolve("xen");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(XEN))) {
            Files.copy(in, xen);
        }
        Path guestCfg = guest(kernel);
        Path dom0 = dom0(modules, guestCfg);
        List<String> command = List.of("qemu-system-x86_64", "-machine", "q35,kernel-irqchip=split", "-accel", "tcg",
                "-cpu", "max,-smap,-rdtscp", "-smp", "2", "-m", "3072", "-nographic", "-no-reboot", "-nic", "none",
                "-device", "intel-iommu,intremap=on", "-device", "edu,addr=03.0",
                "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
                "-kernel", xen.toString(),
                "-append", "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all noreboot iommu=verbose",
                "-initrd", kernel + " console=hvc0 quiet," + dom0);
        List<String> console = GuestConsole.run(command, 600, Path.of("target/xen-guest-console.txt"));
        String all = String.join("\n", console);
        int domain = Integer.parseInt(after(all, "PT-DOMAIN (\\d+)"));
        String serve = section(console, "PT-SERVE-LOG");
        String guest = section(console, "PT-GUEST-LOG");

        // 1. Assigned through Xen, and enumerated by the guest through passthru's ioreq server.
        assertThat(serve).as(all).contains("attached 0000:00:03.0 to domain " + domain + " as 0000:00:05.0");
        assertThat(section(console, "PT-KEYS-ATTACHED")).as("Xen's PCI dump while attached: edu belongs to the guest")
                .containsPattern("0000:00:03\\.0 - d" + domain + " ");
        assertThat(guest).as(all).contains("00:05.0 Unclassified device [00ff]: Device [1234:11e8]")
                .containsPattern("Memory at [0-9a-f]+ \\(32-bit, non-prefetchable\\) \\[size=1M\\]");

        // 2. The guest reads edu's identity at the address it chose, through the mapping, not through passthru.
        long bar = Long.decode(after(guest, "PT-GUEST-BAR (0x[0-9a-f]+)"));
        assertThat(guest).contains("PT-GUEST-ID 0x010000ED").contains("PT-GUEST-FACTORIAL 0x00000078");
        assertThat(all).as("Xen mapped the BAR where the guest put it")
                .containsPattern(String.format("memory_map:add: d%d gfn=%x mfn=[0-9a-f]+ nr=", domain, bar >>> 12));
        assertThat(serve).as("no BAR access reached passthru").containsPattern("ioreqs answered: [1-9]\\d* config, 0 MMIO");

        // 3. The BAR moves: Xen's mapping follows, and the old range no longer reaches edu.
        long moved = Long.decode(after(guest, "PT-GUEST-MOVED (0x[0-9a-f]+)"));
        int removed = all.indexOf(String.format("memory_map:remove: d%d gfn=%x ", domain, bar >>> 12));
        int added = all.indexOf(String.format("memory_map:add: d%d gfn=%x ", domain, moved >>> 12));
        assertThat(removed).as(all).isPositive();
        assertThat(added).as("the new range is mapped after the old one is removed").isGreaterThan(removed);
        assertThat(guest).contains("PT-GUEST-ID-NEW 0x010000ED").doesNotContain("PT-GUEST-ID-OLD 0x010000ED");

        // 4. Detach: no mapping, permission, pirq or assignment of edu is left in Xen.
        assertThat(serve).contains("detached 0000:00:03.0: clean", "ioreq server destroyed", "PT-SERVE-END 0");
        String afterDetach = all.substring(all.indexOf("PT-SERVE-LOG-END"), all.indexOf("PT-COST-BEGIN"));
        assertThat(afterDetach).as("Xen's PCI dump after detach: edu is back in quarantine, not the guest's")
                .contains("0000:00:03.0 - DomIO").doesNotContainPattern("0000:00:03\\.0 - d" + domain + " ");
        assertThat(all).containsPattern(String.format("memory_map:remove: d%d gfn=%x ", domain, moved >>> 12))
                .contains("d" + domain + " final unmap: m_irq=");
        String heading = "Rangesets belonging to domain " + domain + ":";
        int at = afterDetach.indexOf(heading);
        assertThat(at).as("debug key q's dump of the guest's rangesets").isNotNegative();
        String rangesets = afterDetach.substring(at, afterDetach.indexOf("I/O Memory", at) + "I/O Memory { }".length());
        assertThat(rangesets).as("no interrupt or I/O memory permission, and passthru's ioreq server gone")
                .contains("Interrupts { }", "I/O Memory { }").doesNotContain("ioreq_server " + serverId(serve));

        String contract = section(console, "PT-CONTRACT");
        assertThat(contract).as("the hypervisor port's contract on real Xen, where it applies").contains(
                "PT-CONTRACT pass what_is_mapped_and_unmapped_as_made_leaves_nothing",
                "PT-CONTRACT pass an_unmap_not_as_made_is_refused_and_changes_nothing",
                "PT-CONTRACT pass a_function_has_one_owner",
                "PT-CONTRACT pass a_bound_pirq_is_not_bound_twice_nor_unmapped").doesNotContain("PT-CONTRACT fail");

        String cost = section(console, "PT-COST");
        assertThat(cost).as(all).contains("PT-COST 128 MiB, 64 frames per call: map 512 calls");
        cost.lines().filter(l -> l.startsWith("PT-COST")).forEach(System.out::println);
    }

    private Path kernel() throws IOException {
        assumeTrue(Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "qemu-system-x86_64"))),
                "SKIPPED: no qemu-system-x86_64");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "SKIPPED: no /bin/busybox");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpci")), "SKIPPED: no setpci (apt-get install pciutils)");
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            Path kernel = boot.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().findFirst().orElse(null);
            assumeTrue(kernel != null, "SKIPPED: no kernel in /boot");
            return kernel;
        }
    }

    /** The guest's initramfs (busybox, lspci, setpci) and its xl config; the config's path. */
    private Path guest(Path kernel) throws Exception {
        Initramfs image = new Initramfs();
        image.copy(Path.of("/bin/busybox"), "bin/busybox", 0755);
        try (InputStream init = XenGuestTest.class.getResourceAsStream("guest-init")) {
            image.file("init", init.readAllBytes(), 0755);
        }
        image.binary(Path.of("/usr/bin/lspci")).binary(Path.of("/usr/bin/setpci"));
        image.pciIds();
        image.characterDevice("dev/console", 5, 1);
        Path initrd = dir.resolve("guest.cpio");
        Files.write(initrd, image.bytes());
        Path cfg = dir.resolve("guest.cfg");
        Files.writeString(cfg, """
                type = "hvm"
                name = "g"
                memory = 256
                vcpus = 1
                kernel = "%s"
                ramdisk = "%s"
                extra = "console=ttyS0 quiet"
                serial = "file:/run/guest.log"
                vga = "none"
                xen_platform_pci = 0
                passthrough = "enabled"
                shadow_memory = 32
                on_poweroff = "destroy"
                """.formatted(kernel, initrd));
        return cfg;
    }

    private Path dom0(Path modules, Path guestCfg) throws Exception {
        Initramfs image = new Initramfs();
        image.copy(Path.of("/bin/busybox"), "bin/busybox", 0755);
        try (InputStream init = XenGuestTest.class.getResourceAsStream("dom0-init")) {
            image.file("init", init.readAllBytes(), 0755);
        }
        image.modules(modules, DOM0_MODULES);
        image.file("java", Path.of(System.getProperty("java.home"), "bin", "java").toString().getBytes(StandardCharsets.UTF_8), 0644);
        image.file("classpath", System.getProperty("java.class.path").getBytes(StandardCharsets.UTF_8), 0644);
        image.file("guestcfg", guestCfg.toString().getBytes(StandardCharsets.UTF_8), 0644);
        image.characterDevice("dev/console", 5, 1);
        Path file = dir.resolve("dom0.cpio");
        Files.write(file, image.bytes());
        return file;
    }

    private static String section(List<String> console, String name) {
        int begin = console.indexOf(name + "-BEGIN");
        int end = -1;
        for (int i = Math.max(begin, 0); i < console.size(); i++) {
            if (console.get(i).startsWith(name + "-END")) {
                end = i;
                break;
            }
        }
        assertThat(begin).as(String.join("\n", console)).isNotNegative();
        assertThat(end).as(String.join("\n", console)).isGreaterThan(begin);
        return String.join("\n", console.subList(begin + 1, end));
    }

    private static String serverId(String serve) {
        return after(serve, "ioreq server (\\d+),");
    }

    private static String after(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(text).isTrue();
        return m.group(1);
    }
}
