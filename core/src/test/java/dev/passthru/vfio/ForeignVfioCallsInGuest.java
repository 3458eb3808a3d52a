package dev.passthru.vfio;

/**
 * The VFIO calls contract, every case, on the C library and the real vfio-pci with QEMU's edu.
 * Not a surefire test (no machine here has VFIO): VfioGuestTest's guest runs it with
 * {@link dev.passthru.ContractRunner} and the test asserts that every case passed.
 */
class ForeignVfioCallsInGuest extends VfioDeviceCallsContract {

    ForeignVfioCallsInGuest() {
        super(new ForeignVfioCalls());
    }

    @Override
    protected VfioContractDevice edu() {
        return VfioContractDevice.find().orElseThrow(() -> new AssertionError("no edu bound to vfio-pci in the guest"));
    }
}
