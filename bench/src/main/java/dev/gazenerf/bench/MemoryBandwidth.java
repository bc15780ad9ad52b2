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
 * This machine's main-memory bandwidth as Java sees it, so that compositing (a streaming kernel: it reads the
 * feature samples twice and writes their gradient once) can be given as a fraction of it. Every hardware
 * thread ({@code @Threads(MAX)}) streams over its own arrays of {@value #FLOATS} floats (64 MiB each, far
 * beyond any cache):
 * <ul>
 *   <li>{@code read}: a Vector API sum of one array (4 bytes per float);</li>
 *   <li>{@code triad}: {@code a[i] = b[i] + s * c[i]} (12 bytes per float; the write-allocate read of
 *       {@code a} is not counted, as in STREAM).</li>
 * </ul>
 * The secondary counter {@code bytes} is bytes per second summed over threads (divide by 1e9 for GB/s).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(Threads.MAX)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MemoryBandwidth {
    /** Floats per array: 64 MiB. */
    public static final int FLOATS = 1 << 24;
    private static final VectorSpecies<Float> S = VectorKernels.SPECIES;

    private float[] a;  // (FLOATS)
    private float[] b;  // (FLOATS)
    private float[] c;  // (FLOATS)

    /** Bytes moved, reported by JMH as bytes per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup
    public void setup() {
        a = new float[FLOATS];
        b = BenchData.uniform(FLOATS, 1, -1, 1);
        c = BenchData.uniform(FLOATS, 2, -1, 1);
    }

    @Benchmark
    public float read(Counters counters) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        int vl = S.length();
        int i = 0;
        for (; i <= FLOATS - 2 * vl; i += 2 * vl) {
            s0 = s0.add(FloatVector.fromArray(S, b, i));
            s1 = s1.add(FloatVector.fromArray(S, b, i + vl));
        }
        float sum = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < FLOATS; i++) {
            sum += b[i];
        }
        counters.bytes += 4L * FLOATS;
        return sum;
    }

    @Benchmark
    public float triad(Counters counters) {
        float s = 0.5f;
        for (int i = 0; i < FLOATS; i++) {
            a[i] = b[i] + s * c[i];
        }
        counters.bytes += 12L * FLOATS;
        return a[FLOATS - 1];
    }
}
