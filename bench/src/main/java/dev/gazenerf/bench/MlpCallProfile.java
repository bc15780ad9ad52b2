package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;

import java.util.Locale;
import java.util.Map;

/**
 * Where the paper MLP's training step ({@link MlpBenchmark#trainStep}'s work) spends its time, call by call: the
 * backend is wrapped so that every call is timed, and the table gives each gemm shape and each element-wise op per
 * step, with the GFLOP/s of the gemms, and the matrix work of the whole step together (all gemm multiply-adds over
 * all gemm time) as GFLOP/s and as a fraction of the peak when one is given. Not a benchmark (the wrapper and the
 * clock cost a little per call; JMH's {@code MlpBenchmark} gives the step's speed): a profile to run by hand.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.gazenerf.bench.MlpCallProfile \
 *      [points 4096] [measured steps 30] [peak GFLOP/s, e.g. from bench/target/compare/peak.json]
 * </pre>
 * The backend is {@code -Dgazenerf.backend} (default vector), its threads {@code -Dgazenerf.threads}.
 */
public final class MlpCallProfile {
    private MlpCallProfile() {
    }

    public static void main(String[] args) throws Exception {
        int points = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        double peak = args.length > 2 ? Double.parseDouble(args[2]) : Double.NaN;
        TimedBackend timed = new TimedBackend(Backends.create(System.getProperty("gazenerf.backend", "vector")), true);
        Backend raw = timed.target();
        Backend be = timed.backend();
        // MlpBenchmark's own step on the wrapped backend (its set-up checks the results against scalar first)
        MlpBenchmark bench = new MlpBenchmark();
        bench.points = points;
        bench.setUp(be);
        try {
            MlpBenchmark.Counters counters = new MlpBenchmark.Counters();
            int warm = Math.max(10, steps / 2);
            long total = 0;
            for (int s = 0; s < warm + steps; s++) {
                timed.on = s >= warm;
                long t0 = System.nanoTime();
                bench.trainStep(counters);
                if (timed.on) {
                    total += System.nanoTime() - t0;
                }
            }
            double stepMs = total / 1e6 / steps;
            System.out.printf(Locale.ROOT, "paper MLP train step, %d points, %s (%s): %.2f ms per step, %.0f points/s%n",
                    points, raw.name(), raw.device(), stepMs, points / (stepMs / 1e3));
            double listed = 0;
            for (Map.Entry<String, long[]> e : timed.table.entrySet()) {
                long[] v = e.getValue();
                double ms = v[0] / 1e6 / steps;
                listed += ms;
                String rate = "";
                if (v[2] > 0) {
                    rate = String.format(Locale.ROOT, "%7.1f GFLOP/s", (double) v[2] / v[0]);
                }
                System.out.printf(Locale.ROOT, "  %-22s %3d per step %9.3f ms %5.1f%% %s%n", e.getKey(), v[1] / steps, ms,
                        100 * ms / stepMs, rate);
            }
            System.out.printf(Locale.ROOT, "  %-22s              %9.3f ms %5.1f%%%n", "(outside the backend)", stepMs - listed,
                    100 * (stepMs - listed) / stepMs);
            // the products' totals as TimedBackend keeps them, the same figure MlpMatrixWorkBenchmark reports
            long gemmNanos = timed.gemmNanos;
            long gemmFlops = timed.gemmFlops;
            double matrix = (double) gemmFlops / gemmNanos;
            System.out.printf(Locale.ROOT, "matrix work: %.1f%% of the step's time at %.1f GFLOP/s%s; the whole step %.1f GFLOP/s%n",
                    100.0 * gemmNanos / steps / 1e6 / stepMs, matrix,
                    Double.isNaN(peak) ? "" : String.format(Locale.ROOT, " (%.0f%% of %.0f)", 100 * matrix / peak, peak),
                    gemmFlops / (double) steps / (stepMs * 1e6));
        } finally {
            bench.tearDown();
        }
    }
}
