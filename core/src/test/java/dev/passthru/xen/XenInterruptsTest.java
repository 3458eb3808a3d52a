package dev.passthru.xen;

import dev.passthru.config.ConfigOptions;
import dev.passthru.device.AttachRequest;
import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.dump.DumpSource;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.spec.RdmPolicy;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pass-through function's interrupts on Xen's port over a stand-in libxenctrl: the vectors Xen
 * is asked for, and the host function's own enables, which Xen leaves to the device model.
 * The function is the Intel 82576 of examples/dumps (MSI at 0x50, MSI-X at 0x70 in BAR 3).
 */
class XenInterruptsTest {

    private static final int MSI_CAP = 0x50;
    private static final int MSIX_CAP = 0x70;
    private static final long BAR3 = 0xc080_0000L;
    /** Linux's message for Xen pirq 55 (0x37): vector 0, ExtINT delivery, the pirq in the destination ID. */
    private static final long PIRQ_55_ADDRESS = 0xfee3_7000L;
    private static final int PIRQ_DATA = 0x0700;

    private final FakeXenControl xen = new FakeXenControl();
    private final XenHypervisor hypervisor = new XenHypervisor(xen, 4096);
    private final HostFunction nic = new DumpSource(Path.of("../examples/dumps/intel-82576-nic.txt")).scan().functions().getFirst();
    private final HostConfig host = nic.config();

    private PassthroughDevice attach() {
        hypervisor.describe(nic.address(), new XenHypervisor.Facts(RdmPolicy.RELAXED, XenGuestDomain.msixTableBar(nic)));
        AttachRequest request = new AttachRequest(1, DeviceRig.GUEST_SLOT, nic, ConfigOptions.DEFAULT, Placement.NONE,
                XenHostInterrupts.of(host));
        PassthroughDevice device = PassthroughDevice.attach(hypervisor, request, DeviceRig.YES);
        device.configWrite(PCI_BASE_ADDRESS_0 + 12, 4, (int) BAR3);
        device.configWrite(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
        return device;
    }

    @Test
    void msix_entries_of_a_guest_that_asks_for_pirqs_are_delivered_though_it_never_unmasks_them() {
        PassthroughDevice device = attach();
        assertThat(host.read(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE).as("INTx routed: the host may raise it").isZero();
        // Linux with pci_msi_ignore_mask: enable with the function masked, write the message, unmask the function only.
        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        assertThat(host.read(MSIX_CAP + PCI_MSIX_FLAGS, 2) & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL))
                .isEqualTo(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        device.mmioWrite(3, 0, 4, PIRQ_55_ADDRESS);
        device.mmioWrite(3, 4, 4, 0);
        device.mmioWrite(3, 8, 4, PIRQ_DATA);
        assertThat(xen.pirqs.values()).as("nothing while the function is masked").noneMatch(p -> p.contains("msi"));
        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);

        assertThat(device.mmioRead(3, 12, 4)).as("the guest's entry is still masked").isEqualTo(1);
        assertThat(xen.calls).contains("xc_physdev_map_pirq_msi(1,pirq 55,01:00.0,entry 0,table 0xe0840000)");
        assertThat(xen.calls.getLast()).as("bound masked: Xen unmasks it when the guest binds its event channel")
                .isEqualTo("xc_domain_update_msi_irq(1,vector 0x0,pirq 55,flags 0x7037)");
        assertThat(host.read(MSIX_CAP + PCI_MSIX_FLAGS, 2) & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL))
                .as("enabled and unmasked on the host after the vector was bound").isEqualTo(PCI_MSIX_FLAGS_ENABLE);
        assertThat(host.read(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE).as("INTx no longer routed").isNotZero();
        int calls = xen.calls.size();
        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        assertThat(xen.calls).as("a function mask leaves the bound pirq alone; the host's mask-all does the masking")
                .hasSize(calls);

        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, 0);
        assertThat(xen.pirqs).as("only INTx's pirq is left").containsOnlyKeys(16);
        assertThat(host.read(MSIX_CAP + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE).isZero();
        assertThat(host.read(PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE).as("INTx is back").isZero();
    }

    @Test
    void a_vector_guest_follows_its_mask_bits_and_a_new_message_gets_its_pirq_again() {
        PassthroughDevice device = attach();
        device.mmioWrite(3, 0, 4, 0xfee0_1000L);
        device.mmioWrite(3, 8, 4, 0x4051);
        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        assertThat(xen.bindings).as("masked entry, vector message: not delivered").noneMatch(b -> b.contains("msi"));
        device.mmioWrite(3, 12, 4, 0);
        assertThat(xen.calls.getLast()).startsWith("xc_domain_update_msi_irq(1,vector 0x51,");
        long maps = xen.calls.stream().filter(c -> c.startsWith("xc_physdev_map_pirq_msi")).count();
        device.mmioWrite(3, 12, 4, 1);
        device.mmioWrite(3, 8, 4, 0x4052);
        device.mmioWrite(3, 12, 4, 0);
        assertThat(xen.calls.stream().filter(c -> c.startsWith("xc_physdev_map_pirq_msi")).count()).isEqualTo(maps + 1);
        assertThat(xen.calls.getLast()).startsWith("xc_domain_update_msi_irq(1,vector 0x52,");
        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        assertThat(host.read(MSIX_CAP + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_MASKALL).as("function mask reaches the host").isNotZero();
        assertThat(xen.pirqs).containsOnlyKeys(16);
    }

    @Test
    void msi_is_enabled_on_the_host_once_its_vector_is_bound_and_disabled_with_it() {
        PassthroughDevice device = attach();
        device.configWrite(MSI_CAP + PCI_MSI_ADDRESS_LO, 4, 0xfee0_0000);
        device.configWrite(MSI_CAP + PCI_MSI_DATA_64, 2, 0x0061);
        assertThat(host.read(MSI_CAP + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE).isZero();
        device.configWrite(MSI_CAP + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
        assertThat(xen.calls).contains("xc_physdev_map_pirq_msi(1,pirq -1,01:00.0,entry 0,table 0x0)");
        assertThat(host.read(MSI_CAP + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE).isNotZero();
        assertThat(host.read(MSI_CAP + PCI_MSI_ADDRESS_LO, 4)).as("Xen's address, never the guest's").isNotEqualTo(0xfee0_0000);
        device.configWrite(MSI_CAP + PCI_MSI_FLAGS, 2, 0);
        assertThat(host.read(MSI_CAP + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE).isZero();
        assertThat(device.detach().failures()).isEmpty();
        assertThat(xen.held()).isEqualTo("assigned={} p2m={} permissions=[] pirqs={} bindings=[]");
    }

    @Test
    void detach_after_the_domain_is_gone_makes_no_call_and_forgets_everything() {
        PassthroughDevice device = attach();
        device.configWrite(MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        xen.destroy(1);
        int calls = xen.calls.size();
        hypervisor.forget(1);
        assertThat(device.abandon().failures()).isEmpty();
        assertThat(xen.calls).hasSize(calls);
        assertThat(host.read(MSIX_CAP + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE).as("the host's enable is turned off").isZero();
        hypervisor.assignDevice(2, nic.address());
        assertThat(xen.calls.getLast()).as("nothing of domain 1 is remembered").startsWith("xc_assign_device(2,");
    }
}
