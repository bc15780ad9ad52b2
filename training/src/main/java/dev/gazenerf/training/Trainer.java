package dev.gazenerf.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ResidentModelStep;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.datasets.BatchSampler;
import dev.gazenerf.datasets.GazeDataset;
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
 * {@code log.jsonl}, one JSON object per step: {@code step, skipped, loss} (weighted total), the unweighted terms
 * {@code head, face, eyes, nonhead, bg}, {@code penalty} (offset penalties), {@code points_per_second},
 * {@code seconds}, and when measured {@code held_out_psnr} and {@code held_out_head_psnr}. On resume, lines of
 * steps after the checkpoint are dropped. A non-finite loss term, penalty or gradient stops training with
 * {@link TrainingDivergedException} naming the step and the term, before Adam sees it; the step count and the
 * parameters stay as they were, and the last good checkpoint stays.
 *
 * <p>On {@code opencl} and {@code tornadovm} each step is one device-resident plan ({@link DeviceLossStep} over a
 * {@link ResidentModelStep}: DeviceModelStep on Aparapi, TornadoVmModelStep as one TornadoVM task graph; the whole forward,
 * loss, backward and the networks' Adam on the device; rays, offsets and their Adam on the host); the state's
 * network parameters and moments are copied down when {@link #state()}, a checkpoint or an evaluation needs them.
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
    private final LossStep objective;
    private final BatchInputs batch;
    private final int[] order;
    private final CheckpointStore checkpoints;
    /** The device-resident step on opencl and tornadovm (null otherwise); see {@link DeviceLossStep}. */
    private final DeviceLossStep device;
    /** Adam over the offsets on the host when the networks train on the device. */
    private final Backend hostAdam;
    /** Whether the state's network parameters and moments are older than the device's. */
    private boolean stale;
    private long step;

    /** What one step did. */
    public record StepResult(long step, boolean skipped, double loss, double[] terms, double penalty,
                             HeldOut heldOut, double seconds, long points) {
        /** The held-out PSNR of this step, NaN when not measured. */
        public double heldOutPsnr() {
            return heldOut == null ? Double.NaN : heldOut.psnr();
        }
    }

    /**
     * Held-out quality: {@code psnr} is the reference's metric (whole image against the target with non-head
     * pixels white, section 5.2), {@code headPsnr} the PSNR over the head mask only (the face itself, free of
     * the background's large share of the pixels). Means over the images.
     */
    public record HeldOut(double psnr, double headPsnr) {
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
        this.objective = new LossStep(model, backend, kernels, options.loss(), cap);
        this.batch = objective.batch;
        this.order = BatchSampler.order(train.size(), options.seed(), true);
        this.checkpoints = new CheckpointStore(runDir.resolve("checkpoints"), options.keepCheckpoints());
        if (ResidentModelStep.supports(backend)) {
            // the whole step on the device with the data kept there; a failure is an error, never a host run
            this.device = new DeviceLossStep(model, backend, options.loss(), options.batchSize(), state.adam());
            this.hostAdam = new ScalarBackend();
            device.push(state);
        } else {
            this.device = null;
            this.hostAdam = null;
        }
    }

    /** The state; with the device step, its network parameters and moments are first copied from the device. */
    public ModelState state() {
        sync();
        return state;
    }

    /** Whether the steps run as one device-resident plan ({@code opencl}, {@code tornadovm}). */
    public boolean runsOnDevice() {
        return device != null;
    }

    /** Rays per MLP pass of the device step, or 0 without one. */
    int deviceChunkRays() {
        return device == null ? 0 : device.plan().chunkRays();
    }

    /** The device-resident step (for counts in tests and benchmarks), or null without one. */
    ResidentModelStep devicePlan() {
        return device == null ? null : device.plan();
    }

    /** Host copies of the device step so far as {uploads, downloads}, or null without one. */
    long[] deviceTransfers() {
        return device == null ? null : new long[] {device.plan().uploads(), device.plan().downloads()};
    }

    private void sync() {
        if (device != null && stale) {
            device.pull(state);
            stale = false;
        }
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
        Preset saved = JSON.treeToValue(m.path("preset"), Preset.class);
        if (!preset.equals(saved)) {
            throw new IllegalArgumentException(where + ": checkpoint was made with another preset: " + saved
                    + " (this run: " + preset + ")");
        }
        state.loadWeights(l.file("weights"), where);
        state.loadOffsets(l.file("offsets"), where);
        state.loadOptimizer(l.file("optimizer"), where, m.path("adam_step").asInt());
        if (device != null) {
            device.push(state);
            stale = false;
        }
        step = l.step();
        truncateLog(step);
        return Optional.of(step);
    }

    /** Drops log lines of steps after {@code last} (written after the checkpoint resumed from). */
    private void truncateLog(long last) throws IOException {
        Path log = runDir.resolve("log.jsonl");
        if (!Files.isRegularFile(log)) {
            return;
        }
        java.util.List<String> keep = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                if (JSON.readTree(line).path("step").asLong(Long.MAX_VALUE) <= last) {
                    keep.add(line);
                }
            } catch (IOException e) {
                // a torn last line of a crashed run: dropped
            }
        }
        Path tmp = runDir.resolve("log.jsonl.tmp");
        Files.write(tmp, keep, StandardCharsets.UTF_8);
        Files.move(tmp, log, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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
        if (r.heldOut() != null) {
            m.put("held_out_psnr", r.heldOut().psnr());
            m.put("held_out_head_psnr", r.heldOut().headPsnr());
        }
        m.put("seconds", r.seconds());
        return m;
    }

    /** One training step on the next batch of the fixed order. */
    public StepResult trainStep() {
        long t0 = System.nanoTime();
        int b = options.batchSize();
        boolean usable = fillBatch(step);
        if (!usable) {
            step++;
            return new StepResult(step, true, Double.NaN, new double[0], 0, maybeEvaluate(), seconds(t0), 0);
        }
        state.setLearningRateFactor(options.lrFactor(step));
        // a divergence throws here, before anything is updated; the step count stays
        LossStep.Value v;
        if (device != null) {
            v = device.lossAndGradients(state, batch, true, jitterSeed(options.seed(), step + 1), step + 1);
            device.update(state, hostAdam);
            stale = true;
        } else {
            v = objective.lossAndGradients(state, b, true, jitterSeed(options.seed(), step + 1), step + 1);
            state.adam().step(backend);
        }
        step++;
        long points = 2L * b * preset.raysPerImage() * preset.samples();
        return new StepResult(step, false, v.total(), v.terms(), v.penalty(), maybeEvaluate(), seconds(t0), points);
    }

    /** Fills the batch of (0-based) step {@code k} of the fixed order; false when the reference would skip it. */
    private boolean fillBatch(long k) {
        int b = options.batchSize();
        int perEpoch = train.size() / b;
        int first = (int) (k % perEpoch) * b;
        boolean usable = true;
        for (int n = 0; n < b; n++) {
            int idx = order[first + n];
            batch.set(n, train.get(idx), state.offsets, idx);
            if (!batch.usable(n)) {
                usable = false;
            }
        }
        batch.setImages(b);
        return usable;
    }

    /** Offset-table rows of the current batch (for tests). */
    int[] batchRows() {
        return java.util.Arrays.copyOf(batch.rows, options.batchSize());
    }

    /**
     * The loss of the next step's batch and its gradients (left in {@link #state()}'s gradients, exactly what
     * the next {@link #trainStep()} feeds Adam), without updating anything. For gradient checks.
     */
    LossStep.Value lossAndGradients() {
        sync();
        fillBatch(step);
        return objective.lossAndGradients(state, options.batchSize(), true, jitterSeed(options.seed(), step + 1), step + 1);
    }

    /** The sample-jitter seed of a step: a fixed mix of the run seed and the step. */
    public static long jitterSeed(long seed, long step) {
        long z = seed * 0x9E3779B97F4A7C15L + step;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private HeldOut maybeEvaluate() {
        if (heldOut == null || options.evalEvery() == 0 || step % options.evalEvery() != 0) {
            return null;
        }
        return evaluateHeldOut();
    }

    /** The reference's held-out PSNR (see {@link #evaluateHeldOut()}). */
    public double heldOutPsnr() {
        return evaluateHeldOut().psnr();
    }

    /**
     * PSNRs over the first {@code evalImages} held-out images, rendered in test mode from their own codes and
     * camera (no offsets): against the target with non-head pixels set to white (the reference's metric), and
     * over the head mask alone.
     */
    public HeldOut evaluateHeldOut() {
        if (heldOut == null) {
            throw new IllegalStateException("this trainer has no held-out data");
        }
        sync();
        int n = Math.min(options.evalImages(), heldOut.size());
        for (int i = 0; i < n; i++) {
            batch.set(i, heldOut.get(i), state.offsets, -1);
        }
        batch.setImages(n);
        objective.render(state.params, n);
        int o = preset.outputSize();
        int px = o * o;
        double sum = 0;
        double head = 0;
        float[] pred = new float[px * 3];
        float[] gt = new float[px * 3];
        float[] mask = new float[px];
        for (int i = 0; i < n; i++) {
            System.arraycopy(objective.ws().mergeImage(), i * px * 3, pred, 0, px * 3);
            System.arraycopy(batch.headMask, i * px, mask, 0, px);
            whiteOutsideHead(batch.target, batch.headMask, i, px, gt);
            sum += ImageMetrics.psnr(pred, gt, o, o);
            head += ImageMetrics.maskedPsnr(pred, gt, mask, o, o);
        }
        return new HeldOut(sum / n, head / n);
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
        sync();
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
        if (device != null) {
            device.close();
        }
        kernels.close();
    }
}
