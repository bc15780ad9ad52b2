package dev.gazenerf.training;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.render.RenderKernels;

import java.util.Arrays;

/**
 * The objective of one step, shared by the {@link Trainer} and the {@link Fitter}: the model's forward on a
 * filled {@link BatchInputs}, the {@link ReconstructionLoss} (section 3.3), the model's backward, the code and
 * camera gradients moved into the offset tables of a {@link ModelState}, and the offset penalties. After
 * {@link #lossAndGradients} the state's gradients are exactly what Adam is fed.
 *
 * <p>Buffers are allocated once for batches of up to {@code capacity} images.
 */
final class LossStep {
    private final Preset preset;
    private final GazeNerfModel model;
    private final Backend backend;
    private final RenderKernels kernels;
    private final LossWeights weights;
    private final ReconstructionLoss loss;
    private final int capacity;
    /** The host workspace (4.3 GiB for {@code paper} at batch 2), made on first use: the device step never needs it. */
    private GazeNerfModel.Workspace ws;
    final BatchInputs batch;
    private final float[] dMerge;       // (B, O*O, 3)
    private final float[] dFace;        // (B, O*O, 3)
    private final float[] dEyes;        // (B, O*O, 3)
    private final float[] dBg;          // (O*O, 3)
    private final float[] dShape;       // (B, iden + expr)
    private final float[] dAppearance;  // (B, text + illu)
    private final float[] dEuler;       // (B, 3)
    private final float[] dTranslation; // (B, 3)

    /** The loss of one evaluation: weighted total (image terms + penalty), unweighted image terms, penalty. */
    record Value(double total, double[] terms, double penalty) {
    }

    LossStep(GazeNerfModel model, Backend backend, RenderKernels kernels, LossWeights weights, int capacity) {
        this.preset = model.preset();
        this.model = model;
        this.backend = backend;
        this.kernels = kernels;
        this.weights = weights.validate();
        this.loss = new ReconstructionLoss(weights);
        this.capacity = capacity;
        this.batch = new BatchInputs(preset, capacity);
        int img = preset.outputSize() * preset.outputSize() * 3;
        dMerge = new float[capacity * img];
        dFace = new float[capacity * img];
        dEyes = new float[capacity * img];
        dBg = new float[img];
        dShape = new float[capacity * model.shapeDims()];
        dAppearance = new float[capacity * preset.appearanceDims()];
        dEuler = new float[capacity * 3];
        dTranslation = new float[capacity * 3];
    }

    /** The host workspace for {@code capacity} images, allocated on the first call. */
    GazeNerfModel.Workspace ws() {
        if (ws == null) {
            ws = model.newWorkspace(capacity);
        }
        return ws;
    }

    /**
     * Zeroes the state's gradients, runs forward, loss and backward on the {@code images} filled slots of
     * {@link #batch}, and leaves in the state's gradients the gradient of the returned total. A non-finite loss
     * term, penalty or gradient throws {@link TrainingDivergedException} naming {@code step} and the term,
     * before anything is updated.
     *
     * @param train stratified jitter of the samples, seeded by {@code seed}
     */
    Value lossAndGradients(ModelState state, int images, boolean train, long seed, long step) {
        state.zeroGradients();
        model.forward(backend, kernels, ws(), state.params, batch.invIntrinsics, batch.rotation, batch.translation,
                batch.euler, batch.dTranslation, batch.shape, batch.appearance, batch.gaze, images, train, seed);
        ReconstructionLoss.Result r = loss.forwardBackward(ws().mergeImage(), ws().faceImage(), ws().eyesImage(),
                ws().backgroundImage(), batch.target, batch.headMask, batch.leftEye, batch.rightEye, images,
                preset.outputSize() * preset.outputSize(), dMerge, dFace, dEyes, dBg);
        for (int i = 0; i < r.terms().length; i++) {
            if (!Double.isFinite(r.terms()[i])) {
                throw new TrainingDivergedException(step, ReconstructionLoss.TERMS[i], r.terms()[i]);
            }
        }
        Arrays.fill(dShape, 0f);
        Arrays.fill(dAppearance, 0f);
        Arrays.fill(dEuler, 0f);
        Arrays.fill(dTranslation, 0f);
        model.backward(backend, kernels, ws(), state.params, state.grads, dMerge, dFace, dEyes, dBg,
                dShape, dAppearance, null, dEuler, dTranslation);
        double penalty = scatterOffsetGradients(preset, weights, batch, state.offsets, images, dShape, dAppearance, dEuler,
                dTranslation);
        if (!Double.isFinite(penalty)) {
            throw new TrainingDivergedException(step, "offset penalty", penalty);
        }
        checkFinite(state.grads.face, "gradient of " + GazeNerfModel.FACE, step);
        checkFinite(state.grads.eyes, "gradient of " + GazeNerfModel.EYES, step);
        checkFinite(state.grads.renderer, "gradient of " + GazeNerfModel.RENDERER, step);
        checkFinite(state.offsets.grads, "gradient of the offsets", step);
        return new Value(r.total() + penalty, r.terms(), penalty);
    }

    static void checkFinite(float[] a, String what, long step) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                throw new TrainingDivergedException(step, what, v);
            }
        }
    }

    /**
     * Moves the code and camera gradients of the batch into the offset tables (the offsets enter additively),
     * and adds the offset penalties of section 3.3 (weights times the mean of the squares over the batch's rows
     * and the code's width). Slots with row -1 have no offsets.
     */
    static double scatterOffsetGradients(Preset preset, LossWeights weights, BatchInputs batch, Offsets o, int b,
                                         float[] dShape, float[] dAppearance, float[] dEuler, float[] dTranslation) {
        int iden = preset.idenDims();
        int expr = preset.exprDims();
        int sd = iden + expr;
        int ad = preset.appearanceDims();
        double penalty = 0;
        for (int n = 0; n < b; n++) {
            int row = batch.rows[n];
            if (row < 0) {
                continue;
            }
            int ri = o.row(Offsets.IDEN, row);
            int re = o.row(Offsets.EXPR, row);
            int ra = o.row(Offsets.APPEA, row);
            int rr = o.row(Offsets.EULER, row);
            int rt = o.row(Offsets.TRANSLATION, row);
            for (int i = 0; i < iden; i++) {
                o.grads[ri + i] += dShape[n * sd + i];
            }
            for (int i = 0; i < expr; i++) {
                o.grads[re + i] += dShape[n * sd + iden + i];
            }
            for (int i = 0; i < ad; i++) {
                o.grads[ra + i] += dAppearance[n * ad + i];
            }
            for (int i = 0; i < 3; i++) {
                o.grads[rr + i] += dEuler[n * 3 + i];
                o.grads[rt + i] += dTranslation[n * 3 + i];
            }
            // mean over the batch's rows and the code's width: each row contributes its sum / (b * width)
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, ri, iden, weights.iden() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, re, expr, weights.expr() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, ra, ad, weights.appearance() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, rr, 3, weights.euler() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, rt, 3, weights.translation() / b, o.grads);
        }
        return penalty;
    }

    /**
     * Gaze inversion's objective: a test-mode forward of slot 0, the image terms of the loss (no offset
     * penalties: the offsets are fixed), and the backward to the gaze only; {@code dGaze (2)} is overwritten.
     * The state's network gradients are used as scratch (zeroed first).
     */
    double imageLossAndGazeGradient(ModelState state, float[] dGaze, long step) {
        state.zeroGradients();
        render(state.params, 1);
        ReconstructionLoss.Result r = loss.forwardBackward(ws().mergeImage(), ws().faceImage(), ws().eyesImage(),
                ws().backgroundImage(), batch.target, batch.headMask, batch.leftEye, batch.rightEye, 1,
                preset.outputSize() * preset.outputSize(), dMerge, dFace, dEyes, dBg);
        if (!Double.isFinite(r.total())) {
            throw new TrainingDivergedException(step, "gaze inversion loss", r.total());
        }
        dGaze[0] = 0f;
        dGaze[1] = 0f;
        model.backward(backend, kernels, ws(), state.params, state.grads, dMerge, dFace, dEyes, dBg,
                null, null, dGaze, null, null);
        return r.total();
    }

    /** Test-mode forward and the loss's image terms (no penalties, no backward) of the filled slots. */
    ReconstructionLoss.Result imageLoss(GazeNerfModel.Parameters params, int images) {
        render(params, images);
        return loss.forwardBackward(ws().mergeImage(), ws().faceImage(), ws().eyesImage(), ws().backgroundImage(),
                batch.target, batch.headMask, batch.leftEye, batch.rightEye, images,
                preset.outputSize() * preset.outputSize(), dMerge, dFace, dEyes, dBg);
    }

    /** Test-mode forward (no jitter) of the filled slots; the images are in {@link #ws()} afterwards. */
    void render(GazeNerfModel.Parameters params, int images) {
        model.forward(backend, kernels, ws(), params, batch.invIntrinsics, batch.rotation, batch.translation,
                batch.euler, batch.dTranslation, batch.shape, batch.appearance, batch.gaze, images, false, 0);
    }
}
