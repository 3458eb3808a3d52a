package dev.passthru.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one way passthru binds and calls C functions. Every handle captures errno, variadic ones
 * say where their variable arguments start. A call takes its thread's {@link CallMemory}, passes
 * its {@link CallMemory#state} first, lays its structs and buffers in its scratch, and on failure
 * throws {@link NativeCallFailed}; a throwable from the downcall itself comes back unchecked.
 * The classes that make the calls own their descriptors and say so.
 */
public final class NativeCalls {

    private static final Linker LINKER = Linker.nativeLinker();
    /** Where a call leaves errno: each thread's {@link CallMemory} holds one. */
    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private NativeCalls() {
    }

    /** A handle on {@code name} that captures errno; {@code firstVariadic} -1 for a fixed-argument function. */
    public static MethodHandle bind(String name, FunctionDescriptor descriptor, int firstVariadic) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new IllegalStateException("the C library has no " + name));
        return bind(symbol, descriptor, firstVariadic);
    }

    /** A handle on {@code name} from a library other than the C library; it captures errno. */
    public static MethodHandle bind(SymbolLookup library, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = library.find(name).orElseThrow(() -> new IllegalStateException("no C function " + name));
        return bind(symbol, descriptor, -1);
    }

    private static MethodHandle bind(MemorySegment symbol, FunctionDescriptor descriptor, int firstVariadic) {
        Linker.Option errno = Linker.Option.captureCallState("errno");
        return firstVariadic < 0 ? LINKER.downcallHandle(symbol, descriptor, errno)
                : LINKER.downcallHandle(symbol, descriptor, errno, Linker.Option.firstVariadicArg(firstVariadic));
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** A downcall's throwable as an unchecked exception (errors are rethrown as they are). */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
