package dev.gazenerf.training;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ResidentModelStep;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.LoaderOptions;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.datasets.synth.SynthConfig;
import dev.gazenerf.datasets.synth.SyntheticDataset;
import dev.gazenerf.model.Preset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@link Trainer} on synthetic data generated into a temporary folder, already checked against the host path:
 * the setup of the whole-training-step benchmarks ({@code bench}'s {@code DeviceTrainStepBenchmark} for
 * {@code vector} and {@code opencl}, {@code engine-tornadovm}'s {@code TornadoVmTrainStepBenchmark} for
 * {@code tornadovm}), so that their columns train the same data with the same options.
 *
 * <p>{@link #start}: generates 4 subjects x 2 images at the preset's output size (the last subject is the
 * validation split), builds the trainer with the reference options ({@link TrainOptions#reference}: batch 2, the
 * reference's learning rates) at the given batch, with steps and checkpoint interval far beyond what a benchmark
 * runs (call {@link Trainer#trainStep} directly; nothing is written), and runs its first step, which for a device
 * step also builds the kernels. Unless the backend is {@code vector}, a trainer on {@code vector} (the host path)
 * first runs its own first step on the same data, and is closed before the other is built (the two are never in
 * memory together); the two first-step losses must agree within {@link #FIRST_STEP_LOSS_REL}, or {@code start}
 * throws. {@link #close} closes the trainer, the data set and the backend and deletes the folder.
 */
public final class SyntheticTrainer implements AutoCloseable {
    /**
     * First step's loss against {@code vector}'s, relative. Measured on {@code tiny}, batch 2: {@code opencl} on PoCL
     * 3.1 within 1.4e-6 over 20 steps ({@code DeviceTrainingTest}; 2.1e-6 on an H200), {@code tornadovm} on PoCL
     * within 2.1e-7 over the first 12 ({@code TornadoVmTrainingParityTest}); about 5x the worst of those. The first
     * steps themselves (2026-11-26, JDK 25, PoCL 3.1 CPU device): {@code tiny} opencl 9.2e-8, tornadovm 1.0e-7;
     * {@code small} tornadovm 3.2e-8; the shrunken test preset on scalar 4.5e-9 ({@code SyntheticTrainerTest}).
     */
    public static final double FIRST_STEP_LOSS_REL = 1e-5;

    private final Path dir;
    private final Backend backend;
    private final GazeDataset train;
    private final Trainer trainer;
    private final double firstLoss;
    private final double referenceLoss;
    private final double firstStepSeconds;

    private SyntheticTrainer(Path dir, Backend backend, GazeDataset train, Trainer trainer, double firstLoss,
                             double referenceLoss, double firstStepSeconds) {
        this.dir = dir;
        this.backend = backend;
        this.train = train;
        this.trainer = trainer;
        this.firstLoss = firstLoss;
        this.referenceLoss = referenceLoss;
        this.firstStepSeconds = firstStepSeconds;
    }

    /**
     * Generates the data, checks the first step against {@code vector} (see the class comment) and returns the
     * trainer after its first step. Takes ownership of {@code backend}: it is closed with this, or when start fails.
     *
     * @throws IllegalStateException when the first step is skipped (a non-finite gradient) on either path, or the
     *                               two first-step losses differ by more than {@link #FIRST_STEP_LOSS_REL}
     */
    public static SyntheticTrainer start(String presetName, Backend backend, int batch) throws IOException {
        return start(Preset.load(presetName), backend, batch, FIRST_STEP_LOSS_REL, null);
    }

    /** {@link #start(String, Backend, int)} with the bound and the temporary folder's parent (null: the system's). */
    static SyntheticTrainer start(Preset p, Backend backend, int batch, double lossRel, Path parent) throws IOException {
        TrainOptions o = TrainOptions.reference(1_000_000).withIntervals(1_000_000, 0).withBatchSize(batch);
        Path dir = parent == null ? Files.createTempDirectory("gazenerf-train-step-")
                : Files.createTempDirectory(parent, "gazenerf-train-step-");
        Path data = dir.resolve("data");
        GazeDataset train = null;
        Trainer trainer = null;
        try {
            SyntheticDataset.generate(SynthConfig.defaults(4, 2, p.outputSize(), 5), data, null);
            double reference = Double.NaN;
            if (!backend.name().equals("vector")) {
                try (Backend vector = Backends.create("vector");
                     GazeDataset refData = open(data, p);
                     Trainer ref = new Trainer(p, vector, refData, null, o, dir.resolve("run-vector"))) {
                    reference = firstLoss(ref, "vector");
                }
            }
            train = open(data, p);
            long t0 = System.nanoTime();
            trainer = new Trainer(p, backend, train, null, o, dir.resolve("run-" + backend.name()));
            double first = firstLoss(trainer, backend.name());
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!Double.isNaN(reference) && !(Math.abs(first - reference) <= lossRel * Math.abs(reference))) {
                throw new IllegalStateException("SyntheticTrainer: " + p.name() + " on " + backend.name()
                        + ": first step's loss " + first + ", vector's " + reference + " (relative difference "
                        + Math.abs(first - reference) / Math.abs(reference) + " > " + lossRel + ")");
            }
            return new SyntheticTrainer(dir, backend, train, trainer, first, reference, seconds);
        } catch (RuntimeException | Error e) {
            closeAll(trainer, train, backend, dir, e);
            throw e;
        }
    }

    private static GazeDataset open(Path data, Preset p) {
        return GazeDataset.open(data, Splits.TRAIN, LoaderOptions.defaults().withOutputSize(p.outputSize()));
    }

    private static double firstLoss(Trainer t, String name) {
        Trainer.StepResult r = t.trainStep();
        if (r.skipped()) {
            throw new IllegalStateException("SyntheticTrainer: the first step on " + name
                    + " was skipped (a non-finite gradient)");
        }
        return r.loss();
    }

    /** The trainer, one step done. */
    public Trainer trainer() {
        return trainer;
    }

    /** The backend it trains on. */
    public Backend backend() {
        return backend;
    }

    /** The device-resident step ({@code opencl}, {@code tornadovm}), or null on the host path. */
    public ResidentModelStep devicePlan() {
        return trainer.devicePlan();
    }

    /** The loss of the first step. */
    public double firstLoss() {
        return firstLoss;
    }

    /** The loss of {@code vector}'s first step on the same data, or NaN when this trainer is the vector one. */
    public double referenceLoss() {
        return referenceLoss;
    }

    /**
     * One line for a benchmark's log: preset, backend, device, host or device step, the first-step check, and the
     * wall time of building the trainer and running its first step (not a speed figure: it includes building a device
     * step's kernels).
     */
    public String describe() {
        String check = Double.isNaN(referenceLoss) ? "the reference path itself"
                : String.format("vector %.8f, relative difference %.2e", referenceLoss,
                        Math.abs(firstLoss - referenceLoss) / Math.abs(referenceLoss));
        return trainer.model().preset().name() + " on " + backend.name() + " (" + backend.device() + ")"
                + (trainer.runsOnDevice() ? ": device-resident step" : ": host step")
                + String.format("; first step's loss %.8f (%s); trainer built and first step run in %.1f s (a device"
                        + " step's kernels included)", firstLoss, check, firstStepSeconds);
    }

    @Override
    public void close() throws IOException {
        closeAll(trainer, train, backend, dir, null);
    }

    /** {@code first}, with {@code e} added as suppressed; or {@code e} when there was none. */
    private static Throwable firstOf(Throwable first, Throwable e) {
        if (first == null) {
            return e;
        }
        first.addSuppressed(e);
        return first;
    }

    /** Closes what exists and deletes the folder; the first failure is thrown, or added to {@code pending}. */
    private static void closeAll(Trainer trainer, GazeDataset train, Backend backend, Path dir, Throwable pending)
            throws IOException {
        Throwable first = pending;
        for (AutoCloseable c : new AutoCloseable[] {trainer, train, backend}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                first = firstOf(first, e);
            }
        }
        try {
            CheckpointStore.deleteTree(dir);
        } catch (IOException e) {
            first = firstOf(first, e);
        }
        if (first != null && pending == null) {
            if (first instanceof IOException io) {
                throw io;
            }
            if (first instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("SyntheticTrainer: closing failed: " + first, first);
        }
    }
}
