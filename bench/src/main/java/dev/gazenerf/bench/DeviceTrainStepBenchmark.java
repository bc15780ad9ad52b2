package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.LoaderOptions;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.datasets.synth.SynthConfig;
import dev.gazenerf.datasets.synth.SyntheticDataset;
import dev.gazenerf.model.Preset;
import dev.gazenerf.training.TrainOptions;
import dev.gazenerf.training.Trainer;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Issue 6's comparison: whole training steps per second of the {@link Trainer} ({@code train}'s inner loop: the
 * next batch of 2 images, forward, the reconstruction loss, backward, the offset gradients and penalties, Adam),
 * on synthetic data of the preset's output size (3 subjects x 2 images, generated at setup).
 * <ul>
 *   <li>{@code vector}: the host path on the {@code vector} backend;</li>
 *   <li>{@code opencl}: the device-resident step ({@code DeviceModelStep}: every kernel of forward, backward and
 *       the networks' Adam on the OpenCL device, one upload and one download per step), on
 *       {@code -Dgazenerf.device=N} or the default device. Fails without a device.</li>
 * </ul>
 * Setup prints the device and runs one step; nothing else is checked here (the parity of the two paths is
 * {@code DeviceTrainingTest}'s).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx10g"})
public class DeviceTrainStepBenchmark {
    @Param({"small", "paper"})
    public String preset;

    @Param({"vector", "opencl"})
    public String impl;

    private Path dir;
    private Backend be;
    private GazeDataset train;
    private Trainer trainer;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        Preset p = Preset.load(preset);
        dir = Files.createTempDirectory("gazenerf-bench-");
        SyntheticDataset.generate(SynthConfig.defaults(4, 2, p.outputSize(), 5), dir.resolve("data"), null);
        be = Backends.create(impl);
        train = GazeDataset.open(dir.resolve("data"), Splits.TRAIN, LoaderOptions.defaults().withOutputSize(p.outputSize()));
        // steps far beyond what JMH runs: trainStep is called directly, nothing is written
        trainer = new Trainer(p, be, train, null, TrainOptions.reference(1_000_000).withIntervals(1_000_000, 0),
                dir.resolve("run"));
        System.out.println("# " + preset + " on " + be.name() + " (" + be.device() + ")"
                + (trainer.runsOnDevice() ? ": device-resident step" : ": host step"));
        trainer.trainStep();
    }

    @Benchmark
    public double trainStep() {
        return trainer.trainStep().loss();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        trainer.close();
        train.close();
        be.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
