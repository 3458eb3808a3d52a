package dev.passthru.xen;

import dev.passthru.os.CallMemory;
import dev.passthru.os.NativeCallFailed;
import dev.passthru.os.NativeCalls;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One C function of the Xen libraries, bound with errno captured. The Xen libraries report
 * failure as a negative int, a NULL pointer or a false bool with errno set; each becomes
 * {@link NativeCallFailed}, its arguments described only then. Calls go through
 * invokeWithArguments: these are control-path calls whose cost is the hypercall behind them,
 * not the binding. They capture errno in the calling thread's {@link CallMemory} and leave its
 * scratch to the caller, who may pass segments of it as arguments.
 */
final class XenFunction {

    private final String name;
    private final MethodHandle handle;

    XenFunction(SymbolLookup library, String name, FunctionDescriptor descriptor) {
        this.name = name;
        this.handle = NativeCalls.bind(library, name, descriptor);
    }

    /** Calls it; a negative result fails with the arguments {@code described}. */
    int call(Supplier<String> described, Object... args) {
        CallMemory memory = CallMemory.current();
        int result = (int) invoke(memory.state(), args);
        if (result < 0) {
            throw new NativeCallFailed(name, described.get(), memory.errno());
        }
        return result;
    }

    /** Calls a function that returns a pointer; NULL fails with the arguments {@code described}. */
    MemorySegment pointer(Supplier<String> described, Object... args) {
        CallMemory memory = CallMemory.current();
        MemorySegment result = (MemorySegment) invoke(memory.state(), args);
        if (result.address() == 0) {
            throw new NativeCallFailed(name, described.get(), memory.errno());
        }
        return result;
    }

    /** Calls a function that returns a C bool (libxenstore's way); false fails with the arguments {@code described}. */
    void succeeds(Supplier<String> described, Object... args) {
        CallMemory memory = CallMemory.current();
        if (!(boolean) invoke(memory.state(), args)) {
            throw new NativeCallFailed(name, described.get(), memory.errno());
        }
    }

    /** Calls a function that returns nothing and reports no failure, such as free or xs_close. */
    void run(Object... args) {
        invoke(CallMemory.current().state(), args);
    }

    private Object invoke(MemorySegment state, Object[] args) {
        List<Object> all = new ArrayList<>(args.length + 1);
        all.add(state);
        all.addAll(List.of(args));
        try {
            return handle.invokeWithArguments(all);
        } catch (Throwable t) {
            throw NativeCalls.rethrow(t);
        }
    }
}
