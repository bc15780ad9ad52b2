package dev.gazenerf.bench;

import dev.gazenerf.backend.Backends;
import dev.gazenerf.training.SyntheticTrainer;
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
import java.util.concurrent.TimeUnit;

/**
 * Issue 6's comparison: whole training steps per second of the {@link Trainer} ({@code train}'s inner loop: the
 * next batch of 2 images, forward, the reconstruction loss, backward, the offset gradients and penalties, Adam),
 * on synthetic data of the preset's output size (4 subjects x 2 images, generated at setup; see
 * {@link SyntheticTrainer}).
 * <ul>
 *   <li>{@code vector}: the host path on the {@code vector} backend;</li>
 *   <li>{@code opencl}: the device-resident step ({@code DeviceModelStep}: every kernel of forward, backward and
 *       the networks' Adam on the OpenCL device, one upload and one download per step), on
 *       {@code -Dgazenerf.device=N} or the default device. Fails without a device.</li>
 * </ul>
 * Setup prints the device and runs the first step, and for {@code opencl} first the first step of {@code vector}
 * on the same data: the two losses must agree within {@link SyntheticTrainer#FIRST_STEP_LOSS_REL} before anything is
 * timed (the parity of whole loss curves is {@code DeviceTrainingTest}'s). {@code engine-tornadovm}'s
 * {@code TornadoVmTrainStepBenchmark} is the same benchmark for {@code tornadovm}; {@code bench/compare-backends}
 * runs both ({@code train_step}, {@code tiny}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx10g"})
public class DeviceTrainStepBenchmark {
    @Param({"tiny", "small", "paper"})
    public String preset;

    @Param({"vector", "opencl"})
    public String impl;

    private SyntheticTrainer run;
    private Trainer trainer;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        run = SyntheticTrainer.start(preset, Backends.create(impl), 2);
        trainer = run.trainer();
        System.out.println("# " + run.describe());
    }

    @Benchmark
    public double trainStep() {
        return trainer.trainStep().loss();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        run.close();
    }
}
