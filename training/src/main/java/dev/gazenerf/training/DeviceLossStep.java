package dev.gazenerf.training;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ResidentModelStep;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.nn.Adam;
import dev.gazenerf.render.RenderMath;
import dev.gazenerf.render.Rays;

import java.util.Arrays;

/**
 * The trainer's step on a device with the data kept there ({@link ResidentModelStep}: {@code DeviceModelStep} on
 * {@code opencl}, {@code TornadoVmModelStep} on {@code tornadovm}, the same plan of launches): the same objective
 * as {@link LossStep} (forward, {@link ReconstructionLoss}, backward, offset gradients and penalties) and the same
 * Adam, split as follows. On the device: both streams, rotation, merge, the four renderer calls, the masked image
 * terms and their gradients, backward to every network parameter (the background map included), Adam over the
 * networks (groups {@code net.face}, {@code net.eyes}, {@code net.renderer}, each with its own learning rate). On
 * the host, as the host path computes them: the rays (with the per-image camera offsets and the step's jitter),
 * the codes with their offsets, the gaze rotation matrices, the loss's mask counts, and from the downloaded code,
 * point and spacing gradients: the camera-correction gradients ({@link Rays#backward}), the offset gradients and
 * penalties, and Adam over the offset groups. Per step: one upload, one download.
 *
 * <p>The network parameters and their Adam moments live on the device between steps; {@link #pull} copies them
 * into the {@link ModelState} (checkpoints, evaluation) and {@link #push} copies the state up (start, resume).
 * The state's network gradients are not filled (they stay on the device); a non-finite network gradient is
 * reported by a flag the device computes before Adam runs.
 *
 * <p>Where the numbers differ from the host path: the loss terms are summed in float on the device (two-stage
 * reduction) where {@link ReconstructionLoss} sums in double, and the products and reductions run in other
 * orders; {@code DeviceLossStepTest} measures the differences over 20 steps.
 */
final class DeviceLossStep implements AutoCloseable {
    private static final String[] NET_GROUPS = {"net.face", "net.eyes", "net.renderer"};

    private final Preset preset;
    private final GazeNerfModel model;
    private final LossWeights weights;
    private final int images;
    private final ResidentModelStep step;
    private final Rays rays;
    private final float[] xyz;
    private final float[] delta;
    private final float[] tvals;
    private final float[] dXyz;
    private final float[] dDelta;
    private final float[] dShape;
    private final float[] dAppearance;
    private final float[] dEuler;
    private final float[] dTranslation;
    private final double[] sums = new double[ResidentModelStep.TERMS];

    DeviceLossStep(GazeNerfModel model, Backend backend, LossWeights weights, int images, Adam adam) {
        this.preset = model.preset();
        this.model = model;
        this.weights = weights.validate();
        this.images = images;
        int o2 = preset.outputSize() * preset.outputSize();
        float[] k = adam.constants();
        int p = preset.raysPerImage();
        this.step = ResidentModelStep.create(backend, model, images, chunkRays(preset, images), weights.l1(),
                (float) (weights.background() / (3.0 * o2)), k[0], k[1], k[2]);
        this.rays = new Rays(preset.featmapSize(), preset.samples(), preset.depthNear(), preset.depthFar(),
                preset.pixelCentres(), images);
        int n = step.points();
        xyz = new float[3 * n];
        delta = new float[n];
        tvals = new float[n];
        dXyz = new float[3 * n];
        dDelta = new float[n];
        dShape = new float[images * model.shapeDims()];
        dAppearance = new float[images * preset.appearanceDims()];
        dEuler = new float[images * 3];
        dTranslation = new float[images * 3];
    }

    /**
     * Rays per MLP pass: the whole image while both streams' MLP activations of the batch fit 2^28 floats (1 GiB;
     * {@code tiny} and {@code small} at batch 2), else the memory-saving plan ({@code DeviceModelStep} with chunks:
     * recomputation before backward, no (N, C) features kept, the renderer's caches shared) with the largest
     * divisor of the rays per image, at most the preset's ray chunk, whose chunk's activations of both streams fit
     * 2^27 floats ({@code paper}: 128 rays, a heap of 1,826 MiB; its 256-ray chunk gives 2,141 MiB, over the 2 GiB
     * that Aparapi moves in one buffer). {@code -Dgazenerf.step.chunkRays=R} sets it (tests of the chunked plan on
     * small presets).
     */
    static int chunkRays(Preset p, int images) {
        int forced = Integer.getInteger("gazenerf.step.chunkRays", 0);
        if (forced > 0) {
            if (p.raysPerImage() % forced != 0) {
                throw new IllegalArgumentException("gazenerf.step.chunkRays: " + forced + " does not divide the "
                        + p.raysPerImage() + " rays per image of " + p.name());
            }
            return forced;
        }
        long perPoint = (long) (p.mlpLayers() + 7) * p.mlpWidth() + p.encodedChannels() + 2L * p.featureChannels();
        long floats = 2L * images * p.raysPerImage() * p.samples() * perPoint;
        if (floats <= (1L << 28)) {
            return p.raysPerImage();
        }
        int c = Math.min(p.rayChunk(), p.raysPerImage());
        while (c > 1 && (p.raysPerImage() % c != 0 || 2L * c * p.samples() * perPoint > (1L << 27))) {
            c--;
        }
        return c;
    }

    /** The plan (for counts in tests and benchmarks). */
    ResidentModelStep plan() {
        return step;
    }

    /** Uploads the state's network parameters and Adam moments. */
    void push(ModelState state) {
        step.load(networks(state), moments(state, true), moments(state, false));
    }

    /** Downloads the network parameters and Adam moments into the state. */
    void pull(ModelState state) {
        step.store(networks(state), moments(state, true), moments(state, false));
    }

    /** The three networks' parameters in the plan's order (face MLP, eye MLP, renderer). */
    private static float[][] networks(ModelState state) {
        return new float[][] {state.params.face, state.params.eyes, state.params.renderer};
    }

    /** Adam's first ({@code first}) or second moments of the three networks, in the plan's order. */
    private static float[][] moments(ModelState state, boolean first) {
        float[][] out = new float[3][];
        for (int i = 0; i < 3; i++) {
            Adam.Group g = state.adam().group(NET_GROUPS[i]);
            out[i] = first ? g.firstMoments() : g.secondMoments();
        }
        return out;
    }

    /**
     * {@link LossStep#lossAndGradients} on the device for the {@code images} filled slots of {@code batch}: leaves
     * the offset gradients in the state (the network gradients stay on the device). Throws
     * {@link TrainingDivergedException} before anything is updated when a term, the penalty or a gradient is not
     * finite.
     */
    LossStep.Value lossAndGradients(ModelState state, BatchInputs batch, boolean train, long seed, long stepNo) {
        int b = images;
        int o2 = preset.outputSize() * preset.outputSize();
        Arrays.fill(state.offsets.grads, 0f);
        rays.forward(xyz, delta, tvals, batch.invIntrinsics, batch.rotation, batch.translation, batch.euler,
                batch.dTranslation, b, train, seed);
        float[] in = step.inputs();
        put(in, ResidentModelStep.XYZ, xyz);
        put(in, ResidentModelStep.DELTA, delta);
        put(in, ResidentModelStep.TVALS, tvals);
        int sd = model.shapeDims();
        int fw = model.faceMlp().config().shapeCodeWidth();
        int ew = model.eyeMlp().config().shapeCodeWidth();
        int fo = step.inputOffset(ResidentModelStep.FACE_CODE);
        int eo = step.inputOffset(ResidentModelStep.EYE_CODE);
        int ro = step.inputOffset(ResidentModelStep.ROTATION);
        model.buildCodes(batch.shape, batch.gaze, b, in, fo, in, eo);
        for (int n = 0; n < b; n++) {
            RenderMath.rotationMatrix(in, ro + 9 * n, batch.gaze[2 * n], batch.gaze[2 * n + 1]);
        }
        System.arraycopy(batch.appearance, 0, in, step.inputOffset(ResidentModelStep.APPEARANCE), b * preset.appearanceDims());
        System.arraycopy(batch.target, 0, in, step.inputOffset(ResidentModelStep.TARGET), 3 * b * o2);
        System.arraycopy(batch.headMask, 0, in, step.inputOffset(ResidentModelStep.HEAD), b * o2);
        System.arraycopy(batch.leftEye, 0, in, step.inputOffset(ResidentModelStep.LEFT), b * o2);
        System.arraycopy(batch.rightEye, 0, in, step.inputOffset(ResidentModelStep.RIGHT), b * o2);
        long[] m = ReconstructionLoss.maskCounts(batch.headMask, batch.leftEye, batch.rightEye, b * o2);
        long[] counts = {m[0], m[1], m[2], m[3], o2};
        double[] w = {weights.head(), weights.face(), weights.eyes(), weights.nonhead(), weights.background()};
        int so = step.inputOffset(ResidentModelStep.SCALES);
        for (int i = 0; i < 4; i++) {
            in[so + i] = counts[i] == 0 ? 0f : (float) (w[i] / (3.0 * counts[i]));
        }
        step.forwardBackward();

        step.termSums(sums);
        double[] terms = new double[ResidentModelStep.TERMS];
        double total = 0;
        for (int i = 0; i < terms.length; i++) {
            terms[i] = counts[i] == 0 ? 0 : sums[i] / (3.0 * counts[i]);
            if (!Double.isFinite(terms[i])) {
                throw new TrainingDivergedException(stepNo, ReconstructionLoss.TERMS[i], terms[i]);
            }
            total += w[i] * terms[i];
        }
        if (!step.gradientsFinite()) {
            throw new TrainingDivergedException(stepNo, "gradient of the networks (on the device)", Float.NaN);
        }
        float[] out = step.outputs();
        int df = step.dFaceCodeOffset();
        int de = step.dEyeCodeOffset();
        for (int n = 0; n < b; n++) {
            for (int k = 0; k < sd; k++) {
                dShape[n * sd + k] = out[df + n * fw + k] + out[de + n * ew + k];
            }
        }
        System.arraycopy(out, step.dAppearanceOffset(), dAppearance, 0, dAppearance.length);
        System.arraycopy(out, step.dXyzOffset(), dXyz, 0, dXyz.length);
        System.arraycopy(out, step.dDeltaOffset(), dDelta, 0, dDelta.length);
        Arrays.fill(dEuler, 0f);
        Arrays.fill(dTranslation, 0f);
        rays.backward(dEuler, dTranslation, dXyz, dDelta);
        double penalty = LossStep.scatterOffsetGradients(preset, weights, batch, state.offsets, b, dShape, dAppearance,
                dEuler, dTranslation);
        if (!Double.isFinite(penalty)) {
            throw new TrainingDivergedException(stepNo, "offset penalty", penalty);
        }
        LossStep.checkFinite(state.offsets.grads, "gradient of the offsets", stepNo);
        return new LossStep.Value(total + penalty, terms, penalty);
    }

    private void put(float[] in, int part, float[] src) {
        System.arraycopy(src, 0, in, step.inputOffset(part), step.inputOffset(part + 1) - step.inputOffset(part));
    }

    /**
     * One Adam step: the offset groups on the host (with {@code be}), the network groups on the device, with the
     * same step count and each group's current learning rate.
     */
    void update(ModelState state, dev.gazenerf.backend.Backend be) {
        Adam adam = state.adam();
        adam.step(be, g -> !g.name().startsWith("net."));
        step.update(adam.stepCount(), adam.group(NET_GROUPS[0]).learningRate(), adam.group(NET_GROUPS[1]).learningRate(),
                adam.group(NET_GROUPS[2]).learningRate());
    }

    @Override
    public void close() {
        step.close();
    }
}
