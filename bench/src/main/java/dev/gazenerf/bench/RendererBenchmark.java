package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.model.Preset;
import dev.gazenerf.render.NeuralRenderer;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.ScalarRenderKernels;
import dev.gazenerf.tensor.ParamLayout;
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

import java.util.concurrent.TimeUnit;

/**
 * The neural renderer (reference section 2.7) of one image, forward and forward+backward, per backend. At the
 * {@code paper} preset: a 64 x 64 x 258 feature map to a 512 x 512 x 3 image through 3 upsampling blocks;
 * {@code small}: 32 x 32 x 96 to 128 x 128 x 3. Backward produces every parameter gradient (accumulated, as in
 * training) and the input gradient, exactly what {@code bench/peer/peer.py renderer_fwd_bwd} asks PyTorch for.
 *
 * <p>Reported (throughput, per second): the primary score is images per second; the secondary counter
 * {@code flops} counts 2 x the multiply-adds of the 1x1 convolutions (forward: {@link #macsPerImage}; backward:
 * twice that, input and weight gradients), the work that dominates; upsampling, blur and activations are not
 * counted.
 *
 * <p>Setup runs forward+backward of a renderer with the same widths and blocks but an 8x smaller feature map
 * and image on this backend and on scalar and throws when they disagree, before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class RendererBenchmark {

    /** {@code vector}, {@code opencl} or {@code scalar} (scalar takes tens of seconds per call at paper size). */
    @Param({"vector", "opencl"})
    public String backend;

    /** The preset whose renderer is measured. */
    @Param({"paper"})
    public String preset;

    private Backend be;
    private RenderKernels rk;
    private NeuralRenderer renderer;
    private NeuralRenderer.Workspace ws;
    private float[] params;   // (layout size)
    private float[] dParams;  // (layout size)
    private float[] in;       // (F, F, C) channels-last
    private float[] dIn;      // (F, F, C)
    private float[] out;      // (O, O, 3)
    private float[] dOut;     // (O, O, 3)
    private long macs;

    /** Floating-point operations of the 1x1 convolutions, as a per-second rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long flops;

        @Setup(Level.Iteration)
        public void reset() {
            flops = 0;
        }
    }

    /** Multiply-adds of the renderer's 1x1 convolutions for one image (forward). */
    public static long macsPerImage(NeuralRenderer r) {
        long f = r.featmapSize();
        long m = f * f * r.width(0) * 3L;
        for (int i = 0; i < r.blocks(); i++) {
            long rows = (f << i) * (f << i);
            long rowsNext = 4 * rows;
            long c = r.width(i);
            m += rows * (c * 2 * c + 2 * c * 4 * c);
            m += rowsNext * (c * r.width(i + 1) + r.width(i + 1) * 3L);
        }
        return m;
    }

    static NeuralRenderer rendererOf(Preset p, ParamLayout layout, int shrink) {
        return new NeuralRenderer(layout, "", p.featureChannels(), p.featmapSize() / shrink, p.outputSize() / shrink,
                p.minRendererChannels());
    }

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.create(backend);
        rk = RenderKernels.forBackend(be);
        Preset p = Preset.load(preset);
        ParamLayout layout = new ParamLayout();
        renderer = rendererOf(p, layout, 1);
        params = new float[layout.size()];
        renderer.initialize(params, 7);
        dParams = new float[params.length];
        int f = renderer.featmapSize();
        int o = renderer.outputSize();
        in = BenchData.uniform(f * f * renderer.width(0), 1, -1, 1);
        dIn = new float[in.length];
        out = new float[o * o * 3];
        dOut = BenchData.uniform(o * o * 3, 2, -1, 1);
        ws = renderer.newWorkspace(1);
        macs = macsPerImage(renderer);
        checkAgainstScalar(p);
        System.out.println("# backend: " + be.name() + " on " + be.device() + "; " + macs + " multiply-adds per forward");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rk.close();
        be.close();
    }

    @Benchmark
    public float forward(Counters c) {
        renderer.forward(be, rk, ws, out, in, 0, params, 1);
        c.flops += 2 * macs;
        return out[out.length - 1];
    }

    @Benchmark
    public float forwardBackward(Counters c) {
        renderer.forward(be, rk, ws, out, in, 0, params, 1);
        renderer.backward(be, rk, ws, dIn, 0, false, dParams, dOut, in, params);
        c.flops += 6 * macs;
        return dIn[dIn.length - 1];
    }

    /** Forward+backward of an 8x smaller renderer (same widths and blocks) here and on scalar. */
    private void checkAgainstScalar(Preset p) {
        int shrink = Math.min(8, p.featmapSize() / 2);
        float[][] got = smallRun(p, shrink, be, rk);
        float[][] ref;
        try (Backend s = new ScalarBackend(); RenderKernels sk = new ScalarRenderKernels()) {
            ref = smallRun(p, shrink, s, sk);
        }
        // tolerance: 3x the worst error seen, 4.7e-7 of max|ref| (vector, paper widths; opencl on PoCL 1.9e-7)
        BenchData.compare("RendererBenchmark(" + backend + ")", new String[]{"image", "dIn", "dParams"}, ref, got, 1.5e-6);
    }

    private static float[][] smallRun(Preset p, int shrink, Backend b, RenderKernels k) {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = rendererOf(p, layout, shrink);
        float[] w = new float[layout.size()];
        r.initialize(w, 7);
        float[] dw = new float[w.length];
        int f = r.featmapSize();
        int o = r.outputSize();
        float[] x = BenchData.uniform(f * f * r.width(0), 1, -1, 1);
        float[] dx = new float[x.length];
        float[] y = new float[o * o * 3];
        float[] dy = BenchData.uniform(o * o * 3, 2, -1, 1);
        NeuralRenderer.Workspace w1 = r.newWorkspace(1);
        r.forward(b, k, w1, y, x, 0, w, 1);
        r.backward(b, k, w1, dx, 0, false, dw, dy, x, w);
        return new float[][]{y, dx, dw};
    }
}
