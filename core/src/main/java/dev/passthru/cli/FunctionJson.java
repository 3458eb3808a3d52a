package dev.passthru.cli;

import dev.passthru.host.Assignability.Verdict;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.host.UnsizedBar;
import dev.passthru.pci.ConfigHeader;
import dev.passthru.pci.PciIds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;


/** A host function as a JSON object for tooling: numbers as hex strings, names where known. */
final class FunctionJson {

    private FunctionJson() {
    }

    static Map<String, Object> describe(HostFunction f, Verdict verdict, PciIds ids) {
        ConfigHeader h = f.header();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("address", f.address().toString());
        doc.put("class", String.format("%04x", h.deviceClass()));
        doc.put("className", ids.deviceClass(h.deviceClass()).orElse(null));
        doc.put("vendor", String.format("%04x", h.vendor()));
        doc.put("vendorName", ids.vendor(h.vendor()).orElse(null));
        doc.put("device", String.format("%04x", h.device()));
        doc.put("deviceName", ids.device(h.vendor(), h.device()).orElse(null));
        doc.put("revision", String.format("%02x", h.revision()));
        doc.put("subsystemVendor", String.format("%04x", h.subsystemVendor()));
        doc.put("subsystem", String.format("%04x", h.subsystem()));
        doc.put("headerType", h.headerType());
        doc.put("configSize", f.config().size());
        doc.put("origin", f.origin().toString());
        doc.put("source", f.source());
        doc.put("driver", f.binding().driver().orElse(null));
        doc.put("iommuGroup", f.binding().iommuGroup().orElse(null));
        doc.put("irq", f.binding().irq().isPresent() ? f.binding().irq().getAsInt() : null);
        doc.put("numaNode", f.binding().numaNode().isPresent() ? f.binding().numaNode().getAsInt() : null);
        List<Map<String, Object>> bars = new ArrayList<>();
        for (HostBar bar : f.bars().bars()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("index", bar.index());
            b.put("kind", bar.kind().name().toLowerCase(java.util.Locale.ROOT));
            b.put("prefetchable", bar.prefetchable());
            b.put("address", String.format("0x%x", bar.address()));
            b.put("size", bar.size());
            bars.add(b);
        }
        doc.put("bars", bars);
        doc.put("romAddress", f.bars().hasRom() ? String.format("0x%x", f.bars().romAddress()) : null);
        doc.put("romSize", f.bars().romSize());
        doc.put("unsizedBars", f.unsized().stream().map(UnsizedBar::problem).toList());
        doc.put("assignable", verdict.assignable());
        doc.put("reason", verdict.assignable() ? null : verdict.reason());
        return doc;
    }
}
