package dev.gazenerf.bench;

import dev.gazenerf.backend.Backends;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
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
 * The matrix work of the paper MLP's training step: {@link MlpBenchmark#trainStep}, the same step on the same
 * inputs, with every backend call timed ({@link TimedBackend}), and the matrix products' time and FLOP reported
 * apart from the rest of the step (the element-wise passes, Adam, the code outside the backend). The secondary
 * results {@code gemmFlops} and {@code gemmNanos} are the products' FLOP and nanoseconds per second of benchmark
 * time, so {@code gemmFlops / gemmNanos} is their FLOP per nanosecond (GFLOP/s) inside the step; {@code stepFlops}
 * is the whole step's rate as {@link MlpBenchmark} counts it. Every product is counted, down to the density head's
 * one-column ones and the per-image code rows, and the timing wrapper's own cost per call (about a microsecond)
 * falls in the products' time: the figure errs low. {@code bench/compare} reports it beside {@code mlp_step_*}'s
 * whole-step fraction of peak, as the MLP's matrix work.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class MlpMatrixWorkBenchmark {

    /** The backend: {@code vector} or {@code opencl}. */
    @Param({"vector", "opencl"})
    public String backend;

    /** Points per call, all of one image. */
    @Param({"4096", "65536"})
    public int points;

    private TimedBackend timer;
    private MlpBenchmark step;
    private final MlpBenchmark.Counters stepCounters = new MlpBenchmark.Counters();

    /** The matrix products' FLOP and nanoseconds, and the whole step's FLOP, as per-second rates. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long gemmFlops;
        public long gemmNanos;
        public long stepFlops;

        @Setup(Level.Iteration)
        public void reset() {
            gemmFlops = 0;
            gemmNanos = 0;
            stepFlops = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        timer = new TimedBackend(Backends.create(backend), false);
        step = new MlpBenchmark();
        step.backend = backend;
        step.points = points;
        step.setUp(timer.backend());  // checks against scalar before anything is timed
        timer.on = true;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.tearDown();
    }

    @Benchmark
    public float trainStep(Counters c) {
        long nanos = timer.gemmNanos;
        long flops = timer.gemmFlops;
        long all = stepCounters.flops;
        float r = step.trainStep(stepCounters);
        c.gemmNanos += timer.gemmNanos - nanos;
        c.gemmFlops += timer.gemmFlops - flops;
        c.stepFlops += stepCounters.flops - all;
        return r;
    }
}
