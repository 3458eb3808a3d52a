package dev.passthru.bus;

import dev.passthru.InputError;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachFailed;
import dev.passthru.device.DeviceRig;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.Hypervisor;
import dev.passthru.hypervisor.MmioRange;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GuestBusTest {

    private final DeviceRig rig = new DeviceRig();
    /** Hot-plug slots 6-7 only, so that the range fills up quickly. */
    private final GuestBus bus = new GuestBus(rig.faults, DeviceRig.DOMAIN, 6, 7);

    private static GuestBus.Plug plug(HostFunction f, int number) {
        return new GuestBus.Plug(number, f, ConfigOptions.DEFAULT, DeviceRig.YES);
    }

    @Test
    void a_slot_asked_for_must_be_a_free_hot_plug_slot() {
        assertThat(bus.plug(7, List.of(plug(rig.nic, 0))).slot()).isEqualTo(7);
        assertThat(bus.vslots()).containsExactly(new GuestBus.Vslot("0000:01:00.0", 7));
        assertThatThrownBy(() -> bus.plug(7, List.of(plug(rig.sixBars, 0))))
                .isInstanceOf(InputError.class).hasMessage("0000:05:00.0@7: slot 0x07 is taken by 0000:01:00.0");
        assertThatThrownBy(() -> bus.plug(3, List.of(plug(rig.sixBars, 0))))
                .hasMessage("0000:05:00.0@3: slot 0x03 is not a hot-plug slot (those are 0x06-0x07)");
        assertThatThrownBy(() -> bus.plug(0x20, List.of(plug(rig.sixBars, 0))))
                .hasMessage("slot 0x20: guest slots are 0x01-0x1f (0 is the host bridge's)");
    }

    @Test
    void no_slot_takes_the_lowest_free_hot_plug_slot() {
        assertThat(bus.plug(0, List.of(plug(rig.nic, 0)))).satisfies(p -> {
            assertThat(p.slot()).isEqualTo(6);
            assertThat(p.hotplug()).isTrue();
        });
        assertThat(bus.plug(0, List.of(plug(rig.sixBars, 0))).slot()).isEqualTo(7);
        bus.unplug(6);
        assertThat(bus.vslots()).containsExactly(new GuestBus.Vslot("0000:05:00.0", 7));
        assertThat(bus.plug(0, List.of(plug(rig.nic, 0))).slot()).isEqualTo(6);
    }

    @Test
    void a_full_hot_plug_range_places_statically_and_the_slot_table_says_0() {
        GuestBus tight = new GuestBus(rig.hv, DeviceRig.DOMAIN, 6, 6);
        tight.plug(0, List.of(plug(rig.nic, 0)));
        GuestBus.Placed placed = tight.plug(0, List.of(plug(rig.sixBars, 0)));
        assertThat(placed.slot()).isEqualTo(1);
        assertThat(placed.hotplug()).isFalse();
        assertThat(tight.vslots()).containsExactly(new GuestBus.Vslot("0000:01:00.0", 6), new GuestBus.Vslot("0000:05:00.0", 0));
        assertThatThrownBy(() -> tight.unplug(1)).hasMessage("slot 0x01 was placed statically (no hot-plug slot was free): "
                + "it cannot be hot-unplugged");
    }

    @Test
    void functions_of_one_device_share_a_slot_and_function_0_gets_the_multi_function_bit() {
        GuestBus.Placed placed = bus.plug(0, List.of(plug(rig.nic, 0), plug(rig.sixBars, 3)));
        assertThat(placed.devices()).extracting(d -> d.guestAddress().toString())
                .containsExactly("0000:00:06.0", "0000:00:06.3");
        assertThat(bus.configRead(6, 0, PCI_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MFD).isNotZero();
        assertThat(bus.configRead(6, 3, PCI_VENDOR_ID, 2)).isEqualTo(0x1b36);
        assertThat(bus.configRead(6, 1, PCI_VENDOR_ID, 2)).as("nothing there").isEqualTo(0xffff);
        assertThatThrownBy(() -> bus.plug(0, List.of(plug(rig.sixBars, 2))))
                .hasMessage("0000:05:00.0: function 0 of its device must be plugged with it (the guest finds functions 1-7 "
                        + "only through function 0)");
    }

    @Test
    void unplug_detaches_everything_and_frees_the_slot() {
        HypervisorState before = rig.hv.state();
        bus.plug(6, List.of(plug(rig.nic, 0), plug(rig.sixBars, 1)));
        bus.configWrite(6, 0, PCI_BASE_ADDRESS_0, 4, 0xc000_0000);
        bus.configWrite(6, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        assertThat(rig.hv.state()).isNotEqualTo(before);
        assertThat(bus.unplug(6)).hasSize(2).allSatisfy(r -> assertThat(r.clean()).isTrue());
        assertThat(bus.state(6)).isEqualTo(SlotState.EMPTY);
        assertThat(bus.vslots()).isEmpty();
        assertThat(rig.hv.state()).isEqualTo(before);
        assertThat(bus.configRead(6, 0, PCI_VENDOR_ID, 2)).isEqualTo(0xffff);
        assertThatThrownBy(() -> bus.unplug(6)).hasMessage("slot 0x06 is empty");
    }

    @Test
    void a_plug_that_fails_half_way_frees_the_slot_and_leaves_the_hypervisor_as_it_was() {
        HypervisorState before = rig.hv.state();
        rig.faults.failCall(4);
        assertThatThrownBy(() -> bus.plug(6, List.of(plug(rig.nic, 0), plug(rig.sixBars, 1)))).isInstanceOf(AttachFailed.class);
        assertThat(bus.state(6)).isEqualTo(SlotState.EMPTY);
        assertThat(rig.hv.state()).isEqualTo(before);
    }

    @Test
    void a_slot_being_plugged_refuses_a_second_request() {
        AtomicReference<GuestBus> busRef = new AtomicReference<>();
        List<String> refusals = new java.util.ArrayList<>();
        Hypervisor meddling = (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(),
                new Class<?>[] {Hypervisor.class}, (proxy, method, args) -> {
                    if (method.getName().equals("assignDevice") && refusals.isEmpty()) {
                        try {
                            busRef.get().unplug(6);
                        } catch (InputError e) {
                            refusals.add(e.getMessage());
                        }
                        try {
                            busRef.get().plug(6, List.of(plug(rig.sixBars, 0)));
                        } catch (InputError e) {
                            refusals.add(e.getMessage());
                        }
                    }
                    try {
                        return method.invoke(rig.hv, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        GuestBus watched = new GuestBus(meddling, DeviceRig.DOMAIN, 6, 7);
        busRef.set(watched);
        watched.plug(6, List.of(plug(rig.nic, 0)));
        assertThat(refusals).containsExactly("slot 0x06 is being plugged; try again when that is done",
                "0000:05:00.0@6: slot 0x06 is being plugged; try again when that is done");
        assertThat(watched.state(6)).isEqualTo(SlotState.PRESENT);
    }

    @Test
    void trapped_pages_of_a_placed_bar_reach_the_device_and_others_do_not() {
        bus.plug(6, List.of(plug(rig.nic, 0)));
        bus.configWrite(6, 0, PCI_BASE_ADDRESS_0 + 12, 4, 0xc080_0000);
        assertThat(bus.mmioRead(0xc080_0000L, 4)).as("decode off").isEmpty();
        bus.configWrite(6, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        assertThat(bus.mmioWrite(0xc080_0008L, 4, 0x51)).isTrue();
        assertThat(bus.mmioRead(0xc080_0008L, 4)).hasValue(0x51);
        assertThat(bus.mmioRead(0xc080_1000L, 4)).as("a mapped page: the hypervisor serves it").isEmpty();
        assertThat(rig.hv.guestRead(DeviceRig.DOMAIN, 0xc080_1000L, 4)).isPresent();
        assertThat(bus.devices().getFirst().mappedRuns(3)).contains(
                new MmioRange(0xc0801, 0xe0841, 1, dev.passthru.hypervisor.PageSize.SIZE_4K));
        assertThat(PciAddress.parse("00:06.0")).isEqualTo(bus.devices().getFirst().guestAddress());
    }
}
