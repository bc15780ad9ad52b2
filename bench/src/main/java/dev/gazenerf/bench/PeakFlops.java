package dev.gazenerf.bench;

import dev.gazenerf.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * This machine's FP32 fused multiply-add peak through the Java Vector API, so that gemm figures can be given as
 * a fraction of it: every hardware thread ({@code @Threads(MAX)}) runs 16 independent FMA chains on
 * {@link VectorKernels#SPECIES} vectors held in registers (enough chains to cover the FMA latency times the
 * number of FMA pipes on current x86 cores).
 *
 * <p>Result: the secondary counter {@code gflop} is GFLOP/s summed over threads (one FMA = 2 FLOP). The
 * primary throughput is invocations/s; one invocation is {@value #STEPS} x 16 FMAs of {@code VL} lanes, i.e.
 * {@code 2 * 16 * STEPS * VL} FLOP ({@code VL} = 16 floats at 512 bits, 8 at 256).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(Threads.MAX)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PeakFlops {
    /** FMA steps per chain per invocation. */
    public static final int STEPS = 1 << 16;
    private static final VectorSpecies<Float> S = VectorKernels.SPECIES;

    private float[] seeds;

    /** GFLOP done, reported by JMH as GFLOP per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    @Setup
    public void setup() {
        seeds = new float[16 * S.length()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = 0.5f + i * 1e-3f;
        }
    }

    /** c = c * x + y on 16 chains: converges to y / (1 - x) = 1, so values stay normal. Returns a checksum. */
    @Benchmark
    public float fmaChains(Counters counters) {
        FloatVector x = FloatVector.broadcast(S, 0.999999f);
        FloatVector y = FloatVector.broadcast(S, 1e-6f);
        int vl = S.length();
        FloatVector c0 = FloatVector.fromArray(S, seeds, 0);
        FloatVector c1 = FloatVector.fromArray(S, seeds, vl);
        FloatVector c2 = FloatVector.fromArray(S, seeds, 2 * vl);
        FloatVector c3 = FloatVector.fromArray(S, seeds, 3 * vl);
        FloatVector c4 = FloatVector.fromArray(S, seeds, 4 * vl);
        FloatVector c5 = FloatVector.fromArray(S, seeds, 5 * vl);
        FloatVector c6 = FloatVector.fromArray(S, seeds, 6 * vl);
        FloatVector c7 = FloatVector.fromArray(S, seeds, 7 * vl);
        FloatVector c8 = FloatVector.fromArray(S, seeds, 8 * vl);
        FloatVector c9 = FloatVector.fromArray(S, seeds, 9 * vl);
        FloatVector c10 = FloatVector.fromArray(S, seeds, 10 * vl);
        FloatVector c11 = FloatVector.fromArray(S, seeds, 11 * vl);
        FloatVector c12 = FloatVector.fromArray(S, seeds, 12 * vl);
        FloatVector c13 = FloatVector.fromArray(S, seeds, 13 * vl);
        FloatVector c14 = FloatVector.fromArray(S, seeds, 14 * vl);
        FloatVector c15 = FloatVector.fromArray(S, seeds, 15 * vl);
        for (int i = 0; i < STEPS; i++) {
            c0 = c0.fma(x, y);
            c1 = c1.fma(x, y);
            c2 = c2.fma(x, y);
            c3 = c3.fma(x, y);
            c4 = c4.fma(x, y);
            c5 = c5.fma(x, y);
            c6 = c6.fma(x, y);
            c7 = c7.fma(x, y);
            c8 = c8.fma(x, y);
            c9 = c9.fma(x, y);
            c10 = c10.fma(x, y);
            c11 = c11.fma(x, y);
            c12 = c12.fma(x, y);
            c13 = c13.fma(x, y);
            c14 = c14.fma(x, y);
            c15 = c15.fma(x, y);
        }
        counters.gflop += 2.0 * 16 * STEPS * vl / 1e9;
        FloatVector sum = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7)
                .add(c8).add(c9).add(c10).add(c11).add(c12).add(c13).add(c14).add(c15);
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
