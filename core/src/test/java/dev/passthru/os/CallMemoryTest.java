package dev.passthru.os;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Each thread's call memory: made once per thread, reused by its calls, grown when a call needs more. */
class CallMemoryTest {

    @Test
    void one_thread_gets_the_same_memory_for_every_call() {
        CallMemory first = CallMemory.current();
        MemorySegment scratch = first.scratch(16);
        CallMemory second = CallMemory.current();
        assertThat(second).isSameAs(first);
        assertThat(second.state().address()).isEqualTo(first.state().address());
        assertThat(second.scratch(16).address()).isEqualTo(scratch.address());
    }

    @Test
    void another_thread_gets_memory_of_its_own() throws InterruptedException {
        CallMemory mine = CallMemory.current();
        AtomicReference<CallMemory> theirs = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> theirs.set(CallMemory.current()));
        other.join();
        assertThat(theirs.get()).isNotSameAs(mine);
        assertThat(theirs.get().state().address()).isNotEqualTo(mine.state().address());
        assertThat(theirs.get().scratch(16).address()).isNotEqualTo(mine.scratch(16).address());
    }

    @Test
    void scratch_grows_when_a_call_needs_more_and_stays_grown() throws InterruptedException {
        AtomicReference<long[]> seen = new AtomicReference<>();
        // A fresh thread, so that its scratch has the initial size whatever other tests did on this one.
        Thread fresh = Thread.ofPlatform().start(() -> {
            CallMemory memory = CallMemory.current();
            MemorySegment initial = memory.scratch(1);
            MemorySegment sameSize = memory.scratch(CallMemory.INITIAL_SCRATCH);
            MemorySegment grown = memory.scratch(CallMemory.INITIAL_SCRATCH + 1);
            MemorySegment after = memory.scratch(1);
            seen.set(new long[] {initial.byteSize(), sameSize.address() - initial.address(), grown.byteSize(),
                    grown.address() == initial.address() ? 1 : 0, after.address() - grown.address(), grown.address() % 16});
        });
        fresh.join();
        long[] s = seen.get();
        assertThat(s[0]).isEqualTo(CallMemory.INITIAL_SCRATCH);
        assertThat(s[1]).as("a size it has is not a reason to grow").isZero();
        assertThat(s[2]).isEqualTo(2 * CallMemory.INITIAL_SCRATCH);
        assertThat(s[3]).as("grown into new memory").isZero();
        assertThat(s[4]).as("later calls keep the grown scratch").isZero();
        assertThat(s[5]).as("16-byte aligned").isZero();
    }

    @Test
    void a_request_beyond_twice_the_scratch_gets_what_it_asked_for() {
        CallMemory memory = CallMemory.current();
        long huge = 5 * Math.max(memory.scratch(1).byteSize(), CallMemory.INITIAL_SCRATCH);
        assertThat(memory.scratch(huge).byteSize()).isEqualTo(huge);
    }
}
