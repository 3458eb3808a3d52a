package dev.passthru.control;

import org.jspecify.annotations.Nullable;
import dev.passthru.pci.PciAddress;

import java.nio.file.Path;

/** One change the daemon journaled, one kind a record; {@link JournalCodec} writes and reads them. */
sealed interface JournalRecord {

    /** The VM the change is to, or null for one to the daemon as a whole or a VM yet to be made. */
    default @Nullable String vm() {
        return null;
    }

    /** A VM made from {@code config}, whose text is kept so that the VM comes back as it was made. */
    record Created(Path config, String text, int domain) implements JournalRecord {
    }

    record Destroyed(String vm) implements JournalRecord {
    }

    /** {@code spec} as the user wrote it, and the slot it got (so an automatic slot is chosen again the same). */
    record Attached(String vm, String spec, int slot) implements JournalRecord {
    }

    record Detached(String vm, PciAddress bdf) implements JournalRecord {
    }

    record AssignableAdded(PciAddress bdf) implements JournalRecord {
    }

    record AssignableRemoved(PciAddress bdf) implements JournalRecord {
    }
}
