package dev.passthru.config;

import dev.passthru.Fixtures;
import dev.passthru.host.BarLayout;
import dev.passthru.host.MemoryHostConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.passthru.pci.CapabilityIds.*;
import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The walk over a host's capability lists always ends, and says why when it ends early. */
class CapabilityWalkerTest {

    /** A PCI Express endpoint's config space with the conventional list starting at 0x40. */
    private static byte[] express() {
        byte[] config = new byte[4096];
        config[PCI_STATUS] = (byte) PCI_STATUS_CAP_LIST;
        config[PCI_CAPABILITY_LIST] = 0x40;
        config[0x40] = (byte) PCI_CAP_ID_EXP;
        config[0x42] = 0x02;
        return config;
    }

    private static void ext(byte[] config, int at, int id, int next) {
        int header = id | 1 << PCI_EXT_CAP_VER_SHIFT | next << PCI_EXT_CAP_NEXT_SHIFT;
        for (int i = 0; i < 4; i++) {
            config[at + i] = (byte) (header >>> (8 * i));
        }
    }

    @Test
    void the_looping_extended_list_of_a_real_bridge_ends_at_the_loop() {
        byte[] bridge = Fixtures.function("broken-ecaps.txt", "00:00.0").config();
        List<String> problems = new ArrayList<>();
        List<HostCapability> caps = CapabilityWalker.walkExtended(MemoryHostConfig.of(bridge), problems);
        // 0x100 mirrors the header (ID 0x1002, next 0x790); 0x790 is a Null capability pointing
        // at 0xd00, which mirrors the header again and points back to 0x790.
        assertThat(caps).extracting(HostCapability::offset).containsExactly(0x100, 0xd00);
        assertThat(problems).containsExactly("extended capability list loops back to 0x790");
    }

    @Test
    void a_bridge_without_a_capability_list_has_none_and_is_not_walked() {
        byte[] bridge = Fixtures.function("broken-ecaps.txt", "00:00.0").config();
        CapabilityChain chain = CapabilityWalker.walk(MemoryHostConfig.of(bridge));
        assertThat(chain.standard()).isEmpty();
        assertThat(chain.extended()).as("no PCI Express capability, no extended list").isEmpty();
        VirtualConfigSpace view = VirtualConfigSpace.create(MemoryHostConfig.of(bridge), BarLayout.NONE, ConfigOptions.DEFAULT);
        assertThat(view.read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST).isZero();
        assertThat(view.read(PCI_CAPABILITY_LIST, 1)).isZero();
    }

    @Test
    void a_conventional_loop_ends_at_the_first_repeat() {
        byte[] config = express();
        config[0x41] = 0x50;
        config[0x50] = (byte) PCI_CAP_ID_MSI;
        config[0x51] = 0x40;
        CapabilityChain chain = CapabilityWalker.walk(MemoryHostConfig.of(config));
        assertThat(chain.standard()).extracting(HostCapability::offset).containsExactly(0x40, 0x50);
        assertThat(chain.problems()).contains("capability list loops back to 0x40");
        VirtualConfigSpace view = VirtualConfigSpace.create(MemoryHostConfig.of(config), BarLayout.NONE, ConfigOptions.DEFAULT);
        assertThat(view.read(0x51, 1)).as("the guest's list ends").isZero();
    }

    @Test
    void a_pointer_into_the_header_ends_the_list() {
        byte[] config = express();
        config[0x41] = 0x20;
        CapabilityChain chain = CapabilityWalker.walk(MemoryHostConfig.of(config));
        assertThat(chain.standard()).hasSize(1);
        assertThat(chain.problems()).containsExactly("capability pointer 0x20 points into the header");
    }

    @Test
    void the_reserved_low_bits_of_pointers_are_ignored() {
        byte[] config = express();
        config[PCI_CAPABILITY_LIST] = 0x43;
        config[0x41] = 0x53;
        config[0x50] = (byte) PCI_CAP_ID_PM;
        assertThat(CapabilityWalker.walk(MemoryHostConfig.of(config)).standard())
                .extracting(HostCapability::offset).containsExactly(0x40, 0x50);
    }

    @Test
    void an_extended_pointer_below_0x100_or_reading_all_ones_ends_the_list() {
        byte[] config = express();
        ext(config, 0x100, PCI_EXT_CAP_ID_ERR, 0x40);
        CapabilityChain low = CapabilityWalker.walk(MemoryHostConfig.of(config));
        assertThat(low.extended()).hasSize(1);
        assertThat(low.problems()).containsExactly("extended capability at 0x100 points below 0x100, to 0x040");

        ext(config, 0x100, PCI_EXT_CAP_ID_ERR, 0x200);
        for (int i = 0; i < 4; i++) {
            config[0x200 + i] = (byte) 0xff;
        }
        assertThat(CapabilityWalker.walk(MemoryHostConfig.of(config)).problems())
                .containsExactly("extended capability at 0x200 reads all-ones");
    }

    @Test
    void a_null_capability_links_onwards() {
        byte[] config = express();
        ext(config, 0x100, PCI_EXT_CAP_ID_NULL, 0x140);
        ext(config, 0x140, PCI_EXT_CAP_ID_DSN, 0);
        CapabilityChain chain = CapabilityWalker.walk(MemoryHostConfig.of(config));
        assertThat(chain.extended()).extracting(HostCapability::offset).containsExactly(0x140);
        assertThat(chain.problems()).isEmpty();
    }

    @Test
    void a_conventional_function_has_no_extended_list() {
        byte[] config = express();
        config[0x40] = (byte) PCI_CAP_ID_PM;
        ext(config, 0x100, PCI_EXT_CAP_ID_ERR, 0);
        assertThat(CapabilityWalker.walk(MemoryHostConfig.of(config)).extended()).isEmpty();
    }

    @Test
    void every_fixture_function_walks_to_an_end() {
        for (FixtureFunctions.Entry entry : FixtureFunctions.all()) {
            CapabilityChain chain = CapabilityWalker.walk(MemoryHostConfig.of(entry.function().config()));
            assertThat(chain.standard().size()).as(entry.toString()).isLessThanOrEqualTo(CapabilityWalker.MAX_STANDARD);
        }
    }
}
