package dev.gazenerf.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.datasets.BatchSampler;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.Sample;
import dev.gazenerf.io.SafeTensors;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.render.RenderKernels;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Trains GazeNeRF on a dataset (section 3 of the reference spec): every image is reconstructed from its own
 * codes, camera and gaze label; per-image offsets of the codes and camera are learned beside the networks;
 * Adam with the reference's groups and rates; the loss of section 3.3 without the pretrained-network terms.
 *
 * <p>Data order: the training images are shuffled once with the seed and consumed in that fixed order, batch
 * after batch, epoch after epoch (the reference shuffles once and never again). A step is one batch; a batch
 * with a constant head mask or constant eye masks is skipped, as the reference does, and still counts as a
 * step, so the order never depends on what was skipped. The stratified sample jitter of step s is seeded by
 * (seed, s). With the checkpoint holding parameters, offsets and Adam's state, {@code N steps + resume + N
 * steps} gives the same bits as {@code 2N steps} on the same backend.
 *
 * <p>Files in the run directory: {@code checkpoints/step-NNNNNNNNNN/} (see {@link CheckpointStore}) and
 * {@code log.jsonl}, one JSON object per step with the loss terms, and the held-out PSNR when measured.
 * A non-finite loss stops training with an error naming the step and the term; the last good checkpoint stays.
 */
public final class Trainer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Preset preset;
    private final GazeNerfModel model;
    private final Backend backend;
    private final RenderKernels kernels;
    private final GazeDataset train;
    private final GazeDataset heldOut;
    private final TrainOptions options;
    private final Path runDir;
    private final ModelState state;
    private final GazeNerfModel.Workspace ws;
    private final BatchInputs batch;
    private final ReconstructionLoss loss;
    private final int[] order;
    private final float[] dMerge;
    private final float[] dFace;
    private final float[] dEyes;
    private final float[] dBg;
    private final float[] dShape;
    private final float[] dAppearance;
    private final float[] dEuler;
    private final float[] dTranslation;
    private final CheckpointStore checkpoints;
    private long step;

    /** What one step did. */
    public record StepResult(long step, boolean skipped, double loss, double[] terms, double penalty,
                             double heldOutPsnr, double seconds, long points) {
    }

    /**
     * @param heldOut images for the held-out PSNR during training (may be null)
     */
    public Trainer(Preset preset, Backend backend, GazeDataset train, GazeDataset heldOut, TrainOptions options, Path runDir) {
        this.preset = preset;
        this.model = new GazeNerfModel(preset);
        this.backend = backend;
        this.kernels = RenderKernels.forBackend(backend);
        this.train = train;
        this.heldOut = heldOut;
        this.options = options;
        this.runDir = runDir;
        if (train.size() < options.batchSize()) {
            throw new IllegalArgumentException("the training set has " + train.size() + " images, fewer than the batch size "
                    + options.batchSize());
        }
        this.state = new ModelState(model, options.initSeed(), train.size(), options, true);
        int cap = Math.max(options.batchSize(), heldOut == null ? 1 : Math.min(options.evalImages(), heldOut.size()));
        this.ws = model.newWorkspace(cap);
        this.batch = new BatchInputs(preset, cap);
        this.loss = new ReconstructionLoss(options.loss());
        this.order = BatchSampler.order(train.size(), options.seed(), true);
        int img = preset.outputSize() * preset.outputSize() * 3;
        dMerge = new float[cap * img];
        dFace = new float[cap * img];
        dEyes = new float[cap * img];
        dBg = new float[img];
        dShape = new float[cap * model.shapeDims()];
        dAppearance = new float[cap * preset.appearanceDims()];
        dEuler = new float[cap * 3];
        dTranslation = new float[cap * 3];
        this.checkpoints = new CheckpointStore(runDir.resolve("checkpoints"), options.keepCheckpoints());
    }

    public ModelState state() {
        return state;
    }

    public GazeNerfModel model() {
        return model;
    }

    /** Steps done so far. */
    public long step() {
        return step;
    }

    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    /**
     * Continues from the newest readable checkpoint, if any; returns its step. The checkpoint must come from the
     * same preset and data (its manifest's fingerprint), or this is an error naming what differs.
     */
    public Optional<Long> resume(Consumer<String> warn) throws IOException {
        Optional<CheckpointStore.Loaded> last = checkpoints.latest(warn);
        if (last.isEmpty()) {
            return Optional.empty();
        }
        CheckpointStore.Loaded l = last.get();
        String where = l.dir().toString();
        JsonNode m = l.manifest();
        String fp = fingerprint();
        if (!fp.equals(m.path("data_fingerprint").asText())) {
            throw new IllegalArgumentException(where + ": checkpoint was trained on other data (fingerprint "
                    + m.path("data_fingerprint").asText() + ", the data here is " + fp + ")");
        }
        if (!JSON.valueToTree(preset).equals(m.path("preset"))) {
            throw new IllegalArgumentException(where + ": checkpoint was made with another preset: " + m.path("preset"));
        }
        state.loadWeights(l.file("weights"), where);
        state.loadOffsets(l.file("offsets"), where);
        state.loadOptimizer(l.file("optimizer"), where, m.path("adam_step").asInt());
        step = l.step();
        return Optional.of(step);
    }

    /** Identifies the training data: subject keys and sizes, image counts, output size. */
    public String fingerprint() {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < train.subjects(); s++) {
            sb.append(train.subjectKey(s)).append(':').append(train.count(s)).append(';');
        }
        sb.append("size=").append(preset.outputSize());
        return Integer.toHexString(sb.toString().hashCode()) + "-" + train.size();
    }

    /** Runs until {@code options.steps()} steps are done, calling {@code listener} after each. */
    public void train(Consumer<StepResult> listener) throws IOException {
        Files.createDirectories(runDir);
        Path log = runDir.resolve("log.jsonl");
        try (BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (step < options.steps()) {
                StepResult r = trainStep();
                out.write(JSON.writeValueAsString(logLine(r)));
                out.newLine();
                out.flush();
                if (step % options.checkpointEvery() == 0 || step == options.steps()) {
                    saveCheckpoint();
                }
                if (listener != null) {
                    listener.accept(r);
                }
            }
        }
    }

    private Map<String, Object> logLine(StepResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", r.step());
        m.put("skipped", r.skipped());
        if (!r.skipped()) {
            m.put("loss", r.loss());
            for (int i = 0; i < ReconstructionLoss.TERMS.length; i++) {
                m.put(ReconstructionLoss.TERMS[i], r.terms()[i]);
            }
            m.put("penalty", r.penalty());
            m.put("points_per_second", r.seconds() > 0 ? r.points() / r.seconds() : 0);
        }
        if (!Double.isNaN(r.heldOutPsnr())) {
            m.put("held_out_psnr", r.heldOutPsnr());
        }
        m.put("seconds", r.seconds());
        return m;
    }

    /** One training step on the next batch of the fixed order. */
    public StepResult trainStep() {
        long t0 = System.nanoTime();
        int b = options.batchSize();
        int perEpoch = train.size() / b;
        long k = step;
        int first = (int) (k % perEpoch) * b;
        boolean skipped = false;
        for (int n = 0; n < b; n++) {
            int idx = order[first + n];
            Sample s = train.get(idx);
            batch.set(n, s, state.offsets, idx);
            if (!batch.usable(n)) {
                skipped = true;
            }
        }
        batch.setImages(b);
        step++;
        if (skipped) {
            return new StepResult(step, true, Double.NaN, new double[0], 0, maybeEvaluate(), seconds(t0), 0);
        }
        state.setLearningRateFactor(options.lrFactor(step - 1));
        state.zeroGradients();
        model.forward(backend, kernels, ws, state.params, batch.invIntrinsics, batch.rotation, batch.translation,
                batch.euler, batch.dTranslation, batch.shape, batch.appearance, batch.gaze, b, true,
                jitterSeed(options.seed(), step));
        ReconstructionLoss.Result r = loss.forwardBackward(ws.mergeImage(), ws.faceImage(), ws.eyesImage(),
                ws.backgroundImage(), batch.target, batch.headMask, batch.leftEye, batch.rightEye, b,
                preset.outputSize() * preset.outputSize(), dMerge, dFace, dEyes, dBg);
        for (int i = 0; i < r.terms().length; i++) {
            if (!Double.isFinite(r.terms()[i])) {
                throw new TrainingDivergedException(step, ReconstructionLoss.TERMS[i], r.terms()[i]);
            }
        }
        java.util.Arrays.fill(dShape, 0f);
        java.util.Arrays.fill(dAppearance, 0f);
        java.util.Arrays.fill(dEuler, 0f);
        java.util.Arrays.fill(dTranslation, 0f);
        model.backward(backend, kernels, ws, state.params, state.grads, dMerge, dFace, dEyes, dBg,
                dShape, dAppearance, null, dEuler, dTranslation);
        double penalty = scatterOffsetGradients(b);
        if (!Double.isFinite(penalty)) {
            throw new TrainingDivergedException(step, "offset penalty", penalty);
        }
        state.adam().step(backend);
        long points = 2L * b * preset.raysPerImage() * preset.samples();
        return new StepResult(step, false, r.total() + penalty, r.terms(), penalty, maybeEvaluate(), seconds(t0), points);
    }

    /** The sample-jitter seed of a step: a fixed mix of the run seed and the step. */
    public static long jitterSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Moves the code and camera gradients of the batch into the offset tables (the offsets enter additively),
     * and adds the offset penalties of section 3.3 (weights times the mean of the squares over the batch's rows).
     */
    private double scatterOffsetGradients(int b) {
        Offsets o = state.offsets;
        LossWeights w = options.loss();
        int iden = preset.idenDims();
        int expr = preset.exprDims();
        int sd = iden + expr;
        int ad = preset.appearanceDims();
        double penalty = 0;
        for (int n = 0; n < b; n++) {
            int row = batch.rows[n];
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
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, ri, iden, w.iden() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, re, expr, w.expr() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, ra, ad, w.appearance() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, rr, 3, w.euler() / b, o.grads);
            penalty += ReconstructionLoss.meanSquarePenalty(o.values, rt, 3, w.translation() / b, o.grads);
        }
        return penalty;
    }

    private double maybeEvaluate() {
        if (heldOut == null || options.evalEvery() == 0 || step % options.evalEvery() != 0) {
            return Double.NaN;
        }
        return heldOutPsnr();
    }

    /**
     * Mean PSNR over the first {@code evalImages} held-out images, rendered in test mode from their own codes
     * and camera (no offsets), against the target with non-head pixels set to white (the reference's metric).
     */
    public double heldOutPsnr() {
        int n = Math.min(options.evalImages(), heldOut.size());
        for (int i = 0; i < n; i++) {
            batch.set(i, heldOut.get(i), state.offsets, -1);
        }
        batch.setImages(n);
        model.forward(backend, kernels, ws, state.params, batch.invIntrinsics, batch.rotation, batch.translation,
                batch.euler, batch.dTranslation, batch.shape, batch.appearance, batch.gaze, n, false, 0);
        int o = preset.outputSize();
        int px = o * o;
        double sum = 0;
        float[] pred = new float[px * 3];
        float[] gt = new float[px * 3];
        for (int i = 0; i < n; i++) {
            System.arraycopy(ws.mergeImage(), i * px * 3, pred, 0, px * 3);
            whiteOutsideHead(batch.target, batch.headMask, i, px, gt);
            sum += ImageMetrics.psnr(pred, gt, o, o);
        }
        return sum / n;
    }

    /** The target of image i with non-head pixels set to 1 (reference section 5.2). */
    static void whiteOutsideHead(float[] target, float[] head, int i, int px, float[] out) {
        for (int p = 0; p < px; p++) {
            boolean in = head[i * px + p] >= 0.5f;
            for (int c = 0; c < 3; c++) {
                out[p * 3 + c] = in ? target[(i * px + p) * 3 + c] : 1f;
            }
        }
    }

    /** Writes a checkpoint of the current step. */
    public Path saveCheckpoint() throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.set("preset", JSON.valueToTree(preset));
        m.set("options", JSON.valueToTree(options));
        m.put("data_fingerprint", fingerprint());
        m.put("backend", backend.name());
        m.put("device", backend.device());
        m.put("adam_step", state.adam().stepCount());
        m.put("train_images", train.size());
        Map<String, Map<String, SafeTensors.Tensor>> files = new LinkedHashMap<>();
        files.put("weights", state.weightTensors());
        files.put("offsets", state.offsetTensors());
        files.put("optimizer", state.optimizerTensors());
        return checkpoints.save(step, files, m);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    @Override
    public void close() {
        kernels.close();
    }
}
