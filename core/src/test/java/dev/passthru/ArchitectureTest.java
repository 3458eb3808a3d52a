package dev.passthru;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceRule;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layers of DESIGN.md, read from the compiled main classes: a class uses its own layer and
 * those below it, never one above, and no two packages use each other, even through others.
 */
class ArchitectureTest {

    /** Lowest first; every main package is in exactly one. */
    private static final List<Set<String>> LAYERS = List.of(
            // vocabulary and the platform: errors, logging, PCI names, native calls
            Set.of("dev.passthru", "dev.passthru.log", "dev.passthru.pci", "dev.passthru.os"),
            Set.of("dev.passthru.spec"),
            // the real function and the hypervisor port, each with its kinds
            Set.of("dev.passthru.host", "dev.passthru.host.sysfs", "dev.passthru.vfio",
                    "dev.passthru.hypervisor", "dev.passthru.hypervisor.sim"),
            Set.of("dev.passthru.config"),
            // recorded stand-ins for hardware, which behave as the config engine's register tables say
            Set.of("dev.passthru.host.recorded", "dev.passthru.host.profile", "dev.passthru.dump"),
            Set.of("dev.passthru.device"),
            Set.of("dev.passthru.bus"),
            // the guest sides that trap the guest's accesses, the Xen domain, and the vfio-user server
            Set.of("dev.passthru.guest", "dev.passthru.qemu", "dev.passthru.xen", "dev.passthru.vfiouser"),
            Set.of("dev.passthru.vm"),
            Set.of("dev.passthru.control"),
            Set.of("dev.passthru.cli"));

    /** The one class above the hypervisor port that knows the simulated hypervisor: it composes simulated VMs. */
    private static final String SIMULATED_COMPOSER = "dev.passthru.vm.SimulatedMachine";

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("dev.passthru");

    @Test
    void every_main_package_has_a_layer() {
        Set<String> unplaced = new TreeSet<>();
        for (JavaClass c : MAIN) {
            if (layer(c.getPackageName()) < 0) {
                unplaced.add(c.getPackageName());
            }
        }
        assertThat(MAIN.size()).as("main classes imported").isGreaterThan(100);
        assertThat(unplaced).as("packages in no layer of ArchitectureTest.LAYERS").isEmpty();
    }

    @Test
    void no_class_uses_a_layer_above_its_own() {
        List<String> upward = new ArrayList<>();
        for (JavaClass c : MAIN) {
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass();
                if (!target.getPackageName().startsWith("dev.passthru")) {
                    continue;
                }
                int from = layer(c.getPackageName());
                int to = layer(target.getPackageName());
                if (from >= 0 && to > from) {
                    upward.add(d.getDescription());
                }
            }
        }
        assertThat(upward).as("uses of a higher layer (see LAYERS)").isEmpty();
    }

    @Test
    void no_package_cycle() {
        SliceRule acyclic = slices().matching("dev.passthru.(**)").namingSlices("$1").should().beFreeOfCycles();
        acyclic.check(MAIN);
    }

    @Test
    void only_the_simulated_machine_reaches_the_simulated_hypervisor_from_above_the_port() {
        Set<String> reaching = new TreeSet<>();
        for (JavaClass c : MAIN) {
            if (c.getPackageName().startsWith("dev.passthru.hypervisor")) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                if (d.getTargetClass().getPackageName().equals("dev.passthru.hypervisor.sim")) {
                    reaching.add(topLevel(c).getName());
                }
            }
        }
        assertThat(reaching).as("classes above the hypervisor port that use hypervisor.sim").containsExactly(SIMULATED_COMPOSER);
    }

    private static JavaClass topLevel(JavaClass c) {
        JavaClass at = c;
        while (at.getEnclosingClass().isPresent()) {
            at = at.getEnclosingClass().get();
        }
        return at;
    }

    private static int layer(String pkg) {
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(pkg)) {
                return i;
            }
        }
        return -1;
    }
}
