package dev.gazenerf.bench;

import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.LoaderOptions;
import dev.gazenerf.datasets.Sample;
import dev.gazenerf.datasets.h5.SubjectFile;
import dev.gazenerf.datasets.h5.SubjectFormat;
import dev.gazenerf.datasets.synth.ImageSpec;
import dev.gazenerf.datasets.synth.Rendering;
import dev.gazenerf.datasets.synth.SynthConfig;
import dev.gazenerf.datasets.synth.SynthSummary;
import dev.gazenerf.datasets.synth.SyntheticDataset;
import dev.gazenerf.datasets.synth.SyntheticRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The synthetic dataset's throughput: images rendered per second (2 x 2 supersampling, exact ray casting) at
 * 128 and 512 px on a given number of threads (2 = the "2 cores"), and images read per second from a
 * subject file, raw (one face_patch row) and as a loader sample (BGR to RGB floats, masks eroded, at the file's
 * size or area-resampled to 64 x 64).
 * Scores are operations per second, i.e. images per second.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SynthBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SynthBenchmark {

    /** Rendering state: a renderer and 64 precomputed image specs of 4 subjects. */
    @State(Scope.Benchmark)
    public static class RenderState {
        @Param({"128", "512"})
        int size;

        @Param({"2"})
        int threads;

        SyntheticRenderer renderer;
        SynthConfig config;
        ImageSpec[] specs;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            config = SynthConfig.defaults(4, 16, size, 1).withThreads(threads);
            renderer = new SyntheticRenderer(threads, config.supersampling());
            specs = new ImageSpec[64];
            for (int i = 0; i < specs.length; i++) {
                specs[i] = SyntheticDataset.imageSpec(config, i % 4, i / 4);
            }
            // validate before timing: the single-thread render is identical and the head is there
            try (SyntheticRenderer one = new SyntheticRenderer(1, config.supersampling())) {
                Rendering a = SyntheticDataset.render(one, config, specs[0]);
                Rendering b = SyntheticDataset.render(renderer, config, specs[0]);
                if (!java.util.Arrays.equals(a.rgb(), b.rgb())) {
                    throw new IllegalStateException("threaded render differs from the single-thread render");
                }
                float head = 0;
                for (float v : a.head()) {
                    head += v;
                }
                if (head < 0.2f * size * size) {
                    throw new IllegalStateException("the head covers only " + head + " pixels");
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            renderer.close();
        }
    }

    /** Reading state: a generated subject file of 16 images. */
    @State(Scope.Benchmark)
    public static class ReadState {
        @Param({"128", "512"})
        int fileSize;

        /** Loader output size: 0 = the file's size; 64 = the reference's feature-map size. */
        @Param({"0", "64"})
        int outputSize;

        Path dir;
        SubjectFile file;
        GazeDataset dataset;
        byte[] row;
        int next;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("synth-bench");
            SynthConfig config = SynthConfig.defaults(1, 16, fileSize, 2);
            SynthSummary s = SyntheticDataset.generate(config, dir, null);
            file = SubjectFile.open(s.subjectFiles().get(0));
            dataset = GazeDataset.open(List.of(s.subjectFiles().get(0)), null,
                    LoaderOptions.defaults().withOutputSize(outputSize));
            row = new byte[fileSize * fileSize * 3];
            Sample sample = dataset.get(3);
            file.readRow(SubjectFormat.FACE_PATCH, 3, row, 0);
            if (outputSize == 0 && Math.abs(sample.image()[0] - (row[2] & 0xff) / 255f) > 0) {
                throw new IllegalStateException("loader and raw read disagree");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            dataset.close();
            file.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Benchmark
    public Rendering renderImage(RenderState s) {
        ImageSpec spec = s.specs[s.next++ & 63];
        return SyntheticDataset.render(s.renderer, s.config, spec);
    }

    @Benchmark
    public byte[] readRawImage(ReadState s) {
        s.file.readRow(SubjectFormat.FACE_PATCH, s.next++ & 15, s.row, 0);
        return s.row;
    }

    @Benchmark
    public Sample readSample(ReadState s) {
        return s.dataset.get(s.next++ & 15);
    }
}
