package dev.gazenerf.tools;

import dev.gazenerf.datasets.ExpressionCode;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.LoaderOptions;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.model.Preset;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the data is and how to read it: the directory, the dataset prefix, the fixed expression code. */
final class DataOptions {
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Dataset directory with train_test_split.json.")
    Path dir;

    @Option(names = "--prefix", defaultValue = "xgaze_", paramLabel = "P", description = "File prefix: xgaze_, mpii_, columbia_, gaze_capture_ (default ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--fixed-expression", description = "Replace the expression code by the reference's fixed code (section 1.5).")
    boolean fixedExpression;

    LoaderOptions options(Preset p) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--data " + dir + ": no such directory");
        }
        LoaderOptions o = LoaderOptions.defaults().withOutputSize(p.outputSize()).withPrefix(Splits.Prefix.parse(prefix));
        return fixedExpression ? o.withFixedExpression(ExpressionCode.shipped()) : o;
    }

    GazeDataset open(String split, Preset p) {
        return GazeDataset.open(dir, split, options(p));
    }

    /** The split, or null when the split file has no such set or it is empty. */
    GazeDataset openOptional(String split, Preset p) {
        Splits s = Splits.read(dir.resolve(Splits.FILE_NAME));
        return s.keys(split).isEmpty() ? null : open(split, p);
    }
}
