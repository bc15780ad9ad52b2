package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.ScalarRenderKernels;
import dev.gazenerf.training.ModelState;
import dev.gazenerf.training.ReconstructionLoss;
import dev.gazenerf.training.TrainOptions;
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
import java.util.concurrent.TimeUnit;

/**
 * One full training step of one image, as the trainer's inner loop does it (section 3 of the reference spec):
 * {@link GazeNerfModel#forward} (train mode, stratified jitter), the reconstruction loss and its image gradients
 * ({@link ReconstructionLoss}, reference weights, L1), {@link GazeNerfModel#backward} to every network
 * parameter, the codes and the camera corrections, and one Adam step over the networks and offset tables
 * ({@link ModelState#adam()}). Not included: reading the sample and scattering code gradients into the offset
 * tables (a few hundred floats). The peer is {@code bench/peer/peer.py small_train_step}.
 *
 * <p>Reported (throughput): the primary score is steps per second; the secondary counter {@code flops} counts
 * 2 x {@link ModelInputs#trainMacs} per step (the dense layers only).
 *
 * <p>Setup runs one step of the {@code tiny} preset on this backend and on scalar and throws when images or
 * gradients disagree, before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class TrainStepBenchmark {

    /** {@code vector}, {@code opencl} or {@code scalar}. */
    @Param({"vector", "opencl"})
    public String backend;

    /** The preset trained. */
    @Param({"small"})
    public String preset;

    private Backend be;
    private RenderKernels rk;
    private Step step;
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

    /** Everything one step needs, allocated once. */
    static final class Step {
        final GazeNerfModel model;
        final ModelState state;
        final GazeNerfModel.Workspace ws;
        final ModelInputs in;
        final ReconstructionLoss loss;
        final int pixels;
        final float[] dMerge;        // (O * O, 3)
        final float[] dFace;         // (O * O, 3)
        final float[] dEyes;         // (O * O, 3)
        final float[] dBg;           // (O * O, 3)
        final float[] dShape;        // (1, iden + expr)
        final float[] dAppearance;   // (1, text + illu)
        final float[] dEuler;        // (1, 3)
        final float[] dTranslation;  // (1, 3)

        Step(Preset p) {
            model = new GazeNerfModel(p);
            state = new ModelState(model, 45, 1, TrainOptions.reference(1), true);
            ws = model.newWorkspace(1);
            in = new ModelInputs(model);
            loss = new ReconstructionLoss(TrainOptions.reference(1).loss());
            pixels = p.outputSize() * p.outputSize();
            dMerge = new float[pixels * 3];
            dFace = new float[pixels * 3];
            dEyes = new float[pixels * 3];
            dBg = new float[pixels * 3];
            dShape = new float[model.shapeDims()];
            dAppearance = new float[p.appearanceDims()];
            dEuler = new float[3];
            dTranslation = new float[3];
        }

        /** One step; returns the loss. */
        double run(Backend be, RenderKernels rk, long seed) {
            state.zeroGradients();
            in.forward(model, be, rk, ws, state.params, true, seed);
            ReconstructionLoss.Result r = loss.forwardBackward(ws.mergeImage(), ws.faceImage(), ws.eyesImage(),
                    ws.backgroundImage(), in.target, in.headMask, in.leftEye, in.rightEye, 1, pixels,
                    dMerge, dFace, dEyes, dBg);
            Arrays.fill(dShape, 0f);
            Arrays.fill(dAppearance, 0f);
            Arrays.fill(dEuler, 0f);
            Arrays.fill(dTranslation, 0f);
            model.backward(be, rk, ws, state.params, state.grads, dMerge, dFace, dEyes, dBg,
                    dShape, dAppearance, null, dEuler, dTranslation);
            state.adam().step(be);
            return r.total();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.create(backend);
        rk = RenderKernels.forBackend(be);
        checkAgainstScalar();
        step = new Step(Preset.load(preset));
        macs = ModelInputs.trainMacs(step.model, step.ws.keepsMlpCaches());
        streamPoints = 2L * step.model.preset().raysPerImage() * step.model.preset().samples();
        System.out.println("# backend: " + be.name() + " on " + be.device() + "; " + macs + " multiply-adds per step"
                + (step.ws.keepsMlpCaches() ? " (MLP caches kept)" : " (MLP forward recomputed in backward)"));
        step.run(be, rk, 3);
        System.out.println("# heap " + preset + " training step (1 image): " + BenchData.usedHeapMiB() + " MiB after a step");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rk.close();
        be.close();
    }

    @Benchmark
    public double trainStep(Counters c) {
        double l = step.run(be, rk, 3);
        c.flops += 2 * macs;
        c.points += streamPoints;
        return l;
    }

    /** One step of the tiny preset here and on scalar: images, gradients and updated parameters must agree. */
    private void checkAgainstScalar() {
        Step mine = new Step(Preset.load("tiny"));
        Step ref = new Step(Preset.load("tiny"));
        mine.run(be, rk, 3);
        try (Backend s = new ScalarBackend(); RenderKernels sk = new ScalarRenderKernels()) {
            ref.run(s, sk, 3);
        }
        BenchData.compare("TrainStepBenchmark(" + backend + ")",
                new String[]{"merge_img", "bg_img", "dFace", "dEyes", "dRenderer", "dShape", "dEuler", "face", "renderer"},
                new float[][]{ref.ws.mergeImage(), ref.ws.backgroundImage(), ref.state.grads.face, ref.state.grads.eyes,
                        ref.state.grads.renderer, ref.dShape, ref.dEuler, ref.state.params.face, ref.state.params.renderer},
                new float[][]{mine.ws.mergeImage(), mine.ws.backgroundImage(), mine.state.grads.face, mine.state.grads.eyes,
                        mine.state.grads.renderer, mine.dShape, mine.dEuler, mine.state.params.face, mine.state.params.renderer},
                2e-5);  // 3x the worst error seen, 6.0e-6 of max|ref| (vector dRenderer; opencl on PoCL 6.1e-7)
    }
}
