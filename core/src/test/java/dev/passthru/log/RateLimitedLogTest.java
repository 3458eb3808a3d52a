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

    @Test
    void one_vms_flood_uses_up_its_own_lines_and_another_vms_lines_still_appear() {
        Lines lines = new Lines();
        AtomicLong clock = new AtomicLong();
        RateLimitedLog log = new RateLimitedLog(lines, 2, 100, clock::get);
        LogScope.call("flood", () -> {
            for (int i = 0; i < 1000; i++) {
                log.log(Level.WARNING, "bad access %d", i);
            }
            return null;
        });
        LogScope.call("quiet", () -> {
            log.log(Level.WARNING, "its one bad access");
            return null;
        });
        log.log(Level.WARNING, "outside any VM");
        assertThat(lines.lines).containsExactly("flood: bad access 0", "flood: bad access 1", "quiet: its one bad access",
                "outside any VM");
        assertThat(log.suppressed("flood")).isEqualTo(998);
        assertThat(log.suppressed("quiet")).isZero();
        assertThat(log.suppressed()).isEqualTo(998);
        clock.set(100);
        LogScope.call("flood", () -> {
            log.log(Level.WARNING, "bad access %d", 1000);
            return null;
        });
        assertThat(lines.lines).endsWith("flood: 998 similar messages suppressed", "flood: bad access 1000");
    }
}
