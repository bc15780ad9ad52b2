package dev.gazenerf.backend.tornadovm;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

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

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;

/**
 * The three gemm forms of a dense layer of GazeNeRF's MLPs (reference section 2.4: width 384), the same
 * problems, parameters and counters as {@code bench}'s {@code GemmBenchmark}, so the numbers sit beside the
 * scalar, vector and opencl rows: {@code gemmNT} forward {@code Y = X W^T} (m = points, n = k = width),
 * {@code gemmNN} input gradient {@code dX = dY W}, {@code gemmTN} weight gradient {@code dW = dY^T X}
 * (m = n = width, k = points). Each call is {@code 2 * points * width^2} FLOP; the secondary counter
 * {@code gflop} is GFLOP/s. Through the {@code Backend} contract a tornadovm call includes copying its
 * operands to and from the device (see {@link TornadoVmMlpStepBenchmark} for the device-resident step).
 *
 * <p>Any backend {@link Backends#create} knows can be passed ({@code -p backend=vector} where its module is
 * on the class path). Setup checks the first 64 rows (8 for gemmTN) against {@link ScalarBackend} before
 * timing and throws when they disagree. Runs only on a JVM started with TornadoVM's argfile (README,
 * "TornadoVM backend"); the forked JVM inherits the flags.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TornadoVmGemmBenchmark {
    @Param({"tornadovm"})
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
        be = Backends.create(backend);
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

    /** Each form once on the full problem, a subset of C against scalar: {@code |err| <= 1e-5 sum_p |a_p b_p| + 1e-6}. */
    private void validate() {
        ScalarBackend scalar = new ScalarBackend();
        int rows = Math.min(64, points);
        float[] ref = new float[rows * width];
        be.gemmNT(points, width, width, x, 0, width, w, 0, width, y, 0, width, false);
        scalar.gemmNT(rows, width, width, x, 0, width, w, 0, width, ref, 0, width, false);
        compare("gemmNT", y, ref, rows, width, x, width, 1, w, 1, width, width);
        be.gemmNN(points, width, width, dy, 0, width, w, 0, width, y, 0, width, false);
        scalar.gemmNN(rows, width, width, dy, 0, width, w, 0, width, ref, 0, width, false);
        compare("gemmNN", y, ref, rows, width, dy, width, 1, w, width, 1, width);
        int wRows = Math.min(8, width);
        float[] refW = new float[wRows * width];
        be.gemmTN(width, width, points, dy, 0, width, x, 0, width, dw, 0, width, false);
        scalar.gemmTN(wRows, width, points, dy, 0, width, x, 0, width, refW, 0, width, false);
        compare("gemmTN", dw, refW, wRows, width, dy, 1, width, x, width, 1, points);
    }

    /** Compares the first rows of C; A(i,q) = a[i*aRow + q*aDepth], B(q,j) = b[q*bDepth + j*bCol]. */
    private void compare(String op, float[] got, float[] ref, int rows, int cols, float[] a, int aRow, int aDepth,
                         float[] b, int bDepth, int bCol, int k) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double absSum = 0;
                for (int q = 0; q < k; q++) {
                    absSum += Math.abs((double) a[i * aRow + q * aDepth] * b[q * bDepth + j * bCol]);
                }
                double tol = 1e-5 * absSum + 1e-6;
                float g = got[i * cols + j];
                float r = ref[i * cols + j];
                if (!(Math.abs((double) g - r) <= tol)) {
                    throw new IllegalStateException("TornadoVmGemmBenchmark: " + backend + " " + op + " disagrees with scalar at ("
                            + i + ", " + j + "): " + g + " vs " + r + " (tolerance " + tol + ")");
                }
            }
        }
    }

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }
}
