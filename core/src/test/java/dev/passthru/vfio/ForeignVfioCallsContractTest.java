package dev.passthru.vfio;

import java.util.Optional;

/**
 * The VFIO calls contract on the C library: here the cases that need no device; inside
 * VfioGuestTest's guest all of them, on the real vfio-pci and QEMU's edu.
 */
class ForeignVfioCallsContractTest extends VfioCallsContract {

    ForeignVfioCallsContractTest() {
        super(new ForeignVfioCalls());
    }

    @Override
    protected Optional<VfioContractDevice> device() {
        return VfioContractDevice.find();
    }
}
