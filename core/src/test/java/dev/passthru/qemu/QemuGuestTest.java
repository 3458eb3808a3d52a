package dev.passthru.qemu;

import dev.passthru.RealPeers;
import dev.passthru.host.HostFunction;
import dev.passthru.os.ForeignUnixSockets;
import dev.passthru.os.UnixSockets;
import dev.passthru.spec.SpecParser;
import dev.passthru.vm.HostSources;
import dev.passthru.vm.SimulatedMachine;
import dev.passthru.vm.Vm;
import dev.passthru.vm.VmConfig;
import dev.passthru.vm.VmConfigReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Linux guest under QEMU (TCG here: no KVM) finds, sizes, reads and writes the Intel
 * 82576 that passthru serves over QEMU's multi-process link, survives hostile config writes,
 * and sees the synthetic six-BAR function come and go with hot-plug. The guest is the
 * installed Debian kernel with an initramfs built here from busybox and the real lspci.
 */
class QemuGuestTest {

    private static final Duration BOOT_LIMIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void a_linux_guest_enumerates_uses_and_hot_plugs_functions_served_by_passthru() throws Exception {
        Path kernel = kernel();
        Path initrd = initramfs();
        Path profiles = Path.of("../examples/profiles").toAbsolutePath().normalize();
        VmConfig config = VmConfigReader.parse("guest.cfg", dir, """
                name = "qemu-test"
                memory = 512
                pci = [ '01:00.0,seize=1' ]
                passthru_sources = [ 'profiles:%s/workstation', 'profiles:%s' ]
                passthru_hotplug_slots = "6-9"
                """.formatted(profiles, profiles));
        UnixSockets sockets = new ForeignUnixSockets();
        QemuMachine machine = QemuMachine.launch(sockets, new QemuMachine.Options(kernel, initrd,
                "console=ttyS0 panic=-1 loglevel=4", 512, List.of(6, 7, 8, 9), ProcessBuilder.Redirect.PIPE));
        List<String> console = new ArrayList<>();
        SimulatedMachine simulated = new SimulatedMachine();
        try (Vm vm = new Vm(config, HostSources.read(config.sources()), simulated.domain(1, config.memoryMib()),
                (bus, domain, highRamEnd) -> new QemuGuestSide(sockets, machine), Set.of())) {
            vm.coldPlug(config.pci());
            assertThat(vm.bus().devices()).as("attached: %s", vm.report().functions()).hasSize(1);
            HostFunction nic = vm.bus().devices().getFirst().function();
            nic.memory().write(0, 0x8, 4, 0x8008_0783L);
            byte[] hostBefore = nic.config().snapshot(256);
            vm.boot();
            readConsole(machine.process(), console, vm);
            assertThat(machine.await(Duration.ofSeconds(30))).as(String.join("\n", console)).isNotEqualTo(-1);

            assertThat(console).as(String.join("\n", console)).contains("PT-READ 0x80080783", "PT-WROTE 0x5EED1234", "PT-GONE");
            assertThat(nic.memory().read(0, 0x10, 4)).as("the guest's write reached the host BAR").isEqualTo(0x5eed_1234L);
            List<String> lspci = between(console, "PT-LSPCI-BEGIN", "PT-LSPCI-END");
            assertThat(lspci.getFirst()).contains("Ethernet controller [0200]: Intel Corporation 82576 Gigabit Network "
                    + "Connection [8086:10c9] (rev 01)");
            assertThat(String.join("\n", lspci)).contains("[size=128K]", "[size=4M]", "[size=32]", "[size=16K]",
                    "Capabilities: [40] Power Management", "Capabilities: [50] MSI:", "Capabilities: [70] MSI-X: Enable- Count=10",
                    "Capabilities: [a0] Express");
            assertThat(console).anyMatch(l -> l.startsWith("PT-HOSTILE-DONE vendor=0x8086 read=0x80080783 id=10c98086"));
            byte[] hostAfter = nic.config().snapshot(256);
            for (int[] range : new int[][] {{0x00, 4}, {0x10, 24}, {0x30, 4}, {0x3d, 1}, {0x52, 2}, {0x72, 2}}) {
                assertThat(Arrays.copyOfRange(hostAfter, range[0], range[0] + range[1])).as("host bytes at 0x%x", range[0])
                        .isEqualTo(Arrays.copyOfRange(hostBefore, range[0], range[0] + range[1]));
            }
            assertThat(console).anyMatch(l -> l.startsWith("PT-APPEARED ") && l.contains("[1b36:00ff]"));
            assertThat(simulated.state().toString()).doesNotContain("0000:05:00.0");
            assertThat(vm.bus().vslots()).extracting(v -> v.host()).containsExactly("0000:01:00.0");
        }
    }

    /** Follows the console to its end, hot-plugging and unplugging when the guest says it is ready. */
    private static void readConsole(Process qemu, List<String> console, Vm vm) throws IOException {
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                if (!qemu.waitFor(BOOT_LIMIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                    qemu.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Path log = Path.of("target/qemu-guest-console.txt");
        BufferedReader reader = new BufferedReader(new InputStreamReader(qemu.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = reader.readLine()) != null; ) {
            String text = line.strip();
            console.add(text);
            Files.writeString(log, text + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            if (text.equals("PT-HOTPLUG-NOW")) {
                vm.hotPlug(new VmConfig.Spec(SpecParser.parseXl("05:00.0"), "05:00.0", 0, 99));
            } else if (text.equals("PT-UNPLUG-NOW")) {
                int slot = vm.bus().vslots().stream().filter(v -> v.host().equals("0000:05:00.0")).findFirst()
                        .orElseThrow().slot();
                vm.unplug(slot);
            }
        }
        watchdog.interrupt();
    }

    private static List<String> between(List<String> lines, String from, String to) {
        int start = lines.indexOf(from);
        int end = lines.indexOf(to);
        assertThat(start).as("%s in the console", from).isNotNegative();
        return lines.subList(start + 1, end);
    }

    /** QEMU, a static busybox, lspci for the guest, and the kernel it boots (skips the test otherwise). */
    private static Path kernel() {
        RealPeers.qemu();
        RealPeers.staticBusybox();
        RealPeers.lspci();
        return RealPeers.kernelWithModules().kernel();
    }

    /** busybox, /init, lspci with the libraries ldd names, pci.ids, and /dev/console. */
    private Path initramfs() throws Exception {
        Initramfs image = new Initramfs();
        image.copy(Path.of("/bin/busybox"), "bin/busybox", 0755);
        try (InputStream init = QemuGuestTest.class.getResourceAsStream("init")) {
            image.file("init", init.readAllBytes(), 0755);
        }
        image.binary(Path.of("/usr/bin/lspci"));
        image.pciIds();
        image.characterDevice("dev/console", 5, 1);
        Path file = dir.resolve("initrd.cpio");
        Files.write(file, image.bytes());
        return file;
    }
}
