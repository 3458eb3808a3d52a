package dev.passthru.vm;

import dev.passthru.InputError;
import dev.passthru.spec.AssignmentSpec;
import dev.passthru.spec.SpecOptions;
import dev.passthru.spec.SpecParser;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads a VM config: xl.cfg syntax, the settings that matter to pass-through, and passthru's
 * own {@code passthru_*} settings. Settings of xl that do not concern pass-through (vcpus,
 * disk, vif, ...) are read past and listed; any other name is an error, as is a value of the
 * wrong kind: one line naming the file, the line, and what was expected.
 */
public final class VmConfigReader {

    /** xl.cfg settings about the rest of the VM: accepted, not used here. */
    private static final Set<String> XL_SETTINGS = Set.of("type", "builder", "vcpus", "maxvcpus", "maxmem", "cpus",
            "cpu_weight", "cap", "disk", "vif", "vfb", "vga", "videoram", "stdvga", "boot", "kernel", "ramdisk", "cmdline",
            "extra", "root", "bootloader", "bootloader_args", "on_poweroff", "on_reboot", "on_crash", "on_watchdog",
            "serial", "sdl", "vnc", "vnclisten", "vncdisplay", "vncpasswd", "vncunused", "usb", "usbdevice", "usbctrl",
            "usbdev", "device_model_version", "device_model_override", "device_model_args", "uuid", "hap", "acpi", "apic",
            "pae", "hpet", "viridian", "xen_platform_pci", "localtime", "soundhw", "nographic", "keymap", "shadow_memory",
            "nestedhvm", "tsc_mode", "seclabel", "vtpm", "channel", "rdm", "rdm_mem_boundary", "gfx_passthru",
            "firmware", "bios", "pvh", "e820_host", "max_grant_frames", "max_maptrack_frames", "dtdev", "irqs",
            "iomem", "ioports", "vnuma", "p9", "vdispl", "vsnd", "vkb", "mca_caps", "altp2m", "smbios_firmware",
            "acpi_firmware", "ms_vm_genid", "nomigrate", "driver_domain", "vcpu_hard_affinity", "vcpu_soft_affinity");
    private static final List<String> OWN_SETTINGS = List.of("name", "memory", "pci", "pci_permissive",
            "pci_msitranslate", "pci_seize", "pci_power_mgmt", "passthru_sources", "passthru_hypervisor", "passthru_guest",
            "passthru_hotplug_slots");
    private static final long DEFAULT_MEMORY_MIB = 1024;

    private final String file;
    private final Path folder;
    private final Map<String, CfgValue> settings;

    private VmConfigReader(String file, Path folder, Map<String, CfgValue> settings) {
        this.file = file;
        this.folder = folder;
        this.settings = settings;
    }

    public static VmConfig read(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InputError(path + ": no such VM config");
        } catch (IOException e) {
            throw new InputError(path + ": cannot read (" + e.getMessage() + ")");
        }
        Path folder = Objects.requireNonNull(path.toAbsolutePath().getParent(), "a file's absolute path has a parent");
        return parse(path.toString(), folder, text);
    }

    /** Reads {@code text}; relative source paths are taken from {@code folder}. */
    public static VmConfig parse(String file, Path folder, String text) {
        return new VmConfigReader(file, folder, CfgParser.parse(file, text)).config();
    }

    private VmConfig config() {
        List<String> ignored = new ArrayList<>();
        settings.forEach((key, value) -> {
            if (XL_SETTINGS.contains(key)) {
                ignored.add(key);
            } else if (!OWN_SETTINGS.contains(key)) {
                throw error(value, "unknown setting '" + key + "' (passthru reads " + String.join(", ", OWN_SETTINGS)
                        + ", and passes over the rest of xl's)");
            }
        });
        String name = settings.containsKey("name") ? text("name") : Path.of(file).getFileName().toString();
        long memory = settings.containsKey("memory") ? number("memory", 16, 1L << 24, "MiB") : DEFAULT_MEMORY_MIB;
        SpecOptions defaults = new SpecOptions(flag("pci_permissive"), flag("pci_msitranslate"), flag("pci_seize"),
                flag("pci_power_mgmt"), null);
        int[] hotplug = hotplugSlots();
        String hypervisor = settings.containsKey("passthru_hypervisor") ? text("passthru_hypervisor") : "simulated";
        if (!hypervisor.equals("simulated") && !hypervisor.equals("xen")) {
            throw error(setting("passthru_hypervisor"), "passthru_hypervisor: expected \"simulated\" or \"xen\", found \""
                    + hypervisor + "\"");
        }
        String guest = settings.containsKey("passthru_guest") ? text("passthru_guest") : "built-in";
        if (!guest.equals("built-in") && !(guest.startsWith("vfio-user:") && guest.length() > "vfio-user:".length())) {
            throw error(setting("passthru_guest"), "passthru_guest: expected \"built-in\" or \"vfio-user:DIR\", found \""
                    + guest + "\"");
        }
        if (guest.startsWith("vfio-user:")) {
            guest = "vfio-user:" + folder.resolve(guest.substring("vfio-user:".length()));
        }
        return new VmConfig(name, memory, specs(), defaults, sources(), hypervisor, guest, hotplug[0], hotplug[1], ignored);
    }

    private List<VmConfig.Spec> specs() {
        List<VmConfig.Spec> specs = new ArrayList<>();
        for (CfgValue item : list("pci")) {
            if (!(item instanceof CfgValue.Text spec)) {
                throw error(item, "pci: expected a spec string such as '03:00.0@6,permissive=1', found " + item.describe());
            }
            try {
                AssignmentSpec parsed = SpecParser.parseXl(spec.value());
                specs.add(new VmConfig.Spec(parsed, spec.value(), spec.line(), specs.size()));
            } catch (InputError e) {
                throw error(item, "pci: bad PCI spec " + e.getMessage());
            }
        }
        return specs;
    }

    private List<HostSourceSpec> sources() {
        if (!settings.containsKey("passthru_sources")) {
            return List.of(new HostSourceSpec(HostSourceSpec.Kind.SYSFS, Path.of("/sys/bus/pci")));
        }
        List<HostSourceSpec> sources = new ArrayList<>();
        for (CfgValue item : list("passthru_sources")) {
            String text = item instanceof CfgValue.Text t ? t.value() : "";
            int colon = text.indexOf(':');
            HostSourceSpec.Kind kind = colon < 0 ? null : switch (text.substring(0, colon)) {
                case "sysfs" -> HostSourceSpec.Kind.SYSFS;
                case "profiles" -> HostSourceSpec.Kind.PROFILES;
                case "dump" -> HostSourceSpec.Kind.DUMP;
                case "vfio" -> HostSourceSpec.Kind.VFIO;
                default -> null;
            };
            if (kind == null || colon == text.length() - 1) {
                throw error(item, "passthru_sources: expected 'sysfs:DIR', 'profiles:DIR', 'dump:FILE' or 'vfio:DIR', found "
                        + item.describe());
            }
            sources.add(new HostSourceSpec(kind, folder.resolve(text.substring(colon + 1)).normalize()));
        }
        return sources;
    }

    private int[] hotplugSlots() {
        if (!settings.containsKey("passthru_hotplug_slots")) {
            return new int[] {6, 31};
        }
        String text = text("passthru_hotplug_slots");
        String[] parts = text.split("-", -1);
        try {
            int first = Integer.decode(parts[0].strip());
            int last = Integer.decode(parts[parts.length - 1].strip());
            if (parts.length <= 2 && first >= 1 && first <= last && last <= 31) {
                return new int[] {first, last};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw error(settings.get("passthru_hotplug_slots"), "passthru_hotplug_slots: expected a slot range within "
                + "1-31 such as \"6-31\", found \"" + text + "\"");
    }

    private String text(String key) {
        CfgValue value = setting(key);
        if (value instanceof CfgValue.Text t) {
            return t.value();
        }
        throw error(value, key + ": expected a string in quotes, found " + value.describe());
    }

    private long number(String key, long min, long max, String unit) {
        CfgValue value = setting(key);
        if (value instanceof CfgValue.Number n && n.value() >= min && n.value() <= max) {
            return n.value();
        }
        throw error(value, key + ": expected a number of " + unit + " from " + min + " to " + max + ", found "
                + value.describe());
    }

    /** A setting the caller knows is there. */
    private CfgValue setting(String key) {
        return Objects.requireNonNull(settings.get(key), "asked only for settings that are there");
    }

    /** A 0/1 setting, or null when absent. */
    private @Nullable Boolean flag(String key) {
        CfgValue value = settings.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof CfgValue.Number n && (n.value() == 0 || n.value() == 1)) {
            return n.value() == 1;
        }
        throw error(value, key + ": expected 0 or 1, found " + value.describe());
    }

    private List<CfgValue> list(String key) {
        CfgValue value = settings.get(key);
        if (value == null) {
            return List.of();
        }
        if (value instanceof CfgValue.Items items) {
            return items.values();
        }
        throw error(value, key + ": expected a [ list ], found " + value.describe());
    }

    private InputError error(CfgValue at, String message) {
        return new InputError(file + ":" + at.line() + ": " + message);
    }
}
