package dev.gazenerf.training;

import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.LoaderOptions;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.datasets.h5.SubjectData;
import dev.gazenerf.datasets.h5.SubjectWriter;
import dev.gazenerf.datasets.synth.SynthConfig;
import dev.gazenerf.datasets.synth.SyntheticDataset;
import dev.gazenerf.datasets.synth.SyntheticRenderer;
import dev.gazenerf.model.Preset;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test fixtures: a tiny synthetic data set and a shrunken preset that trains in seconds. */
final class TinyRun {
    static final int SIZE = 32;
    static final long SEED = 7;

    private TinyRun() {
    }

    /** The tiny preset at 32 px output, 16 x 16 rays, 12 samples per ray, narrower networks (66,656 parameters). */
    static Preset preset() {
        return Preset.load("tiny").withOverrides(List.of("outputSize=32", "featmapSize=16", "samples=12",
                "mlpWidth=32", "featureChannels=24", "minRendererChannels=8", "rayChunk=256"));
    }

    static SynthConfig config(int subjects, int images) {
        return SynthConfig.defaults(subjects, images, SIZE, SEED);
    }

    /** Generates {@code subjects x images} into dir (the last subject(s) in val, see SynthConfig). */
    static void generate(Path dir, int subjects, int images) {
        SyntheticDataset.generate(config(subjects, images), dir, null);
    }

    static GazeDataset open(Path dir, String set) {
        return GazeDataset.open(dir, set, LoaderOptions.defaults().withOutputSize(preset().outputSize()));
    }

    /**
     * Images {@code [from, to)} of the given subjects of {@code config(subjects, from)}'s data set: new cameras,
     * lights and gazes of the same faces (the generator's image specs depend only on seed, subject and index),
     * written as subject files into {@code dir} and opened.
     */
    static GazeDataset unseenImagesOfSeenSubjects(Path dir, int subjects, List<Integer> which, int from, int to)
            throws Exception {
        Files.createDirectories(dir);
        SynthConfig big = config(subjects, to);
        List<Path> paths = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try (SyntheticRenderer r = new SyntheticRenderer(2, big.supersampling())) {
            for (int s : which) {
                SubjectData all = SyntheticDataset.renderSubject(big, s, r, null);
                Path p = dir.resolve("heldout_" + Splits.key(s));
                SubjectWriter.write(p, rows(all, from, to));
                paths.add(p);
                keys.add(Splits.key(s));
            }
        }
        return GazeDataset.open(paths, keys, LoaderOptions.defaults().withOutputSize(preset().outputSize()));
    }

    /** Rows [from, to) of every per-image array of a subject's data. */
    static SubjectData rows(SubjectData d, int from, int to) throws Exception {
        RecordComponent[] rc = SubjectData.class.getRecordComponents();
        Object[] args = new Object[rc.length];
        Class<?>[] types = new Class<?>[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            Object v = rc[i].getAccessor().invoke(d);
            if (rc[i].getName().equals("count")) {
                v = to - from;
            } else if (v != null && v.getClass().isArray()) {
                int row = Array.getLength(v) / d.count();
                Object out = Array.newInstance(v.getClass().getComponentType(), row * (to - from));
                System.arraycopy(v, from * row, out, 0, row * (to - from));
                v = out;
            }
            args[i] = v;
        }
        return SubjectData.class.getDeclaredConstructor(types).newInstance(args);
    }
}
