package dev.passthru.device;

import dev.passthru.host.HostBar;
import dev.passthru.hypervisor.PageSize;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;

/**
 * Which parts of a memory BAR the hypervisor maps straight to the machine and which the device
 * model traps. Whole 4 KiB pages are the unit of mapping, so the pages that hold the MSI-X
 * table or PBA are trapped (their other registers are forwarded to the host), and so is a BAR
 * smaller than a page or one whose machine address is not page-aligned: mapping its page
 * would hand the guest whatever else shares that page.
 *
 * @param mapped  page-aligned byte ranges from the BAR's start, in order
 * @param trapped the rest, in order
 */
public record BarSplit(List<Segment> mapped, List<Segment> trapped) {

    private static final long PAGE = PageSize.SIZE_4K.bytes();

    /** {@code length} bytes from {@code offset} bytes into the BAR. */
    public record Segment(long offset, long length) {
        public boolean contains(long at) {
            return at >= offset && at - offset < length;
        }
    }

    public static BarSplit of(HostBar bar, @Nullable MsixLayout msix) {
        if (bar.size() < PAGE || !PageSize.SIZE_4K.aligned(bar.address())) {
            return new BarSplit(List.of(), List.of(new Segment(0, bar.size())));
        }
        List<Segment> trapped = new ArrayList<>(2);
        if (msix != null) {
            addPages(trapped, bar, msix.tableBar(), msix.tableOffset(), msix.tableLength());
            addPages(trapped, bar, msix.pbaBar(), msix.pbaOffset(), msix.pbaLength());
        }
        trapped.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        List<Segment> merged = new ArrayList<>(2);
        for (Segment s : trapped) {
            Segment last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && s.offset() <= last.offset() + last.length()) {
                long end = Math.max(last.offset() + last.length(), s.offset() + s.length());
                merged.set(merged.size() - 1, new Segment(last.offset(), end - last.offset()));
            } else {
                merged.add(s);
            }
        }
        List<Segment> mapped = new ArrayList<>(3);
        long at = 0;
        for (Segment hole : merged) {
            if (hole.offset() > at) {
                mapped.add(new Segment(at, hole.offset() - at));
            }
            at = hole.offset() + hole.length();
        }
        if (at < bar.size()) {
            mapped.add(new Segment(at, bar.size() - at));
        }
        return new BarSplit(List.copyOf(mapped), List.copyOf(merged));
    }

    /** The whole pages of {@code bar} that hold any byte of a region, if the region is in it. */
    private static void addPages(List<Segment> out, HostBar bar, int regionBar, long offset, long length) {
        if (regionBar != bar.index() || offset >= bar.size()) {
            return;
        }
        long from = offset & -PAGE;
        long to = Math.min(bar.size(), (offset + length + PAGE - 1) & -PAGE);
        out.add(new Segment(from, to - from));
    }
}
