package dev.passthru.bench;

import org.openjdk.jmh.runner.RunnerException;

/**
 * Runs {@link ConfigAccessBenchmark} with JMH's allocation profiler and prints its table (see
 * {@link BenchTable}) beside the time goals of issue 2.
 */
public final class ConfigBenchReport {

    private ConfigBenchReport() {
    }

    public static void main(String[] args) throws RunnerException {
        BenchTable.run(ConfigAccessBenchmark.class, args, name -> name.startsWith("read") ? "<= 25 ns" : "<= 60 ns");
    }
}
