package dev.passthru.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passthru.Fixtures;
import dev.passthru.Lspci;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code passthru host list|show|snapshot} and {@code pci-assignable-list}, checked against the real lspci. */
class HostCommandTest {

    private static String tree() {
        return Fixtures.sysfs().toString();
    }

    private static String[] lspciOnTree(String... args) {
        String[] all = Stream.concat(Stream.of("-A", "linux-sysfs", "-O", "sysfs.path=" + tree()), Stream.of(args))
                .toArray(String[]::new);
        return Lspci.run(all).lines().toArray(String[]::new);
    }

    @Test
    void list_prints_each_function_as_lspci_nn_does_plus_driver_group_and_verdict() {
        Lspci.assumeInstalled();
        Cli cli = Cli.run("host", "list", "--sysfs", tree());
        assertThat(cli.status()).isZero();
        assertThat(cli.err()).isEmpty();
        assertThat(cli.out().lines().map(l -> l.substring("0000:".length(), l.indexOf("  driver: "))))
                .containsExactly(lspciOnTree("-nn"));
        assertThat(cli.out().lines().toList().get(3)).endsWith("  driver: virtio-pci  group: none  assignable: no "
                + "(bound to host driver virtio-pci; bind it to vfio-pci or pciback, or give seize=1)");
    }

    @Test
    void list_n_prints_numbers_as_lspci_n_does() {
        Lspci.assumeInstalled();
        Cli cli = Cli.run("host", "list", "-n", "--sysfs", tree());
        assertThat(cli.out().lines().map(l -> l.substring("0000:".length(), l.indexOf("  driver: "))))
                .containsExactly(lspciOnTree("-n"));
    }

    @Test
    void list_json_is_one_document_for_tooling() throws IOException {
        Cli cli = Cli.run("host", "list", "--sysfs", tree(), "--json", "--seize");
        JsonNode doc = new ObjectMapper().readTree(cli.out());
        assertThat(doc).hasSize(6);
        JsonNode nic = doc.get(3);
        assertThat(nic.get("address").asText()).isEqualTo("0000:00:03.0");
        assertThat(nic.get("vendor").asText()).isEqualTo("1af4");
        assertThat(nic.get("device").asText()).isEqualTo("1041");
        assertThat(nic.get("configSize").asInt()).isEqualTo(256);
        assertThat(nic.get("driver").asText()).isEqualTo("virtio-pci");
        assertThat(nic.get("bars").get(0).get("address").asText()).isEqualTo("0x4000100000");
        assertThat(nic.get("bars").get(0).get("size").asLong()).isEqualTo(512 * 1024);
        assertThat(nic.get("assignable").asBoolean()).isFalse();
        assertThat(nic.get("reason").asText()).as("with seize, the driver is no bar; the missing IOMMU is")
                .startsWith("no IOMMU group");
    }

    @Test
    void show_x_dumps_decode_in_lspci_to_the_bytes_lspci_reads_itself(@TempDir Path tmp) throws IOException {
        Lspci.assumeInstalled();
        for (String[] c : new String[][] {{"00:03.0", "-xxx"}, {"00:00.0", "-xxxx"}, {"00:01.0", "-x"}}) {
            Cli cli = Cli.run("host", "show", c[0], "--sysfs", tree(), c[1]);
            assertThat(cli.status()).isZero();
            Path dump = tmp.resolve("dump.txt");
            Files.writeString(dump, cli.out());
            List<String> ours = rows(Lspci.run("-F", dump.toString(), c[1]));
            assertThat(ours).as("%s %s", c[0], c[1]).isNotEmpty()
                    .containsExactlyElementsOf(rows(String.join("\n", lspciOnTree("-s", c[0], c[1]))));
        }
    }

    /** The hex rows of lspci output. */
    private static List<String> rows(String output) {
        return output.lines().filter(l -> l.matches("^[0-9a-f]{2,3}: .*")).toList();
    }

    @Test
    void show_decodes_header_bars_and_capabilities() {
        Cli brief = Cli.run("host", "show", "00:03.0", "--sysfs", tree());
        assertThat(brief.out()).contains("\tCapabilities: [98] MSI-X\n");
        Cli cli = Cli.run("host", "show", "00:03.0", "--sysfs", tree(), "-v");
        assertThat(cli.status()).isZero();
        assertThat(cli.out()).contains(
                "\tRegion 0: 64-bit memory at 0x4000100000 [size=512K]\n",
                "\tCapabilities: [98] MSI-X: Enable+ Count=3 Masked-",
                "\tKernel driver in use: virtio-pci\n",
                "\tConfig space: 256 bytes\n");
    }

    @Test
    void a_snapshot_stands_in_for_the_function_and_lists_the_same() throws IOException {
        Path dir = Files.createTempDirectory("profiles");
        Path profile = dir.resolve("nic.json");
        Cli snapshot = Cli.run("host", "snapshot", "00:03.0", "--sysfs", tree(), "-o", profile.toString());
        assertThat(snapshot.status()).isZero();
        assertThat(snapshot.err()).isEmpty();
        assertThat(dir.toFile().list()).containsExactly("nic.json");

        String live = Cli.run("host", "list", "--sysfs", tree()).out().lines().toList().get(3);
        String recorded = Cli.run("host", "list", "--profile-dir", dir.toString()).out().strip();
        assertThat(recorded).isEqualTo(live.substring(0, live.indexOf("  assignable: "))
                + "  assignable: no (bound to host driver virtio-pci; bind it to vfio-pci or pciback, or give seize=1)");
        assertThat(Cli.run("host", "show", "00:03.0", "--profile-dir", dir.toString(), "-xxx").out())
                .isEqualTo(Cli.run("host", "show", "00:03.0", "--sysfs", tree(), "-xxx").out());
        assertThat(Cli.run("pci-assignable-list", "--profile-dir", dir.toString()).out()).isEmpty();
        assertThat(Cli.run("pci-assignable-list", "--profile-dir", dir.toString(), "--seize").out())
                .isEqualTo("0000:00:03.0\n");
    }

    @Test
    void pci_assignable_list_names_only_what_may_go() {
        String dump = Fixtures.dump("tree-asus-p6t6.txt").toString();
        Cli cli = Cli.run("pci-assignable-list", "--dump", dump, "--seize");
        assertThat(cli.status()).isZero();
        assertThat(cli.out().lines()).isNotEmpty().allMatch(l -> l.matches("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]"));
        Cli all = Cli.run("host", "list", "--dump", dump, "--seize");
        assertThat(all.out().lines()).anyMatch(l -> l.contains("assignable: no (it is a PCI bridge"));
        assertThat(cli.out().lines().toList()).containsExactlyElementsOf(all.out().lines()
                .filter(l -> l.endsWith("assignable: yes")).map(l -> l.substring(0, 12)).toList());
    }

    static List<Path> dumps() {
        return Fixtures.dumpFiles();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dumps")
    void every_fixture_dump_lists_each_function_lspci_sees(Path dump) {
        Lspci.assumeInstalled();
        Cli cli = Cli.run("host", "list", "-n", "--dump", dump.toString());
        assertThat(cli.status()).as(cli.err()).isZero();
        List<String> oracle = Lspci.run("-F", dump.toString(), "-n").lines().toList();
        assertThat(cli.out().lines().map(l -> l.substring(0, l.indexOf("  driver: "))).map(HostCommandTest::shortForm))
                .containsExactlyElementsOf(oracle);
    }

    /** lspci leaves out domain 0000 in dumps whose functions all sit in it. */
    private static String shortForm(String line) {
        return line.startsWith("0000:") ? line.substring(5) : line;
    }

    @Test
    void bad_input_gets_one_line_and_status_2() {
        Cli missing = Cli.run("host", "show", "00:09.0", "--sysfs", tree());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err().lines()).singleElement().asString()
                .isEqualTo("passthru: no function 0000:00:09.0 in sysfs " + tree());
        Cli bad = Cli.run("host", "show", "00:1g.0", "--sysfs", tree());
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err().lines()).singleElement().asString().startsWith("passthru: bad function");
        Cli two = Cli.run("host", "list", "--sysfs", tree(), "--dump", "x.txt");
        assertThat(two.status()).isEqualTo(2);
        assertThat(two.err().lines().findFirst().orElseThrow()).contains("mutually exclusive");
        Cli unsized = Cli.run("host", "snapshot", "62:00.0", "--dump", Fixtures.dump("h100-header-partial.txt").toString());
        assertThat(unsized.status()).isEqualTo(2);
        assertThat(unsized.err()).endsWith("has no known size; give it with --bar 0=SIZE\n");
    }

    @Test
    void nothing_is_written_to_the_tree(@TempDir Path tmp) throws IOException {
        Map<String, String> before = digests(Fixtures.sysfs());
        Cli.run("host", "list", "--sysfs", tree(), "--json");
        Cli.run("host", "show", "00:00.0", "--sysfs", tree(), "-xxxx");
        Cli.run("host", "show", "00:03.0", "--sysfs", tree(), "-v");
        Cli.run("host", "snapshot", "00:03.0", "--sysfs", tree(), "-o", tmp.resolve("p.json").toString());
        Cli.run("pci-assignable-list", "--sysfs", tree());
        assertThat(digests(Fixtures.sysfs())).isEqualTo(before);
    }

    /** Each file's content digest and modification time, by path. */
    private static Map<String, String> digests(Path root) throws IOException {
        Map<String, String> digests = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                digests.put(root.relativize(file).toString(),
                        HexFormat.of().formatHex(sha256(Files.readAllBytes(file))) + " " + Files.getLastModifiedTime(file));
            }
        }
        return digests;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
