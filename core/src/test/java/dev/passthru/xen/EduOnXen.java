package dev.passthru.xen;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks of QEMU's edu (no driver, no reset, one 1 MiB BAR) in XenGuestTest's guest a:
 * assigned through Xen, enumerated and read by the guest through the mapping, its BAR moved,
 * and nothing of it left in Xen after detach; then the hypervisor port's contract and the
 * mapping cost on real Xen, and XenControl's and IoreqCalls' contracts on Xen itself.
 */
final class EduOnXen {

    private EduOnXen() {
    }

    static void check(String all, XenGuestTest.Sections sections) {
        int domain = Integer.parseInt(XenGuestTest.after(all, "PT-DOMAIN-A (\\d+)"));
        String serve = sections.get("PT-SERVE-A");
        String guest = sections.get("PT-GUEST-A");

        // 1. Assigned through Xen, and enumerated by the guest through passthru's ioreq server.
        assertThat(serve).as(all).contains("attached 0000:00:03.0 to domain " + domain + " as 0000:00:04.0");
        assertThat(sections.get("PT-KEYS-ATTACHED")).as("Xen's PCI dump while attached: the functions belong to the guest")
                .containsPattern("0000:00:03\\.0 - d" + domain + " ").containsPattern("0000:00:04\\.0 - d" + domain + " ")
                .containsPattern("0000:01:00\\.0 - d" + domain + " ");
        String lspci = sections.get("PT-GUEST-EDU-LSPCI");
        assertThat(lspci).as(guest).contains("00:04.0 Unclassified device [00ff]: Device [1234:11e8]")
                .containsPattern("Memory at [0-9a-f]+ \\(32-bit, non-prefetchable\\) \\[size=1M\\]");

        // 2. The guest reads edu's identity at the address it chose, through the mapping, not through passthru.
        long bar = Long.decode(XenGuestTest.after(guest, "PT-GUEST-BAR (0x[0-9a-f]+)"));
        assertThat(guest).contains("PT-GUEST-ID 0x010000ED").contains("PT-GUEST-FACTORIAL 0x00000078");
        assertThat(all).as("Xen mapped the BAR where the guest put it")
                .containsPattern(String.format("memory_map:add: d%d gfn=%x mfn=[0-9a-f]+ nr=", domain, bar >>> 12));
        assertThat(serve).as("no BAR access of edu reached passthru").containsPattern("0000:00:04\\.0: [1-9]\\d* config, 0 MMIO ioreqs");

        // 3. The BAR moves: Xen's mapping follows, and the old range no longer reaches edu.
        long moved = Long.decode(XenGuestTest.after(guest, "PT-GUEST-MOVED (0x[0-9a-f]+)"));
        int removed = all.indexOf(String.format("memory_map:remove: d%d gfn=%x ", domain, bar >>> 12));
        int added = all.indexOf(String.format("memory_map:add: d%d gfn=%x ", domain, moved >>> 12));
        assertThat(removed).as(all).isPositive();
        assertThat(added).as("the new range is mapped after the old one is removed").isGreaterThan(removed);
        assertThat(guest).contains("PT-GUEST-ID-NEW 0x010000ED").doesNotContain("PT-GUEST-ID-OLD 0x010000ED");

        // 4. Detach: no mapping, permission, pirq or assignment of any of them is left in Xen.
        assertThat(serve).contains("detached 0000:00:03.0: clean", "ioreq server destroyed", "PT-SERVE-END 0");
        String afterDetach = sections.get("PT-KEYS-DETACHED");
        assertThat(afterDetach).as("Xen's PCI dump after detach: back in quarantine, not the guest's")
                .contains("0000:00:03.0 - DomIO", "0000:00:04.0 - DomIO", "0000:01:00.0 - DomIO")
                .doesNotContainPattern("0000:0[01]:0[034]\\.0 - d" + domain + " ");
        assertThat(all).containsPattern(String.format("memory_map:remove: d%d gfn=%x ", domain, moved >>> 12))
                .contains("d" + domain + " final unmap: m_irq=");
        String heading = "Rangesets belonging to domain " + domain + ":";
        int at = afterDetach.indexOf(heading);
        assertThat(at).as("debug key q's dump of the guest's rangesets").isNotNegative();
        String rangesets = afterDetach.substring(at, afterDetach.indexOf("I/O Memory", at) + "I/O Memory { }".length());
        assertThat(rangesets).as("no interrupt or I/O memory permission, and passthru's ioreq server gone")
                .contains("Interrupts { }", "I/O Memory { }")
                .doesNotContain("ioreq_server " + XenGuestTest.after(serve, "ioreq server (\\d+),"));

        String contract = sections.get("PT-CONTRACT");
        assertThat(contract).as("the hypervisor port's contract on real Xen, where it applies")
                .contains(RealXenContract.APPLICABLE.stream().map(name -> "PT-CONTRACT pass " + name).toList())
                .doesNotContain("PT-CONTRACT fail");
        assertThat(sections.get("PT-XENCONTROL")).as("what the stand-in libxenctrl does is what Xen does, where it applies")
                .contains(RealXenControlContract.APPLICABLE.stream().map(name -> "PT-XENCONTROL pass " + name).toList())
                .doesNotContain("PT-XENCONTROL fail");
        assertThat(sections.get("PT-IOREQ")).as("what the stand-in ioreq calls do is what Xen and the event channel driver do")
                .contains(RealIoreqCallsContract.APPLICABLE.stream().map(name -> "PT-IOREQ pass " + name).toList())
                .doesNotContain("PT-IOREQ fail");
        assertThat(sections.get("PT-XENSTORE")).as("what the stand-in xenstore does is what dom0's xenstored does")
                .contains(RealXenStoreContract.APPLICABLE.stream().map(name -> "PT-XENSTORE pass " + name).toList())
                .doesNotContain("PT-XENSTORE fail");

        String cost = sections.get("PT-COST");
        assertThat(cost).as(all).contains("PT-COST 128 MiB, 64 frames per call: map 512 calls");
        cost.lines().filter(l -> l.startsWith("PT-COST")).forEach(System.out::println);
    }
}
