package dev.gazenerf.backend.tornadovm;

import java.util.Random;
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
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;

/**
 * One training step of the paper's NeRF MLP (8 layers of 384 with the skip layer, density and RGB heads; forward,
 * MSE on {@code [sigma, features]}, backward, Adam) over {@code points} points of one image, in two ways:
 * {@code graph}, {@link DeviceNerfMlpStep} (one task graph, everything resident), or the same step call by call
 * on a named backend ({@code scalar}, {@code vector}, {@code opencl}, {@code tornadovm}: the chain of
 * {@link DeviceNerfMlpStepTest#referenceStep}). Secondary counter {@code points}: points per second. Setup
 * runs one step both ways and throws when the loss differs from the scalar chain's by more than 1e-4 relative.
 * Needs {@code -Dtornado.tvm.maxbytecodesize=65536} for {@code graph} (added to the fork).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dtornado.tvm.maxbytecodesize=65536"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class TornadoVmNerfMlpStepBenchmark {
    /** {@code graph} (DeviceNerfMlpStep) or the name of a backend running the call-by-call chain. */
    @Param({"graph", "tornadovm"})
    public String impl;

    @Param({"1024"})
    public int points;

    static final float LR = 1e-3f, BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;

    private NerfMlp mlp;
    private DeviceNerfMlpStep graph;
    private Backend backend;
    private NerfMlp.Workspace ws;
    private float[] params, grads, m, v, pe, shape, app, target;
    private int step;

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
        NerfMlpConfig cfg = NerfMlpConfig.paper();
        mlp = new NerfMlp(cfg);
        int size = mlp.parameterCount();
        params = new float[size];
        mlp.initialize(params, 11);
        float[] init = params.clone();
        grads = new float[size];
        m = new float[size];
        v = new float[size];
        Random r = new Random(3);
        pe = random(r, points * cfg.encodedWidth(), 1f);
        shape = random(r, cfg.shapeCodeWidth(), 1f);
        app = random(r, cfg.appearanceWidth(), 1f);
        target = random(r, points * (1 + cfg.featureChannels()), 0.5f);
        ws = mlp.newWorkspace(1, points);
        Backend scalar = Backends.create("scalar");
        float want = DeviceNerfMlpStepTest.referenceStep(mlp, ws, scalar, params.clone(), new float[size], new float[size],
                new float[size], 1, pe, shape, app, target, 1, points);
        float got;
        if (impl.equals("graph")) {
            graph = new DeviceNerfMlpStep(mlp, 1, points, init, LR, BETA1, BETA2, EPS, false, null);
            System.out.println("# graph on " + graph.device() + ", " + graph.taskCount() + " tasks");
            got = graph.step(pe, shape, app, target);
        } else {
            backend = Backends.create(impl);
            System.out.println("# backend " + backend.name() + ": " + backend.device());
            got = chainStep();
        }
        if (!(Math.abs(got - want) <= 1e-4 * Math.abs(want))) {
            throw new IllegalStateException("TornadoVmNerfMlpStepBenchmark: " + impl + " loss " + got + ", scalar " + want);
        }
    }

    private float chainStep() {
        return DeviceNerfMlpStepTest.referenceStep(mlp, ws, backend, params, grads, m, v, ++step, pe, shape, app, target,
                1, points);
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (r.nextFloat() * 2f - 1f) * scale;
        }
        return a;
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
        return graph != null ? graph.step(pe, shape, app, target) : chainStep();
    }
}
