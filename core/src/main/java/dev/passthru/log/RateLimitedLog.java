package dev.passthru.log;

import org.jspecify.annotations.Nullable;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A log that writes at most {@code burst} lines per interval and counts the rest, so that a
 * guest cannot flood the host's log by repeating a bad access (XSA-130). When a new interval
 * starts after lines were dropped, one line says how many. Inside a {@link LogScope} (the
 * daemon runs each VM's work in one named for the VM) each subject has its own budget and its
 * lines start with its name, so one VM's flood never silences another VM's lines.
 */
public final class RateLimitedLog {

    /** The budget of lines logged outside any scope. */
    private static final String UNSCOPED = "";

    private final Logger logger;
    private final int burst;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final Map<String, Budget> budgets = new HashMap<>();
    private long totalSuppressed;

    /** One subject's interval: when it began, lines written in it, lines dropped in it. */
    private static final class Budget {
        long intervalStart;
        int written;
        long suppressed;
        long totalSuppressed;

        Budget(long now) {
            intervalStart = now;
        }
    }

    public RateLimitedLog(Logger logger, int burst, long intervalNanos, LongSupplier clock) {
        this.logger = logger;
        this.burst = burst;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        budgets.put(UNSCOPED, new Budget(clock.getAsLong()));
    }

    /** Ten lines per five seconds, on the system clock. */
    public static RateLimitedLog of(String name) {
        return new RateLimitedLog(System.getLogger(name), 10, 5_000_000_000L, System::nanoTime);
    }

    /** Logs {@code format} with {@code args} unless this interval's lines of the current scope are used up. */
    public synchronized void log(Level level, String format, @Nullable Object... args) {
        if (!logger.isLoggable(level)) {
            return;
        }
        String subject = LogScope.current();
        String prefix = subject == null ? "" : subject + ": ";
        long now = clock.getAsLong();
        Budget budget = budgets.computeIfAbsent(subject == null ? UNSCOPED : subject, s -> new Budget(now));
        if (now - budget.intervalStart >= intervalNanos) {
            if (budget.suppressed > 0) {
                logger.log(level, prefix + budget.suppressed + " similar messages suppressed");
            }
            budget.intervalStart = now;
            budget.written = 0;
            budget.suppressed = 0;
        }
        if (budget.written < burst) {
            budget.written++;
            logger.log(level, prefix + String.format(format, args));
        } else {
            budget.suppressed++;
            budget.totalSuppressed++;
            totalSuppressed++;
        }
    }

    /** Lines dropped so far, over all intervals and scopes. */
    public synchronized long suppressed() {
        return totalSuppressed;
    }

    /** Lines of {@code subject}'s scope dropped so far, over all intervals. */
    public synchronized long suppressed(String subject) {
        Budget budget = budgets.get(subject);
        return budget == null ? 0 : budget.totalSuppressed;
    }
}
