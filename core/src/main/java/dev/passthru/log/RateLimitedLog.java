package dev.passthru.log;

import org.jspecify.annotations.Nullable;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.function.LongSupplier;

/**
 * A log that writes at most {@code burst} lines per interval and counts the rest, so that a
 * guest cannot flood the host's log by repeating a bad access (XSA-130). When a new interval
 * starts after lines were dropped, one line says how many.
 */
public final class RateLimitedLog {

    private final Logger logger;
    private final int burst;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long intervalStart;
    private int written;
    private long suppressed;
    private long totalSuppressed;

    public RateLimitedLog(Logger logger, int burst, long intervalNanos, LongSupplier clock) {
        this.logger = logger;
        this.burst = burst;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        this.intervalStart = clock.getAsLong();
    }

    /** Ten lines per five seconds, on the system clock. */
    public static RateLimitedLog of(String name) {
        return new RateLimitedLog(System.getLogger(name), 10, 5_000_000_000L, System::nanoTime);
    }

    /** Logs {@code format} with {@code args} unless this interval's lines are used up. */
    public void log(Level level, String format, @Nullable Object... args) {
        if (!logger.isLoggable(level)) {
            return;
        }
        long now = clock.getAsLong();
        if (now - intervalStart >= intervalNanos) {
            if (suppressed > 0) {
                logger.log(level, "{0} similar messages suppressed", suppressed);
            }
            intervalStart = now;
            written = 0;
            suppressed = 0;
        }
        if (written < burst) {
            written++;
            logger.log(level, String.format(format, args));
        } else {
            suppressed++;
            totalSuppressed++;
        }
    }

    /** Lines dropped so far, over all intervals. */
    public long suppressed() {
        return totalSuppressed;
    }
}
