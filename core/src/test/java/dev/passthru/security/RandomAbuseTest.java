package dev.passthru.security;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.sim.HypervisorState;
import dev.passthru.pci.PciAddress;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.util.Arrays;
import java.util.Random;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random guest abuse of two functions (the 82576 and the six-BAR, 64-vector one) on the
 * simulated hypervisor: config reads and writes at any offset (past 4 KiB too) of any width
 * and value, BAR and MSI-X table accesses of any width at any offset, BAR placements and decode
 * flips, and detach/attach in between. No exception may escape; every 100 steps and at the end,
 * the host's protected registers are unchanged and every mapping lies inside its owner's BAR
 * or ROM without overlap; detach leaves nothing. 10 tries of 1,000,000 steps: 10 million
 * operations a run; the seed of each try is in jqwik's report.
 */
class RandomAbuseTest {

    /** Steps a try: -Dpassthru.abuse.steps=N for a longer run. */
    private static final int STEPS = Integer.getInteger("passthru.abuse.steps", 1_000_000);
    private static final int CHECK_EVERY = 100;
    /** Header bytes the guest must never change on the host: IDs, BARs, ROM, interrupt pin. */
    private static final int[][] PROTECTED = {{0x00, 4}, {0x10, 24}, {0x30, 4}, {0x3d, 1}};

    @Property(tries = 10)
    void any_sequence_of_guest_accesses_keeps_the_host_and_the_hypervisor_intact(@ForAll long seed) {
        Random random = new Random(seed);
        DeviceRig rig = new DeviceRig();
        HostFunction[] hosts = {rig.nic, rig.sixBars};
        PciAddress[] guests = {PciAddress.parse("00:05.0"), PciAddress.parse("00:06.0")};
        PassthroughDevice[] devices = {rig.attach(hosts[0], guests[0], Placement.NONE), rig.attach(hosts[1], guests[1], Placement.NONE)};
        byte[][] before = {hosts[0].config().snapshot(4096), hosts[1].config().snapshot(4096)};
        for (int step = 1; step <= STEPS; step++) {
            int which = random.nextInt(2);
            PassthroughDevice d = devices[which];
            int kind = random.nextInt(100);
            if (kind < 35) {
                d.configWrite(random.nextInt(4200), width(random), random.nextInt());
            } else if (kind < 50) {
                d.configRead(random.nextInt(4200), width(random));
            } else if (kind < 65) {
                d.mmioWrite(random.nextInt(8) - 1, offset(random), random.nextInt(10) - 1, random.nextLong());
            } else if (kind < 75) {
                d.mmioRead(random.nextInt(8) - 1, offset(random), random.nextInt(10) - 1);
            } else if (kind < 90) {
                int bar = random.nextInt(7);
                int register = bar == 6 ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * bar;
                d.configWrite(register, 4, random.nextBoolean() ? 0xc000_0000 + (random.nextInt(64) << 20) : random.nextInt());
            } else if (kind < 99) {
                d.configWrite(PCI_COMMAND, 2, random.nextInt(8));
            } else if (random.nextInt(100) == 0) {
                assertThat(d.detach().clean()).isTrue();
                assertThat(rig.hv.state().toString()).doesNotContain(hosts[which].address().toString());
                devices[which] = rig.attach(hosts[which], guests[which], Placement.NONE);
            }
            if (step % CHECK_EVERY == 0) {
                check(rig, hosts, before);
            }
        }
        check(rig, hosts, before);
        for (PassthroughDevice d : devices) {
            assertThat(d.detach().clean()).isTrue();
        }
        assertThat(rig.hv.state().entries()).isZero();
    }

    private static int width(Random random) {
        return new int[] {1, 2, 4, 3, 0, 8}[random.nextInt(random.nextInt(10) == 0 ? 6 : 3)];
    }

    private static long offset(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(0x4000);
            case 1 -> random.nextInt(0x200);
            case 2 -> 0x2000 - 4 + random.nextInt(16);
            default -> random.nextLong();
        };
    }

    private static void check(DeviceRig rig, HostFunction[] hosts, byte[][] before) {
        for (int i = 0; i < hosts.length; i++) {
            byte[] now = hosts[i].config().snapshot(4096);
            for (int[] range : PROTECTED) {
                assertThat(Arrays.copyOfRange(now, range[0], range[0] + range[1])).as("%s at 0x%x", hosts[i].address(), range[0])
                        .isEqualTo(Arrays.copyOfRange(before[i], range[0], range[0] + range[1]));
            }
        }
        for (HypervisorState.Domain d : rig.hv.state().domains()) {
            long[][] runs = new long[d.p2m().size()][];
            for (int i = 0; i < runs.length; i++) {
                HypervisorState.P2m m = d.p2m().get(i);
                long frames = m.pages() * switch (m.pageSize()) {
                    case "1G" -> 1L << 18;
                    case "2M" -> 512L;
                    default -> 1L;
                };
                runs[i] = new long[] {Long.decode(m.gfn()), frames};
                HostFunction owner = m.function().equals(hosts[0].address().toString()) ? hosts[0] : hosts[1];
                long start = Long.decode(m.mfn()) << 12;
                long size = frames << 12;
                boolean inside = false;
                for (HostBar bar : owner.bars().bars()) {
                    inside |= start >= bar.address() && start + size <= bar.address() + bar.size();
                }
                inside |= owner.bars().hasRom() && start >= owner.bars().romAddress()
                        && start + size <= owner.bars().romAddress() + owner.bars().romSize();
                assertThat(inside).as("%s inside a BAR of its owner", m).isTrue();
            }
            for (int i = 0; i < runs.length; i++) {
                for (int j = i + 1; j < runs.length; j++) {
                    assertThat(runs[i][0] < runs[j][0] + runs[j][1] && runs[j][0] < runs[i][0] + runs[i][1])
                            .as("overlapping guest runs").isFalse();
                }
            }
        }
    }
}
