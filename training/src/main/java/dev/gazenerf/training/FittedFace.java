package dev.gazenerf.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.datasets.Sample;
import dev.gazenerf.io.SafeTensors;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.nn.Adam;
import dev.gazenerf.render.RenderKernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * One face adapted by {@link Fitter} to one image (section 4 of the reference spec): the adapted network
 * parameters, the fitted offsets row (identity, expression, appearance offsets and camera deltas) and the
 * input's base codes, camera and gaze. Renders the face at any gaze in test mode (no jitter), optionally from
 * another camera and under another illumination; estimates the gaze of an image of the face (section 4.4).
 *
 * <p>Rendering follows training's input formulas exactly: shape = base iden/expr + offsets, appearance = base
 * text/illu (or the given illumination) + offsets, camera = the view's c2w with the fitted deltas applied.
 *
 * <p>Files ({@link #save}): {@code weights.safetensors} (the reference's tensor names), {@code offsets.safetensors}
 * (one row per table, the reference trainer's keys) and {@code face.json} (preset, base codes and camera, fit
 * summary), written into a temporary directory and renamed into place.
 *
 * <p>Holds render kernels for its backend: close it when done. Not thread-safe.
 */
public final class FittedFace implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The 3DMM code's width in the files and its illumination part (section 1.5). */
    static final int CODE = 306;
    static final int ILLU_OFFSET = 279;
    static final int ILLU = 27;

    /**
     * The input image's own values: subject key and row, output size, 306-value code, camera-to-world
     * rotation (3, 3) and translation (3), intrinsics K (3, 3) at the output size, gaze label (pitch, yaw).
     */
    public record Base(String subject, int imageIndex, int size, float[] code, float[] c2wR, float[] c2wT,
                       float[] intrinsics, float[] gaze) {
        /** The base of a loader sample. */
        public static Base of(Sample s) {
            return new Base(s.subject(), s.imageIndex(), s.size(), s.code().clone(), s.c2wR().clone(),
                    s.c2wT().clone(), s.intrinsics().clone(), s.gaze().clone());
        }
    }

    /**
     * A camera to render from: camera-to-world rotation (3, 3) row-major, translation (3), and intrinsics K
     * (3, 3) at the output size; a null field keeps the fitted input's. The fitted camera deltas are applied on top.
     */
    public record View(float[] c2wR, float[] c2wT, float[] intrinsics) {
        /** The camera of a loader sample. */
        public static View of(Sample s) {
            return new View(s.c2wR(), s.c2wT(), s.intrinsics());
        }
    }

    /** What a fit did: steps run, protocol, and the training loss of the first and last step. */
    public record FitSummary(int steps, boolean frozenNetwork, double firstLoss, double lastLoss) {
    }

    /** A gaze estimate: the best (pitch, yaw) seen, its loss, the steps run, whether early stopping ended it. */
    public record GazeEstimate(float pitch, float yaw, double loss, int steps, boolean stoppedEarly) {
    }

    private final Preset preset;
    private final GazeNerfModel model;
    private final ModelState state;
    private final Base base;
    private final FitSummary summary;
    private final Backend backend;
    private RenderKernels kernels;
    private LossStep renderStep;
    private LossStep gazeStep;
    private final float[] blankImage;   // (3, O, O) zeros: rendering needs no target
    private final float[] blankMask;    // (O, O)

    FittedFace(Preset preset, GazeNerfModel model, ModelState state, Base base, FitSummary summary, Backend backend) {
        this.preset = preset;
        this.model = model;
        this.state = state;
        this.base = base;
        this.summary = summary;
        this.backend = backend;
        int o = preset.outputSize();
        if (base.size() != o) {
            throw new IllegalArgumentException("fitted face: base image is " + base.size() + " px, the preset renders " + o);
        }
        blankImage = new float[3 * o * o];
        blankMask = new float[o * o];
    }

    public Preset preset() {
        return preset;
    }

    public Base base() {
        return base;
    }

    public FitSummary summary() {
        return summary;
    }

    /** The adapted network parameters (live buffers: do not modify). */
    public GazeNerfModel.Parameters parameters() {
        return state.params;
    }

    /** The fitted offsets: one row per table (live buffers). */
    public Offsets offsets() {
        return state.offsets;
    }

    /** The backend this face renders with. */
    public Backend backend() {
        return backend;
    }

    private LossStep renderStep() {
        if (kernels == null) {
            kernels = RenderKernels.forBackend(backend);
        }
        if (renderStep == null) {
            renderStep = new LossStep(model, backend, kernels, LossWeights.reference(), 1);
        }
        return renderStep;
    }

    /** {@code merge_img} at the input's camera, codes and illumination, at the given gaze: (O, O, 3) channels-last. */
    public float[] render(float pitch, float yaw) {
        return render(pitch, yaw, null, null);
    }

    /**
     * {@code merge_img} at a gaze (radians), from {@code view} (null: the input's camera) under
     * {@code illumination} (27 SH values as in the code's illumination part; null: the input's), test mode.
     *
     * @return a new (O, O, 3) channels-last array, values in (0, 1)
     */
    public float[] render(float pitch, float yaw, View view, float[] illumination) {
        LossStep step = renderStep();
        step.batch.set(0, sample(pitch, yaw, view, illumination, null), state.offsets, 0);
        step.batch.setImages(1);
        step.render(state.params, 1);
        int n = preset.outputSize() * preset.outputSize() * 3;
        float[] out = new float[n];
        System.arraycopy(step.ws().mergeImage(), 0, out, 0, n);
        return out;
    }

    /**
     * The image terms of the training loss (test mode, no penalties) of this face rendered with the codes,
     * camera and gaze of {@code image} plus the fitted offsets, against that image and its masks.
     */
    public ReconstructionLoss.Result imageLoss(Sample image) {
        LossStep step = renderStep();
        step.batch.set(0, image, state.offsets, 0);
        step.batch.setImages(1);
        return step.imageLoss(state.params, 1);
    }

    /**
     * Gaze inversion (section 4.4, {@code optimize_gaze_direction}): the (pitch, yaw) under which this face,
     * from its fitted input camera with its codes, best reproduces {@code image} (the pixels and masks of a
     * sample of the same view). Adam (lr 0.01) on the gaze only, from (0, 0), through the model's gradient
     * with respect to the gaze; the objective is the head term of the loss (merge image vs image over the head
     * mask; L1 or MSE as {@code l1}), test mode; stops after {@code patience} (the reference: 35) steps without
     * improvement or after {@code maxSteps}. Returns the best gaze seen.
     */
    public GazeEstimate estimateGaze(Sample image, int maxSteps, int patience, boolean l1) {
        if (maxSteps < 1 || patience < 1) {
            throw new IllegalArgumentException("estimateGaze: maxSteps and patience must be >= 1, got " + maxSteps
                    + ", " + patience);
        }
        if (image.size() != preset.outputSize()) {
            throw new IllegalArgumentException("estimateGaze: image is " + image.size() + " px, the preset renders "
                    + preset.outputSize());
        }
        renderStep();
        if (gazeStep == null) {
            LossWeights headOnly = new LossWeights(l1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, false);
            gazeStep = new LossStep(model, backend, kernels, headOnly, 1);
        }
        float[] gaze = new float[2];      // (pitch, yaw), optimized
        float[] dGaze = new float[2];
        Adam adam = new Adam();
        adam.addGroup("gaze", gaze, dGaze, 0.01f, 0, 2);
        ModelState scratch = state;
        double best = Double.POSITIVE_INFINITY;
        float bestPitch = 0;
        float bestYaw = 0;
        int sinceBest = 0;
        int steps = 0;
        boolean early = false;
        while (steps < maxSteps) {
            gazeStep.batch.set(0, sample(gaze[0], gaze[1], null, null, image), state.offsets, 0);
            gazeStep.batch.setImages(1);
            double l = gazeStep.imageLossAndGazeGradient(scratch, dGaze, steps);
            steps++;
            if (l < best) {
                best = l;
                bestPitch = gaze[0];
                bestYaw = gaze[1];
                sinceBest = 0;
            } else if (++sinceBest >= patience) {
                early = true;
                break;
            }
            adam.step(backend);
        }
        state.zeroGradients();
        return new GazeEstimate(bestPitch, bestYaw, best, steps, early);
    }

    /** A loader-shaped sample of the base with another gaze, view and illumination; pixels from {@code pixels}. */
    private Sample sample(float pitch, float yaw, View view, float[] illumination, Sample pixels) {
        float[] code = base.code();
        if (illumination != null) {
            if (illumination.length != ILLU) {
                throw new IllegalArgumentException("render: illumination has " + illumination.length + " values, needs " + ILLU);
            }
            code = code.clone();
            System.arraycopy(illumination, 0, code, ILLU_OFFSET, ILLU);
        }
        float[] r = view == null || view.c2wR() == null ? base.c2wR() : checked("c2wR", view.c2wR(), 9);
        float[] t = view == null || view.c2wT() == null ? base.c2wT() : checked("c2wT", view.c2wT(), 3);
        float[] k = view == null || view.intrinsics() == null ? base.intrinsics() : checked("intrinsics", view.intrinsics(), 9);
        float[] img = pixels == null ? blankImage : pixels.image();
        float[] head = pixels == null ? blankMask : pixels.headMask();
        float[] left = pixels == null ? blankMask : pixels.leftEyeMask();
        float[] right = pixels == null ? blankMask : pixels.rightEyeMask();
        return new Sample(base.subject(), 0, base.imageIndex(), base.size(), img, head, left, right, code, null, null,
                r, t, k, null, new float[]{pitch, yaw}, null, null, 0);
    }

    private static float[] checked(String name, float[] a, int n) {
        if (a.length != n) {
            throw new IllegalArgumentException("render: view " + name + " has " + a.length + " values, needs " + n);
        }
        return a;
    }

    // ------------------------------------------------------------------ files

    static final String WEIGHTS = "weights.safetensors";
    static final String OFFSETS = "offsets.safetensors";
    static final String MANIFEST = "face.json";

    /** Writes the face into {@code dir} (replaced if it exists), atomically: temporary directory, then rename. */
    public void save(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp-");
        try {
            SafeTensors.write(tmp.resolve(WEIGHTS), state.weightTensors(), Map.of("kind", "gazenerf fitted face"));
            SafeTensors.write(tmp.resolve(OFFSETS), state.offsetTensors(), Map.of("kind", "gazenerf fitted face"));
            ObjectNode m = JSON.createObjectNode();
            m.set("preset", JSON.valueToTree(preset));
            m.set("base", JSON.valueToTree(base));
            m.set("fit", JSON.valueToTree(summary));
            Files.write(tmp.resolve(MANIFEST), JSON.writeValueAsBytes(m));
            if (Files.exists(dir)) {
                CheckpointStore.deleteTree(dir);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                CheckpointStore.deleteTree(tmp);
            }
        }
    }

    /** Reads a face written by {@link #save}; it renders with {@code backend}. */
    public static FittedFace load(Path dir, Backend backend) throws IOException {
        Path mf = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) {
            throw new IOException(dir + ": no " + MANIFEST + " (not a fitted face)");
        }
        JsonNode m = JSON.readTree(mf.toFile());
        Preset preset = JSON.treeToValue(m.path("preset"), Preset.class);
        Base base = JSON.treeToValue(m.path("base"), Base.class);
        FitSummary summary = JSON.treeToValue(m.path("fit"), FitSummary.class);
        GazeNerfModel model = new GazeNerfModel(preset);
        ModelState state = new ModelState(model, 0, 1, FitOptions.frozenNetwork(1).asTrainOptions(), false);
        state.loadWeights(SafeTensors.read(dir.resolve(WEIGHTS)), dir.resolve(WEIGHTS).toString());
        state.loadOffsets(SafeTensors.read(dir.resolve(OFFSETS)), dir.resolve(OFFSETS).toString());
        return new FittedFace(preset, model, state, base, summary, backend);
    }

    @Override
    public void close() {
        if (kernels != null) {
            kernels.close();
            kernels = null;
            renderStep = null;
            gazeStep = null;
        }
    }
}
