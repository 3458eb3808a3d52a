package dev.passthru.bus;

import dev.passthru.InputError;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.DetachReport;
import dev.passthru.device.DeviceImage;
import dev.passthru.device.HostInterruptControl;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.host.Assignability;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.pci.PciAddress;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The guest's PCI bus 0: 32 slots of 8 functions. Slot 0 holds the host bridge; a range of
 * slots is hot-plug capable (the seed's PHP slots), the rest take functions placed statically.
 * A slot is plugged (powered on) by attaching all its functions as one transaction and
 * unplugged by detaching them; while either is under way the slot refuses other requests.
 * Config accesses of the guest come in by device and function number; accesses to trapped
 * BAR pages by guest address.
 */
public final class GuestBus {

    public static final int SLOTS = 32;
    public static final int FUNCTIONS = 8;

    /**
     * One function to put in a slot: its number there, the host function, its options, whether it
     * may be given, who follows its host interrupt enables (see {@link HostInterruptControl}), and,
     * for a function taken over from an earlier device model, the image it showed the guest
     * (null for one attached anew).
     */
    public record Plug(int function, HostFunction host, ConfigOptions options, Assignability.Verdict verdict,
                       HostInterruptControl hostInterrupts, @Nullable DeviceImage image) {

        public Plug(int function, HostFunction host, ConfigOptions options, Assignability.Verdict verdict,
                    HostInterruptControl hostInterrupts) {
            this(function, host, options, verdict, hostInterrupts, null);
        }

        /** A function on a hypervisor that programs its host interrupts itself, or needs none. */
        public Plug(int function, HostFunction host, ConfigOptions options, Assignability.Verdict verdict) {
            this(function, host, options, verdict, HostInterruptControl.NONE);
        }
    }

    /**
     * Where a plug put its functions; {@code hotplug} false when placed statically; what the
     * hypervisor refused of functions taken over (each kept with what it could have).
     */
    public record Placed(int slot, boolean hotplug, List<PassthroughDevice> devices, List<String> failures) {
    }

    /** One line of the slot table the seed published as {@code vslots}: 0 for a static slot. */
    public record Vslot(String host, int slot) {
    }

    private static final class Slot {
        final int number;
        final boolean hotplug;
        SlotState state = SlotState.EMPTY;
        boolean placedStatically;
        final PassthroughDevice[] functions = new PassthroughDevice[FUNCTIONS];

        Slot(int number, boolean hotplug) {
            this.number = number;
            this.hotplug = hotplug;
        }
    }

    private final Hypervisor hypervisor;
    private final int domain;
    private final int firstHotplug;
    private final int lastHotplug;
    private final Slot[] slots = new Slot[SLOTS];
    private final Map<PciAddress, Integer> vslots = new LinkedHashMap<>();

    /** A bus whose slots {@code firstHotplug}-{@code lastHotplug} (1-31) are hot-plug capable. */
    public GuestBus(Hypervisor hypervisor, int domain, int firstHotplug, int lastHotplug) {
        if (firstHotplug < 1 || lastHotplug >= SLOTS || firstHotplug > lastHotplug) {
            throw new IllegalArgumentException("hot-plug slots must lie in 1-31");
        }
        this.hypervisor = hypervisor;
        this.domain = domain;
        this.firstHotplug = firstHotplug;
        this.lastHotplug = lastHotplug;
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new Slot(i, i >= firstHotplug && i <= lastHotplug);
        }
    }

    /**
     * Puts functions in a slot and powers it on. {@code requested} 0 takes the lowest free
     * hot-plug slot, or, when none is free, the lowest free other slot (placed statically: it
     * cannot be unplugged); otherwise it must be a free hot-plug slot. All functions attach or
     * none does: a failure detaches those attached and frees the slot.
     *
     * @throws InputError   when the slot cannot be had, or function 0 is missing
     * @throws dev.passthru.device.AttachFailed when the hypervisor refused a step
     */
    public Placed plug(int requested, List<Plug> functions) {
        if (functions.stream().noneMatch(p -> p.function() == 0)) {
            throw new InputError(functions.getFirst().host().address() + ": function 0 of its device must be plugged "
                    + "with it (the guest finds functions 1-7 only through function 0)");
        }
        Slot slot = reserve(requested, functions.getFirst().host().address());
        List<PassthroughDevice> attached = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try {
            for (Plug plug : functions) {
                PciAddress guest = new PciAddress(0, 0, slot.number, plug.function());
                AttachRequest request = new AttachRequest(domain, guest, plug.host(), plug.options(), Placement.NONE,
                        plug.hostInterrupts());
                PassthroughDevice device;
                if (plug.image() != null) {
                    PassthroughDevice.Adopted adopted = PassthroughDevice.adopt(hypervisor, request, plug.image());
                    device = adopted.device();
                    failures.addAll(adopted.failures());
                } else {
                    device = PassthroughDevice.attach(hypervisor, request, plug.verdict());
                }
                attached.add(device);
                slot.functions[plug.function()] = device;
            }
        } catch (RuntimeException e) {
            for (int i = attached.size() - 1; i >= 0; i--) {
                DetachReport report = attached.get(i).detach();
                report.failures().forEach(f -> e.addSuppressed(new IllegalStateException("undo: " + f)));
            }
            release(slot);
            throw e;
        }
        if (functions.size() > 1) {
            slot.functions[0].setMultiFunction(true);
        }
        synchronized (this) {
            slot.state = SlotState.PRESENT;
            for (Plug plug : functions) {
                vslots.put(plug.host().address(), slot.hotplug ? slot.number : 0);
            }
        }
        return new Placed(slot.number, slot.hotplug, List.copyOf(attached), List.copyOf(failures));
    }

    /**
     * Powers a hot-plug slot off: detaches its functions. A detach that leaves work behind
     * leaves the slot {@link SlotState#NEEDS_CLEANUP}; unplugging it again retries.
     */
    public List<DetachReport> unplug(int number) {
        return takeOut(number, false);
    }

    /**
     * Takes a slot's functions out whether or not it is a hot-plug slot: for undoing a plug that
     * the guest side could not take, not for guests' requests.
     */
    public List<DetachReport> remove(int number) {
        return takeOut(number, true);
    }

    /**
     * The domain is gone and the hypervisor took back what it held: forgets a slot's functions
     * (see {@link PassthroughDevice#abandon}) and frees the slot.
     */
    public List<PassthroughDevice> abandon(int number) {
        Slot slot;
        synchronized (this) {
            slot = slot(number);
            slot.state = SlotState.UNPLUGGING;
        }
        List<PassthroughDevice> abandoned = new ArrayList<>();
        for (PassthroughDevice device : slot.functions) {
            if (device != null) {
                device.abandon();
                abandoned.add(device);
            }
        }
        synchronized (this) {
            abandoned.forEach(d -> vslots.remove(d.function().address()));
            release(slot);
        }
        return abandoned;
    }

    private List<DetachReport> takeOut(int number, boolean evenStatic) {
        Slot slot;
        synchronized (this) {
            slot = slot(number);
            if (slot.placedStatically && !evenStatic) {
                throw new InputError(String.format("slot 0x%02x was placed statically (no hot-plug slot was free): it "
                        + "cannot be hot-unplugged", number));
            }
            if (slot.state != SlotState.PRESENT && slot.state != SlotState.NEEDS_CLEANUP) {
                throw new InputError(String.format("slot 0x%02x %s", number, describe(slot)));
            }
            slot.state = SlotState.UNPLUGGING;
        }
        List<DetachReport> reports = new ArrayList<>();
        boolean clean = true;
        for (int f = FUNCTIONS - 1; f >= 0; f--) {
            PassthroughDevice device = slot.functions[f];
            if (device != null) {
                DetachReport report = device.detach();
                reports.add(report);
                clean &= report.clean();
            }
        }
        synchronized (this) {
            if (clean) {
                for (PassthroughDevice device : slot.functions) {
                    if (device != null) {
                        vslots.remove(device.function().address());
                    }
                }
                Arrays.fill(slot.functions, null);
                slot.placedStatically = false;
                slot.state = SlotState.EMPTY;
            } else {
                slot.state = SlotState.NEEDS_CLEANUP;
            }
        }
        return reports;
    }

    private synchronized Slot reserve(int requested, PciAddress host) {
        Slot chosen = null;
        if (requested != 0) {
            Slot slot = slot(requested);
            if (!slot.hotplug) {
                throw new InputError(String.format("%s@%x: slot 0x%02x is not a hot-plug slot (those are 0x%02x-0x%02x)",
                        host, requested, requested, firstHotplug, lastHotplug));
            }
            if (slot.state != SlotState.EMPTY) {
                throw new InputError(String.format("%s@%x: slot 0x%02x %s", host, requested, requested, describe(slot)));
            }
            chosen = slot;
        } else {
            for (int i = firstHotplug; i <= lastHotplug && chosen == null; i++) {
                chosen = slots[i].state == SlotState.EMPTY ? slots[i] : null;
            }
            for (int i = 1; i < SLOTS && chosen == null; i++) {
                chosen = !slots[i].hotplug && slots[i].state == SlotState.EMPTY ? slots[i] : null;
            }
            if (chosen == null) {
                throw new InputError(host + ": the guest's bus is full (31 slots taken)");
            }
            chosen.placedStatically = !chosen.hotplug;
        }
        chosen.state = SlotState.PLUGGING;
        return chosen;
    }

    private synchronized void release(Slot slot) {
        Arrays.fill(slot.functions, null);
        slot.placedStatically = false;
        slot.state = SlotState.EMPTY;
    }

    private Slot slot(int number) {
        if (number < 1 || number >= SLOTS) {
            throw new InputError(String.format("slot 0x%x: guest slots are 0x01-0x1f (0 is the host bridge's)", number));
        }
        return slots[number];
    }

    private static String describe(Slot slot) {
        return switch (slot.state) {
            case EMPTY -> "is empty";
            case PLUGGING -> "is being plugged; try again when that is done";
            case UNPLUGGING -> "is being unplugged; try again when that is done";
            case NEEDS_CLEANUP -> "is waiting for a failed unplug to be retried";
            case PRESENT -> "is taken by " + firstFunction(slot);
        };
    }

    private static String firstFunction(Slot slot) {
        for (PassthroughDevice d : slot.functions) {
            if (d != null) {
                return d.function().address().toString();
            }
        }
        return "a function";
    }

    public synchronized SlotState state(int slot) {
        return slot(slot).state;
    }

    /** The function at {@code device.function} on the guest's bus, or null. */
    public synchronized @Nullable PassthroughDevice device(int device, int function) {
        if (device < 1 || device >= SLOTS || function < 0 || function >= FUNCTIONS) {
            return null;
        }
        Slot slot = slots[device];
        return slot.state == SlotState.PRESENT ? slot.functions[function] : null;
    }

    /** Every function present, by slot and function number. */
    public synchronized List<PassthroughDevice> devices() {
        List<PassthroughDevice> all = new ArrayList<>();
        for (Slot slot : slots) {
            if (slot.state == SlotState.PRESENT) {
                for (PassthroughDevice d : slot.functions) {
                    if (d != null) {
                        all.add(d);
                    }
                }
            }
        }
        return all;
    }

    /** The slot table: each assigned host function and its hot-plug slot, 0 for static. */
    public synchronized List<Vslot> vslots() {
        List<Vslot> table = new ArrayList<>();
        vslots.forEach((host, slot) -> table.add(new Vslot(host.toString(), slot)));
        return table;
    }

    /** A guest config read of bus 0: the host bridge, a present function, or all-ones (nothing there). */
    public int configRead(int device, int function, int offset, int width) {
        if (device == 0 && function == 0) {
            return HostBridge.read(offset, width);
        }
        PassthroughDevice d = device(device, function);
        return d != null ? d.configRead(offset, width) : width == 4 ? -1 : (1 << (8 * width)) - 1;
    }

    public void configWrite(int device, int function, int offset, int width, int value) {
        PassthroughDevice d = device(device, function);
        if (d != null) {
            d.configWrite(offset, width, value);
        }
    }

    /** A guest read of a trapped BAR page, or empty when no function traps that address. */
    public OptionalLong mmioRead(long address, int width) {
        for (PassthroughDevice d : devices()) {
            int bar = d.trappedBar(address);
            if (bar >= 0) {
                return OptionalLong.of(d.mmioRead(bar, address - d.guestBarAddress(bar), width));
            }
        }
        return OptionalLong.empty();
    }

    /** A guest write to a trapped BAR page; false when no function traps that address. */
    public boolean mmioWrite(long address, int width, long value) {
        for (PassthroughDevice d : devices()) {
            int bar = d.trappedBar(address);
            if (bar >= 0) {
                d.mmioWrite(bar, address - d.guestBarAddress(bar), width, value);
                return true;
            }
        }
        return false;
    }
}
