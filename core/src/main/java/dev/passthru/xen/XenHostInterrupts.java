package dev.passthru.xen;

import dev.passthru.config.CapabilityChain;
import dev.passthru.config.CapabilityWalker;
import dev.passthru.config.HostCapability;
import dev.passthru.device.HostInterruptControl;
import dev.passthru.host.HostConfig;

import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSI;
import static dev.passthru.pci.CapabilityIds.PCI_CAP_ID_MSIX;
import static dev.passthru.pci.PciRegs.PCI_COMMAND;
import static dev.passthru.pci.PciRegs.PCI_COMMAND_INTX_DISABLE;
import static dev.passthru.pci.PciRegs.PCI_MSIX_FLAGS;
import static dev.passthru.pci.PciRegs.PCI_MSIX_FLAGS_ENABLE;
import static dev.passthru.pci.PciRegs.PCI_MSIX_FLAGS_MASKALL;
import static dev.passthru.pci.PciRegs.PCI_MSI_FLAGS;
import static dev.passthru.pci.PciRegs.PCI_MSI_FLAGS_ENABLE;

/**
 * The host function's interrupt enables as Xen leaves them to dom0's device model. Xen's
 * {@code xc_physdev_map_pirq_msi} programs a vector's address and data (and the MSI-X table) but,
 * for a device given to a guest, restores the MSI and MSI-X enables as it found them: the device
 * model turns them on once the vectors are mapped and bound, and off again, as QEMU's xen_pt
 * does. So, after each change of what is routed:
 * <ul>
 *   <li>MSI enable on while an MSI vector is bound;</li>
 *   <li>MSI-X enable on while the guest has MSI-X on, and the function mask as the guest set it
 *       (Xen keeps its own mask on top: it reads this write as the guest's mask-all);</li>
 *   <li>INTx disable off while INTx is bound to the guest, on otherwise, so an unrouted level
 *       interrupt cannot stay asserted at Xen.</li>
 * </ul>
 * Turning off comes before turning on, so the function never has two kinds on at once. Each
 * register is read, changed and written back in one 16-bit access, the only width Xen lets
 * dom0 write to the MSI and MSI-X control registers of a function it set vectors up for.
 */
final class XenHostInterrupts implements HostInterruptControl {

    private final HostConfig host;
    private final int msi;
    private final int msix;

    private XenHostInterrupts(HostConfig host, int msi, int msix) {
        this.host = host;
        this.msi = msi;
        this.msix = msix;
    }

    static XenHostInterrupts of(HostConfig host) {
        CapabilityChain chain = CapabilityWalker.walk(host);
        return new XenHostInterrupts(host, chain.find(PCI_CAP_ID_MSI).map(HostCapability::offset).orElse(0),
                chain.find(PCI_CAP_ID_MSIX).map(HostCapability::offset).orElse(0));
    }

    @Override
    public void follow(RoutedInterrupts routed) {
        if (!routed.intx()) {
            set(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_INTX_DISABLE);
        }
        if (msi != 0 && !routed.msi()) {
            set(msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 0);
        }
        if (msix != 0 && !routed.msix()) {
            set(msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
        }
        if (msix != 0 && routed.msix()) {
            set(msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL,
                    PCI_MSIX_FLAGS_ENABLE | (routed.msixMasked() ? PCI_MSIX_FLAGS_MASKALL : 0));
        }
        if (msi != 0 && routed.msi()) {
            set(msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, PCI_MSI_FLAGS_ENABLE);
        }
        if (routed.intx()) {
            set(PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 0);
        }
    }

    /** Sets the {@code bits} of the 16-bit register at {@code offset} to {@code value}, writing only if they differ. */
    private void set(int offset, int bits, int value) {
        int now = host.read(offset, 2);
        int wanted = (now & ~bits) | value;
        if (now != wanted && now != 0xffff) {
            host.write(offset, 2, wanted);
        }
    }
}
