package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.InputError;
import dev.passthru.SyntaxError;
import dev.passthru.bus.GuestBus;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecParser;
import dev.passthru.vm.GuestFunctionReport;
import dev.passthru.vm.HostSources;
import dev.passthru.vm.SimulatedMachine;
import dev.passthru.vm.VmConfig;
import dev.passthru.vm.VmConfigReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the daemon holds: its VMs (each a domain of one simulated hypervisor, with the built-in
 * guest), the set of functions made assignable, and the journal that lets all of it be rebuilt.
 * Every change is applied, then the hypervisor's own state file is updated (the hypervisor
 * outlives the daemon), then the change is journaled, and only then acknowledged. Opening the
 * state folder replays the journal and reconciles the hypervisor with it: entries it holds that
 * the journal does not explain go, entries the journal explains that it lacks are made again.
 * One request at a time: requests are short, and a single order keeps the journal true.
 */
public final class ControlPlane implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** How opening the state went. */
    public record Recovery(int records, boolean tornTail, int removed, int remade, long nanos) {
    }

    private record Vm(String name, int domain, Path config, dev.passthru.vm.Vm vm) {
    }

    private final Path stateDir;
    private final SimulatedMachine hypervisor = new SimulatedMachine();
    private final Map<String, Vm> vms = new LinkedHashMap<>();
    private final Set<PciAddress> assignable = new TreeSet<>();
    private final Journal journal;
    private final Recovery recovery;
    private int nextDomain = 1;

    private ControlPlane(Path stateDir) {
        long start = System.nanoTime();
        this.stateDir = stateDir;
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new InputError(stateDir + ": cannot make the state folder (" + e.getMessage() + ")");
        }
        Journal.Contents contents = Journal.read(journalFile());
        for (JsonNode record : contents.records()) {
            replay(record);
        }
        HypervisorState held = loadHypervisor();
        HypervisorState wanted = hypervisor.state();
        int[] diff = held == null ? new int[] {0, wanted.entries()} : StateDiff.count(held, wanted);
        saveHypervisor();
        this.journal = Journal.append(journalFile(), contents.goodBytes());
        this.recovery = new Recovery(contents.records().size(), contents.tornTail(), diff[0], diff[1], System.nanoTime() - start);
    }

    public static ControlPlane open(Path stateDir) {
        return new ControlPlane(stateDir);
    }

    /**
     * Creates a VM for each {@code *.cfg} in {@code folder} whose VM does not exist yet (after a
     * restart, those the journal holds exist already); the names created.
     */
    public synchronized List<String> createAll(Path folder) {
        List<String> created = new ArrayList<>();
        try (var files = Files.list(folder)) {
            for (Path config : files.filter(f -> f.toString().endsWith(".cfg")).sorted().toList()) {
                Path path = config.toAbsolutePath().normalize();
                if (vms.values().stream().noneMatch(vm -> vm.config().equals(path))) {
                    created.add(handle("create", JSON.createObjectNode().put("config", path.toString())).path("name").asText());
                }
            }
        } catch (IOException e) {
            throw new InputError(folder + ": cannot list the VM configs (" + e.getMessage() + ")");
        }
        return created;
    }

    public Recovery recovery() {
        return recovery;
    }

    /** Carries out one request; the result, or an {@link InputError} for a request that cannot be done. */
    public synchronized JsonNode handle(String command, JsonNode args) {
        return switch (command) {
            case "create" -> create(text(args, "config"));
            case "destroy" -> destroy(text(args, "vm"));
            case "list" -> list();
            case "pci-attach" -> attach(text(args, "vm"), text(args, "spec"));
            case "pci-detach" -> detach(text(args, "vm"), text(args, "bdf"));
            case "pci-list" -> pciList(vm(text(args, "vm")));
            case "pci-assignable-list" -> assignableList();
            case "pci-assignable-add" -> assignable(text(args, "bdf"), true);
            case "pci-assignable-remove" -> assignable(text(args, "bdf"), false);
            case "show" -> show(vm(text(args, "vm")));
            default -> throw new ControlError("unknown-command", "unknown command '" + command + "' (expected create, "
                    + "destroy, list, pci-attach, pci-detach, pci-list, pci-assignable-list, pci-assignable-add, "
                    + "pci-assignable-remove or show)");
        };
    }

    private JsonNode create(String configPath) {
        Path path = Path.of(configPath).toAbsolutePath().normalize();
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ControlError("bad-config", path + ": cannot read (" + e.getMessage() + ")");
        }
        Vm vm = build(path, text, nextDomain);
        changed(Journal.record("create").put("config", path.toString()).put("text", text).put("domain", vm.domain()));
        return summary(vm);
    }

    private Vm build(Path path, String text, int domain) {
        VmConfig config = VmConfigReader.parse(path.toString(), path.getParent(), text);
        if (vms.containsKey(config.name())) {
            throw new ControlError("exists", "a VM named '" + config.name() + "' exists");
        }
        dev.passthru.vm.Vm vm = new dev.passthru.vm.Vm(config, HostSources.read(config.sources()),
                hypervisor.domain(domain, config.memoryMib()), hypervisor.builtInGuest(), assignable);
        vm.coldPlug(config.pci());
        vm.boot();
        Vm entry = new Vm(config.name(), domain, path, vm);
        vms.put(config.name(), entry);
        nextDomain = Math.max(nextDomain, domain + 1);
        return entry;
    }

    private JsonNode destroy(String name) {
        Vm vm = vm(name);
        vm.vm().detachAll("destroyed");
        hypervisor.destroyDomain(vm.domain());
        vms.remove(name);
        changed(Journal.record("destroy").put("vm", name));
        return JSON.createObjectNode().put("destroyed", name);
    }

    private JsonNode attach(String name, String specText) {
        Vm vm = vm(name);
        VmConfig.Spec spec;
        try {
            spec = new VmConfig.Spec(SpecParser.parseXl(specText), specText, 0, 0);
        } catch (SyntaxError e) {
            throw new ControlError("bad-spec", "bad PCI spec " + e.getMessage());
        }
        List<GuestFunctionReport> before = vm.vm().report().functions();
        vm.vm().hotPlug(spec);
        List<GuestFunctionReport> failed = vm.vm().report().functions().stream()
                .filter(f -> !f.attached() && !before.contains(f)).toList();
        if (!failed.isEmpty()) {
            throw new ControlError("attach-failed", failed.getFirst().host() + ": " + failed.getFirst().failure());
        }
        PciAddress first = spec.spec().address();
        int slot = vm.vm().bus().devices().stream().filter(d -> d.function().address().equals(first)
                        || spec.spec().allFunctions() && d.function().address().bus() == first.bus()
                        && d.function().address().device() == first.device())
                .mapToInt(d -> d.guestAddress().device()).findFirst().orElse(0);
        changed(Journal.record("attach").put("vm", name).put("spec", specText).put("slot", slot));
        return pciList(vm);
    }

    private JsonNode detach(String name, String bdf) {
        Vm vm = vm(name);
        PciAddress address = address(bdf);
        int slot = vm.vm().bus().vslots().stream().filter(v -> v.host().equals(address.toString()))
                .mapToInt(GuestBus.Vslot::slot).findFirst()
                .orElseThrow(() -> new ControlError("not-attached", address + " is not attached to " + name));
        if (slot == 0) {
            slot = vm.vm().bus().devices().stream().filter(d -> d.function().address().equals(address)).findFirst()
                    .map(d -> d.guestAddress().device()).orElseThrow();
            throw new ControlError("static-slot", address + " was placed statically (slot 0x" + Integer.toHexString(slot)
                    + "): it cannot be hot-unplugged");
        }
        vm.vm().unplug(slot);
        changed(Journal.record("detach").put("vm", name).put("bdf", address.toString()));
        return pciList(vm);
    }

    private JsonNode assignable(String bdf, boolean add) {
        PciAddress address = address(bdf);
        boolean change = add ? assignable.add(address) : assignable.remove(address);
        if (change) {
            changed(Journal.record(add ? "assignable-add" : "assignable-remove").put("bdf", address.toString()));
        }
        return assignableList();
    }

    private JsonNode list() {
        ArrayNode list = JSON.createArrayNode();
        vms.values().forEach(vm -> list.add(summary(vm)));
        return list;
    }

    private ObjectNode summary(Vm vm) {
        return JSON.createObjectNode().put("name", vm.name()).put("domain", vm.domain())
                .put("functions", vm.vm().bus().devices().size()).put("config", vm.config().toString());
    }

    private JsonNode pciList(Vm vm) {
        ArrayNode list = JSON.createArrayNode();
        for (PassthroughDevice d : vm.vm().bus().devices()) {
            list.add(JSON.createObjectNode().put("host", d.function().address().toString())
                    .put("guest", d.guestAddress().toString()).put("slot", d.guestAddress().device()));
        }
        return list;
    }

    private JsonNode assignableList() {
        ArrayNode list = JSON.createArrayNode();
        assignable.forEach(a -> list.add(a.toString()));
        return list;
    }

    private JsonNode show(Vm vm) {
        ObjectNode doc = JSON.createObjectNode().put("name", vm.name()).put("domain", vm.domain());
        doc.set("functions", pciList(vm));
        doc.set("vslots", JSON.valueToTree(vm.vm().bus().vslots()));
        doc.set("hypervisor", JSON.valueToTree(hypervisor.state().domains().stream()
                .filter(d -> d.id() == vm.domain()).findFirst().orElse(null)));
        return doc;
    }

    /** The hypervisor's state file first (it outlives the daemon), then the journal, then the reply. */
    private void changed(ObjectNode record) {
        saveHypervisor();
        journal.write(record);
    }

    private void replay(JsonNode record) {
        switch (record.path("op").asText()) {
            case "create" -> build(Path.of(record.get("config").asText()), record.get("text").asText(),
                    record.get("domain").asInt());
            case "destroy" -> {
                Vm vm = vms.remove(record.get("vm").asText());
                vm.vm().detachAll("destroyed");
                hypervisor.destroyDomain(vm.domain());
            }
            case "attach" -> {
                AssignmentSpec spec = SpecParser.parseXl(record.get("spec").asText());
                int slot = record.path("slot").asInt(0);
                if (spec.autoSlot() && slot != 0) {
                    spec = new AssignmentSpec(spec.address(), spec.allFunctions(), slot, spec.options());
                }
                vm(record.get("vm").asText()).vm().hotPlug(new VmConfig.Spec(spec, record.get("spec").asText(), 0, 0));
            }
            case "detach" -> {
                Vm vm = vm(record.get("vm").asText());
                String host = record.get("bdf").asText();
                vm.vm().bus().vslots().stream().filter(v -> v.host().equals(host)).findFirst()
                        .ifPresent(v -> vm.vm().unplug(v.slot()));
            }
            case "assignable-add" -> assignable.add(PciAddress.parse(record.get("bdf").asText()));
            case "assignable-remove" -> assignable.remove(PciAddress.parse(record.get("bdf").asText()));
            default -> throw new IllegalStateException("journal record of unknown kind: " + record);
        }
    }

    private Vm vm(String name) {
        Vm vm = vms.get(name);
        if (vm == null) {
            throw new ControlError("no-such-vm", "no VM named '" + name + "' (there are: "
                    + (vms.isEmpty() ? "none" : String.join(", ", vms.keySet())) + ")");
        }
        return vm;
    }

    private static String text(JsonNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null || !value.isTextual()) {
            throw new ControlError("bad-request", "the request needs \"" + field + "\" as a string");
        }
        return value.asText();
    }

    private static PciAddress address(String bdf) {
        try {
            return PciAddress.parse(bdf);
        } catch (SyntaxError e) {
            throw new ControlError("bad-bdf", "bad function " + e.getMessage());
        }
    }

    private Path journalFile() {
        return stateDir.resolve("journal.log");
    }

    private Path hypervisorFile() {
        return stateDir.resolve("hypervisor.json");
    }

    private HypervisorState loadHypervisor() {
        try {
            return Files.exists(hypervisorFile()) ? JSON.readValue(hypervisorFile().toFile(), HypervisorState.class) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void saveHypervisor() {
        Path partial = stateDir.resolve("hypervisor.json.partial");
        try {
            Files.write(partial, JSON.writeValueAsBytes(hypervisor.state()));
            try (var channel = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(partial, hypervisorFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The hypervisor's state now, as the file holds it. */
    public synchronized HypervisorState hypervisorState() {
        return hypervisor.state();
    }

    @Override
    public synchronized void close() {
        journal.close();
    }
}
