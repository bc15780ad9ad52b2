package dev.gazenerf.backend.tornadovm;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

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

import dev.gazenerf.backend.Backends;
import dev.gazenerf.training.SyntheticTrainer;
import dev.gazenerf.training.Trainer;

/**
 * {@code bench}'s {@code DeviceTrainStepBenchmark} on {@code tornadovm}: whole training steps per second (the primary
 * score) of the {@link Trainer} with the device-resident {@link TornadoVmModelStep} (forward, the loss terms,
 * backward and the networks' Adam as TornadoVM tasks over one heap kept on the device; one upload and one download per
 * step; on the host the batch's rays, codes and offsets, as on {@code opencl}), on the same synthetic data, options
 * and batch ({@link SyntheticTrainer}: 4 subjects x 2 images at the preset's output size, reference options).
 *
 * <p>Setup runs the first step of the {@code vector} host path on the same data, then builds the TornadoVM step and
 * runs its first step (which builds its kernels: 19 to 46 s for {@code tiny} on PoCL, 149 s for {@code small}), and throws when the two losses
 * differ by more than {@link SyntheticTrainer#FIRST_STEP_LOSS_REL} relative or when the trainer did not get the
 * resident step. {@code bench/compare-backends} runs it as the tornadovm column of {@code train_step}
 * ({@code -p preset=tiny}). On a CPU device through PoCL a {@code tiny} step takes seconds: one JMH iteration may hold
 * one step. Needs {@code -Dtornado.tvm.maxbytecodesize=65536} (added to the fork).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dtornado.tvm.maxbytecodesize=65536"})
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 10)
public class TornadoVmTrainStepBenchmark {
    /**
     * The preset trained. On the PoCL CPU device (2 cores, shared) {@code small} is 1,155 tasks in 13 graphs, 78.3 M
     * floats of heap, 149 s to build and run its first step, then about 110 s a step (one-step smoke run, 0.009 steps/s).
     */
    @Param({"tiny", "small"})
    public String preset;

    /** Images per step (the reference's 2). */
    @Param({"2"})
    public int batch;

    private SyntheticTrainer run;
    private Trainer trainer;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        run = SyntheticTrainer.start(preset, Backends.create("tornadovm"), batch);
        trainer = run.trainer();
        if (!(run.devicePlan() instanceof TornadoVmModelStep step)) {
            String got = run.devicePlan() == null ? "the host path" : run.devicePlan().getClass().getName();
            run.close();
            throw new IllegalStateException("TornadoVmTrainStepBenchmark: the trainer runs " + got
                    + ", not TornadoVmModelStep");
        }
        System.out.println("# " + run.describe());
        System.out.printf("# %s, heap %,d floats%n", step.device(), step.heapFloats());
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
