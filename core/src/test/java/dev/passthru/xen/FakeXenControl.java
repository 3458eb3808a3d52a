package dev.passthru.xen;

import dev.passthru.os.NativeCallFailed;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A stand-in for libxenctrl in unit tests of {@link XenHypervisor}: it keeps what real Xen
 * would hold (assignments, p2m entries, permissions, pirqs, bindings) so a test can see that
 * everything made is taken down, refuses what Xen refuses with Xen's errno (its contract,
 * {@link XenControlContract}, is checked on real Xen too), and fails a chosen call with an
 * errno as Xen would. Given a real {@link XenControl}, it makes each call there first, leaves
 * the refusing to it, and keeps the same ledger of what real Xen accepted: how the port's
 * contract runs on real Xen.
 */
final class FakeXenControl implements XenControl {

    static final int EPERM = 1;
    static final int ESRCH = 3;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;

    private record Frames(int domain, long mfn, long frames) {
        boolean cover(int d, long from, long count) {
            return d == domain && from >= mfn && from + count <= mfn + frames;
        }
    }

    final List<String> calls = new ArrayList<>();
    final Map<Integer, Integer> assigned = new TreeMap<>();
    final Map<String, Long> p2m = new TreeMap<>();
    final Set<String> permissions = new TreeSet<>();
    final Map<Integer, String> pirqs = new TreeMap<>();
    final Set<String> bindings = new TreeSet<>();
    private final Set<Frames> iomem = new HashSet<>();
    private final Map<String, Integer> failing = new HashMap<>();
    private final XenControl real;
    private int nextPirq = 55;

    FakeXenControl() {
        this(null);
    }

    FakeXenControl(XenControl real) {
        this.real = real;
    }

    /** Makes the {@code nth} (from 1) next call of {@code function} fail with EBUSY. */
    void fail(String function, int nth) {
        failing.put(function, nth);
    }

    /** The domain is destroyed: Xen takes back all it held, its functions going back to quarantine. */
    void destroy(int domain) {
        alive.remove(domain);
        assigned.values().removeIf(owner -> owner == domain);
        p2m.keySet().removeIf(k -> k.startsWith(domain + "/"));
        permissions.removeIf(p -> p.startsWith(domain + " "));
        iomem.removeIf(f -> f.domain() == domain);
        pirqs.values().removeIf(p -> p.startsWith(domain + " "));
        bindings.removeIf(b -> b.startsWith(domain + " "));
    }

    /** Everything Xen holds, for before/after comparisons. */
    String held() {
        return "assigned=" + assigned + " p2m=" + p2m + " permissions=" + permissions + " pirqs=" + pirqs
                + " bindings=" + bindings;
    }

    /** Domains that exist and run: the tests' domains 1 and 2; the rest were never made. */
    final Set<Integer> alive = new TreeSet<>(Set.of(1, 2));
    /** Domains of {@link #alive} whose guests shut down: Xen still holds all they had. */
    final Set<Integer> shutDown = new TreeSet<>();
    /** Domains of {@link #alive} made paused (xl create -p) and not unpaused yet. */
    final Set<Integer> paused = new TreeSet<>();

    private void call(String function, String args) {
        calls.add(function + "(" + args + ")");
        Integer left = failing.get(function);
        if (left != null) {
            if (left == 1) {
                failing.remove(function);
                throw new NativeCallFailed(function, args, EBUSY);
            }
            failing.put(function, left - 1);
        }
    }

    /** Records a call on a domain; on a domain that does not exist, fails as Xen does. */
    private void call(String function, int domain, String args) {
        call(function, args);
        refuse(!alive.contains(domain), function, args, ESRCH);
    }

    /** Fails with Xen's errno when Xen would refuse; the real Xen behind a ledger refuses by itself. */
    private void refuse(boolean refused, String function, String args, int errno) {
        if (refused && real == null) {
            throw new NativeCallFailed(function, args, errno);
        }
    }

    @Override
    public DomainState domainState(int domain) {
        if (real != null) {
            return real.domainState(domain);
        }
        if (!alive.contains(domain)) {
            return DomainState.GONE;
        }
        if (shutDown.contains(domain)) {
            return DomainState.SHUT_DOWN;
        }
        return paused.contains(domain) ? DomainState.PAUSED : DomainState.ALIVE;
    }

    @Override
    public boolean heldForGuest(int sbdf) {
        return real != null ? real.heldForGuest(sbdf) : assigned.containsKey(sbdf);
    }

    @Override
    public void assignDevice(int domain, int sbdf, boolean relaxedRdm) {
        String args = domain + "," + XenSbdf.text(sbdf) + "," + (relaxedRdm ? "relaxed" : "strict");
        call("xc_assign_device", domain, args);
        refuse(assigned.containsKey(sbdf), "xc_assign_device", args, EBUSY);
        if (real != null) {
            real.assignDevice(domain, sbdf, relaxedRdm);
        }
        assigned.put(sbdf, domain);
    }

    @Override
    public void deassignDevice(int domain, int sbdf) {
        String args = domain + "," + XenSbdf.text(sbdf);
        call("xc_deassign_device", domain, args);
        refuse(!Integer.valueOf(domain).equals(assigned.get(sbdf)), "xc_deassign_device", args, ENODEV);
        if (real != null) {
            real.deassignDevice(domain, sbdf);
        }
        assigned.remove(sbdf);
    }

    @Override
    public void memoryMapping(int domain, long gfn, long mfn, long frames, boolean add) {
        String args = String.format("%d,0x%x,0x%x,%d,%s", domain, gfn, mfn, frames, add ? "add" : "remove");
        call("xc_domain_memory_mapping", domain, args);
        refuse(iomem.stream().noneMatch(f -> f.cover(domain, mfn, frames)), "xc_domain_memory_mapping", args, EPERM);
        if (real != null) {
            real.memoryMapping(domain, gfn, mfn, frames, add);
        }
        for (long i = 0; i < frames; i++) {
            if (add) {
                p2m.put(domain + "/" + (gfn + i), mfn + i);
            } else {
                p2m.remove(domain + "/" + (gfn + i));
            }
        }
    }

    @Override
    public void ioportMapping(int domain, int guestPort, int machinePort, int count, boolean add) {
        call("xc_domain_ioport_mapping", domain, String.format("%d,0x%x,0x%x,%d,%s", domain, guestPort, machinePort, count, add ? "add" : "remove"));
        if (real != null) {
            real.ioportMapping(domain, guestPort, machinePort, count, add);
        }
        for (int i = 0; i < count; i++) {
            if (add) {
                p2m.put(domain + "/port " + (guestPort + i), (long) machinePort + i);
            } else {
                p2m.remove(domain + "/port " + (guestPort + i));
            }
        }
    }

    @Override
    public void iomemPermission(int domain, long mfn, long frames, boolean allow) {
        call("xc_domain_iomem_permission", domain, String.format("%d,0x%x,%d,%s", domain, mfn, frames, allow ? "allow" : "deny"));
        if (real != null) {
            real.iomemPermission(domain, mfn, frames, allow);
        }
        permit(domain + " iomem 0x" + Long.toHexString(mfn) + "+" + frames, allow);
        if (allow) {
            iomem.add(new Frames(domain, mfn, frames));
        } else {
            iomem.remove(new Frames(domain, mfn, frames));
        }
    }

    @Override
    public void ioportPermission(int domain, int port, int count, boolean allow) {
        call("xc_domain_ioport_permission", domain, String.format("%d,0x%x,%d,%s", domain, port, count, allow ? "allow" : "deny"));
        if (real != null) {
            real.ioportPermission(domain, port, count, allow);
        }
        permit(domain + " ioport 0x" + Integer.toHexString(port) + "+" + count, allow);
    }

    @Override
    public void irqPermission(int domain, int pirq, boolean allow) {
        call("xc_domain_irq_permission", domain, domain + "," + pirq + "," + (allow ? "allow" : "deny"));
        if (real != null) {
            real.irqPermission(domain, pirq, allow);
        }
        permit(domain + " irq " + pirq, allow);
    }

    private void permit(String what, boolean allow) {
        if (allow) {
            permissions.add(what);
        } else {
            permissions.remove(what);
        }
    }

    @Override
    public int mapPirqGsi(int domain, int gsi) {
        call("xc_physdev_map_pirq", domain, domain + ",gsi " + gsi);
        int pirq = real != null ? real.mapPirqGsi(domain, gsi) : gsi;
        pirqs.put(pirq, domain + " gsi " + gsi);
        return pirq;
    }

    @Override
    public int mapPirqMsi(int domain, int wanted, int bus, int devfn, int entry, long tableBase) {
        call("xc_physdev_map_pirq_msi", domain, String.format("%d,pirq %d,%02x:%02x.%d,entry %d,table 0x%x", domain, wanted, bus,
                devfn >> 3, devfn & 7, entry, tableBase));
        int pirq = real != null ? real.mapPirqMsi(domain, wanted, bus, devfn, entry, tableBase)
                : wanted != ANY_PIRQ ? wanted : nextPirq++;
        pirqs.put(pirq, domain + " msi");
        return pirq;
    }

    @Override
    public void unmapPirq(int domain, int pirq) {
        call("xc_physdev_unmap_pirq", domain, domain + "," + pirq);
        refuse(!pirqs.containsKey(pirq), "xc_physdev_unmap_pirq", domain + "," + pirq, EINVAL);
        if (real != null) {
            real.unmapPirq(domain, pirq);
        }
        pirqs.remove(pirq);
    }

    @Override
    public void bindPciIrq(int domain, int pirq, int bus, int device, int intx) {
        call("xc_domain_bind_pt_pci_irq", domain, domain + "," + pirq + "," + bus + ":" + device + " INT" + (char) ('A' + intx));
        if (real != null) {
            real.bindPciIrq(domain, pirq, bus, device, intx);
        }
        bindings.add(domain + " pirq " + pirq + " intx");
    }

    @Override
    public void unbindPciIrq(int domain, int pirq, int bus, int device, int intx) {
        call("xc_domain_unbind_pt_irq", domain, domain + "," + pirq + "," + bus + ":" + device + " INT" + (char) ('A' + intx));
        if (real != null) {
            real.unbindPciIrq(domain, pirq, bus, device, intx);
        }
        bindings.remove(domain + " pirq " + pirq + " intx");
    }

    @Override
    public void updateMsiIrq(int domain, int vector, int pirq, int flags) {
        call("xc_domain_update_msi_irq", domain, String.format("%d,vector 0x%x,pirq %d,flags 0x%x", domain, vector, pirq, flags));
        if (real != null) {
            real.updateMsiIrq(domain, vector, pirq, flags);
        }
        bindings.add(domain + " pirq " + pirq + " msi");
    }

    @Override
    public void unbindMsiIrq(int domain, int vector, int pirq, int flags) {
        call("xc_domain_unbind_msi_irq", domain, String.format("%d,vector 0x%x,pirq %d,flags 0x%x", domain, vector, pirq, flags));
        if (real != null) {
            real.unbindMsiIrq(domain, vector, pirq, flags);
        }
        bindings.remove(domain + " pirq " + pirq + " msi");
    }

    @Override
    public void setPciIntxLevel(int domain, int bus, int device, int intx, boolean asserted) {
        call("xendevicemodel_set_pci_intx_level", domain, domain + "," + bus + ":" + device + " INT" + (char) ('A' + intx) + "," + (asserted ? 1 : 0));
        if (real != null) {
            real.setPciIntxLevel(domain, bus, device, intx, asserted);
        }
    }

    @Override
    public void injectMsi(int domain, long address, int data) {
        call("xendevicemodel_inject_msi", domain, String.format("%d,0x%x,0x%x", domain, address, data));
        if (real != null) {
            real.injectMsi(domain, address, data);
        }
    }

    @Override
    public void close() {
    }
}
