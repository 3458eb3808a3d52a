package dev.passthru.vfio;

/** The VFIO calls contract, with and without a device, on the in-memory kernel and its edu. */
class FakeVfioCallsContractTest extends VfioDeviceCallsContract {

    FakeVfioCallsContractTest() {
        super(new FakeVfio());
    }

    @Override
    protected VfioContractDevice edu() {
        return new VfioContractDevice(FakeVfio.ADDRESS, "7");
    }
}
