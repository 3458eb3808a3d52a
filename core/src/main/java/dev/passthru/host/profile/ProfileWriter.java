package dev.passthru.host.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.passthru.host.BarKind;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Sizes;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a host function as a profile, a JSON document that {@link ProfileReader} reads back:
 * <pre>
 * {
 *   "format" : "passthru-profile/1",
 *   "address" : "0000:00:03.0",
 *   "description" : "Ethernet controller [0200]: Red Hat, Inc. Virtio 1.0 network device [1af4:1041] (rev 01)",
 *   "config" : "f41a4110...",              config bytes as hex, 64 to 4096 of them
 *   "bars" : [ { "index" : 0, "kind" : "mem64", "prefetchable" : false,
 *                "address" : "0x4000080000", "size" : "512K" } ],
 *   "rom" : { "address" : "0xfeb80000", "size" : "256K" },     or absent
 *   "irq" : 10, "iommuGroup" : "3", "driver" : "vfio-pci", "numaNode" : -1
 * }
 * </pre>
 */
public final class ProfileWriter {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ProfileWriter() {
    }

    /** The profile of {@code function}, its config as far as the source can read it. */
    public static String write(HostFunction function, String description) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", ProfileReader.FORMAT);
        doc.put("address", function.address().toString());
        if (!description.isBlank()) {
            doc.put("description", description);
        }
        doc.put("config", HexFormat.of().formatHex(function.config().snapshot(function.config().readable())));
        List<Map<String, Object>> bars = new ArrayList<>();
        for (HostBar bar : function.bars().bars()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("index", bar.index());
            b.put("kind", switch (bar.kind()) {
                case IO -> "io";
                case MEM32 -> "mem32";
                case MEM64 -> "mem64";
            });
            if (bar.kind() != BarKind.IO) {
                b.put("prefetchable", bar.prefetchable());
            }
            b.put("address", String.format("0x%x", bar.address()));
            b.put("size", Sizes.format(bar.size()));
            bars.add(b);
        }
        doc.put("bars", bars);
        if (function.bars().hasRom()) {
            doc.put("rom", Map.of("address", String.format("0x%x", function.bars().romAddress()),
                    "size", Sizes.format(function.bars().romSize())));
        }
        function.binding().irq().ifPresent(irq -> doc.put("irq", irq));
        function.binding().iommuGroup().ifPresent(g -> doc.put("iommuGroup", g));
        function.binding().driver().ifPresent(d -> doc.put("driver", d));
        function.binding().numaNode().ifPresent(node -> doc.put("numaNode", node));
        try {
            return MAPPER.writeValueAsString(doc) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a profile", e);
        }
    }
}
