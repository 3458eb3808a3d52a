package dev.passthru.config;

import dev.passthru.Fixtures;
import dev.passthru.Lspci;
import dev.passthru.dump.LspciDumpWriter;
import dev.passthru.host.MemoryHostConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real lspci is the oracle: for every dump in shared/fixtures, the guest's view of each
 * function is written as a dump, and {@code lspci -F -vvv} must decode exactly the capabilities
 * the policy keeps, none it hides, at the offsets and of the kinds lspci sees on the host.
 */
class LspciOracleTest {

    private static final Pattern CAPABILITY = Pattern.compile("^\\tCapabilities: \\[([0-9a-f]+)(?: v\\d+)?\\] (.*)$");
    private static final Pattern KIND = Pattern.compile("^([A-Za-z][A-Za-z /&()-]*?)(?=:|\\s+version|\\s+\\(v\\d|\\s+\\d|\\s+[0-9a-f]{2}-|$)");

    record Cap(int offset, String kind) {
    }

    static List<Path> dumps() {
        return Fixtures.dumpFiles();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dumps")
    void lspci_decodes_the_kept_capabilities_and_none_of_the_hidden_ones(Path file, @TempDir Path tmp) throws Exception {
        Lspci.assumeInstalled();
        List<FixtureFunctions.Entry> entries = FixtureFunctions.all().stream().filter(e -> e.file().equals(file)).toList();
        StringBuilder guestDump = new StringBuilder();
        Map<String, VirtualConfigSpace> views = new LinkedHashMap<>();
        for (FixtureFunctions.Entry entry : entries) {
            VirtualConfigSpace view = VirtualConfigSpace.create(
                    MemoryHostConfig.of(entry.function().config()), entry.bars(), ConfigOptions.DEFAULT);
            int length = Math.min(view.size(), entry.function().config().length);
            LspciDumpWriter.write(guestDump, entry.function().address(), entry.function().description(),
                    view.guestBytes(length));
            views.put(entry.function().address().domain() == 0
                    ? entry.function().address().shortForm() : entry.function().address().toString(), view);
        }
        Path guestFile = tmp.resolve("guest.txt");
        Files.writeString(guestFile, guestDump);

        Map<String, List<String>> hostLines = lspci(file);
        Map<String, List<String>> guestLines = lspci(guestFile);
        assertThat(guestLines.keySet()).as("functions lspci sees in the guest dump").isEqualTo(views.keySet());

        for (var e : views.entrySet()) {
            String bdf = e.getKey();
            VirtualConfigSpace view = e.getValue();
            List<Cap> host = capabilities(hostLines.get(bdf));
            List<Cap> guest = capabilities(guestLines.get(bdf));
            List<Integer> kept = view.capabilities().stream().filter(GuestCapability::kept)
                    .map(c -> c.host().offset()).toList();
            List<Integer> hidden = view.capabilities().stream().filter(c -> !c.kept())
                    .map(c -> c.host().offset()).toList();
            List<Integer> found = view.capabilities().stream().map(c -> c.host().offset()).toList();

            assertThat(host.stream().filter(c -> !c.kind().equals("Null")).map(Cap::offset).toList())
                    .as("%s: capabilities passthru finds on the host, as lspci does", bdf)
                    .containsExactlyInAnyOrderElementsOf(found);
            List<Cap> guestWithoutNull = guest.stream()
                    .filter(c -> !(c.offset() == 0x100 && c.kind().equals("Null"))).toList();
            assertThat(guestWithoutNull.stream().map(Cap::offset).toList())
                    .as("%s: capabilities lspci decodes in the guest view", bdf)
                    .containsExactlyElementsOf(kept);
            assertThat(guestWithoutNull).as("%s: hidden capabilities", bdf)
                    .noneMatch(c -> hidden.contains(c.offset()));
            for (Cap cap : guestWithoutNull) {
                String hostKind = host.stream().filter(c -> c.offset() == cap.offset()).findFirst().orElseThrow().kind();
                assertThat(cap.kind()).as("%s: kind of capability at 0x%x", bdf, cap.offset()).isEqualTo(hostKind);
            }
            assertThat(guestLines.get(bdf)).as("%s: guest lists end cleanly", bdf)
                    .noneMatch(l -> l.contains("<chain broken>") || l.contains("<chain looped>"));
        }
    }

    private static List<Cap> capabilities(List<String> lines) {
        List<Cap> caps = new ArrayList<>();
        for (String line : lines) {
            Matcher m = CAPABILITY.matcher(line);
            if (m.matches()) {
                Matcher kind = KIND.matcher(m.group(2));
                caps.add(new Cap(Integer.parseInt(m.group(1), 16), kind.find() ? kind.group(1).trim() : m.group(2)));
            }
        }
        return caps;
    }

    /** lspci -F FILE -vvv, split by function. */
    private static Map<String, List<String>> lspci(Path file) {
        Map<String, List<String>> byFunction = new LinkedHashMap<>();
        Lspci.byFunction(Lspci.run("-F", file.toString(), "-vvv")).forEach((bdf, entry) -> byFunction.put(bdf, entry.lines()));
        return byFunction;
    }
}
