package dev.passthru.host.sysfs;

import dev.passthru.Fixtures;
import dev.passthru.host.HostSource.Detail;
import dev.passthru.host.Inventory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A damaged sysfs tree: each bad entry is one line naming the file; the rest still lists. */
class SysfsBadInputTest {

    @TempDir
    Path tree;

    /** A copy of the recorded tree with functions 00:06.0 and 00:07.0 added as copies of 00:05.0. */
    private Path devices() throws IOException {
        copy(Fixtures.sysfs(), tree);
        Path devices = tree.resolve("devices");
        copy(devices.resolve("0000:00:05.0"), devices.resolve("0000:00:06.0"));
        copy(devices.resolve("0000:00:05.0"), devices.resolve("0000:00:07.0"));
        return devices;
    }

    @Test
    void each_bad_entry_is_one_line_and_the_rest_still_lists() throws IOException {
        Path devices = devices();
        Path truncated = devices.resolve("0000:00:01.0/config");
        Files.write(truncated, new byte[100]);
        Path oversized = devices.resolve("0000:00:02.0/config");
        Files.write(oversized, new byte[5000]);
        Path resource = devices.resolve("0000:00:03.0/resource");
        List<String> lines = Files.readAllLines(resource);
        lines.set(2, "0x0000000000000000 0xzz 0x0");
        Files.write(resource, lines);
        Files.delete(devices.resolve("0000:00:04.0/config"));
        Files.writeString(devices.resolve("0000:00:06.0/irq"), "ten\n");
        Files.createDirectory(devices.resolve("not-a-function"));

        Inventory inventory = new SysfsSource(tree, false).scan();

        assertThat(inventory.functions()).extracting(f -> f.address().toString())
                .containsExactly("0000:00:00.0", "0000:00:05.0", "0000:00:07.0");
        assertThat(inventory.problems()).containsExactlyInAnyOrder(
                truncated + ": 100 bytes, expected 256 or 4096",
                oversized + ": 5000 bytes, expected 256 or 4096",
                resource + ":3: expected three hex numbers '0x... 0x... 0x...' (start, end, flags), "
                        + "found '0x0000000000000000 0xzz 0x0'",
                devices.resolve("0000:00:04.0/config") + ": missing (every function has a config file)",
                devices.resolve("0000:00:06.0/irq") + ":1: expected a decimal number, found 'ten'",
                devices.resolve("not-a-function") + ": not a function's folder (expected a name DDDD:BB:DD.F)");
        assertThat(new SysfsSource(tree, false).scan(Detail.LISTING).functions())
                .as("a listing does not read irq files, so the bad one does not keep its function out")
                .extracting(f -> f.address().toString())
                .containsExactly("0000:00:00.0", "0000:00:05.0", "0000:00:06.0", "0000:00:07.0");
    }

    @Test
    void a_short_resource_file_or_a_bar_that_ends_before_it_starts_is_named() throws IOException {
        Path devices = devices();
        Path shortFile = devices.resolve("0000:00:01.0/resource");
        Files.writeString(shortFile, "0x0 0x0 0x0\n0x0 0x0 0x0\n");
        Path backwards = devices.resolve("0000:00:02.0/resource");
        List<String> lines = Files.readAllLines(backwards);
        lines.set(0, "0x0000004000080000 0x0000004000000000 0x0000000000140204");
        Files.write(backwards, lines);

        assertThat(new SysfsSource(tree, false).scan().problems()).containsExactlyInAnyOrder(
                shortFile + ": 2 lines, expected at least 7 (BARs 0-5 and the ROM)",
                backwards + ":1: end 0x4000000000 before start 0x4000080000");
    }

    @Test
    void a_tree_without_devices_is_one_clear_error() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new SysfsSource(tree, false).scan()))
                .hasMessage(tree + ": no readable devices/ folder (expected a sysfs PCI tree such as /sys/bus/pci, or a copy of one)");
    }

    static void copy(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
