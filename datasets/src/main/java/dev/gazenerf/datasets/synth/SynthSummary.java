package dev.gazenerf.datasets.synth;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link SyntheticDataset#generate} wrote.
 *
 * @param directory       the output folder
 * @param subjectFiles    one HDF5 file per subject
 * @param splitFile       train_test_split.json
 * @param contactSheet    contact_sheet.png
 * @param subjects        number of subjects
 * @param images          total images
 * @param size            image size
 * @param seed            seed
 * @param trainSubjects   keys in "train"
 * @param valSubjects     keys in "val" (also val_gaze, test, test_specific)
 * @param seconds         wall time
 */
public record SynthSummary(Path directory, List<Path> subjectFiles, Path splitFile, Path contactSheet, int subjects,
        int images, int size, long seed, List<String> trainSubjects, List<String> valSubjects, double seconds) {

    /** Images rendered and written per second. */
    public double imagesPerSecond() {
        return seconds > 0 ? images / seconds : 0;
    }
}
