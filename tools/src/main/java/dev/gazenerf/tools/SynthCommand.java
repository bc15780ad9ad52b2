package dev.gazenerf.tools;

import dev.gazenerf.datasets.synth.SynthConfig;
import dev.gazenerf.datasets.synth.SynthSummary;
import dev.gazenerf.datasets.synth.SyntheticDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code gazenerf synth}: the synthetic ground-truth gaze dataset in the reference's HDF5 format. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Render the synthetic ground-truth dataset: DIR/xgaze_subjectNNNN.h5, DIR/train_test_split.json, DIR/contact_sheet.png.")
final class SynthCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--subjects", defaultValue = "6", paramLabel = "N", description = "Subjects (default ${DEFAULT-VALUE}; the last 20%% are held out).")
    int subjects;

    @Option(names = "--images", defaultValue = "12", paramLabel = "N", description = "Images per subject (default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--size", defaultValue = "128", paramLabel = "PX", description = "Image side in pixels (default ${DEFAULT-VALUE}; 512 for the paper preset).")
    int size;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--eye-scale", defaultValue = "1", paramLabel = "F",
            description = "Eyeball radius of every subject times F, in [0.5, 2] (default ${DEFAULT-VALUE}: the original eyes).")
    double eyeScale;

    @Option(names = "--iris-albedo", defaultValue = "1", paramLabel = "F",
            description = "Iris colour of every subject times F, in (0, 1]; smaller is darker (default ${DEFAULT-VALUE}).")
    double irisAlbedo;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var outW = spec.commandLine().getOut();
        SynthConfig config = SynthConfig.defaults(subjects, images, size, seed).withEyes(eyeScale, irisAlbedo);
        SynthSummary s;
        try (Progress p = new Progress("synth", (long) subjects * images, quiet)) {
            s = SyntheticDataset.generate(config, out, (done, total) -> p.stepTo(done));
        }
        outW.printf("wrote %d subjects x %d images at %dpx to %s in %.1f s (%.1f images/s)%n", subjects, images, size,
                out, s.seconds(), s.imagesPerSecond());
        outW.println("split: " + s.splitFile() + ", contact sheet: " + s.contactSheet());
        return 0;
    }
}
