package dev.gazenerf.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.training.Evaluator;
import dev.gazenerf.training.FitOptions;
import dev.gazenerf.training.Fitter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code gazenerf evaluate}: input-to-target redirection pairs of a held-out split; metrics.json and pair images. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Redirect held-out inputs to targets of the same subject; writes OUT/metrics.json and OUT/pairs/*.png.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    DataOptions data;

    @Option(names = "--run", required = true, paramLabel = "RUN", description = "Trained run directory.")
    Path run;

    @Option(names = "--split", defaultValue = "val", paramLabel = "SET", description = "Split to evaluate (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--pairs", defaultValue = "0", paramLabel = "N", description = "At most N pairs (default: all).")
    int maxPairs;

    @Option(names = "--fit-steps", defaultValue = "75", paramLabel = "N", description = "Fitting steps per input (default ${DEFAULT-VALUE}).")
    int fitSteps;

    @Option(names = "--frozen-net", description = "Fit only codes and camera per input.")
    boolean frozen;

    @Option(names = "--lr-scale", defaultValue = "1", paramLabel = "F", description = "Multiply the fitting learning rates by F (default ${DEFAULT-VALUE}).")
    float lrScale;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        try (Backend be = common.openBackend(w)) {
            FitOptions fo = (frozen ? FitOptions.frozenNetwork(fitSteps) : FitOptions.reference(fitSteps)).withLearningRateScale(lrScale);
            Evaluator.Metrics m = run(be, run, data, split, out, maxPairs, fo, quiet, w);
            w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
        }
        return 0;
    }

    /** Runs the evaluation, writes metrics.json and one PNG per pair (input | target | redirected | model at input gaze). */
    static Evaluator.Metrics run(Backend be, Path run, DataOptions data, String split, Path out, int maxPairs, FitOptions fo,
                                 boolean quiet, PrintWriter w) throws Exception {
        try (Fitter fitter = Fitter.fromRun(run, be, msg -> w.println("warning: " + msg));
             GazeDataset ds = data.open(split, fitter.preset())) {
            Evaluator ev = new Evaluator(fitter, fo);
            int n = Evaluator.pairs(ds, maxPairs).size();
            Path pairsDir = out.resolve("pairs");
            Files.createDirectories(pairsDir);
            List<Exception> failures = new ArrayList<>();
            Evaluator.Metrics m;
            try (Progress bar = new Progress("evaluate", n, quiet)) {
                int[] done = {0};
                m = ev.evaluate(ds, maxPairs, r -> {
                    int o = r.size();
                    int[] size = new int[2];
                    float[] grid = Png.grid(List.of(r.inputImage(), r.target(), r.redirected(), r.modelAtInputGaze()), o, o, 4, size);
                    String name = String.format(Locale.ROOT, "%s_%d_to_%d.png", r.subjectKey().replace(".h5", ""),
                            r.pair().input(), r.pair().target());
                    try {
                        Png.write(pairsDir.resolve(name), grid, size[0], size[1]);
                    } catch (java.io.IOException e) {
                        failures.add(e);
                    }
                    bar.stepTo(++done[0]);
                });
            }
            if (!failures.isEmpty()) {
                throw failures.get(0);
            }
            Path tmp = Files.createTempFile(out, ".metrics", ".tmp");
            Files.write(tmp, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(m));
            Files.move(tmp, out.resolve("metrics.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            w.printf("evaluated %d pairs of split '%s' (the redirected render ahead in eye-region PSNR in %d); metrics in %s, "
                    + "images (input | target | redirected | model at input gaze) in %s%n",
                    m.pairs(), split, m.eyeWins(), out.resolve("metrics.json"), pairsDir);
            return m;
        }
    }
}
