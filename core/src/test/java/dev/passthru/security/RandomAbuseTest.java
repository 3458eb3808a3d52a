package dev.passthru.security;

import dev.passthru.device.DeviceRig;
import dev.passthru.device.PassthroughDevice;
import dev.passthru.device.Placement;
import dev.passthru.host.HostBar;
import dev.passthru.host.HostFunction;
import dev.passthru.hypervisor.HypervisorState;
import dev.passthru.pci.PciAddress;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

import java.util.Arrays;
import java.util.List;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random guest abuse of two functions (the 82576 and the six-BAR, 64-vector one) on the
 * simulated hypervisor: config reads and writes at any offset (past 4 KiB too) of any width
 * and value, BAR and MSI-X table accesses of any width at any offset, BAR placements and decode
 * flips, and detach/attach in between. No exception may escape; every 100 steps and at the end,
 * the host's protected registers are unchanged and every mapping lies inside its owner's BAR
 * or ROM without overlap; detach leaves nothing. 200 tries of up to 100,000 steps (sizes
 * uniform): about 10 million operations a run. Each try is a list of {@link Step}s that jqwik
 * generates, so a failure shrinks to the shortest, simplest sequence that still fails.
 */
class RandomAbuseTest {

    /** The longest sequence a try: -Dpassthru.abuse.steps=N for longer ones. */
    private static final int STEPS = Integer.getInteger("passthru.abuse.steps", 100_000);
    private static final int CHECK_EVERY = 100;
    /** Header bytes the guest must never change on the host: IDs, BARs, ROM, interrupt pin. */
    private static final int[][] PROTECTED = {{0x00, 4}, {0x10, 24}, {0x30, 4}, {0x3d, 1}};

    /**
     * One guest action on function {@code device}. {@code kind} (0-9999) picks what it is:
     * below 3500 a config write, 5000 a config read, 6500 a BAR write, 7500 a BAR read, 9000 a
     * BAR or ROM placement, 9999 a decode flip; 9999 itself detaches and attaches again. Every
     * field shrinks towards the plainest action: a 1-byte config write of 0 at offset 0.
     */
    record Step(int device, int kind, int register, int configWidth, int bar, long barOffset, int barWidth, long value) {
    }

    @Property(tries = 200)
    void any_sequence_of_guest_accesses_keeps_the_host_and_the_hypervisor_intact(@ForAll("sequences") List<Step> steps) {
        DeviceRig rig = new DeviceRig();
        HostFunction[] hosts = {rig.nic, rig.sixBars};
        PciAddress[] guests = {PciAddress.parse("00:05.0"), PciAddress.parse("00:06.0")};
        PassthroughDevice[] devices = {rig.attach(hosts[0], guests[0], Placement.NONE), rig.attach(hosts[1], guests[1], Placement.NONE)};
        byte[][] before = {hosts[0].config().snapshot(4096), hosts[1].config().snapshot(4096)};
        int done = 0;
        for (Step step : steps) {
            PassthroughDevice d = devices[step.device()];
            if (step.kind() < 3500) {
                d.configWrite(step.register(), step.configWidth(), (int) step.value());
            } else if (step.kind() < 5000) {
                d.configRead(step.register(), step.configWidth());
            } else if (step.kind() < 6500) {
                d.mmioWrite(step.bar(), step.barOffset(), step.barWidth(), step.value());
            } else if (step.kind() < 7500) {
                d.mmioRead(step.bar(), step.barOffset(), step.barWidth());
            } else if (step.kind() < 9000) {
                int register = step.bar() < 0 || step.bar() == 6 ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * step.bar();
                boolean nearby = (step.value() & 1) == 0;
                d.configWrite(register, 4, nearby ? 0xc000_0000 + (int) (((step.value() >>> 1) & 63) << 20) : (int) (step.value() >>> 1));
            } else if (step.kind() < 9999) {
                d.configWrite(PCI_COMMAND, 2, (int) (step.value() & 7));
            } else {
                assertThat(d.detach().clean()).isTrue();
                assertThat(rig.hv.state().toString()).doesNotContain(hosts[step.device()].address().toString());
                devices[step.device()] = rig.attach(hosts[step.device()], guests[step.device()], Placement.NONE);
            }
            if (++done % CHECK_EVERY == 0) {
                check(rig, hosts, before);
            }
        }
        check(rig, hosts, before);
        for (PassthroughDevice d : devices) {
            assertThat(d.detach().clean()).isTrue();
        }
        assertThat(rig.hv.state().entries()).isZero();
    }

    @Provide
    Arbitrary<List<Step>> sequences() {
        Arbitrary<Integer> configWidth = Arbitraries.frequency(Tuple.of(30, 1), Tuple.of(30, 2), Tuple.of(30, 4),
                Tuple.of(3, 3), Tuple.of(3, 0), Tuple.of(3, 8));
        Arbitrary<Long> barOffset = Arbitraries.oneOf(Arbitraries.longs().between(0, 0x3fff), Arbitraries.longs().between(0, 0x1ff),
                Arbitraries.longs().between(0x2000 - 4, 0x2000 + 11), Arbitraries.longs());
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 1), Arbitraries.integers().between(0, 9999),
                Arbitraries.integers().between(0, 4199), configWidth, Arbitraries.integers().between(-1, 6), barOffset,
                Arbitraries.integers().between(-1, 8), Arbitraries.longs()).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(STEPS).withSizeDistribution(RandomDistribution.uniform());
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
