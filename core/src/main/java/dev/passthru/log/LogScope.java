package dev.passthru.log;

import org.jspecify.annotations.Nullable;

import java.util.function.Supplier;

/**
 * Whose work the current thread is doing, such as a VM's name. A {@link RateLimitedLog} keeps
 * one budget of lines for each, and labels each line with it, so that one guest's flood uses up
 * its own lines only and cannot hide another guest's. A scoped value rather than a parameter:
 * the lines come from deep in the device model, which does not know which VM it serves.
 */
public final class LogScope {

    private static final ScopedValue<String> SUBJECT = ScopedValue.newInstance();

    private LogScope() {
    }

    /** Runs {@code work} with log lines counted and labelled as {@code subject}'s; its result. */
    public static <T> T call(String subject, Supplier<T> work) {
        return ScopedValue.where(SUBJECT, subject).call(work::get);
    }

    /** The subject the current thread works for, or null outside any. */
    static @Nullable String current() {
        return SUBJECT.isBound() ? SUBJECT.get() : null;
    }
}
