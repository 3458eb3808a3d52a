package dev.passthru.vfio;

import dev.passthru.host.Inventory;
import dev.passthru.vm.SimulatedMachine;
import dev.passthru.vm.Vm;
import dev.passthru.vm.VmConfig;
import dev.passthru.vm.VmConfigReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A VFIO function is reset before a guest sees it and again before it is given back, and the run says which reset. */
class VfioAttachResetTest {

    @TempDir
    Path sysfs;

    private Vm vm(FakeVfio kernel, String pci) throws IOException {
        kernel.writeSysfs(sysfs);
        Inventory inventory = new VfioSource(sysfs, kernel).scan();
        VmConfig config = VmConfigReader.parse("vm.cfg", sysfs, """
                name = "reset"
                memory = 256
                pci = [ %s ]
                """.formatted(pci));
        SimulatedMachine machine = new SimulatedMachine();
        Vm vm = new Vm(config, inventory, machine.domain(1, config.memoryMib()), machine.builtInGuest(), Set.of());
        vm.coldPlug(config.pci());
        return vm;
    }

    @Test
    void a_function_without_a_reset_is_attached_saying_why_it_was_not_reset_and_detach_says_so_again() throws IOException {
        FakeVfio kernel = new FakeVfio();
        Vm vm = vm(kernel, "'00:03.0'");
        String none = "not reset: it has no function-level or power-management reset, and its bus cannot be reset "
                + "(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: ENODEV)";
        assertThat(vm.report().allAttached()).as("%s", vm.report()).isTrue();
        assertThat(vm.events()).contains("0000:00:03.0 at attach: " + none);
        assertThat(vm.prepared(dev.passthru.pci.PciAddress.parse(FakeVfio.ADDRESS))).isEqualTo(none);
        List<Vm.Detached> detached = vm.detachAll("the test ends");
        assertThat(detached).singleElement().satisfies(d -> assertThat(d.settled().done()).isEqualTo(none));
        assertThat(vm.events()).contains("0000:00:03.0 at detach: " + none);
        vm.close();
        assertThat(kernel.open).as("device, group and container given back").isEmpty();
    }

    @Test
    void a_function_level_reset_is_done_at_attach_and_at_detach() throws IOException {
        FakeVfio kernel = new FakeVfio();
        kernel.resettable = true;
        Vm vm = vm(kernel, "'00:03.0'");
        assertThat(vm.events()).contains("0000:00:03.0 at attach: reset: VFIO_DEVICE_RESET");
        assertThat(kernel.resets).containsEntry(FakeVfio.ADDRESS, 1);
        vm.detachAll("the test ends");
        assertThat(vm.events()).contains("0000:00:03.0 at detach: reset: VFIO_DEVICE_RESET");
        assertThat(kernel.resets).containsEntry(FakeVfio.ADDRESS, 2);
        vm.close();
        assertThat(kernel.open).isEmpty();
    }

    @Test
    void the_two_functions_of_a_group_are_attached_after_one_bus_hot_reset_and_detached_with_one() throws IOException {
        FakeVfio kernel = new FakeVfio(FakeVfio.ADDRESS, FakeVfio.AUDIO);
        kernel.busResettable = true;
        Vm vm = vm(kernel, "'00:03.0', '00:03.1'");
        assertThat(vm.report().allAttached()).as("%s", vm.report()).isTrue();
        assertThat(vm.events()).contains("0000:00:03.0 at attach: reset: bus hot reset of group 7",
                "0000:00:03.1 at attach: reset: bus hot reset of group 7");
        assertThat(kernel.hotResets).as("the first function's hot reset was the second's too").isEqualTo(1);
        vm.detachAll("the test ends");
        assertThat(vm.events()).contains("0000:00:03.1 at detach: not reset: it has no function-level reset, and a hot "
                + "reset of its bus would also reset 0000:00:03.0, which a guest has",
                "0000:00:03.0 at detach: reset: bus hot reset of group 7");
        assertThat(kernel.hotResets).isEqualTo(2);
        vm.close();
        assertThat(kernel.open).isEmpty();
    }
}
