package dev.gazenerf.tools;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.datasets.Sample;
import dev.gazenerf.training.FitOptions;
import dev.gazenerf.training.FittedFace;
import dev.gazenerf.training.Fitter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code gazenerf fit}: adapts a trained run to one unseen image (section 4 of the reference spec). */
@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Adapt a trained run to one image; writes RUN/fits/<subject>_<index>/.")
final class FitCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    FaceOptions face;

    @Option(names = "--run", required = true, paramLabel = "RUN", description = "Run directory (trained with `gazenerf train`).")
    Path run;

    @Option(names = "--steps", defaultValue = "75", paramLabel = "N", description = "Fitting steps (default ${DEFAULT-VALUE}, as the reference).")
    int steps;

    @Option(names = "--frozen-net", description = "Fit only the codes and camera, keep the network (HeadNeRF's protocol; faster).")
    boolean frozen;

    @Option(names = "--lr-scale", defaultValue = "1", paramLabel = "F", description = "Multiply the fitting learning rates by F (default ${DEFAULT-VALUE}).")
    float lrScale;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Backend be = common.openBackend(out)) {
            Path dir = fit(be, run, face, steps, frozen, lrScale, quiet, out);
            out.println("fitted face written to " + dir);
        }
        return 0;
    }

    /** Fits and saves the face; returns its directory. */
    static Path fit(Backend be, Path run, FaceOptions face, int steps, boolean frozen, float lrScale, boolean quiet,
                    PrintWriter out) throws Exception {
        return fit(be, run, face, (frozen ? FitOptions.frozenNetwork(steps) : FitOptions.reference(steps)).withLearningRateScale(lrScale),
                quiet, out);
    }

    /** Fits the face with the given options and saves it under {@code RUN/fits/<face>}; returns that directory. */
    static Path fit(Backend be, Path run, FaceOptions face, FitOptions o, boolean quiet, PrintWriter out) throws Exception {
        int steps = o.steps();
        try (Fitter fitter = Fitter.fromRun(run, be, w -> out.println("warning: " + w))) {
            Sample s = face.read(fitter.preset());
            FittedFace f;
            try (Progress bar = new Progress("fit " + face.slug(), steps, quiet)) {
                f = fitter.fit(s, o, st -> {
                    bar.stepTo(st.step());
                    bar.extra(String.format("loss %.4f", st.loss()));
                });
            }
            Path dir = run.resolve("fits").resolve(face.slug());
            try (f) {
                f.save(dir);
                out.printf("fit: %d steps, loss %.4f -> %.4f%n", f.summary().steps(), f.summary().firstLoss(), f.summary().lastLoss());
            }
            return dir;
        }
    }
}
