package dev.passthru.vfio;

import java.util.Optional;

/** The VFIO calls contract on the in-memory kernel and its edu. */
class FakeVfioCallsContractTest extends VfioCallsContract {

    FakeVfioCallsContractTest() {
        super(new FakeVfio());
    }

    @Override
    protected Optional<VfioContractDevice> device() {
        return Optional.of(new VfioContractDevice(FakeVfio.ADDRESS, "7"));
    }
}
