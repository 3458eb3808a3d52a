package dev.passthru.vm;

import java.nio.file.Path;

/**
 * Where a VM's host functions come from: {@code sysfs:DIR}, {@code profiles:DIR},
 * {@code dump:FILE}, or {@code vfio:DIR} (the functions of that sysfs tree bound to vfio-pci,
 * reached through /dev/vfio), paths relative to the VM config's folder.
 */
public record HostSourceSpec(Kind kind, Path path) {

    public enum Kind {
        SYSFS, PROFILES, DUMP, VFIO
    }
}
