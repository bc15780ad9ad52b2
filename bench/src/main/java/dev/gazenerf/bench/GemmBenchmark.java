package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * GFLOP/s of the three gemm forms of a dense layer of GazeNeRF's MLPs (reference section 2.4: width 384,
 * points per chunk 4,096 to 65,536), per backend:
 * <ul>
 *   <li>{@code gemmNT}: forward {@code Y = X W^T}, m = points, n = k = width;</li>
 *   <li>{@code gemmNN}: input gradient {@code dX = dY W}, m = points, n = k = width;</li>
 *   <li>{@code gemmTN}: weight gradient {@code dW = dY^T X}, m = n = width, k = points.</li>
 * </ul>
 * Each call is {@code 2 * points * width^2} FLOP. The secondary counter {@code gflop} reports GFLOP/s
 * directly; the primary score is calls per second (multiply by {@code 2 * points * width^2 / 1e9}).
 * Compare with {@link PeakFlops} run on the same machine at the same time.
 *
 * <p>Setup checks the backend against {@link ScalarBackend} once before timing (on a subset of the rows of C)
 * and throws if they disagree. {@code scalar} is measured at 4,096 points only: at 65,536 one call takes
 * tens of seconds, so setup refuses it with a message (pass {@code -p points=4096} to skip the combination).
 * {@code opencl} fails in setup with the reason when there is no OpenCL backend or device here.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GemmBenchmark {
    @Param({"scalar", "vector", "opencl"})
    public String backend;

    @Param({"4096", "65536"})
    public int points;

    @Param({"384"})
    public int width;

    private Backend be;
    private float[] x;    // (points, width)
    private float[] w;    // (width, width), [out, in]
    private float[] dy;   // (points, width)
    private float[] y;    // (points, width)
    private float[] dw;   // (width, width)
    private double flopPerCall;

    /** GFLOP done, reported by JMH as GFLOP per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        if (backend.equals("scalar") && points > 4096) {
            throw new IllegalArgumentException("GemmBenchmark: scalar is measured at points=4096 only (one call at "
                    + points + " points takes tens of seconds); run with -p points=4096 for scalar");
        }
        try {
            be = Backends.create(backend);
        } catch (RuntimeException e) {
            throw new IllegalStateException("GemmBenchmark: backend '" + backend + "' cannot start here: " + e.getMessage(), e);
        }
        System.out.println("# backend " + be.name() + ": " + be.device());
        x = random(1, points * width);
        w = random(2, width * width);
        dy = random(3, points * width);
        y = new float[points * width];
        dw = new float[width * width];
        flopPerCall = 2.0 * points * width * width;
        validate();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (be != null) {
            be.close();
        }
    }

    @Benchmark
    public float[] gemmNT(Counters counters) {
        be.gemmNT(points, width, width, x, 0, width, w, 0, width, y, 0, width, false);
        counters.gflop += flopPerCall / 1e9;
        return y;
    }

    @Benchmark
    public float[] gemmNN(Counters counters) {
        be.gemmNN(points, width, width, dy, 0, width, w, 0, width, y, 0, width, false);
        counters.gflop += flopPerCall / 1e9;
        return y;
    }

    @Benchmark
    public float[] gemmTN(Counters counters) {
        be.gemmTN(width, width, points, dy, 0, width, x, 0, width, dw, 0, width, false);
        counters.gflop += flopPerCall / 1e9;
        return dw;
    }

    /**
     * Runs each form once on the full problem and compares a subset of C with scalar: the first 64 rows for NT
     * and NN, the first 8 rows of dW for TN. Tolerance per element: {@code 1e-5 * sum_p |a_p b_p| + 1e-6},
     * far above float rounding of any summation order and far below the error of a wrong block.
     */
    private void validate() {
        ScalarBackend scalar = new ScalarBackend();
        int rows = Math.min(64, points);
        be.gemmNT(points, width, width, x, 0, width, w, 0, width, y, 0, width, false);
        float[] ref = new float[rows * width];
        scalar.gemmNT(rows, width, width, x, 0, width, w, 0, width, ref, 0, width, false);
        compare("gemmNT", y, ref, rows, width, (i, j) -> {
            double s = 0;
            for (int p = 0; p < width; p++) {
                s += Math.abs((double) x[i * width + p] * w[j * width + p]);
            }
            return s;
        });
        be.gemmNN(points, width, width, dy, 0, width, w, 0, width, y, 0, width, false);
        scalar.gemmNN(rows, width, width, dy, 0, width, w, 0, width, ref, 0, width, false);
        compare("gemmNN", y, ref, rows, width, (i, j) -> {
            double s = 0;
            for (int p = 0; p < width; p++) {
                s += Math.abs((double) dy[i * width + p] * w[p * width + j]);
            }
            return s;
        });
        int wRows = Math.min(8, width);
        be.gemmTN(width, width, points, dy, 0, width, x, 0, width, dw, 0, width, false);
        float[] refW = new float[wRows * width];
        scalar.gemmTN(wRows, width, points, dy, 0, width, x, 0, width, refW, 0, width, false);
        compare("gemmTN", dw, refW, wRows, width, (i, j) -> {
            double s = 0;
            for (int p = 0; p < points; p++) {
                s += Math.abs((double) dy[p * width + i] * x[p * width + j]);
            }
            return s;
        });
    }

    private interface AbsSum {
        double at(int i, int j);
    }

    private void compare(String op, float[] got, float[] ref, int rows, int cols, AbsSum absSum) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float g = got[i * cols + j];
                float r = ref[i * cols + j];
                double tol = 1e-5 * absSum.at(i, j) + 1e-6;
                if (!(Math.abs((double) g - r) <= tol)) {
                    throw new IllegalStateException("GemmBenchmark: " + backend + " " + op + " disagrees with scalar at ("
                            + i + ", " + j + "): " + g + " vs " + r + " (tolerance " + tol + ")");
                }
            }
        }
    }

    private static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }
}
