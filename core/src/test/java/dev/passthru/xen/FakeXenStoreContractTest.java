package dev.passthru.xen;

/** The stand-in xenstore against what xenstored does, below a base path of its own. */
class FakeXenStoreContractTest extends XenStoreContract {

    FakeXenStoreContractTest() {
        super(new FakeXenStore(), "/local/domain/0/passthru-contract");
    }
}
