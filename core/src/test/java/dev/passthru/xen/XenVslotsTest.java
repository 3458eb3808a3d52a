package dev.passthru.xen;

import dev.passthru.InputError;
import dev.passthru.bus.GuestBus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The slot table in xenstore, in the seed's place and format, over the xenstore stand-in. */
class XenVslotsTest {

    private final FakeXenStore store = new FakeXenStore();

    @Test
    void the_table_is_written_in_attach_order_read_back_and_taken_away_with_its_folder() {
        String written = XenVslots.publish(store, 7, List.of(new GuestBus.Vslot("0000:00:04.0", 5),
                new GuestBus.Vslot("0000:01:00.0", 6), new GuestBus.Vslot("0000:02:00.0", 0)));
        assertThat(written).isEqualTo("0x5;0x6;0x0;");
        assertThat(store.read("/local/domain/0/backend/pci/7/0/vslots")).contains("0x5;0x6;0x0;");
        XenVslots.withdraw(store, 7);
        assertThat(store.read("/local/domain/0/backend/pci/7/0/vslots")).isEmpty();
        assertThat(store.directory("/local/domain/0/backend/pci")).doesNotContain("7");
    }

    @Test
    void a_domain_whose_functions_libxl_passes_through_is_refused_and_its_keys_are_left_alone() {
        store.write("/local/domain/0/backend/pci/7/0/num_devs", "1");
        assertThatThrownBy(() -> XenVslots.publish(store, 7, List.of(new GuestBus.Vslot("0000:00:04.0", 5))))
                .isInstanceOf(InputError.class).hasMessageContaining("passed through by xl itself");
        assertThat(store.read("/local/domain/0/backend/pci/7/0/vslots")).isEmpty();
        XenVslots.withdraw(store, 7);
        assertThat(store.read("/local/domain/0/backend/pci/7/0/num_devs")).contains("1");
    }
}
