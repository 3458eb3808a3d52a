package dev.passthru.hypervisor;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class PagePlannerTest {

    private static final long K4 = 4096;
    private static final long M2 = 2L << 20;
    private static final long G1 = 1L << 30;

    @Test
    void a_128_GiB_bar_at_aligned_addresses_is_one_run_of_gigabyte_pages() {
        List<MmioRange> runs = PagePlanner.plan(0x40_0000_0000L, 0x200_0000_0000L, 128 * G1);
        assertThat(runs).containsExactly(new MmioRange(0x40_0000_0000L >>> 12, 0x200_0000_0000L >>> 12, 128, PageSize.SIZE_1G));
    }

    @Test
    void small_pages_lead_up_to_the_first_boundary_both_sides_share() {
        // 8 KiB and two 2 MiB pages short of a gigabyte boundary on both sides.
        long guest = 3 * G1 - 2 * M2 - 2 * K4;
        long machine = 7 * G1 - 2 * M2 - 2 * K4;
        List<MmioRange> runs = PagePlanner.plan(guest, machine, 2 * K4 + 2 * M2 + G1 + M2);
        assertThat(runs).extracting(MmioRange::pages, MmioRange::pageSize).containsExactly(
                tuple(2L, PageSize.SIZE_4K),
                tuple(2L, PageSize.SIZE_2M),
                tuple(1L, PageSize.SIZE_1G),
                tuple(1L, PageSize.SIZE_2M));
    }

    @Test
    void addresses_that_disagree_modulo_2_MiB_take_4_KiB_pages() {
        List<MmioRange> runs = PagePlanner.plan(2 * M2, 2 * M2 + K4, 4 * M2);
        assertThat(runs).containsExactly(new MmioRange(2 * M2 >>> 12, (2 * M2 + K4) >>> 12, 4 * M2 / K4, PageSize.SIZE_4K));
    }

    @Test
    void sizes_and_addresses_must_be_whole_pages() {
        assertThatThrownBy(() -> PagePlanner.plan(0x1000, 0x2000, 0x800)).hasMessageContaining("not whole 4 KiB pages");
    }

    @Property
    void runs_cover_the_range_exactly_with_aligned_pages_and_stay_few(
            @ForAll @LongRange(min = 0, max = 1L << 27) long guestFrame,
            @ForAll @LongRange(min = 0, max = 1L << 27) long machineFrame,
            @ForAll @LongRange(min = 1, max = 1L << 26) long frames) {
        long guest = guestFrame << 12;
        long machine = machineFrame << 12;
        List<MmioRange> runs = PagePlanner.plan(guest, machine, frames << 12);
        long at = 0;
        for (MmioRange run : runs) {
            assertThat(run.guestAddress()).isEqualTo(guest + at);
            assertThat(run.machineAddress()).isEqualTo(machine + at);
            assertThat(run.pageSize().aligned(run.guestAddress()) && run.pageSize().aligned(run.machineAddress())).isTrue();
            at += run.bytes();
        }
        assertThat(at).isEqualTo(frames << 12);
        assertThat(runs.size()).as("grow to 1G, gigabytes, shrink: at most 5 runs").isLessThanOrEqualTo(5);
    }
}
