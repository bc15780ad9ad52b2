package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.ScalarRenderKernels;
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
 * Rendering one image with the whole model in test mode (no jitter, no gradients), as inference and the
 * held-out evaluation do: {@link GazeNerfModel#forward} of one image, which composites both streams over all
 * rays and runs the renderer on the merged, face, eye and background maps (the four images of section 2).
 * At the {@code paper} preset: 4,096 rays x 64 samples through two 1.5 M-parameter MLPs, then four 512 x 512
 * renders. The peer is {@code bench/peer/peer.py paper_render_image}.
 *
 * <p>Reported (throughput): images per second; the secondary counter {@code flops} counts
 * 2 x {@link ModelInputs#forwardMacs} per image (the dense layers only).
 *
 * <p>Setup renders one image of the {@code tiny} preset on this backend and on scalar and throws when the
 * four images disagree, before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class RenderImageBenchmark {

    /** {@code vector}, {@code opencl} or {@code scalar}. */
    @Param({"vector", "opencl"})
    public String backend;

    /** The preset rendered. */
    @Param({"paper"})
    public String preset;

    private Backend be;
    private RenderKernels rk;
    private GazeNerfModel model;
    private GazeNerfModel.Parameters params;
    private GazeNerfModel.Workspace ws;
    private ModelInputs in;
    private long macs;
    private long streamPoints;

    /**
     * Floating-point operations of the dense layers, and points evaluated by the two MLP streams (rays x samples
     * x 2 per image), as per-second rates.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long flops;
        public long points;

        @Setup(Level.Iteration)
        public void reset() {
            flops = 0;
            points = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.create(backend);
        rk = RenderKernels.forBackend(be);
        checkAgainstScalar();
        model = new GazeNerfModel(Preset.load(preset));
        params = model.newParameters(45);
        ws = model.newWorkspace(1);
        in = new ModelInputs(model);
        macs = ModelInputs.forwardMacs(model);
        streamPoints = 2L * model.preset().raysPerImage() * model.preset().samples();
        System.out.println("# backend: " + be.name() + " on " + be.device() + "; " + macs + " multiply-adds per image");
        System.out.println("# heap " + preset + " render (1 image): " + BenchData.usedHeapMiB() + " MiB with its workspace");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rk.close();
        be.close();
    }

    @Benchmark
    public float renderImage(Counters c) {
        in.forward(model, be, rk, ws, params, false, 0);
        c.flops += 2 * macs;
        c.points += streamPoints;
        return ws.mergeImage()[0];
    }

    private void checkAgainstScalar() {
        GazeNerfModel m = new GazeNerfModel(Preset.load("tiny"));
        GazeNerfModel.Parameters p = m.newParameters(45);
        ModelInputs x = new ModelInputs(m);
        GazeNerfModel.Workspace mine = m.newWorkspace(1);
        GazeNerfModel.Workspace ref = m.newWorkspace(1);
        x.forward(m, be, rk, mine, p, false, 0);
        try (Backend s = new ScalarBackend(); RenderKernels sk = new ScalarRenderKernels()) {
            x.forward(m, s, sk, ref, p, false, 0);
        }
        BenchData.compare("RenderImageBenchmark(" + backend + ")", new String[]{"merge_img", "merge_img_face",
                        "merge_img_eyes", "bg_img"},
                new float[][]{ref.mergeImage(), ref.faceImage(), ref.eyesImage(), ref.backgroundImage()},
                new float[][]{mine.mergeImage(), mine.faceImage(), mine.eyesImage(), mine.backgroundImage()},
                6e-7);  // 3x the worst error seen, 2.0e-7 of max|ref| (vector and opencl on PoCL)
    }
}
