package dev.passthru.os;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link UnixSockets} must do, the in-memory fake and the C library alike: bytes in
 * order over a socket pair, descriptors passed along as new descriptors of the same socket,
 * end of stream once the peer is closed or shut down, and every failure one exception whose
 * message names the call and errno (matched by errno name here, whatever the exception's class).
 */
abstract class UnixSocketsContract {

    private static final int NOT_OPEN = 0x3fff_fff0;

    protected abstract UnixSockets sockets();

    /** Receives until {@code length} bytes came or the stream ended: a stream socket may split or join sends. */
    private byte[] receiveAll(int fd, int length) {
        byte[] into = new byte[length];
        int got = 0;
        while (got < length) {
            int n = sockets().receive(fd, into, got, length - got).bytes();
            if (n == 0) {
                break;
            }
            got += n;
        }
        return Arrays.copyOf(into, got);
    }

    private void send(int fd, String text, int... fds) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        sockets().send(fd, bytes, bytes.length, fds);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    @Test
    void bytes_sent_on_either_end_arrive_at_the_other_in_order() {
        int[] pair = sockets().socketPair();
        assertThat(pair).hasSize(2).doesNotHaveDuplicates();
        assertThat(Math.min(pair[0], pair[1])).isNotNegative();
        send(pair[0], "first ");
        send(pair[0], "second");
        assertThat(text(receiveAll(pair[1], 12))).isEqualTo("first second");
        send(pair[1], "back");
        assertThat(text(receiveAll(pair[0], 4))).isEqualTo("back");
        sockets().close(pair[0]);
        sockets().close(pair[1]);
    }

    @Test
    void a_receive_takes_at_most_what_it_asks_for_and_the_rest_waits_for_the_next() {
        int[] pair = sockets().socketPair();
        send(pair[0], "0123456789");
        byte[] into = new byte[16];
        UnixSockets.Received first = sockets().receive(pair[1], into, 2, 4);
        assertThat(first.bytes()).isEqualTo(4);
        assertThat(text(Arrays.copyOfRange(into, 2, 6))).isEqualTo("0123");
        assertThat(text(receiveAll(pair[1], 6))).isEqualTo("456789");
        sockets().close(pair[0]);
        sockets().close(pair[1]);
    }

    @Test
    void a_descriptor_passed_arrives_once_with_the_first_byte_as_a_new_descriptor_of_the_same_socket() {
        int[] pair = sockets().socketPair();
        int[] other = sockets().socketPair();
        send(pair[0], "fd!!", other[0]);
        byte[] into = new byte[2];
        UnixSockets.Received first = sockets().receive(pair[1], into, 0, 2);
        assertThat(first.fds()).hasSize(1);
        int passed = first.fds()[0];
        assertThat(passed).as("a new number: the sender keeps its own").isNotIn(other[0], other[1], pair[0], pair[1]);
        UnixSockets.Received rest = sockets().receive(pair[1], into, 0, 2);
        assertThat(rest.bytes()).isEqualTo(2);
        assertThat(rest.fds()).as("the descriptor came with the first byte only").isEmpty();
        send(passed, "through the passed one");
        assertThat(text(receiveAll(other[1], 22))).isEqualTo("through the passed one");
        sockets().close(passed);
        send(other[0], "and the sender's");
        assertThat(text(receiveAll(other[1], 16))).as("the sender's descriptor still works").isEqualTo("and the sender's");
        for (int fd : new int[] {pair[0], pair[1], other[0], other[1]}) {
            sockets().close(fd);
        }
    }

    @Test
    void a_closed_peer_reads_as_end_of_stream_after_what_it_sent_and_a_send_to_it_fails_with_EPIPE() {
        int[] pair = sockets().socketPair();
        send(pair[0], "bye");
        sockets().close(pair[0]);
        assertThat(text(receiveAll(pair[1], 3))).isEqualTo("bye");
        assertThat(sockets().receive(pair[1], new byte[8], 0, 8).bytes()).as("end of stream").isZero();
        assertThatThrownBy(() -> send(pair[1], "anyone?")).hasMessageContaining("sendmsg").hasMessageContaining("EPIPE");
        sockets().close(pair[1]);
    }

    @Test
    void a_socket_shut_down_reads_end_of_stream_on_both_ends_refuses_sends_and_still_closes_once() {
        int[] pair = sockets().socketPair();
        sockets().shutdown(pair[1]);
        assertThat(sockets().receive(pair[1], new byte[8], 0, 8).bytes()).as("its own end").isZero();
        assertThat(sockets().receive(pair[0], new byte[8], 0, 8).bytes()).as("the peer").isZero();
        assertThatThrownBy(() -> send(pair[0], "to a shut socket")).hasMessageContaining("EPIPE");
        assertThatThrownBy(() -> send(pair[1], "from a shut socket")).hasMessageContaining("EPIPE");
        sockets().close(pair[1]);
        sockets().close(pair[0]);
        assertThatThrownBy(() -> sockets().close(pair[0])).as("closed twice").hasMessageContaining("close").hasMessageContaining("EBADF");
    }

    @Test
    void every_call_on_a_descriptor_that_is_not_open_fails_with_EBADF_and_connecting_to_no_listener_with_ENOENT() {
        assertThatThrownBy(() -> sockets().receive(NOT_OPEN, new byte[4], 0, 4)).hasMessageContaining("recvmsg")
                .hasMessageContaining("EBADF");
        assertThatThrownBy(() -> send(NOT_OPEN, "x")).hasMessageContaining("sendmsg").hasMessageContaining("EBADF");
        assertThatThrownBy(() -> sockets().shutdown(NOT_OPEN)).hasMessageContaining("shutdown").hasMessageContaining("EBADF");
        assertThatThrownBy(() -> sockets().close(NOT_OPEN)).hasMessageContaining("close").hasMessageContaining("EBADF");
        int[] pair = sockets().socketPair();
        assertThatThrownBy(() -> send(pair[0], "x", NOT_OPEN)).as("passing a descriptor that is not open")
                .hasMessageContaining("EBADF");
        sockets().close(pair[0]);
        sockets().close(pair[1]);
        assertThatThrownBy(() -> sockets().connect("/nonexistent/passthru-contract.sock"))
                .hasMessageContaining("/nonexistent/passthru-contract.sock").hasMessageContaining("ENOENT");
    }
}
