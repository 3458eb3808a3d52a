package dev.passthru.vfio;

import dev.passthru.host.HostSource;
import dev.passthru.host.HostSourceContract;
import dev.passthru.host.Origin;
import dev.passthru.host.sysfs.SysfsSource;

/**
 * The host source contract on the real VFIO stack: the functions of this machine bound to
 * vfio-pci. VfioGuestTest runs it inside its guest, on QEMU's edu; elsewhere it says SKIPPED.
 */
class VfioSourceRealContractTest extends HostSourceContract {

    VfioSourceRealContractTest() {
        super(Origin.SYSFS, ConfigWrites.HARDWARE);
    }

    @Override
    protected HostSource source() {
        VfioContractDevice.assumePresent();
        return new VfioSource(SysfsSource.DEFAULT_ROOT, new ForeignVfioCalls());
    }

    @Override
    protected Twin twin() {
        return new Twin(new SysfsSource(SysfsSource.DEFAULT_ROOT, false), false);
    }
}
