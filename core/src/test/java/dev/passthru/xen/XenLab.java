package dev.passthru.xen;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Xen machine for trying things by hand, on the test class path: {@code XenLab DIR} boots
 * {@link XenMachine} with DIR/scenario as dom0's scenario, DIR/devices (one L0 QEMU argument a
 * line) as its devices, and for each DIR/NAME.init an HVM guest NAME (modules from
 * NAME.modules, kernel arguments from NAME.extra, more xl lines from NAME.xl), whose config
 * path dom0 finds in /NAMEcfg. The console goes to DIR/console.txt.
 */
public final class XenLab {

    private XenLab() {
    }

    public static void main(String[] args) throws Exception {
        Path lab = Path.of(args[0]).toAbsolutePath();
        Path work = Files.createTempDirectory("xenlab");
        XenMachine machine = XenMachine.prepare(work);
        Map<String, String> files = new LinkedHashMap<>();
        try (Stream<Path> entries = Files.list(lab)) {
            for (Path init : entries.filter(p -> p.toString().endsWith(".init")).sorted().toList()) {
                String name = init.getFileName().toString().replace(".init", "");
                List<String> modules = lines(lab.resolve(name + ".modules"));
                String extra = String.join(" ", lines(lab.resolve(name + ".extra")));
                Path image = machine.guestImage(name, Files.readAllBytes(init), modules, true);
                files.put(name + "cfg", machine.guestConfig(name, image, 512, extra, lines(lab.resolve(name + ".xl"))).toString());
            }
        }
        Path dom0 = machine.dom0Image(Files.readAllBytes(lab.resolve("scenario")), files);
        List<String> console = machine.boot(dom0, lines(lab.resolve("devices")), 1500, lab.resolve("console.txt"));
        System.out.println(console.size() + " console lines in " + lab.resolve("console.txt"));
    }

    private static List<String> lines(Path file) throws java.io.IOException {
        return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList() : List.of();
    }
}
