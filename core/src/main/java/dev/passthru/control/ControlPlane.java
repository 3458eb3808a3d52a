package dev.passthru.control;

import org.jspecify.annotations.Nullable;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.InputError;
import dev.passthru.bus.GuestBus;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.log.LogScope;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecParser;
import dev.passthru.vm.GuestFunctionReport;
import dev.passthru.vm.HostSources;
import dev.passthru.vm.SimulatedMachine;
import dev.passthru.vm.VmConfig;
import dev.passthru.vm.VmConfigReader;
import dev.passthru.vm.VmRunner;

import java.util.Objects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Requests and journal records arrive as typed values ({@link Request}, {@link JournalRecord});
 * each VM's work runs in a {@link LogScope} named for it, so that the device model's
 * rate-limited log lines are budgeted per VM.
 */
public final class ControlPlane implements Plane {

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
    private @Nullable StateFolderError failed;
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
        for (Journal.Entry entry : contents.records()) {
            JournalRecord record = entry.record();
            try {
                if (record.vm() == null) {
                    replay(record);
                } else {
                    LogScope.call(record.vm(), () -> replay(record));
                }
            } catch (InputError e) {
                throw new InputError(journalFile() + ": the record at byte " + entry.offset() + " cannot be replayed ("
                        + e.getMessage() + "); the journal does not match what made it");
            }
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
                    created.add(handle(new Request.Create(path)).path("name").asText());
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

    /**
     * Carries out one request, its log lines in the scope of the VM it names; the result, or an
     * {@link InputError} for a request that cannot be done. After the state folder has failed, a
     * request that would change anything is refused with that failure: the journal may end in
     * part of a record, and a record written after it would make a torn tail into damage in the
     * middle. The journal holds every acknowledged change, so a restart recovers.
     */
    @Override
    public synchronized JsonNode handle(Request request) {
        if (failed != null && request.changes()) {
            throw new ControlError(failed.code(), failed.getMessage() + "; no change is taken until the daemon is restarted");
        }
        try {
            return request.vm() == null ? carryOut(request) : LogScope.call(request.vm(), () -> carryOut(request));
        } catch (StateFolderError e) {
            failed = e;
            throw e;
        }
    }

    private JsonNode carryOut(Request request) {
        return switch (request) {
            case Request.Create c -> create(c.config());
            case Request.Destroy d -> destroy(d.vm());
            case Request.ListVms l -> list();
            case Request.PciAttach a -> attach(a.vm(), a.spec(), a.text());
            case Request.PciDetach d -> detach(d.vm(), d.bdf());
            case Request.PciList l -> pciList(vm(l.vm()));
            case Request.AssignableList l -> assignableList();
            case Request.AssignableAdd a -> assignable(a.bdf(), true);
            case Request.AssignableRemove r -> assignable(r.bdf(), false);
            case Request.Show s -> show(vm(s.vm()));
        };
    }

    private JsonNode create(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ControlError("bad-config", path + ": cannot read (" + e.getMessage() + ")");
        }
        Vm vm = build(path, text, nextDomain);
        changed(new JournalRecord.Created(path, text, vm.domain()));
        return summary(vm);
    }

    private Vm build(Path path, String text, int domain) {
        VmConfig config = VmConfigReader.parse(path.toString(),
                Objects.requireNonNull(path.getParent(), "a config's absolute path has a parent"), text);
        if (vms.containsKey(config.name())) {
            throw new ControlError("exists", "a VM named '" + config.name() + "' exists");
        }
        dev.passthru.vm.Vm vm = LogScope.call(config.name(), () -> {
            dev.passthru.vm.Vm made = new dev.passthru.vm.Vm(config, HostSources.read(config.sources()),
                    hypervisor.domain(domain, config.memoryMib()), VmRunner.guestSide(config, hypervisor), assignable);
            made.coldPlug(config.pci());
            made.boot();
            return made;
        });
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
        changed(new JournalRecord.Destroyed(name));
        return JSON.createObjectNode().put("destroyed", name);
    }

    private JsonNode attach(String name, AssignmentSpec parsed, String specText) {
        Vm vm = vm(name);
        VmConfig.Spec spec = new VmConfig.Spec(parsed, specText, 0, 0);
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
        changed(new JournalRecord.Attached(name, specText, slot));
        return pciList(vm);
    }

    private JsonNode detach(String name, PciAddress address) {
        Vm vm = vm(name);
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
        changed(new JournalRecord.Detached(name, address));
        return pciList(vm);
    }

    private JsonNode assignable(PciAddress address, boolean add) {
        boolean change = add ? assignable.add(address) : assignable.remove(address);
        if (change) {
            changed(add ? new JournalRecord.AssignableAdded(address) : new JournalRecord.AssignableRemoved(address));
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
    private void changed(JournalRecord record) {
        saveHypervisor();
        journal.write(record);
    }

    /** Carries out a journaled change again; itself, for running in a {@link LogScope}. */
    private JournalRecord replay(JournalRecord record) {
        switch (record) {
            case JournalRecord.Created c -> build(c.config(), c.text(), c.domain());
            case JournalRecord.Destroyed d -> {
                Vm vm = vm(d.vm());
                vms.remove(d.vm());
                vm.vm().detachAll("destroyed");
                hypervisor.destroyDomain(vm.domain());
            }
            case JournalRecord.Attached a -> {
                AssignmentSpec spec = SpecParser.parseXl(a.spec());
                if (spec.autoSlot() && a.slot() != 0) {
                    spec = new AssignmentSpec(spec.address(), spec.allFunctions(), a.slot(), spec.options());
                }
                vm(a.vm()).vm().hotPlug(new VmConfig.Spec(spec, a.spec(), 0, 0));
            }
            case JournalRecord.Detached d -> {
                Vm vm = vm(d.vm());
                String host = d.bdf().toString();
                vm.vm().bus().vslots().stream().filter(v -> v.host().equals(host)).findFirst()
                        .ifPresent(v -> vm.vm().unplug(v.slot()));
            }
            case JournalRecord.AssignableAdded a -> assignable.add(a.bdf());
            case JournalRecord.AssignableRemoved r -> assignable.remove(r.bdf());
        }
        return record;
    }

    private Vm vm(String name) {
        Vm vm = vms.get(name);
        if (vm == null) {
            throw new ControlError("no-such-vm", "no VM named '" + name + "' (there are: "
                    + (vms.isEmpty() ? "none" : String.join(", ", vms.keySet())) + ")");
        }
        return vm;
    }

    private Path journalFile() {
        return stateDir.resolve("journal.log");
    }

    private Path hypervisorFile() {
        return stateDir.resolve("hypervisor.json");
    }

    /**
     * The hypervisor's state as its file holds it, or null when there is none to trust (no file,
     * or one that is not the state's JSON): then every entry the journal explains is made again.
     * A file that cannot be read at all is a failing state folder, not a lost state.
     */
    private @Nullable HypervisorState loadHypervisor() {
        try {
            return Files.exists(hypervisorFile()) ? JSON.readValue(hypervisorFile().toFile(), HypervisorState.class) : null;
        } catch (JsonProcessingException e) {
            return null;
        } catch (IOException e) {
            throw new StateFolderError(hypervisorFile(), "read the hypervisor's state", e);
        }
    }

    private void saveHypervisor() {
        try {
            StateFolder.replace(hypervisorFile(), JSON.writeValueAsBytes(hypervisor.state()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the hypervisor's state is always JSON", e);
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
