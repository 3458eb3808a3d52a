package dev.passthru.log;

import org.junit.jupiter.api.Test;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimitedLogTest {

    /** A logger that keeps its lines. */
    static final class Lines implements Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "lines";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(java.text.MessageFormat.format(format, params));
        }
    }

    @Test
    void writes_a_burst_per_interval_then_says_how_many_it_dropped() {
        Lines lines = new Lines();
        AtomicLong clock = new AtomicLong();
        RateLimitedLog log = new RateLimitedLog(lines, 3, 100, clock::get);
        for (int i = 0; i < 10; i++) {
            log.log(Level.WARNING, "bad access %d", i);
        }
        assertThat(lines.lines).containsExactly("bad access 0", "bad access 1", "bad access 2");
        clock.set(100);
        log.log(Level.WARNING, "bad access %d", 10);
        assertThat(lines.lines).containsExactly("bad access 0", "bad access 1", "bad access 2",
                "7 similar messages suppressed", "bad access 10");
        assertThat(log.suppressed()).isEqualTo(7);
    }
}
