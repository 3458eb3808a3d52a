package dev.passthru.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.passthru.bus.GuestBus;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
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

import java.util.Objects;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

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

    /** A domain the daemon serves functions to. */
    private record Served(String name, Vm vm) {
    }

    private final XenControl xen;
    private final IoreqCalls calls;
    private final XenStore store;
    private final DomainWatch watch;
    private final XenHypervisor hypervisor;
    private final Path sysfs;
    private final PrintWriter log;
    private final Map<Integer, Served> served = new TreeMap<>();
    private final Thread reaper;

    /**
     * @param store     for domain names and the slot tables
     * @param watched   a second connection, for {@code @releaseDomain} (the watch owns and closes it)
     * @param sysfs     where the host's functions are (/sys/bus/pci)
     * @param log       where the daemon says what it did by itself (a domain's death)
     */
    public XenPlane(XenControl xen, IoreqCalls calls, XenStore store, XenStore watched, Path sysfs, long framesPerCall,
                    PrintWriter log) {
        this.xen = xen;
        this.calls = calls;
        this.store = store;
        this.watch = new DomainWatch(watched, xen);
        this.hypervisor = new XenHypervisor(xen, framesPerCall);
        this.sysfs = sysfs;
        this.log = log;
        this.reaper = Thread.ofPlatform().daemon().name("xen-release").start(this::reap);
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
                    .put("functions", s == null ? 0 : s.vm().bus().devices().size()));
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
            IoreqServer server = IoreqServer.start(calls, domain);
            VmConfig config = new VmConfig(request.vm(), 0, List.of(), SpecOptions.NONE, List.of(), "xen", 1, GuestBus.SLOTS - 1,
                    List.of());
            XenGuestSide side = new XenGuestSide(server);
            s = new Served(request.vm(), new Vm(config, inventory, new XenGuestDomain(xen, hypervisor, domain, false),
                    (bus, guestDomain, highRamEnd) -> side, Set.of()));
            served.put(domain, s);
            watch.add(domain);
        }
        Vm vm = s.vm();
        int before = vm.bus().devices().size();
        vm.coldPlug(List.of(new VmConfig.Spec(request.spec(), request.text(), 0, before)));
        Optional<GuestFunctionReport> failed = vm.report().functions().stream().filter(f -> !f.attached()).reduce((a, b) -> b);
        if (vm.bus().devices().size() == before) {
            if (before == 0) {
                letGo(domain, s);
            }
            throw new ControlError("attach-failed", failed.map(f -> f.host() + ": " + f.failure()).orElse("nothing attached"));
        }
        publish(domain, vm);
        return pciList(s);
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
                : s.vm().bus().devices().stream().filter(d -> d.function().address().equals(bdf)).findFirst();
        if (s == null || device.isEmpty()) {
            throw new ControlError("not-attached", bdf + " is not attached to " + name);
        }
        List<Vm.Detached> detached = s.vm().unplug(device.get().guestAddress().device());
        List<String> failures = detached.stream().flatMap(d -> d.failures().stream()).toList();
        if (s.vm().bus().devices().isEmpty()) {
            letGo(domain, s);
        } else {
            publish(domain, s.vm());
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
        s.vm().close();
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
                        List<Vm.Detached> detached = s.vm().detachAll("domain " + domain + " is gone");
                        letGo(domain, s);
                        long clean = detached.stream().filter(Vm.Detached::clean).count();
                        log.printf("passthru daemon: domain %d (%s) is gone: %d function(s) detached, %d clean%n", domain,
                                s.name(), detached.size(), clean);
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
        for (PassthroughDevice d : s.vm().bus().devices()) {
            list.add(JSON.createObjectNode().put("host", d.function().address().toString())
                    .put("guest", d.guestAddress().toString()).put("slot", d.guestAddress().device()));
        }
        return list;
    }

    private JsonNode show(int domain) {
        Optional<Served> s = servedOrEmpty(domain);
        ObjectNode doc = JSON.createObjectNode().put("domain", domain);
        doc.set("functions", pciList(s));
        doc.set("vslots", JSON.valueToTree(s.map(x -> x.vm().bus().vslots()).orElse(List.of())));
        doc.set("hypervisor", JSON.valueToTree(hypervisor.state(domain)));
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
                e.getValue().vm().detachAll("the daemon stops");
                letGo(e.getKey(), e.getValue());
            }
        }
        watch.close();
    }
}
