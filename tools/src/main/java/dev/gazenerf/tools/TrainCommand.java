package dev.gazenerf.tools;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.model.Preset;
import dev.gazenerf.training.TrainOptions;
import dev.gazenerf.training.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code gazenerf train}: trains a preset on a dataset directory; checkpoints and log.jsonl in RUN. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train GazeNeRF on DIR (its train split); checkpoints in RUN/checkpoints, metrics in RUN/log.jsonl.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    DataOptions data;

    @Option(names = "--preset", defaultValue = "tiny", paramLabel = "NAME", description = "paper, small, tiny or a JSON file (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "Run directory.")
    Path run;

    @Option(names = "--steps", defaultValue = "1000", paramLabel = "N", description = "Total steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "2", paramLabel = "N", description = "Images per step (default ${DEFAULT-VALUE}, as the reference).")
    int batch;

    @Option(names = "--lr-scale", defaultValue = "1", paramLabel = "F",
            description = "Multiply every reference learning rate by F (default ${DEFAULT-VALUE}; small presets learn faster with 10-50).")
    float lrScale;

    @Option(names = "--lr-decay-steps", defaultValue = "0", paramLabel = "N",
            description = "Learning rates times 0.1^(step/N); 0 keeps them constant, as the reference effectively does (default ${DEFAULT-VALUE}).")
    int lrDecaySteps;

    @Option(names = "--seed", defaultValue = "45", paramLabel = "S", description = "Seed of data order, jitter and init (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "200", paramLabel = "N", description = "Steps between checkpoints (default ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--eval-every", defaultValue = "100", paramLabel = "N", description = "Steps between held-out PSNR measurements, 0 = never (default ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--resume", description = "Continue from the newest good checkpoint in RUN.")
    boolean resume;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Preset p = Presets.resolve(preset, common);
        TrainOptions o = TrainOptions.reference(steps).withBatchSize(batch).withLearningRateScale(lrScale)
                .withIntervals(checkpointEvery, evalEvery).withSeed(seed).withLrDecaySteps(lrDecaySteps);
        if (!resume && Files.isDirectory(run.resolve("checkpoints")) && !isEmpty(run.resolve("checkpoints"))) {
            throw new IllegalArgumentException(run + " already holds checkpoints: pass --resume to continue, or choose another --out");
        }
        try (Backend be = common.openBackend(out);
             GazeDataset train = data.open(Splits.TRAIN, p);
             GazeDataset val = data.openOptional(Splits.VAL, p);
             Trainer t = new Trainer(p, be, train, val, o, run)) {
            if (resume) {
                Optional<Long> from = t.resume(w -> spec.commandLine().getErr().println("gazenerf: warning: " + w));
                out.println(from.map(s -> "resuming at step " + s).orElse("no checkpoint in " + run + ": starting at step 0"));
            }
            out.printf("training preset %s (%,d parameters) on %d images of %s for %d steps, batch %d%n", p.name(),
                    t.model().parameterCount(), train.size(), data.dir, steps, batch);
            if (t.runsOnDevice()) {
                out.println("training step: one device-resident OpenCL plan (inputs up once, loss and code/point"
                        + " gradients down once per step)");
            }
            out.flush();
            long start = t.step();
            try (Progress bar = new Progress("train", steps, quiet)) {
                bar.stepTo(start);
                t.train(r -> {
                    bar.stepTo(r.step());
                    if (!r.skipped()) {
                        bar.extra(String.format("loss %.4f%s", r.loss(),
                                Double.isNaN(r.heldOutPsnr()) ? "" : String.format(", held-out PSNR %.2f dB", r.heldOutPsnr())));
                    }
                });
            }
            out.printf("done: %d steps, checkpoints in %s, log in %s%n", t.step(), t.checkpoints().dir(), run.resolve("log.jsonl"));
        }
        return 0;
    }

    private static boolean isEmpty(Path dir) throws java.io.IOException {
        try (var s = Files.list(dir)) {
            return s.noneMatch(f -> f.getFileName().toString().startsWith("step-"));
        }
    }
}
