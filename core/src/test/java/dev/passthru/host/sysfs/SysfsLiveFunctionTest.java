package dev.passthru.host.sysfs;

import dev.passthru.host.BarKind;
import dev.passthru.host.BarLayout;
import dev.passthru.host.HostBar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A live sysfs function's BAR files and reset, on plain files laid out as the kernel's are (a
 * resource file maps and reads like the BAR behind it; the reset files take what is written).
 */
class SysfsLiveFunctionTest {

    @TempDir
    Path dir;

    @Test
    void memory_bars_are_mapped_io_bars_read_and_written_at_their_offsets() throws IOException {
        Files.write(dir.resolve("resource0"), new byte[0x2000]);
        Files.write(dir.resolve("resource2"), new byte[32]);
        Files.write(dir.resolve("resource3"), new byte[256]);
        BarLayout layout = new BarLayout(List.of(new HostBar(0, BarKind.MEM32, false, 0x2000, 0xfe00_0000L),
                new HostBar(2, BarKind.IO, false, 32, 0xc080), new HostBar(3, BarKind.MEM32, false, 256, 0xfe00_3000L)), 0);
        SysfsBarMemory memory = new SysfsBarMemory(dir.toString(), layout);

        memory.write(0, 0x1004, 4, 0xdead_beefL);
        assertThat(memory.read(0, 0x1004, 4)).isEqualTo(0xdead_beefL);
        assertThat(memory.read(0, 0x1006, 2)).isEqualTo(0xdeadL);
        assertThat(memory.read(0, 0x1005, 4)).as("not naturally aligned: not made").isEqualTo(0xffff_ffffL);
        assertThat(memory.read(0, 0x2000, 4)).as("past the BAR").isEqualTo(0xffff_ffffL);

        memory.write(2, 4, 2, 0x1234);
        assertThat(memory.read(2, 4, 2)).isEqualTo(0x1234L);
        assertThat(ByteBuffer.wrap(Files.readAllBytes(dir.resolve("resource2"))).order(ByteOrder.LITTLE_ENDIAN).getShort(4))
                .as("a port write is a write of the resource file at the port's offset").isEqualTo((short) 0x1234);

        memory.write(3, 0x10, 4, 0x55aa);
        assertThat(memory.read(3, 0x10, 4)).isEqualTo(0x55aaL);
        assertThat(memory.copyRom()).as("no ROM").isFalse();
    }

    @Test
    void a_reset_tries_the_kernels_methods_in_order_says_which_and_puts_the_list_back() throws IOException {
        assertThat(SysfsReset.unresettable(dir)).hasValueSatisfying(why -> assertThat(why).contains("no function-level reset"));
        Files.writeString(dir.resolve("reset"), "");
        Files.writeString(dir.resolve("reset_method"), "flr bus\n");
        assertThat(SysfsReset.unresettable(dir)).isEmpty();
        assertThat(SysfsReset.reset(dir)).isEqualTo("flr");
        assertThat(Files.readString(dir.resolve("reset"))).isEqualTo("1");
        assertThat(Files.readString(dir.resolve("reset_method"))).isEqualTo("flr bus");
        Files.delete(dir.resolve("reset_method"));
        assertThat(SysfsReset.reset(dir)).isEqualTo("kernel's choice");
    }
}
