package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.bus.GuestBus;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.Assignability;
import dev.passthru.host.Inventory;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.pci.PciAddress;
import dev.passthru.spec.SpecOptions;
import dev.passthru.vm.GuestFunctionReport;
import dev.passthru.vm.Vm;
import dev.passthru.vm.VmConfig;
import dev.passthru.xen.DomainWatch;
import dev.passthru.xen.IoreqCalls;
import dev.passthru.xen.IoreqServer;
import dev.passthru.xen.XenControl;
import dev.passthru.xen.XenDomainNames;
import dev.passthru.xen.XenGuestDomain;
import dev.passthru.xen.XenGuestSide;
import dev.passthru.xen.XenHypervisor;
import dev.passthru.xen.XenStore;
import dev.passthru.xen.XenVslots;

import dev.passthru.InputError;
import dev.passthru.device.DeviceImage;
import dev.passthru.host.HostFunction;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecParser;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The daemon on a Xen host ({@code passthru daemon --hypervisor xen}): the VMs are the domains
 * xl made, named as xl names them. {@code pci-attach} on a domain created paused
 * ({@code xl create -p}) starts an ioreq server for it, owned by the daemon, and attaches the
 * function through a {@link Vm} on the domain; {@code pci-detach} takes it down, and the server
 * with the last one. The slot table is kept in xenstore (see {@link XenVslots}). A domain's death
 * ({@code @releaseDomain}) detaches its functions without being asked. Hot-plug into a running
 * guest is refused: it needs the guest's ACPI hot-plug controller, which qemu-xen owns.
 */
public final class XenPlane implements Plane {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A domain the daemon serves functions to: its VM, its ioreq server, and its pci-attaches in order. */
    private static final class Served {
        final String name;
        final Vm vm;
        final IoreqServer server;
        final List<Attached> attaches = new ArrayList<>();
        @Nullable TakenOver takenOver;

        Served(String name, Vm vm, IoreqServer server) {
            this.name = name;
            this.vm = vm;
            this.server = server;
        }
    }

    /** A pci-attach that holds a slot: the spec as written and the slot it got. */
    private record Attached(String spec, int slot) {
    }

    /** How a domain was taken over from a daemon that died. */
    private record TakenOver(double millis, XenHypervisor.Resumed xen, IoreqServer.TakeOver ioreq) {
    }

    private final XenControl xen;
    private final IoreqCalls calls;
    private final XenStore store;
    private final DomainWatch watch;
    private final XenHypervisor hypervisor;
    private final Path sysfs;
    private final Path stateDir;
    private final PrintWriter log;
    private final Map<Integer, Served> served = new TreeMap<>();
    private final Thread reaper;

    /**
     * @param store     for domain names and the slot tables
     * @param watched   a second connection, for {@code @releaseDomain} (the watch owns and closes it)
     * @param sysfs     where the host's functions are (/sys/bus/pci)
     * @param stateDir  where what is kept of each domain served lives (see {@link XenKept}); the
     *                  domains kept there by a daemon that died are taken over first
     * @param log       where the daemon says what it did by itself (a domain's death, a take-over)
     */
    public XenPlane(XenControl xen, IoreqCalls calls, XenStore store, XenStore watched, Path sysfs, Path stateDir,
                    long framesPerCall, PrintWriter log) {
        this.xen = xen;
        this.calls = calls;
        this.store = store;
        this.watch = new DomainWatch(watched, xen);
        this.hypervisor = new XenHypervisor(xen, framesPerCall);
        this.sysfs = sysfs;
        this.stateDir = stateDir;
        this.log = log;
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new InputError(stateDir + ": cannot make the state folder (" + e.getMessage() + ")");
        }
        synchronized (this) {
            XenKept.all(stateDir).forEach(this::takeOver);
        }
        this.reaper = Thread.ofPlatform().daemon().name("xen-release").start(this::reap);
    }

    /** The domains taken over at start. */
    public synchronized int takenOver() {
        return (int) served.values().stream().filter(s -> s.takenOver != null).count();
    }

    @Override
    public synchronized JsonNode handle(Request request) {
        return switch (request) {
            case Request.ListVms l -> list();
            case Request.PciAttach a -> attach(a);
            case Request.PciDetach d -> detach(d.vm(), d.bdf());
            case Request.PciList l -> pciList(servedOrEmpty(domain(l.vm())));
            case Request.Show s -> show(domain(s.vm()));
            case Request.Create c -> throw xl("create", "xl create -p");
            case Request.Destroy d -> throw xl("destroy", "xl destroy");
            case Request.AssignableList l -> throw xl("pci-assignable-list", "xl pci-assignable-list");
            case Request.AssignableAdd a -> throw xl("pci-assignable-add", "xl pci-assignable-add");
            case Request.AssignableRemove r -> throw xl("pci-assignable-remove", "xl pci-assignable-remove");
        };
    }

    private static ControlError xl(String command, String instead) {
        return new ControlError("xen-domains", command + ": on a Xen host domains and pciback are xl's; use '" + instead
                + "', then 'passthru pci-attach DOMAIN SPEC'");
    }

    private JsonNode list() {
        ArrayNode list = JSON.createArrayNode();
        for (String id : store.directory("/local/domain")) {
            int domain;
            try {
                domain = Integer.parseInt(id);
            } catch (NumberFormatException e) {
                continue;
            }
            if (domain == 0) {
                continue;
            }
            Served s = served.get(domain);
            list.add(JSON.createObjectNode().put("name", store.read("/local/domain/" + id + "/name").orElse(""))
                    .put("domain", domain).put("state", xen.domainState(domain).name().toLowerCase(java.util.Locale.ROOT))
                    .put("functions", s == null ? 0 : s.vm.bus().devices().size()));
        }
        return list;
    }

    /** The domain a request names, by xl's name or by id; it must be alive. */
    private int domain(String vm) {
        List<Integer> ids;
        try {
            int id = Integer.parseInt(vm);
            ids = List.of(id);
        } catch (NumberFormatException e) {
            ids = XenDomainNames.find(store, vm);
        }
        if (ids.size() != 1 || xen.domainState(ids.getFirst()) == XenControl.DomainState.GONE) {
            throw new ControlError("no-such-vm", "no Xen domain '" + vm + "' (xl list shows them)");
        }
        return ids.getFirst();
    }

    private JsonNode attach(Request.PciAttach request) {
        int domain = domain(request.vm());
        if (xen.domainState(domain) != XenControl.DomainState.PAUSED) {
            throw new ControlError("domain-running", "domain " + domain + " (" + request.vm() + ") is not paused: hot-plug into "
                    + "a running HVM guest needs its ACPI hot-plug controller, which qemu-xen owns and passthru cannot drive; "
                    + "create the domain with 'xl create -p' and attach before 'xl unpause'");
        }
        Served s = served.get(domain);
        if (s == null) {
            Inventory inventory = scan();
            HostFunction function = inventory.find(request.spec().address()).orElseThrow(() -> new ControlError("attach-failed",
                    "no function " + request.spec().address() + " in " + sysfs));
            Assignability.Verdict verdict = Objects.requireNonNull(Assignability.judgeIsolatedByHypervisor(inventory, false)
                    .get(function.address()), "every function read is judged");
            Optional<String> refused = XenGuestDomain.refusal(function, verdict, false);
            if (refused.isPresent()) {
                throw new ControlError("attach-failed", refused.get());
            }
            s = newServed(request.vm(), domain, inventory, IoreqServer.start(calls, domain));
            served.put(domain, s);
            watch.add(domain);
        }
        Vm vm = s.vm;
        Set<Integer> slotsBefore = slots(vm);
        int before = vm.bus().devices().size();
        vm.coldPlug(List.of(new VmConfig.Spec(request.spec(), request.text(), 0, before)));
        Optional<GuestFunctionReport> failed = vm.report().functions().stream().filter(f -> !f.attached()).reduce((a, b) -> b);
        if (vm.bus().devices().size() == before) {
            if (before == 0) {
                letGo(domain, s);
            }
            throw new ControlError("attach-failed", failed.map(f -> f.host() + ": " + f.failure()).orElse("nothing attached"));
        }
        Set<Integer> added = slots(vm);
        added.removeAll(slotsBefore);
        Served into = s;
        synchronized (into) {
            added.forEach(slot -> into.attaches.add(new Attached(request.text(), slot)));
        }
        publish(domain, vm);
        keep(domain, into);
        return pciList(into);
    }

    private static Set<Integer> slots(Vm vm) {
        Set<Integer> slots = new TreeSet<>();
        vm.bus().devices().forEach(d -> slots.add(d.guestAddress().device()));
        return slots;
    }

    /** A domain's VM over its ioreq server; every guest change of a function's image is kept at once. */
    private Served newServed(String name, int domain, Inventory inventory, IoreqServer server) {
        VmConfig config = new VmConfig(name, 0, List.of(), SpecOptions.NONE, List.of(), "xen", "xen", 1, GuestBus.SLOTS - 1, List.of());
        XenGuestSide side = new XenGuestSide(server);
        Served s = new Served(name, new Vm(config, inventory, new XenGuestDomain(xen, hypervisor, domain, false),
                (bus, guestDomain, highRamEnd) -> side, Set.of()), server);
        server.onChange(device -> keep(domain, s));
        return s;
    }

    /**
     * Writes what is kept of the domain (see {@link XenKept}): after each request that changed
     * it, and from the serving thread after each guest write that changed a function's image.
     * Locked on the domain, not the plane: a request may wait on the serving thread.
     */
    private void keep(int domain, Served s) {
        synchronized (s) {
            List<XenKept.Attach> attaches = new ArrayList<>();
            for (Attached a : List.copyOf(s.attaches)) {
                Map<String, DeviceImage> images = new TreeMap<>();
                s.vm.bus().devices().stream().filter(d -> d.guestAddress().device() == a.slot())
                        .forEach(d -> images.put(d.function().address().toString(), d.image()));
                attaches.add(new XenKept.Attach(a.spec(), a.slot(), images));
            }
            new XenKept(domain, s.name, s.server.id(), attaches, hypervisor.held(domain)).keep(stateDir);
        }
    }

    /**
     * Takes over a domain a daemon that died served: a domain gone since (or another domain now
     * under its id) has its functions reset and its file removed; one alive gets its ioreq
     * server taken over, its functions back with the images they showed, and what Xen holds for
     * it found again, made again where missing, or removed where nothing kept explains it.
     * A take-over that fails is logged and its file left for the next start.
     */
    private void takeOver(XenKept kept) {
        long start = System.nanoTime();
        int domain = kept.domain();
        String name = store.read("/local/domain/" + domain + "/name").orElse("");
        @Nullable IoreqServer taken = null;
        try {
            if (xen.domainState(domain) == XenControl.DomainState.GONE || !name.equals(kept.name())) {
                settleGone(kept);
                return;
            }
            hypervisor.resume(domain, kept.held());
            IoreqServer server;
            try {
                server = IoreqServer.takeOver(calls, domain, kept.server());
            } catch (NativeCallFailed e) {
                XenHypervisor.Resumed removed = hypervisor.finishResume(domain);
                XenKept.drop(stateDir, domain);
                say("domain %d (%s): its ioreq server %d cannot be taken over (%s): %d entr(ies) passthru made in Xen removed; "
                        + "the guest's functions are not served", domain, kept.name(), kept.server(), String.valueOf(e.getMessage()), removed.removed());
                return;
            }
            taken = server;
            Served s = newServed(kept.name(), domain, scan(), server);
            for (XenKept.Attach a : kept.attaches()) {
                AssignmentSpec spec = SpecParser.parseXl(a.spec());
                spec = new AssignmentSpec(spec.address(), spec.allFunctions(), a.slot(), spec.options());
                Map<PciAddress, DeviceImage> images = new TreeMap<>();
                a.images().forEach((bdf, image) -> images.put(PciAddress.parse(bdf), image));
                s.vm.resume(List.of(new VmConfig.Spec(spec, a.spec(), 0, s.attaches.size())), images);
                if (slots(s.vm).contains(a.slot())) {
                    s.attaches.add(new Attached(a.spec(), a.slot()));
                }
            }
            XenHypervisor.Resumed resumed = hypervisor.finishResume(domain);
            if (s.vm.bus().devices().isEmpty()) {
                letGo(domain, s);
                say("domain %d (%s): nothing kept to serve; in Xen %d entr(ies) found, %d made again, %d removed; its ioreq "
                        + "server destroyed", domain, kept.name(), resumed.adopted(), resumed.remade(), resumed.removed());
                return;
            }
            served.put(domain, s);
            watch.add(domain);
            publish(domain, s.vm);
            keep(domain, s);
            server.begin();
            s.takenOver = new TakenOver((System.nanoTime() - start) / 1e6, resumed, server.takeOverCounts());
            s.vm.events().forEach(e -> say("domain %d (%s): %s", domain, kept.name(), e));
            resumed.failures().forEach(f -> say("domain %d (%s): take-over: %s", domain, kept.name(), f));
            say("domain %d (%s) taken over in %.0f ms: ioreq server %d, %d vCPU(s), %d function(s); in Xen %d entr(ies) found, "
                            + "%d made again, %d removed; routes to the server %d found, %d made again",
                    domain, kept.name(), s.takenOver.millis(), server.id(), server.vcpus(), s.vm.bus().devices().size(),
                    resumed.adopted(), resumed.remade(), resumed.removed(), s.takenOver.ioreq().routesFound(),
                    s.takenOver.ioreq().routesMade());
        } catch (RuntimeException e) {
            if (taken != null) {
                taken.abandon();
            }
            served.remove(domain);
            hypervisor.forget(domain);
            say("domain %d (%s): the take-over failed, %s is kept for the next start: %s", domain, kept.name(),
                    XenKept.file(stateDir, domain), String.valueOf(e.getMessage()));
        }
    }

    /** The kept domain is gone: Xen took back what it held; its functions are reset once Xen lets go of them. */
    private void settleGone(XenKept kept) {
        Inventory inventory = scan();
        XenGuestDomain gone = new XenGuestDomain(xen, hypervisor, kept.domain(), false);
        int functions = 0;
        int clean = 0;
        for (XenKept.Attach a : kept.attaches()) {
            for (String bdf : a.images().keySet()) {
                Optional<HostFunction> f = inventory.find(PciAddress.parse(bdf));
                if (f.isPresent()) {
                    functions++;
                    clean += gone.settle(f.get()).failures().isEmpty() ? 1 : 0;
                }
            }
        }
        XenKept.drop(stateDir, kept.domain());
        say("domain %d (%s) is gone since the daemon stopped: %d function(s) let go, %d clean", kept.domain(), kept.name(),
                functions, clean);
    }

    private void say(String format, Object... args) {
        log.printf("passthru daemon: " + format + "%n", args);
        log.flush();
    }

    /** The host's functions now, their config spaces and BARs writable: the device model's. */
    private Inventory scan() {
        try {
            return new SysfsSource(sysfs, true).scan();
        } catch (dev.passthru.InputError e) {
            throw new ControlError("attach-failed", String.valueOf(e.getMessage()));
        }
    }

    private JsonNode detach(String name, PciAddress bdf) {
        int domain = domain(name);
        Served s = served.get(domain);
        Optional<PassthroughDevice> device = s == null ? Optional.empty()
                : s.vm.bus().devices().stream().filter(d -> d.function().address().equals(bdf)).findFirst();
        if (s == null || device.isEmpty()) {
            throw new ControlError("not-attached", bdf + " is not attached to " + name);
        }
        int slot = device.get().guestAddress().device();
        List<Vm.Detached> detached = s.vm.unplug(slot);
        List<String> failures = detached.stream().flatMap(d -> d.failures().stream()).toList();
        if (!slots(s.vm).contains(slot)) {
            synchronized (s) {
                s.attaches.removeIf(a -> a.slot() == slot);
            }
        }
        if (s.vm.bus().devices().isEmpty()) {
            letGo(domain, s);
        } else {
            publish(domain, s.vm);
            keep(domain, s);
        }
        if (!failures.isEmpty()) {
            throw new ControlError("detach-failed", bdf + ": " + String.join("; ", failures));
        }
        return pciList(s);
    }

    private void publish(int domain, Vm vm) {
        try {
            XenVslots.publish(store, domain, vm.bus().vslots());
        } catch (dev.passthru.InputError e) {
            throw new ControlError("attach-failed", String.valueOf(e.getMessage()));
        }
    }

    /** The domain holds nothing of passthru's any more: the server goes, the slot table with it. */
    private void letGo(int domain, Served s) {
        served.remove(domain);
        watch.remove(domain);
        s.vm.close();
        XenKept.drop(stateDir, domain);
        try {
            XenVslots.withdraw(store, domain);
        } catch (NativeCallFailed e) {
            log.printf("passthru daemon: domain %d: taking the vslots out of xenstore failed: %s%n", domain, e.getMessage());
            log.flush();
        }
    }

    /** Waits for domains' deaths and detaches what passthru served them, unasked. */
    private void reap() {
        while (!Thread.currentThread().isInterrupted()) {
            Set<Integer> gone;
            try {
                gone = watch.awaitGone(1000);
            } catch (RuntimeException e) {
                log.println("passthru daemon: watching @releaseDomain failed: " + e.getMessage());
                log.flush();
                return;
            }
            synchronized (this) {
                for (int domain : gone) {
                    Served s = served.get(domain);
                    if (s != null) {
                        List<Vm.Detached> detached = s.vm.detachAll("domain " + domain + " is gone");
                        letGo(domain, s);
                        long clean = detached.stream().filter(Vm.Detached::clean).count();
                        log.printf("passthru daemon: domain %d (%s) is gone: %d function(s) detached, %d clean%n", domain,
                                s.name, detached.size(), clean);
                        log.flush();
                    }
                }
            }
        }
    }

    private Optional<Served> servedOrEmpty(int domain) {
        return Optional.ofNullable(served.get(domain));
    }

    private JsonNode pciList(Optional<Served> s) {
        return s.map(this::pciList).orElseGet(JSON::createArrayNode);
    }

    private JsonNode pciList(Served s) {
        ArrayNode list = JSON.createArrayNode();
        for (PassthroughDevice d : s.vm.bus().devices()) {
            list.add(JSON.createObjectNode().put("host", d.function().address().toString())
                    .put("guest", d.guestAddress().toString()).put("slot", d.guestAddress().device()));
        }
        return list;
    }

    private JsonNode show(int domain) {
        Optional<Served> s = servedOrEmpty(domain);
        ObjectNode doc = JSON.createObjectNode().put("domain", domain);
        doc.set("functions", pciList(s));
        doc.set("vslots", JSON.valueToTree(s.map(x -> x.vm.bus().vslots()).orElse(List.of())));
        doc.set("hypervisor", JSON.valueToTree(hypervisor.state(domain)));
        s.map(x -> x.takenOver).ifPresent(t -> doc.set("takenOver", JSON.createObjectNode().put("millis", t.millis())
                .put("xenFound", t.xen().adopted()).put("xenMadeAgain", t.xen().remade()).put("xenRemoved", t.xen().removed())
                .put("routesFound", t.ioreq().routesFound()).put("routesMadeAgain", t.ioreq().routesMade())
                .put("waitingAnswered", s.get().server.takeOverCounts().leftAnswered())));
        return doc;
    }

    /**
     * Stops watching (the watcher is let finish its wait first, so that its connection is not
     * closed under it); domains still served are detached (their guests lose the functions) and
     * their servers destroyed.
     */
    @Override
    public void close() {
        reaper.interrupt();
        try {
            reaper.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for (Map.Entry<Integer, Served> e : Map.copyOf(served).entrySet()) {
                e.getValue().vm.detachAll("the daemon stops");
                letGo(e.getKey(), e.getValue());
            }
        }
        watch.close();
    }
}
