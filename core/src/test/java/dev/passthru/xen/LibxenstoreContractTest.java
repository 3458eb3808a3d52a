package dev.passthru.xen;

import dev.passthru.RealPeers;
import dev.passthru.os.CallMemory;
import dev.passthru.os.NativeCalls;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The contract on {@link ForeignXenStore} over the real libxenstore, whose requests a
 * {@link XenstoredOnSocket} answers on xenstored's wire from the stand-in: the bindings, the
 * strings laid out, the lengths and arrays libxenstore returns copied out and freed, its reader
 * thread and watch pipe polled. What xenstored itself does is the stand-in's here; in dom0 the
 * same contract meets the real daemon.
 */
class LibxenstoreContractTest extends XenStoreContract {

    private static final AtomicInteger SOCKETS = new AtomicInteger();
    private static final MethodHandle SETENV = NativeCalls.bind("setenv",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle UNSETENV = NativeCalls.bind("unsetenv", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);

    LibxenstoreContractTest() throws IOException {
        super(connect(), "/local/domain/0/passthru-contract");
    }

    /** A stand-in daemon of its own for each case, and a connection to it made as passthru makes one. */
    private static XenStore connect() throws IOException {
        RealPeers.xen();
        Path socket = Path.of(System.getProperty("java.io.tmpdir"),
                "passthru-xenstored-" + ProcessHandle.current().pid() + "-" + SOCKETS.incrementAndGet());
        XenstoredOnSocket.start(new FakeXenStore(), socket);
        try (Arena arena = Arena.ofConfined()) {
            CallMemory memory = CallMemory.current();
            memory.check((int) SETENV.invokeExact(memory.state(), arena.allocateFrom("XENSTORED_PATH"),
                    arena.allocateFrom(socket.toString()), 1), "setenv", "XENSTORED_PATH");
            try {
                return new ForeignXenStore();
            } finally {
                memory.check((int) UNSETENV.invokeExact(memory.state(), arena.allocateFrom("XENSTORED_PATH")), "unsetenv", "");
            }
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }
}
