package dev.passthru.vfio;

import dev.passthru.host.HostSource;
import dev.passthru.host.HostSourceContract;
import dev.passthru.host.Origin;
import dev.passthru.host.sysfs.SysfsSource;

/**
 * The host source contract on the real VFIO stack: the functions bound to vfio-pci. Not a
 * surefire test (no machine here has VFIO): VfioGuestTest's guest runs it on QEMU's edu with
 * {@link dev.passthru.ContractRunner} and the test asserts that every case passed.
 */
class VfioSourceInGuest extends HostSourceContract {

    VfioSourceInGuest() {
        super(Origin.SYSFS, ConfigWrites.HARDWARE);
    }

    @Override
    protected HostSource source() {
        VfioContractDevice.find().orElseThrow(() -> new AssertionError("no edu bound to vfio-pci in the guest"));
        return new VfioSource(SysfsSource.DEFAULT_ROOT, new ForeignVfioCalls());
    }

    @Override
    protected Twin twin() {
        return new Twin(new SysfsSource(SysfsSource.DEFAULT_ROOT, false), false);
    }
}
