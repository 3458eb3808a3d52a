package dev.passthru.vfio;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link VfioCalls} must do without a device: eventfds, memory, errors on
 * descriptors that are not open. {@link VfioDeviceCallsContract} adds the cases that need QEMU's
 * edu bound to vfio-pci. Failures are matched by errno name in the message, whatever the
 * exception's class.
 */
abstract class VfioCallsContract {

    private static final int NOT_OPEN = 0x3fff_fff0;

    protected final VfioCalls calls;

    protected VfioCallsContract(VfioCalls calls) {
        this.calls = calls;
    }

    @Test
    void an_eventfd_counts_nothing_until_signalled_and_is_gone_once_closed() {
        int eventfd = calls.eventfd();
        assertThat(eventfd).isNotNegative();
        assertThat(calls.drain(eventfd)).isZero();
        calls.close(eventfd);
        assertThatThrownBy(() -> calls.drain(eventfd)).hasMessageContaining("EBADF");
    }

    @Test
    void every_call_on_a_descriptor_that_is_not_open_fails_with_EBADF() {
        byte[] bytes = new byte[4];
        assertThatThrownBy(() -> calls.ioctl(NOT_OPEN, Vfio.GET_API_VERSION, 0, "nothing")).hasMessageContaining("EBADF");
        assertThatThrownBy(() -> calls.ioctl(NOT_OPEN, Vfio.DEVICE_GET_INFO, struct(16), "nothing")).hasMessageContaining("EBADF");
        assertThatThrownBy(() -> calls.pread(NOT_OPEN, bytes, 4, 0, "nothing")).hasMessageContaining("EBADF");
        assertThatThrownBy(() -> calls.pwrite(NOT_OPEN, bytes, 4, 0, "nothing")).hasMessageContaining("EBADF");
        assertThatThrownBy(() -> calls.close(NOT_OPEN)).hasMessageContaining("EBADF");
        assertThatThrownBy(() -> calls.drain(NOT_OPEN)).hasMessageContaining("EBADF");
    }

    @Test
    void a_vfio_request_on_an_eventfd_fails_with_ENOTTY_and_a_missing_path_with_ENOENT() {
        int eventfd = calls.eventfd();
        try {
            assertThatThrownBy(() -> calls.ioctl(eventfd, Vfio.DEVICE_GET_INFO, struct(16), "an eventfd"))
                    .hasMessageContaining("VFIO_DEVICE_GET_INFO").hasMessageContaining("an eventfd").hasMessageContaining("ENOTTY");
        } finally {
            calls.close(eventfd);
        }
        assertThatThrownBy(() -> calls.open("/dev/vfio/no-such-group")).hasMessageContaining("/dev/vfio/no-such-group")
                .hasMessageContaining("ENOENT");
    }

    @Test
    void allocated_memory_starts_zeroed_and_gives_back_what_was_copied_in() {
        long buffer = calls.allocate(8192);
        assertThat(buffer).isPositive();
        assertThat(buffer % 4096).as("page-aligned, as the IOMMU maps pages").isZero();
        byte[] zeros = new byte[64];
        calls.copyOut(buffer + 4096, zeros);
        assertThat(zeros).containsOnly(0);
        byte[] pattern = "contract pattern".getBytes(StandardCharsets.US_ASCII);
        calls.copyIn(buffer + 4090, pattern);
        byte[] back = new byte[pattern.length];
        calls.copyOut(buffer + 4090, back);
        assertThat(back).isEqualTo(pattern);
    }

    protected static byte[] struct(int size) {
        byte[] bytes = new byte[size];
        le(bytes).putInt(0, size);
        return bytes;
    }

    protected static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
