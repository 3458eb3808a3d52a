package dev.passthru.bench;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;
import java.util.function.Function;

/**
 * Runs the benchmarks of one class with JMH's allocation profiler ({@code -prof gc}) and prints,
 * per benchmark, the median over the measurement iterations of the mean time per operation, the
 * spread, and the bytes allocated per operation (gc.alloc.rate.norm), beside a goal.
 */
final class BenchTable {

    private BenchTable() {
    }

    /** {@code args} {@code -v} shows JMH's own output; {@code goal} gives each benchmark's goal by its name. */
    static void run(Class<?> benchmarks, String[] args, Function<String, String> goal) throws RunnerException {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(benchmarks.getName())
                .addProfiler(GCProfiler.class)
                .verbosity(args.length > 0 && args[0].equals("-v") ? VerboseMode.NORMAL : VerboseMode.SILENT)
                .build()).run();
        System.out.printf("%-16s %12s %20s %10s %12s%n", "benchmark", "median ns/op", "iterations min-max", "B/op", "goal");
        for (RunResult run : results) {
            BenchmarkResult result = run.getAggregatedResult();
            String name = run.getParams().getBenchmark().replaceAll(".*\\.", "");
            double[] scores = result.getIterationResults().stream()
                    .map(IterationResult::getPrimaryResult).mapToDouble(r -> r.getScore()).sorted().toArray();
            Result<?> alloc = result.getSecondaryResults().get("gc.alloc.rate.norm");
            System.out.printf("%-16s %12.2f %9.2f - %-8.2f %10.3f %12s%n", name, median(scores),
                    scores[0], scores[scores.length - 1], alloc == null ? Double.NaN : alloc.getScore(), goal.apply(name));
        }
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
