package dev.passthru.hypervisor;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a guest-to-machine mapping into runs of the largest pages that both addresses allow.
 * A 1 GiB page needs both sides 1 GiB-aligned and a gigabyte left to map, and so on down to
 * 4 KiB. Where guest and machine addresses agree modulo 1 GiB, the run grows small pages up
 * to the first boundary, takes gigabytes, and shrinks again at the end: at most a handful of
 * runs for any size. (The seed mapped 4 KiB at a time: 33,554,432 calls for 128 GiB.)
 */
public final class PagePlanner {

    private static final PageSize[] LARGEST_FIRST = {PageSize.SIZE_1G, PageSize.SIZE_2M, PageSize.SIZE_4K};

    private PagePlanner() {
    }

    /**
     * Runs that map {@code size} bytes from {@code machine} at {@code guest}; all three must be
     * multiples of 4 KiB.
     */
    public static List<MmioRange> plan(long guest, long machine, long size) {
        long page = PageSize.SIZE_4K.bytes() - 1;
        if (((guest | machine | size) & page) != 0 || size <= 0) {
            throw new IllegalArgumentException(String.format(
                    "mapping 0x%x bytes from 0x%x at 0x%x: not whole 4 KiB pages", size, machine, guest));
        }
        List<MmioRange> runs = new ArrayList<>(4);
        long done = 0;
        while (done < size) {
            PageSize pageSize = largest(guest + done, machine + done, size - done);
            long pages = run(guest + done, machine + done, size - done, pageSize);
            runs.add(new MmioRange((guest + done) >>> PageSize.FRAME_SHIFT, (machine + done) >>> PageSize.FRAME_SHIFT,
                    pages, pageSize));
            done += pages * pageSize.bytes();
        }
        return runs;
    }

    private static PageSize largest(long guest, long machine, long left) {
        for (PageSize size : LARGEST_FIRST) {
            if (size.aligned(guest) && size.aligned(machine) && left >= size.bytes()) {
                return size;
            }
        }
        throw new IllegalStateException("4 KiB pages always fit");
    }

    /**
     * Pages of {@code size} to take before a larger page becomes possible (both sides reach its
     * alignment) or the end is reached.
     */
    private static long run(long guest, long machine, long left, PageSize size) {
        long pages = left / size.bytes();
        for (PageSize larger : LARGEST_FIRST) {
            if (larger.bytes() <= size.bytes()) {
                break;
            }
            long toBoundary = (larger.bytes() - (guest & (larger.bytes() - 1))) & (larger.bytes() - 1);
            boolean bothAlignThere = ((guest - machine) & (larger.bytes() - 1)) == 0;
            if (bothAlignThere && toBoundary > 0 && left - toBoundary >= larger.bytes()) {
                pages = Math.min(pages, toBoundary / size.bytes());
            }
        }
        return pages;
    }
}
