package dev.passthru.security;

import dev.passthru.bus.GuestBus;
import dev.passthru.config.ConfigOptions;
import dev.passthru.device.DeviceRig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Four vCPU threads hammer one function's config space and BARs through the bus while another
 * thread plugs and unplugs a second function, all started together and each bounded by a count
 * of operations (so a slow machine runs the same test, only longer): nothing escapes, nothing
 * deadlocks (every thread ends within a bound), every operation was done, the function still
 * answers its IDs, and unplugging both at the end leaves the hypervisor empty.
 */
class ConcurrencyStressTest {

    private static final int VCPUS = 4;
    private static final int ACCESSES_PER_VCPU = 100_000;
    private static final int HOT_PLUG_CYCLES = 1_000;

    @Test
    void vcpus_and_a_hot_plug_thread_together_leave_no_torn_state_and_no_deadlock() throws Exception {
        DeviceRig rig = new DeviceRig();
        GuestBus bus = new GuestBus(rig.hv, DeviceRig.DOMAIN, 6, 7);
        bus.plug(6, List.of(new GuestBus.Plug(0, rig.nic, ConfigOptions.DEFAULT, DeviceRig.YES)));
        CyclicBarrier start = new CyclicBarrier(VCPUS + 1);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicLong accesses = new AtomicLong();
        AtomicLong cycles = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int v = 0; v < VCPUS; v++) {
            long seed = v;
            threads.add(Thread.ofPlatform().name("vcpu-" + v).start(() -> {
                Random random = new Random(seed);
                try {
                    start.await();
                    for (int i = 0; i < ACCESSES_PER_VCPU; i++) {
                        switch (random.nextInt(5)) {
                            case 0 -> bus.configWrite(6, 0, random.nextInt(256), 1 << random.nextInt(3), random.nextInt());
                            case 1 -> assertThat(bus.configRead(6, 0, PCI_VENDOR_ID, 2)).isEqualTo(0x8086);
                            case 2 -> bus.configWrite(6, 0, PCI_COMMAND, 2, random.nextInt(8));
                            case 3 -> bus.mmioWrite(0xc000_0000L + random.nextInt(0x100_0000), 4, random.nextInt());
                            default -> bus.mmioRead(0xc000_0000L + random.nextInt(0x100_0000), 4);
                        }
                        accesses.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        threads.add(Thread.ofPlatform().name("hot-plug").start(() -> {
            try {
                start.await();
                for (int i = 0; i < HOT_PLUG_CYCLES; i++) {
                    bus.plug(7, List.of(new GuestBus.Plug(0, rig.sixBars, ConfigOptions.DEFAULT, DeviceRig.YES)));
                    bus.configWrite(7, 0, PCI_BASE_ADDRESS_0, 4, 0xd000_0000);
                    bus.configWrite(7, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
                    bus.unplug(7).forEach(r -> assertThat(r.clean()).isTrue());
                    cycles.incrementAndGet();
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        }));
        for (Thread t : threads) {
            t.join(120_000);
            assertThat(t.isAlive()).as("%s ended (no deadlock)", t.getName()).isFalse();
        }
        assertThat(failures).isEmpty();
        assertThat(accesses.get()).isEqualTo((long) VCPUS * ACCESSES_PER_VCPU);
        assertThat(cycles.get()).isEqualTo(HOT_PLUG_CYCLES);
        assertThat(bus.configRead(6, 0, PCI_DEVICE_ID, 2)).isEqualTo(0x10c9);
        bus.unplug(6).forEach(r -> assertThat(r.clean()).isTrue());
        assertThat(rig.hv.state().entries()).isZero();
    }
}
