package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.nn.Adam;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;
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

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The paper-size NeRF MLP (section 2.4; 1,518,979 parameters) per backend: {@code forward}, and
 * {@code trainStep} = forward + backward + Adam over all parameters (the trainer's inner loop for one chunk).
 *
 * <p>A batch is one image whose {@code points} points (4,096 or 65,536; 65,536 = 1,024 rays x 64 samples)
 * share one shape and one appearance code, so the hoisted code products are computed once per call. Backward
 * produces every weight gradient and the gradients of both codes, not the encoded points (no camera
 * refinement here), exactly what {@code bench/peer/peer.py mlp_step_*} asks PyTorch for.
 *
 * <p>Reported (throughput mode, per second): the secondary results {@code points} (points per second) and
 * {@code flops} (2 x multiply-adds per second; divide by 1e9 for GFLOP/s), counting the multiply-adds the engine
 * performs: forward 1,204,224 per point (hoisted, RGB_layer_0 folded into RGB_layer_1; 1,515,072 in the
 * reference's plain form, section 7) plus 28,385,280 per call for the fold; backward adds the weight gradients
 * (1,204,224 per point) and the input gradients of every layer but the point columns of FeaExt_module_0 and of
 * the skip layer (1,204,224 - 2 x 63 x 384 = 1,155,840), and per call the fold's two W/2 x W x W products
 * (56,770,560) and two matrix-vector products; so a train step is 3,564,288 per point plus 85,155,840 per call
 * (4,006,656 per point before the fold, 2026-11-26).
 *
 * <p>Setup runs the same computation on a 48-point prefix with the scalar backend and throws when the
 * backend disagrees, before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class MlpBenchmark {

    /** The backend: {@code vector}, {@code opencl} or {@code scalar} (scalar is slow: pass it explicitly). */
    @Param({"vector", "opencl"})
    public String backend;

    /** Points per call, all of one image. */
    @Param({"4096", "65536"})
    public int points;

    private static final NerfMlpConfig CFG = NerfMlpConfig.paper();
    private static final int CHECK_POINTS = 48;

    private Backend be;
    private NerfMlp mlp;
    private NerfMlp.Workspace ws;
    private Adam adam;
    private float[] params;     // (1,518,979)
    private float[] dParams;    // (1,518,979)
    private float[] pe;         // (points, 63)
    private float[] code;       // (1, 181)
    private float[] app;        // (1, 127)
    private float[] dCode;      // (1, 181)
    private float[] dApp;       // (1, 127)
    private float[] sigma;      // (points)
    private float[] features;   // (points, 258)
    private float[] dSigma;     // (points)
    private float[] dFeatures;  // (points, 258)

    /** Points and floating-point operations done, as per-second rates. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long points;
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            points = 0;
            flops = 0;
        }
    }

    /** Multiply-adds per point of the forward (hoisted). */
    public static long forwardMacsPerPoint(NerfMlpConfig c) {
        return c.macsPerPointFolded();
    }

    /** Multiply-adds of one forward call over {@code points} points. */
    public static long forwardMacs(NerfMlpConfig c, int points) {
        return forwardMacsPerPoint(c) * points + c.foldMacsPerCall();
    }

    /** Multiply-adds per point of forward + backward without the encoded-point gradient (per-call terms apart). */
    public static long trainMacsPerPoint(NerfMlpConfig c) {
        long fwd = c.macsPerPointFolded();
        return fwd + fwd + (fwd - 2L * c.encodedWidth() * c.width());
    }

    /** Multiply-adds of one train step over {@code points} points: forward's fold, and backward's three per call. */
    public static long trainMacs(NerfMlpConfig c, int points) {
        return trainMacsPerPoint(c) * points + 3 * c.foldMacsPerCall();
    }

    @Setup(Level.Trial)
    public void setUp() {
        setUp(Backends.create(backend));
    }

    /** The set-up on a given backend (MlpCallProfile passes a timing wrapper); {@link #tearDown} closes it. */
    void setUp(Backend backend) {
        be = backend;
        mlp = new NerfMlp(CFG);
        params = new float[mlp.parameterCount()];
        mlp.initialize(params, 45);
        dParams = new float[params.length];
        pe = uniform(points * CFG.encodedWidth(), 1);
        code = uniform(CFG.shapeCodeWidth(), 2);
        app = uniform(CFG.appearanceWidth(), 3);
        dCode = new float[code.length];
        dApp = new float[app.length];
        sigma = new float[points];
        features = new float[points * CFG.featureChannels()];
        dSigma = uniform(points, 4);
        dFeatures = uniform(points * CFG.featureChannels(), 5);
        ws = mlp.newWorkspace(1, points);
        adam = new Adam();
        adam.addGroup("net", params, dParams, Adam.PaperRates.NET, 0, params.length);
        checkAgainstScalar();
        System.out.println("# backend: " + be.name() + " on " + be.device());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public float forward(Counters c) {
        mlp.forward(be, ws, sigma, 0, features, 0, CFG.featureChannels(), pe, 0, CFG.encodedWidth(),
                code, 0, app, 0, params, 1, points);
        c.points += points;
        c.flops += 2L * forwardMacs(CFG, points);
        return sigma[points - 1];
    }

    @Benchmark
    public float trainStep(Counters c) {
        adam.zeroGradients();
        Arrays.fill(dCode, 0f);
        Arrays.fill(dApp, 0f);
        mlp.forward(be, ws, sigma, 0, features, 0, CFG.featureChannels(), pe, 0, CFG.encodedWidth(),
                code, 0, app, 0, params, 1, points);
        mlp.backward(be, ws, dParams, null, 0, 0, dCode, 0, dApp, 0, dSigma, 0, dFeatures, 0, CFG.featureChannels(),
                pe, 0, CFG.encodedWidth(), code, 0, app, 0, params, 1, points);
        adam.step(be);
        c.points += points;
        c.flops += 2L * trainMacs(CFG, points);
        return params[0];
    }

    /** Forward and backward of a prefix of the points on this backend and on scalar; throws on disagreement. */
    private void checkAgainstScalar() {
        float[][] got = prefixRun(be);
        float[][] ref;
        try (Backend scalar = new ScalarBackend()) {
            ref = prefixRun(scalar);
        }
        String[] names = {"sigma", "features", "dParams", "dShapeCode", "dAppearance"};
        for (int t = 0; t < ref.length; t++) {
            for (int i = 0; i < ref[t].length; i++) {
                double err = Math.abs((double) got[t][i] - ref[t][i]);
                if (!(err <= 1e-4 * (1 + Math.abs(ref[t][i])))) {
                    throw new IllegalStateException("MlpBenchmark: backend " + backend + " disagrees with scalar on "
                            + names[t] + "[" + i + "]: " + got[t][i] + " vs " + ref[t][i]);
                }
            }
        }
    }

    private float[][] prefixRun(Backend b) {
        int n = CHECK_POINTS;
        NerfMlp.Workspace w = mlp.newWorkspace(1, n);
        float[] s = new float[n];
        float[] f = new float[n * CFG.featureChannels()];
        float[] dp = new float[params.length];
        float[] dc = new float[code.length];
        float[] da = new float[app.length];
        mlp.forward(b, w, s, 0, f, 0, CFG.featureChannels(), pe, 0, CFG.encodedWidth(), code, 0, app, 0, params, 1, n);
        mlp.backward(b, w, dp, null, 0, 0, dc, 0, da, 0, dSigma, 0, dFeatures, 0, CFG.featureChannels(),
                pe, 0, CFG.encodedWidth(), code, 0, app, 0, params, 1, n);
        return new float[][]{s, f, dp, dc, da};
    }

    /** Uniform in [-1, 1), seeded (also MlpCallProfile's inputs). */
    static float[] uniform(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return a;
    }
}
