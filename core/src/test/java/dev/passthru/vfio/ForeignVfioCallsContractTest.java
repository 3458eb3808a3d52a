package dev.passthru.vfio;

/**
 * The VFIO calls contract on the C library, the cases that need no device: this machine has no
 * VFIO. {@link ForeignVfioCallsInGuest} runs every case inside VfioGuestTest's guest.
 */
class ForeignVfioCallsContractTest extends VfioCallsContract {

    ForeignVfioCallsContractTest() {
        super(new ForeignVfioCalls());
    }
}
