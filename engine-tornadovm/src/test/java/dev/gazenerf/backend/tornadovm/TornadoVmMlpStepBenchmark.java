package dev.gazenerf.backend.tornadovm;

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

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.kernel.Activation;

/**
 * One training step of a two-layer MLP shaped like a GazeNeRF layer pair (63 encoded inputs, width 384, 4
 * outputs; forward, MSE, backward, Adam) in three ways: {@code graph}, the device-resident
 * {@link DeviceMlpStep} (one task graph, only the batch goes up and the loss comes down), and the same chain
 * of {@code Backend} calls on a named backend ({@code tornadovm}: every call copies its operands; or
 * {@code scalar}, {@code vector}, ...). Secondary counter {@code points}: points per second.
 *
 * <p>Setup runs one step both ways on the same data and throws when the loss differs from the scalar chain's
 * by more than {@code 1e-4} relative.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TornadoVmMlpStepBenchmark {
    /** {@code graph} (DeviceMlpStep) or the name of a backend running the call-by-call chain. */
    @Param({"graph", "tornadovm"})
    public String impl;

    @Param({"4096"})
    public int points;

    static final int IN = 63, HIDDEN = 384, OUT = 4;

    private DeviceMlpStep graph;
    private Backend backend;
    private MlpChainReference chain;
    private float[] x;  // (points, IN)
    private float[] t;  // (points, OUT)

    /** Points trained on, reported by JMH as points per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public double points;

        @Setup(Level.Iteration)
        public void reset() {
            points = 0;
        }
    }

    @Setup(Level.Trial)
    public void setup() {
        float[] init = TornadoVmGemmBenchmark.random(4, DeviceMlpStep.layout(IN, HIDDEN, OUT).size());
        for (int i = 0; i < init.length; i++) {
            init[i] *= 0.1f;
        }
        x = TornadoVmGemmBenchmark.random(5, points * IN);
        t = TornadoVmGemmBenchmark.random(6, points * OUT);
        float want = new MlpChainReference(points, IN, HIDDEN, OUT, Activation.RELU, init, 1e-3f, 0.9f, 0.999f, 1e-8f)
                .step(new ScalarBackend(), x, t);
        float got;
        if (impl.equals("graph")) {
            graph = new DeviceMlpStep(points, IN, HIDDEN, OUT, Activation.RELU, init, 1e-3f, 0.9f, 0.999f, 1e-8f, false);
            System.out.println("# graph on " + graph.device());
            got = graph.step(x, t);
        } else {
            backend = Backends.create(impl);
            System.out.println("# backend " + backend.name() + ": " + backend.device());
            chain = new MlpChainReference(points, IN, HIDDEN, OUT, Activation.RELU, init, 1e-3f, 0.9f, 0.999f, 1e-8f);
            got = chain.step(backend, x, t);
        }
        if (!(Math.abs(got - want) <= 1e-4 * Math.abs(want))) {
            throw new IllegalStateException("TornadoVmMlpStepBenchmark: " + impl + " loss " + got + ", scalar " + want);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (graph != null) {
            graph.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Benchmark
    public float step(Counters counters) {
        counters.points += points;
        return graph != null ? graph.step(x, t) : chain.step(backend, x, t);
    }
}
