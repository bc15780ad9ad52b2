package dev.gazenerf.tools;

import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.Sample;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.model.Preset;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** One face image of a dataset: {@code --data DIR --subject ID --index I} (ID: "subject0004.h5" or 4). */
final class FaceOptions {
    @Mixin
    DataOptions data;

    @Option(names = "--subject", required = true, paramLabel = "ID", description = "Subject key (subject0004.h5) or number (4).")
    String subject;

    @Option(names = "--index", required = true, paramLabel = "I", description = "Image index within the subject file.")
    int index;

    /** The subject key as in the split file. */
    String key() {
        if (subject.matches("\\d+")) {
            return String.format(Locale.ROOT, "subject%04d.h5", Integer.parseInt(subject));
        }
        return subject.endsWith(".h5") ? subject : subject + ".h5";
    }

    /** A directory name for this face: {@code subject0004_3}. */
    String slug() {
        return key().replace(".h5", "") + "_" + index;
    }

    /** Reads the image at the preset's output size. */
    Sample read(Preset p) {
        Path file = Splits.file(data.dir, Splits.Prefix.parse(data.prefix), key());
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--subject " + subject + ": no file " + file);
        }
        try (GazeDataset ds = GazeDataset.open(List.of(file), List.of(key()), data.options(p))) {
            if (index < 0 || index >= ds.size()) {
                throw new IllegalArgumentException("--index " + index + ": " + file + " has images 0.." + (ds.size() - 1));
            }
            return ds.get(index);
        }
    }
}
