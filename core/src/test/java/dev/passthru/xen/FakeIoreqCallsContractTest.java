package dev.passthru.xen;

import dev.passthru.pci.PciAddress;

/** The stand-in ioreq calls against what Xen does: domain 1, guest 00:07.0 and 0xd0000000 served by nobody, RAM at frame 3. */
class FakeIoreqCallsContractTest extends IoreqCallsContract {

    FakeIoreqCallsContractTest() {
        super(new FakeIoreqCalls(), 1, PciAddress.parse("0000:00:07.0"), 0xd000_0000L, 3);
    }
}
