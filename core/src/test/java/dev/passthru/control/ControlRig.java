package dev.passthru.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * VMs for control-plane tests: {@code vms} VM configs, each with its own folder of
 * {@code functions} profiles cloned from examples/profiles/six-bars-64-vectors.json at host
 * addresses 0000:VV:FF.0 and machine BAR addresses that do not overlap. The VMs start empty;
 * their functions are attached by requests.
 */
final class ControlRig {

    private ControlRig() {
    }

    /** Writes the configs and profiles under {@code dir}; the configs' paths, vm0.cfg ... */
    static Path[] write(Path dir, int vms, int functions) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode template = (ObjectNode) json.readTree(Path.of("../examples/profiles/six-bars-64-vectors.json").toFile());
        Path[] configs = new Path[vms];
        for (int v = 0; v < vms; v++) {
            Path profiles = Files.createDirectories(dir.resolve("profiles-" + v));
            for (int f = 0; f < functions; f++) {
                ObjectNode profile = template.deepCopy();
                profile.put("address", String.format("0000:%02x:%02x.0", 0x10 + v, f));
                long base = 0x8000_0000L + (long) f * 0x0100_0000L;
                ArrayNode bars = (ArrayNode) profile.get("bars");
                for (int i = 0; i < bars.size(); i++) {
                    ObjectNode bar = (ObjectNode) bars.get(i);
                    if (bar.get("kind").asText().equals("io")) {
                        bar.put("address", String.format("0x%x", 0x2000 + f * 0x40));
                    } else {
                        bar.put("address", String.format("0x%x", base + 0x10_0000L * i));
                    }
                }
                ((ObjectNode) profile.get("rom")).put("address", String.format("0x%x", base + 0x80_0000L));
                profile.put("irq", 0);
                Files.writeString(profiles.resolve("f" + f + ".json"), profile.toPrettyString());
            }
            configs[v] = dir.resolve("vm" + v + ".cfg");
            Files.writeString(configs[v], """
                    name = "vm%d"
                    memory = 1024
                    passthru_sources = [ 'profiles:%s' ]
                    """.formatted(v, profiles));
        }
        return configs;
    }

    static String function(int vm, int function) {
        return String.format("0000:%02x:%02x.0", 0x10 + vm, function);
    }
}
