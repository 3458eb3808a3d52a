package dev.passthru.host.sysfs;

import dev.passthru.Fixtures;
import dev.passthru.Lspci;
import dev.passthru.config.CapabilityChain;
import dev.passthru.config.CapabilityWalker;
import dev.passthru.config.HostCapability;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource.Detail;
import dev.passthru.host.Inventory;
import dev.passthru.host.Sizes;
import dev.passthru.pci.ConfigHeader;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The sysfs source against the real lspci reading the same tree: the fixture recorded on the
 * machines this project is built on, and the live /sys of the machine the tests run on.
 */
class SysfsSourceTest {

    private static final Pattern TITLE = Pattern.compile(
            ".*\\[([0-9a-f]{4})]: .*\\[([0-9a-f]{4}):([0-9a-f]{4})](?: \\(rev ([0-9a-f]{2})\\))?(?: \\(prog-if ([0-9a-f]{2}).*)?$");
    private static final Pattern REGION = Pattern.compile(
            "^\\tRegion (\\d): (Memory|I/O ports) at ([0-9a-f]+)(?: \\((32-bit|64-bit), (prefetchable|non-prefetchable)\\))?.*\\[size=(\\w+)]$");
    private static final Pattern ROM = Pattern.compile("^\\tExpansion ROM at ([0-9a-f]+).*\\[size=(\\w+)]$");
    private static final Pattern CAPABILITY = Pattern.compile("^\\tCapabilities: \\[([0-9a-f]+)");

    @Test
    void reads_the_recorded_tree_as_lspci_does() {
        Lspci.assumeInstalled();
        Path tree = Fixtures.sysfs();
        Inventory inventory = new SysfsSource(tree, false).scan();
        assertThat(inventory.problems()).isEmpty();
        Map<String, Lspci.Entry> oracle = Lspci.byFunction(
                Lspci.run("-A", "linux-sysfs", "-O", "sysfs.path=" + tree, "-vvv", "-nn"));
        assertThat(inventory.functions()).hasSize(6);
        agreesWithLspci(inventory, oracle, false);
    }

    @Test
    void reads_the_recorded_bindings() {
        Inventory inventory = new SysfsSource(Fixtures.sysfs(), false).scan();
        HostFunction bridge = inventory.functions().getFirst();
        HostFunction net = inventory.functions().get(3);
        assertThat(bridge.binding().driver()).as("a blank driver.name is no driver").isEmpty();
        assertThat(net.binding().driver()).contains("virtio-pci");
        assertThat(net.binding().iommuGroup()).isEmpty();
        assertThat(net.binding().irq()).hasValue(0);
        assertThat(net.binding().numaNode()).hasValue(-1);
        assertThat(bridge.config().size()).isEqualTo(4096);
        assertThat(net.config().size()).isEqualTo(256);
    }

    @Test
    void a_listing_leaves_the_interrupt_line_and_numa_node_unread() {
        HostFunction net = new SysfsSource(Fixtures.sysfs(), false).scan(Detail.LISTING).functions().get(3);
        assertThat(net.binding().driver()).contains("virtio-pci");
        assertThat(net.binding().irq()).isEmpty();
        assertThat(net.binding().numaNode()).isEmpty();
    }

    @Test
    void reads_the_live_host_as_lspci_does() {
        Path live = SysfsSource.DEFAULT_ROOT;
        assumeTrue(Files.isDirectory(live.resolve("devices")), "SKIPPED: this machine has no " + live + "/devices");
        Lspci.assumeInstalled();
        Inventory inventory = new SysfsSource(live, false).scan();
        assertThat(inventory.problems()).isEmpty();
        Map<String, Lspci.Entry> oracle = Lspci.byFunction(Lspci.run("-D", "-vvv", "-nn", "-k"));
        assertThat(inventory.functions()).isNotEmpty();
        agreesWithLspci(inventory, oracle, true);
    }

    /** IDs, class, revision, BARs, ROM and capabilities, and on a live host the driver and group. */
    private static void agreesWithLspci(Inventory inventory, Map<String, Lspci.Entry> oracle, boolean live) {
        List<String> ours = inventory.functions().stream()
                .map(f -> live ? f.address().toString() : f.address().shortForm()).toList();
        assertThat(ours).containsExactlyElementsOf(oracle.keySet());
        for (HostFunction f : inventory.functions()) {
            Lspci.Entry entry = oracle.get(live ? f.address().toString() : f.address().shortForm());
            ConfigHeader h = f.header();
            Matcher title = TITLE.matcher(entry.title());
            assertThat(title.matches()).as("lspci title %s", entry.title()).isTrue();
            assertThat(h.deviceClass()).as("%s class", f.address()).isEqualTo(Integer.parseInt(title.group(1), 16));
            assertThat(h.vendor()).as("%s vendor", f.address()).isEqualTo(Integer.parseInt(title.group(2), 16));
            assertThat(h.device()).as("%s device", f.address()).isEqualTo(Integer.parseInt(title.group(3), 16));
            assertThat(h.revision()).as("%s revision", f.address())
                    .isEqualTo(title.group(4) == null ? 0 : Integer.parseInt(title.group(4), 16));

            List<String> regions = new ArrayList<>();
            String rom = null;
            List<Integer> capabilities = new ArrayList<>();
            for (String line : entry.lines()) {
                Matcher region = REGION.matcher(line);
                Matcher romLine = ROM.matcher(line);
                Matcher cap = CAPABILITY.matcher(line);
                if (region.matches()) {
                    regions.add(region.group(1) + " " + (region.group(2).equals("Memory")
                            ? region.group(4) + (region.group(5).equals("prefetchable") ? " prefetchable" : "") : "io")
                            + " 0x" + region.group(3) + " " + region.group(6));
                } else if (romLine.matches()) {
                    rom = "0x" + romLine.group(1) + " " + romLine.group(2);
                } else if (cap.find()) {
                    capabilities.add(Integer.parseInt(cap.group(1), 16));
                }
            }
            assertThat(f.bars().bars().stream().map(SysfsSourceTest::region).toList())
                    .as("%s regions", f.address()).containsExactlyElementsOf(regions);
            assertThat(f.bars().hasRom() ? "0x" + Long.toHexString(f.bars().romAddress()) + " " + Sizes.format(f.bars().romSize()) : null)
                    .as("%s expansion ROM", f.address()).isEqualTo(rom);
            if (f.config().readable() >= f.config().size()) {
                CapabilityChain chain = CapabilityWalker.walk(f.config());
                assertThat(Stream.concat(chain.standard().stream(), chain.extended().stream()).map(HostCapability::offset).toList())
                        .as("%s capabilities", f.address()).containsExactlyElementsOf(capabilities);
            }
            if (live) {
                assertThat(f.binding().driver().orElse(null)).as("%s driver", f.address())
                        .isEqualTo(value(entry, "\tKernel driver in use: "));
                assertThat(f.binding().iommuGroup().orElse(null)).as("%s IOMMU group", f.address())
                        .isEqualTo(value(entry, "\tIOMMU group: "));
            }
        }
    }

    private static String region(HostBar bar) {
        String kind = switch (bar.kind()) {
            case IO -> "io";
            case MEM32 -> "32-bit" + (bar.prefetchable() ? " prefetchable" : "");
            case MEM64 -> "64-bit" + (bar.prefetchable() ? " prefetchable" : "");
        };
        return bar.index() + " " + kind + " 0x" + Long.toHexString(bar.address()) + " " + Sizes.format(bar.size());
    }

    private static String value(Lspci.Entry entry, String prefix) {
        return entry.lines().stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
                .findFirst().orElse(null);
    }
}
