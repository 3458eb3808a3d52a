package dev.passthru.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The native memory a thread's C calls work in, allocated once per thread and reused by every
 * call that thread makes: the segment the call leaves errno in, and a scratch segment for the
 * call's structs and buffers, grown when one call needs more than it has. Who holds a thread's
 * call memory owns it only until the call returns: the next call on the thread overwrites both
 * segments, so a call copies out what it keeps, and reads errno before it makes another call.
 * The memory is freed with its thread (an automatic arena, reachable only from the thread).
 */
public final class CallMemory {

    /** Enough for a Unix socket message with descriptors and a page of data, or any VFIO struct passthru uses. */
    static final long INITIAL_SCRATCH = 8192;
    /** As malloc aligns: any C struct may start at the scratch segment's base. */
    private static final long ALIGNMENT = 16;
    private static final ThreadLocal<CallMemory> PER_THREAD = ThreadLocal.withInitial(CallMemory::new);

    private final MemorySegment state = Arena.ofAuto().allocate(NativeCalls.CALL_STATE);
    private MemorySegment scratch = Arena.ofAuto().allocate(INITIAL_SCRATCH, ALIGNMENT);

    private CallMemory() {
    }

    /** The calling thread's call memory. */
    public static CallMemory current() {
        return PER_THREAD.get();
    }

    /** Where the call leaves errno: the first argument of every handle {@link NativeCalls#bind} made. */
    public MemorySegment state() {
        return state;
    }

    /** errno as the last call on this thread left it. */
    public int errno() {
        return NativeCalls.errno(state);
    }

    /**
     * At least {@code size} bytes of scratch, 16-byte aligned, contents left from earlier calls;
     * when this thread's scratch is smaller it is replaced by one twice as large (or {@code size}).
     */
    public MemorySegment scratch(long size) {
        if (scratch.byteSize() < size) {
            scratch = Arena.ofAuto().allocate(Math.max(size, 2 * scratch.byteSize()), ALIGNMENT);
        }
        return scratch;
    }

    /** {@code result} if it is not negative; else the call failed with this thread's errno. */
    public int check(int result, String call, Object on) {
        if (result < 0) {
            throw new NativeCallFailed(call, on, errno());
        }
        return result;
    }

    public long check(long result, String call, Object on) {
        if (result < 0) {
            throw new NativeCallFailed(call, on, errno());
        }
        return result;
    }
}
