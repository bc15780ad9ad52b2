package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.backend.TestBackends;
import dev.gazenerf.backend.Tolerances;
import dev.gazenerf.kernel.Activation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every nn op, forward and backward, and the whole NeRF MLP (outputs and every gradient) on every backend of
 * {@link TestBackends#parityBackends()} against {@link ScalarBackend}, within the {@code nn.*} entries of
 * {@link Tolerances}. Sizes are not multiples of any vector width. Run with
 * {@code -Dgazenerf.test.jvm=-Dgazenerf.parity.report=true} to print the worst errors per backend and op.
 */
class NnParityTest {
    private static final Map<String, Backend> BACKENDS = new ConcurrentHashMap<>();
    private static final Backend SCALAR = new ScalarBackend();
    private static final Map<String, double[]> WORST = new HashMap<>();

    /** One parity case: the op's tolerance key ({@code nn.<Op>}), a label, and a run returning every buffer. */
    record Case(String op, String label, Function<Backend, float[][]> run) {
        @Override
        public String toString() {
            return op + " " + label;
        }
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Activation act : Activation.values()) {
            cases.add(new Case("nn.Dense", act.name(), be -> dense(be, act)));
        }
        for (ActivationOp op : new ActivationOp[]{ActivationOp.RELU, ActivationOp.LEAKY_RELU, ActivationOp.SIGMOID}) {
            cases.add(new Case("nn.ActivationOp", op.activation.name(), be -> activation(be, op)));
        }
        cases.add(new Case("nn.FrequencyEncoding", "F=10, 37 points", NnParityTest::encoding));
        cases.add(new Case("nn.Concat", "[13 | 7] x 21 rows", NnParityTest::concat));
        cases.add(new Case("nn.RowBroadcast", "3 groups x 11 rows x 13", NnParityTest::broadcast));
        cases.add(new Case("nn.Adam", "2 groups, 3 steps", NnParityTest::adam));
        cases.add(new Case("nn.NerfMlp", "width 24, 2 x 13 points",
                be -> mlp(be, new NerfMlpConfig(63, 5, 4, 2, 7, 24, 8, 4, 9), 2, 13)));
        cases.add(new Case("nn.NerfMlp", "paper, 2 x 6 points", be -> mlp(be, NerfMlpConfig.paper(), 2, 6)));
        return cases;
    }

    static Stream<Arguments> backendsAndCases() {
        List<Arguments> args = new ArrayList<>();
        for (String backend : TestBackends.parityBackends()) {
            for (Case c : cases()) {
                args.add(Arguments.of(backend, c));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("backendsAndCases")
    void matchesScalar(String backendName, Case c) {
        Backend backend = BACKENDS.computeIfAbsent(backendName, TestBackends::create);
        Tolerances.Tolerance tol = Tolerances.of(backendName, c.op());
        float[][] ref = c.run().apply(SCALAR);
        float[][] got = c.run().apply(backend);
        assertEquals(ref.length, got.length);
        double worstAbs = 0;
        double worstRel = 0;
        for (int b = 0; b < ref.length; b++) {
            assertEquals(ref[b].length, got[b].length, "buffer " + b + " length");
            for (int i = 0; i < ref[b].length; i++) {
                float r = ref[b][i];
                float g = got[b][i];
                if (!tol.accepts(g, r)) {
                    fail(backendName + " " + c + ": buffer " + b + " element " + i + " is " + g + ", scalar gives " + r
                            + " (|error| " + Math.abs((double) g - r) + " > " + tol + ")");
                }
                double err = Math.abs((double) g - r);
                worstAbs = Math.max(worstAbs, err);
                worstRel = Math.max(worstRel, err / (1 + Math.abs((double) r)));
            }
        }
        synchronized (WORST) {
            double[] w = WORST.computeIfAbsent(backendName + "." + c.op(), x -> new double[2]);
            w[0] = Math.max(w[0], worstAbs);
            w[1] = Math.max(w[1], worstRel);
        }
    }

    @AfterAll
    static void closeBackendsAndReport() {
        for (Backend b : BACKENDS.values()) {
            b.close();
        }
        BACKENDS.clear();
        if (Boolean.getBoolean("gazenerf.parity.report")) {
            new TreeSet<>(WORST.keySet()).forEach(k -> System.out.printf("parity worst %-34s |err| %.3g  |err|/(1+|ref|) %.3g%n",
                    k, WORST.get(k)[0], WORST.get(k)[1]));
        }
    }

    // ------------------------------------------------------------------------------------------------

    private static float[][] dense(Backend be, Activation act) {
        int rows = 37;
        int in = 29;
        int out = 19;
        int ldx = 31;
        Dense d = new Dense(in, out, act);
        float[] x = NnTestData.uniform(rows * ldx, 1, -1, 1);             // (rows, in) with ld 31
        float[] w = NnTestData.uniform(out * in, 2, -0.3, 0.3);            // (out, in)
        float[] b = NnTestData.uniform(out, 3, -0.3, 0.3);                 // (out)
        float[] y = new float[rows * out];                                 // (rows, out)
        d.forward(be, y, 0, out, x, 0, ldx, w, 0, in, b, 0, rows);
        float[] dY = NnTestData.uniform(rows * out, 4, -1, 1);
        float[] dX = NnTestData.uniform(rows * ldx, 5, -1, 1);
        float[] dW = NnTestData.uniform(out * in, 6, -1, 1);
        float[] dB = NnTestData.uniform(out, 7, -1, 1);
        d.backward(be, dX, 0, ldx, true, dW, 0, in, dB, 0, dY, 0, out, x, 0, ldx, y, 0, out, w, 0, in, rows);
        return new float[][]{y, dY, dX, dW, dB};
    }

    private static float[][] activation(Backend be, ActivationOp op) {
        int rows = 13;
        int cols = 21;
        float[] x = NnTestData.uniform(rows * cols, 8, -4, 4);
        float[] y = new float[rows * cols];
        op.forward(be, y, 0, cols, x, 0, cols, rows, cols);
        float[] dY = NnTestData.uniform(rows * cols, 9, -1, 1);
        float[] dX = new float[rows * cols];
        op.backward(be, dX, 0, cols, dY, 0, cols, y, 0, cols, rows, cols);
        return new float[][]{y, dX};
    }

    private static float[][] encoding(Backend be) {
        FrequencyEncoding enc = new FrequencyEncoding(10);
        int points = 37;
        float[] xyz = NnTestData.uniform(points * 3, 10, -2, 2);
        float[] out = new float[points * 65];
        enc.forward(be, out, 0, 65, xyz, 0, points);
        float[] dOut = NnTestData.uniform(points * 65, 11, -1, 1);
        float[] dXyz = NnTestData.uniform(points * 3, 12, -1, 1);
        enc.backward(be, dXyz, 0, true, dOut, 0, 65, xyz, 0, points);
        return new float[][]{out, dXyz};
    }

    private static float[][] concat(Backend be) {
        Concat c = new Concat(13, 7);
        int rows = 21;
        float[] a = NnTestData.uniform(rows * 13, 13, -1, 1);
        float[] b = NnTestData.uniform(rows * 7, 14, -1, 1);
        float[] out = new float[rows * 20];
        c.forward(be, out, 0, 20, a, 0, 13, b, 0, 7, rows);
        float[] dOut = NnTestData.uniform(rows * 20, 15, -1, 1);
        float[] dA = NnTestData.uniform(rows * 13, 16, -1, 1);
        float[] dB = new float[rows * 7];
        c.backward(be, dA, 0, 13, dB, 0, 7, true, dOut, 0, 20, rows);
        return new float[][]{out, dA, dB};
    }

    private static float[][] broadcast(Backend be) {
        RowBroadcast rb = new RowBroadcast();
        float[] src = NnTestData.uniform(3 * 13, 17, -1, 1);
        float[] out = new float[33 * 15];
        rb.forward(be, out, 1, 15, src, 0, 13, 3, 11, 13);
        float[] dOut = NnTestData.uniform(33 * 13, 18, -1, 1);
        float[] dSrc = NnTestData.uniform(3 * 13, 19, -1, 1);
        rb.backward(be, dSrc, 0, true, dOut, 0, 13, 3, 11, 13);
        return new float[][]{out, dSrc};
    }

    private static float[][] adam(Backend be) {
        int n = 1001;
        float[] p = NnTestData.uniform(n, 20, -1, 1);
        float[] g = new float[n];
        Adam adam = new Adam();
        adam.addGroup("a", p, g, 1e-2f, 0, 400, 700, 301);
        adam.addGroup("b", p, g, 1e-3f, 400, 300);
        for (int step = 0; step < 3; step++) {
            float[] gs = NnTestData.uniform(n, 21 + step, -1, 1);
            System.arraycopy(gs, 0, g, 0, n);
            adam.step(be);
        }
        return new float[][]{p, adam.group("a").firstMoments(), adam.group("a").secondMoments(),
                adam.group("b").firstMoments(), adam.group("b").secondMoments()};
    }

    private static float[][] mlp(Backend be, NerfMlpConfig cfg, int images, int points) {
        NerfMlpTest.Problem pr = new NerfMlpTest.Problem(cfg, images, points, 31);
        NerfMlp.Workspace ws = pr.mlp.newWorkspace(images, images * points);
        pr.forward(be, ws, false);
        pr.backward(be, ws, false);
        return new float[][]{pr.sigma, pr.feat, pr.dParams, pr.dPe, pr.dCode, pr.dApp};
    }
}
