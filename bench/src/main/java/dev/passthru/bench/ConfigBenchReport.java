package dev.passthru.bench;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;

/**
 * Runs {@link ConfigAccessBenchmark} with JMH's allocation profiler and prints, per benchmark,
 * the median over the measurement iterations of the mean time per operation, the spread, and
 * the bytes allocated per operation, beside the goals of issue 2.
 */
public final class ConfigBenchReport {

    private ConfigBenchReport() {
    }

    public static void main(String[] args) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(ConfigAccessBenchmark.class.getSimpleName())
                .addProfiler(GCProfiler.class)
                .verbosity(args.length > 0 && args[0].equals("-v") ? VerboseMode.NORMAL : VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        System.out.printf("%-14s %12s %20s %10s %8s%n", "benchmark", "median ns/op", "iterations min-max", "B/op", "goal");
        for (RunResult run : results) {
            BenchmarkResult result = run.getAggregatedResult();
            String name = run.getParams().getBenchmark().replaceAll(".*\\.", "");
            double[] scores = result.getIterationResults().stream()
                    .map(IterationResult::getPrimaryResult).mapToDouble(Result::getScore).sorted().toArray();
            Result alloc = result.getSecondaryResults().get("gc.alloc.rate.norm");
            System.out.printf("%-14s %12.2f %9.2f - %-8.2f %10.3f %8s%n", name, median(scores),
                    scores[0], scores[scores.length - 1], alloc == null ? Double.NaN : alloc.getScore(),
                    name.startsWith("read") ? "<= 25" : "<= 60");
        }
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
