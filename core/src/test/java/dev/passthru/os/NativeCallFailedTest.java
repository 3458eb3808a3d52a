package dev.passthru.os;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one errno exception, from real failing C calls. */
class NativeCallFailedTest {

    private static final int EBADF = 9;
    private static final int EINVAL = 22;

    @Test
    void closing_a_descriptor_never_opened_names_the_call_the_descriptor_and_ebadf() {
        assertThatThrownBy(() -> new ForeignUnixSockets().close(-1))
                .isInstanceOfSatisfying(NativeCallFailed.class, e -> {
                    assertThat(e.call()).isEqualTo("close");
                    assertThat(e.errno()).isEqualTo(EBADF);
                })
                .hasMessage("close on fd -1: EBADF (errno 9)");
        assertThat(CallMemory.current().errno()).as("errno stays in the thread's call memory").isEqualTo(EBADF);
    }

    @Test
    void connecting_to_a_path_with_no_socket_names_the_path_and_enoent() {
        assertThatThrownBy(() -> new ForeignUnixSockets().connect("/nonexistent/passthru.sock"))
                .hasMessage("connect on /nonexistent/passthru.sock: ENOENT (errno 2)");
    }

    @Test
    void sending_on_a_descriptor_that_is_no_socket_fails_with_its_errno() {
        assertThatThrownBy(() -> new ForeignUnixSockets().send(-1, new byte[1], 1, UnixSockets.NO_FDS))
                .hasMessage("sendmsg on fd -1: EBADF (errno 9)");
    }

    @Test
    void what_the_call_was_on_is_read_only_when_it_fails() {
        int[] described = {0};
        Object on = new Object() {
            @Override
            public String toString() {
                described[0]++;
                return "the thing";
            }
        };
        assertThat(new NativeCallFailed("ioctl", on, EINVAL)).hasMessage("ioctl on the thing: EINVAL (errno 22)");
        assertThat(described[0]).isEqualTo(1);
        assertThat(CallMemory.current().check(0, "ioctl", on)).isZero();
        assertThat(described[0]).as("a call that succeeded described nothing").isEqualTo(1);
    }

    @Test
    void a_call_on_nothing_in_particular_and_an_errno_without_a_name() {
        assertThat(new NativeCallFailed("xenevtchn_open", "", 200)).hasMessage("xenevtchn_open: errno 200");
    }
}
