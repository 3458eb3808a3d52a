package dev.passthru.vm;

import dev.passthru.dump.DumpSource;
import dev.passthru.host.HostFunction;
import dev.passthru.host.HostSource;
import dev.passthru.host.Inventory;
import dev.passthru.host.profile.ProfileSource;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.vfio.ForeignVfioCalls;
import dev.passthru.vfio.VfioSource;

import java.util.ArrayList;
import java.util.List;

/** A VM config's host sources read into one inventory. */
public final class HostSources {

    private HostSources() {
    }

    /** Every source's functions in one inventory; a function read twice is a problem, the first kept. */
    public static Inventory read(List<HostSourceSpec> sources) {
        List<HostFunction> functions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (HostSourceSpec spec : sources) {
            HostSource source = switch (spec.kind()) {
                case SYSFS -> new SysfsSource(spec.path(), false);
                case PROFILES -> new ProfileSource(spec.path());
                case DUMP -> new DumpSource(spec.path());
                case VFIO -> new VfioSource(spec.path(), new ForeignVfioCalls());
            };
            Inventory one = source.scan();
            names.add(one.source());
            problems.addAll(one.problems());
            for (HostFunction f : one.functions()) {
                if (functions.stream().anyMatch(g -> g.address().equals(f.address()))) {
                    problems.add(f.source() + ": " + f.address() + " was read from an earlier source too; this one is left out");
                } else {
                    functions.add(f);
                }
            }
        }
        functions.sort((a, b) -> a.address().compareTo(b.address()));
        return new Inventory(String.join(", ", names), functions, problems);
    }
}
