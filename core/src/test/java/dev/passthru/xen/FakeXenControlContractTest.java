package dev.passthru.xen;

/** The stand-in libxenctrl against what Xen does: domain 1 alive, 03:00.0 held by no guest, its BAR at 0xe0000000, INTx on GSI 16. */
class FakeXenControlContractTest extends XenControlContract {

    FakeXenControlContractTest() {
        super(new FakeXenControl(), 1, 3 << 8, 0xe0000, 16);
    }
}
