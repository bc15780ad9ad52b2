package dev.gazenerf.bench;

import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.render.OpenClRenderKernels;
import dev.gazenerf.render.ParallelRenderKernels;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.ScalarRenderKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
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
 * Volume compositing (reference 2.5) at the paper's size for one image: 4,096 rays x 64 samples x 258
 * channels, forward and forward+backward, per implementation ({@code scalar}: the specification;
 * {@code parallel}: threads + Vector API; {@code opencl}: Aparapi kernels on the first OpenCL GPU, else the
 * first OpenCL device, uploading and downloading every buffer per call; fails without a device).
 * Throughput is reported per sample point ("ops/s" = points/s);
 * one forward reads 270 MB of features, a backward also writes as much. The setup checks the chosen
 * implementation against scalar once before timing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class CompositeBenchmark {
    static final int RAYS = 4096;
    static final int SAMPLES = 64;
    static final int CHANNELS = 258;
    static final int POINTS = RAYS * SAMPLES;

    @Param({"scalar", "parallel", "opencl"})
    public String kernels;

    private RenderKernels k;
    private OpenClBackend openCl;
    private float[] sigma;
    private float[] feat;
    private float[] delta;
    private float[] tvals;
    private float[] bg;
    private float[] merged;
    private float[] depth;
    private float[] bgAlpha;
    private float[] alpha;
    private float[] trans;
    private float[] dSigma;
    private float[] dFeat;
    private float[] dDelta;
    private float[] dBg;
    private float[] dMerged;

    private static float[] uniform(int n, long seed, double lo, double hi) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        return a;
    }

    @Setup(Level.Trial)
    public void setup() {
        switch (kernels) {
            case "scalar" -> k = new ScalarRenderKernels();
            case "parallel" -> k = new ParallelRenderKernels(Runtime.getRuntime().availableProcessors());
            case "opencl" -> {
                openCl = new OpenClBackend();
                k = new OpenClRenderKernels(openCl);
            }
            default -> throw new IllegalArgumentException("unknown kernels '" + kernels + "'");
        }
        sigma = uniform(POINTS, 1, 0, 3);
        feat = uniform(POINTS * CHANNELS, 2, -1, 1);
        delta = uniform(POINTS, 3, 0.05, 0.15);
        tvals = uniform(POINTS, 4, 1, 7);
        bg = uniform(RAYS * CHANNELS, 5, 0, 1);
        dMerged = uniform(RAYS * CHANNELS, 6, -1, 1);
        merged = new float[RAYS * CHANNELS];
        depth = new float[RAYS];
        bgAlpha = new float[RAYS];
        alpha = new float[POINTS];
        trans = new float[POINTS];
        dSigma = new float[POINTS];
        dFeat = new float[POINTS * CHANNELS];
        dDelta = new float[POINTS];
        dBg = new float[RAYS * CHANNELS];
        validate();
    }

    /** One forward+backward of this implementation against scalar on the first 256 rays. */
    private void validate() {
        int rays = 256;
        int pts = rays * SAMPLES;
        ScalarRenderKernels s = new ScalarRenderKernels();
        float[] m1 = new float[rays * CHANNELS];
        float[] m2 = new float[rays * CHANNELS];
        float[] ds1 = new float[pts];
        float[] ds2 = new float[pts];
        float[] df1 = new float[pts * CHANNELS];
        float[] df2 = new float[pts * CHANNELS];
        float[] db1 = new float[RAYS * CHANNELS];
        float[] db2 = new float[RAYS * CHANNELS];
        float[] ba1 = new float[rays];
        float[] ba2 = new float[rays];
        float[] a1 = new float[pts];
        float[] a2 = new float[pts];
        float[] t1 = new float[pts];
        float[] t2 = new float[pts];
        s.compositeForward(m1, 0, null, ba1, 0, a1, t1, 0, sigma, 0, feat, 0, CHANNELS, delta, tvals, 0, bg,
                rays, SAMPLES, CHANNELS, RAYS, 0);
        k.compositeForward(m2, 0, null, ba2, 0, a2, t2, 0, sigma, 0, feat, 0, CHANNELS, delta, tvals, 0, bg,
                rays, SAMPLES, CHANNELS, RAYS, 0);
        s.compositeBackward(ds1, 0, df1, 0, CHANNELS, null, db1, dMerged, 0, null, ba1, 0, a1, t1, 0, sigma, 0,
                feat, 0, CHANNELS, delta, tvals, 0, bg, rays, SAMPLES, CHANNELS, RAYS, 0);
        k.compositeBackward(ds2, 0, df2, 0, CHANNELS, null, db2, dMerged, 0, null, ba2, 0, a2, t2, 0, sigma, 0,
                feat, 0, CHANNELS, delta, tvals, 0, bg, rays, SAMPLES, CHANNELS, RAYS, 0);
        compare("merged", m1, m2);
        compare("dSigma", ds1, ds2);
        compare("dFeat", df1, df2);
        compare("dBg", db1, db2);
    }

    private void compare(String what, float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-5 * Math.abs(a[i]))) {
                throw new IllegalStateException(kernels + " disagrees with scalar on " + what + "[" + i + "]: "
                        + a[i] + " vs " + b[i]);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        k.close();
        if (openCl != null) {
            openCl.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(POINTS)
    public float forward() {
        k.compositeForward(merged, 0, depth, bgAlpha, 0, alpha, trans, 0, sigma, 0, feat, 0, CHANNELS,
                delta, tvals, 0, bg, RAYS, SAMPLES, CHANNELS, RAYS, 0);
        return merged[7];
    }

    @Benchmark
    @OperationsPerInvocation(POINTS)
    public float forwardBackward() {
        k.compositeForward(merged, 0, depth, bgAlpha, 0, alpha, trans, 0, sigma, 0, feat, 0, CHANNELS,
                delta, tvals, 0, bg, RAYS, SAMPLES, CHANNELS, RAYS, 0);
        k.compositeBackward(dSigma, 0, dFeat, 0, CHANNELS, dDelta, dBg, dMerged, 0, null, bgAlpha, 0, alpha, trans, 0,
                sigma, 0, feat, 0, CHANNELS, delta, tvals, 0, bg, RAYS, SAMPLES, CHANNELS, RAYS, 0);
        return dSigma[7];
    }
}
