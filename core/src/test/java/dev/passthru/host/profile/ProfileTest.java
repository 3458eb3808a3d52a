package dev.passthru.host.profile;

import dev.passthru.Fixtures;
import dev.passthru.InputError;
import dev.passthru.host.BarMemory;
import dev.passthru.host.HostConfig;
import dev.passthru.host.HostFunction;
import dev.passthru.host.Inventory;
import dev.passthru.host.Origin;
import dev.passthru.host.sysfs.SysfsSource;
import dev.passthru.pci.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.passthru.pci.PciRegs.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Profiles: recorded functions that read back as they were recorded and answer writes like hardware. */
class ProfileTest {

    /** The virtio network function of the recorded sysfs tree: BAR 0 is 64-bit memory of 512K. */
    private static HostFunction nic() {
        Inventory inventory = new SysfsSource(Fixtures.sysfs(), false).scan();
        return inventory.find(PciAddress.parse("00:03.0")).orElseThrow();
    }

    private static String nicProfile() {
        return ProfileWriter.write(nic(), "Ethernet controller");
    }

    @Test
    void a_snapshot_reads_back_as_the_function_it_recorded() {
        HostFunction recorded = nic();
        String profile = ProfileWriter.write(recorded, "Ethernet controller");
        HostFunction back = ProfileReader.parse("nic.json", profile);
        assertThat(back.origin()).isEqualTo(Origin.PROFILE);
        assertThat(back.address()).isEqualTo(recorded.address());
        assertThat(back.header()).isEqualTo(recorded.header());
        assertThat(back.config().size()).isEqualTo(256);
        assertThat(back.config().snapshot(256)).isEqualTo(recorded.config().snapshot(256));
        assertThat(back.bars()).isEqualTo(recorded.bars());
        assertThat(back.binding()).isEqualTo(recorded.binding());
        assertThat(ProfileWriter.write(back, "Ethernet controller")).isEqualTo(profile);
    }

    @Test
    void bar_registers_keep_only_the_bits_their_size_allows() {
        HostConfig config = ProfileReader.parse("nic.json", nicProfile()).config();
        int low = config.read(PCI_BASE_ADDRESS_0, 4);
        config.write(PCI_BASE_ADDRESS_0, 4, 0xffffffff);
        config.write(PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
        assertThat(config.read(PCI_BASE_ADDRESS_0, 4)).as("512K, 64-bit, non-prefetchable").isEqualTo(0xfff80004);
        assertThat(config.read(PCI_BASE_ADDRESS_0 + 4, 4)).isEqualTo(0xffffffff);
        config.write(PCI_BASE_ADDRESS_0, 4, low);
        assertThat(config.read(PCI_BASE_ADDRESS_0, 4)).isEqualTo(low);
        config.write(PCI_BASE_ADDRESS_0 + 8, 4, 0xffffffff);
        assertThat(config.read(PCI_BASE_ADDRESS_0 + 8, 4)).as("a BAR the function does not have").isZero();
    }

    @Test
    void read_only_registers_stay_and_status_errors_clear_on_write_one() {
        String profile = nicProfile();
        HostFunction plain = ProfileReader.parse("nic.json", profile);
        int status = plain.config().read(PCI_STATUS, 2);
        // Record the function with Detected Parity Error and Received Master Abort set.
        String hex = plain.config().snapshot(256).length == 256 ? java.util.HexFormat.of().formatHex(withStatus(
                plain.config().snapshot(256), status | PCI_STATUS_DETECTED_PARITY | PCI_STATUS_REC_MASTER_ABORT)) : "";
        HostConfig config = ProfileReader.parse("nic.json", profile.replaceFirst("\"config\" : \"[0-9a-f]+\"",
                "\"config\" : \"" + hex + "\"")).config();

        config.write(PCI_VENDOR_ID, 4, 0x12345678);
        assertThat(config.read(PCI_VENDOR_ID, 4)).isEqualTo(plain.config().read(PCI_VENDOR_ID, 4));
        config.write(PCI_REVISION_ID, 4, 0);
        assertThat(config.read(PCI_REVISION_ID, 4)).isEqualTo(plain.config().read(PCI_REVISION_ID, 4));

        config.write(PCI_STATUS, 2, 0);
        assertThat(config.read(PCI_STATUS, 2)).as("writing 0 clears nothing")
                .isEqualTo(status | PCI_STATUS_DETECTED_PARITY | PCI_STATUS_REC_MASTER_ABORT);
        config.write(PCI_STATUS, 2, PCI_STATUS_DETECTED_PARITY);
        assertThat(config.read(PCI_STATUS, 2)).isEqualTo(status | PCI_STATUS_REC_MASTER_ABORT);
        config.write(PCI_STATUS, 2, 0xffff);
        assertThat(config.read(PCI_STATUS, 2)).as("capability list and other read-only bits stay").isEqualTo(status);
    }

    private static byte[] withStatus(byte[] config, int status) {
        config[PCI_STATUS] = (byte) status;
        config[PCI_STATUS + 1] = (byte) (status >> 8);
        return config;
    }

    @Test
    void each_bar_is_backed_by_memory_a_guest_can_poke() {
        BarMemory memory = ProfileReader.parse("nic.json", nicProfile()).memory();
        assertThat(memory.read(0, 0x8000, 4)).as("never written").isZero();
        memory.write(0, 0x8000, 4, 0xdeadbeefL);
        memory.write(0, 0xfffc, 8, 0x0123456789abcdefL);
        assertThat(memory.read(0, 0x8000, 4)).isEqualTo(0xdeadbeefL);
        assertThat(memory.read(0, 0x8002, 2)).isEqualTo(0xdeadL);
        assertThat(memory.read(0, 0xfffc, 8)).as("across a page boundary").isEqualTo(0x0123456789abcdefL);
        assertThat(memory.read(0, 0xfffc, 4)).isEqualTo(0x89abcdefL);

        memory.write(0, 0x80000, 4, 1);
        assertThat(memory.read(0, 0x7fffe, 4)).as("past the end of the 512K BAR").isEqualTo(0xffffffffL);
        assertThat(memory.read(1, 0, 4)).as("a BAR the function does not have").isEqualTo(0xffffffffL);
        assertThat(memory.read(0, 0x8000, 3)).as("an odd width").isEqualTo(0xffffffL);
    }

    @Test
    void a_wrong_field_type_names_the_file_line_column_and_what_was_expected() {
        String profile = nicProfile().replace("\"irq\" : 0", "\"irq\" : \"ten\"");
        int line = lineOf(profile, "\"irq\"");
        assertThat(catchThrowable(() -> ProfileReader.parse("nic.json", profile)))
                .isInstanceOf(InputError.class)
                .hasMessage("nic.json:" + line + ":11: field \"irq\": expected an integer from 0 to 65535, found a string \"ten\"");
    }

    @Test
    void bad_profiles_get_one_line_each() {
        String good = nicProfile();
        assertThat(problem(good.replace("\"kind\" : \"mem64\"", "\"kind\" : \"mem128\"")))
                .contains("field \"bars[0].kind\": expected \"io\", \"mem32\" or \"mem64\"");
        assertThat(problem(good.replaceFirst("\"config\" : \"[0-9a-f]{8}", "\"config\" : \"zz")))
                .contains("field \"config\"");
        assertThat(problem(good.replace("\"format\" : \"passthru-profile/1\",", "")))
                .isEqualTo("nic.json:1:1: field \"format\" is missing");
        assertThat(problem(good.replace("\"irq\"", "\"irq_line\"")))
                .startsWith("nic.json:" + lineOf(good, "\"irq\"") + ":").contains("unknown field \"irq_line\"");
        assertThat(problem(good.substring(0, good.length() / 2))).startsWith("nic.json:").contains("not valid JSON");
    }

    private static String problem(String profile) {
        return catchThrowable(() -> ProfileReader.parse("nic.json", profile)).getMessage();
    }

    private static int lineOf(String text, String needle) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError(needle + " not in the profile");
    }

    @Test
    void a_profile_folder_lists_the_good_ones_and_names_the_bad(@TempDir Path dir) throws IOException {
        String good = nicProfile();
        Files.writeString(dir.resolve("nic.json"), good);
        Files.writeString(dir.resolve("nic2.json"), good.replace("0000:00:03.0", "0000:00:07.0"));
        Files.writeString(dir.resolve("copy.json"), good);
        Files.writeString(dir.resolve("broken.json"), good.replace("\"irq\" : 0", "\"irq\" : -5"));
        Files.writeString(dir.resolve("notes.txt"), "not a profile");

        Inventory inventory = new ProfileSource(dir).scan();

        assertThat(inventory.functions()).extracting(f -> f.address().toString())
                .containsExactly("0000:00:03.0", "0000:00:07.0");
        assertThat(inventory.problems()).hasSize(2);
        assertThat(inventory.problems()).anySatisfy(p -> assertThat(p).startsWith(dir.resolve("broken.json") + ":")
                .contains("field \"irq\": expected an integer from 0 to 65535"));
        assertThat(inventory.problems()).anySatisfy(p -> assertThat(p).contains("function 0000:00:03.0 is also in"));
    }
}
