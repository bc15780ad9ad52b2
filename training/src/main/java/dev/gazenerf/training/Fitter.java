package dev.gazenerf.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.datasets.Sample;
import dev.gazenerf.io.SafeTensors;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.render.RenderKernels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Adapts a trained GazeNeRF to one preprocessed image of an unseen face (section 4 of the reference spec).
 * See {@link FitOptions} for the two protocols (the reference's whole-network fine-tuning, and HeadNeRF's
 * frozen network) and the deliberate deviations. Every fit starts from the trained weights held here, with
 * fresh offsets (one row, zeros) and a fresh Adam; steps use jittered samples seeded by
 * {@code (options.seed, step)}, so a fit is deterministic on a given backend. Not thread-safe: one fit at a time.
 *
 * <pre>{@code
 *   try (Fitter f = Fitter.fromRun(runDir, backend, System.err::println);
 *        FittedFace face = f.fit(sample, FitOptions.reference(75), null)) {
 *       float[] rgb = face.render(0.2f, -0.3f);   // (O, O, 3)
 *       face.save(runDir.resolve("fits/subject0003_0"));
 *   }
 * }</pre>
 */
public final class Fitter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Preset preset;
    private final GazeNerfModel model;
    private final Backend backend;
    private final RenderKernels kernels;
    private final SafeTensors.Contents weights;
    private final String source;
    private final LossStep objective;

    /** One step of a fit: its number (1-based), the training loss (terms + penalty) and the image terms. */
    public record FitStep(int step, double loss, double[] terms) {
    }

    /**
     * @param weights the trained network tensors under the reference's names (a checkpoint's {@code weights})
     * @param source  where they came from, for error messages
     */
    public Fitter(Preset preset, Backend backend, SafeTensors.Contents weights, String source) {
        if (preset == null || backend == null || weights == null) {
            throw new IllegalArgumentException("Fitter: preset, backend and weights must not be null");
        }
        this.preset = preset;
        this.model = new GazeNerfModel(preset);
        this.backend = backend;
        this.weights = weights;
        this.source = source;
        // fail now, naming the tensor, if the weights do not fit the preset
        new ModelState(model, 0, 1, FitOptions.frozenNetwork(1).asTrainOptions(), false).loadWeights(weights, source);
        this.kernels = RenderKernels.forBackend(backend);
        this.objective = new LossStep(model, backend, kernels, LossWeights.reference(), 1);
    }

    /** A fitter from one checkpoint (its manifest names the preset). */
    public static Fitter fromCheckpoint(CheckpointStore.Loaded checkpoint, Backend backend) {
        JsonNode m = checkpoint.manifest();
        Preset preset;
        try {
            preset = JSON.treeToValue(m.path("preset"), Preset.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(checkpoint.dir() + ": manifest has no valid preset: " + e.getMessage(), e);
        }
        return new Fitter(preset, backend, checkpoint.file("weights"), checkpoint.dir().toString());
    }

    /** A fitter from the newest readable checkpoint of a run directory ({@code RUN/checkpoints}). */
    public static Fitter fromRun(Path runDir, Backend backend, Consumer<String> warn) throws IOException {
        CheckpointStore store = new CheckpointStore(runDir.resolve("checkpoints"), Integer.MAX_VALUE);
        Optional<CheckpointStore.Loaded> l = store.latest(warn);
        if (l.isEmpty()) {
            throw new IllegalArgumentException(runDir + ": no readable checkpoint in " + store.dir());
        }
        return fromCheckpoint(l.get(), backend);
    }

    public Preset preset() {
        return preset;
    }

    /**
     * Fits the image: {@code options.steps()} steps of batch 1 on {@code sample} (its codes, camera and gaze
     * label, plus the offsets being learned). With 0 steps the face is the trained model with zero offsets.
     *
     * @param listener called after each step (may be null)
     * @return the fitted face (renders with this fitter's backend; close it when done)
     * @throws IllegalArgumentException when the sample's head mask is constant or both eye masks are
     *                                  (the loss would be empty: the reference skips such images)
     */
    public FittedFace fit(Sample sample, FitOptions options, Consumer<FitStep> listener) {
        if (sample == null || options == null) {
            throw new IllegalArgumentException("Fitter.fit: sample and options must not be null");
        }
        ModelState state = new ModelState(model, 0, 1, options.asTrainOptions(), !options.frozenNetwork());
        state.loadWeights(weights, source);
        LossStep step = options.loss().equals(LossWeights.reference())
                ? objective : new LossStep(model, backend, kernels, options.loss(), 1);
        BatchInputs batch = step.batch;
        batch.set(0, sample, state.offsets, 0);
        if (!batch.usable(0)) {
            throw new IllegalArgumentException("cannot fit " + sample.subject() + "#" + sample.imageIndex()
                    + ": its head mask is constant or both eye masks are");
        }
        double first = Double.NaN;
        double last = Double.NaN;
        for (int s = 1; s <= options.steps(); s++) {
            batch.set(0, sample, state.offsets, 0);
            batch.setImages(1);
            LossStep.Value v = step.lossAndGradients(state, 1, true, Trainer.jitterSeed(options.seed(), s), s);
            state.adam().step(backend);
            if (s == 1) {
                first = v.total();
            }
            last = v.total();
            if (listener != null) {
                listener.accept(new FitStep(s, v.total(), v.terms()));
            }
        }
        state.zeroGradients();
        FittedFace.FitSummary summary = new FittedFace.FitSummary(options.steps(), options.frozenNetwork(), first, last);
        return new FittedFace(preset, model, state, FittedFace.Base.of(sample), summary, backend);
    }

    @Override
    public void close() {
        kernels.close();
    }
}
