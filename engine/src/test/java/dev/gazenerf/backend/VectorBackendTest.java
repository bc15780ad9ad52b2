package dev.gazenerf.backend;

import dev.gazenerf.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The {@code vector} backend on its own: determinism across thread counts and runs, gemms against EJML as an
 * independent reference and on literal numbers, argument errors, and parity at 256- and 128-bit vector widths.
 */
class VectorBackendTest {
    private static VectorBackend one;
    private static VectorBackend two;
    private static VectorBackend three;

    @BeforeAll
    static void start() {
        one = new VectorBackend(1);
        two = new VectorBackend(2);
        three = new VectorBackend(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        two.close();
        three.close();
    }

    /** 1, 2 and 3 threads give the same bits for every method, on sizes that are split across threads. */
    @Test
    void sameBitsWhateverTheThreadCount() {
        List<String> methods = new ArrayList<>();
        for (BackendCases.Case c : BackendCases.largeCases()) {
            float[][] ref = c.run().apply(one);
            assertBitwiseEqual(ref, c.run().apply(two), "2 threads vs 1: " + c);
            assertBitwiseEqual(ref, c.run().apply(three), "3 threads vs 1: " + c);
            methods.add(c.method());
        }
        for (BackendCases.Case c : BackendCases.parityCases()) {
            assertTrue(methods.contains(c.method()), "no determinism case for " + c.method());
        }
    }

    /** Two runs on the same inputs give the same bits. */
    @Test
    void sameBitsOnARepeatedRun() {
        for (BackendCases.Case c : BackendCases.largeCases()) {
            assertBitwiseEqual(c.run().apply(two), c.run().apply(two), "repeated run: " + c);
        }
    }

    private static void assertBitwiseEqual(float[][] expected, float[][] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int b = 0; b < expected.length; b++) {
            assertEquals(expected[b].length, actual[b].length, what);
            for (int i = 0; i < expected[b].length; i++) {
                if (Float.floatToRawIntBits(expected[b][i]) != Float.floatToRawIntBits(actual[b][i])) {
                    throw new AssertionError(what + ": buffer " + b + " element " + i + " is " + actual[b][i]
                            + ", expected the bits of " + expected[b][i]);
                }
            }
        }
    }

    /** Two threads sharing one backend get the same bits as one thread calling it alone. */
    @Test
    void concurrentCallersGetTheSameBits() throws InterruptedException {
        List<BackendCases.Case> cases = BackendCases.largeCases();
        float[][][] expected = new float[cases.size()][][];
        for (int i = 0; i < cases.size(); i++) {
            expected[i] = cases.get(i).run().apply(two);
        }
        Throwable[] failure = new Throwable[2];
        Thread[] callers = new Thread[2];
        for (int t = 0; t < 2; t++) {
            final int id = t;
            callers[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < cases.size(); i++) {
                        int c = (i + id * cases.size() / 2) % cases.size();  // the two callers start at different cases
                        assertBitwiseEqual(expected[c], cases.get(c).run().apply(two), "concurrent caller " + id + ": " + cases.get(c));
                    }
                } catch (Throwable e) {
                    failure[id] = e;
                }
            });
            callers[t].start();
        }
        for (Thread t : callers) {
            t.join();
        }
        for (Throwable f : failure) {
            if (f != null) {
                throw new AssertionError(f);
            }
        }
    }

    /**
     * NT and NN read full groups of 6 rows of A in place and pack only a last partial group; TN with n <= 128 reads
     * both operands in place (a last partial group of rows packed, B' in place; an edge panel packed), wider TN
     * packs: each row of a gemm over many rows (mostly in place) must have the bits of that row computed alone
     * (m = 1). Leading dimensions wider than k, more than one k block, n = 1, narrow and wide n, m a multiple of 6
     * or not, an edge panel or none, few rows (column panels split between threads), accumulate on and off, on 1
     * and 2 threads.
     */
    @Test
    void rowsReadInPlaceGiveTheBitsOfPackedRows() {
        // TN: {250, 258, 130} packs A' (edge panel), {40, 224, 500} and {97, 384, 400} read A in place beside a
        // packed B' (all panels full, a last group of fewer rows packed), {66, 70, 500} and {50, 150, 300} widen an
        // edge panel (paddedTN), {64, 64, 1000} to {45, 192, 400} read both in place
        int[][] sizes = {{13, 1, 45}, {37, 33, 400}, {131, 64, 63}, {6, 3, 800}, {250, 258, 130}, {66, 70, 500},
            {64, 64, 1000}, {6, 96, 800}, {20, 128, 390}, {40, 224, 500}, {97, 384, 400}, {50, 150, 300},
            {45, 192, 400}};
        for (VectorBackend be : new VectorBackend[]{one, two}) {
            for (String form : new String[]{"gemmNT", "gemmNN", "gemmTN"}) {
                for (int[] sz : sizes) {
                    for (boolean acc : new boolean[]{false, true}) {
                        int m = sz[0];
                        int n = sz[1];
                        int k = sz[2];
                        boolean transA = form.equals("gemmTN");
                        int lda = (transA ? m : k) + 5;
                        int ldb = (form.equals("gemmNT") ? k : n) + 3;
                        int ldc = n + 2;
                        float[] a = BackendCases.random(1, (transA ? k : m) * lda, 1f);
                        float[] b = BackendCases.random(2, (form.equals("gemmNT") ? n : k) * ldb, 1f);
                        float[] c0 = BackendCases.random(3, m * ldc, 1f);
                        float[] all = c0.clone();
                        gemm(be, form, m, n, k, a, 0, lda, b, ldb, all, 0, ldc, acc);
                        float[] row = c0.clone();
                        for (int i = 0; i < m; i++) {
                            gemm(be, form, 1, n, k, a, transA ? i : i * lda, lda, b, ldb, row, i * ldc, ldc, acc);
                        }
                        assertBitwiseEqual(new float[][]{row}, new float[][]{all},
                                form + " " + m + "x" + n + "x" + k + (acc ? " accumulate" : "") + " on " + be.threads()
                                        + " threads: rows one by one vs all rows");
                    }
                }
            }
        }
    }

    private static void gemm(Backend be, String form, int m, int n, int k, float[] a, int aOff, int lda, float[] b,
                             int ldb, float[] c, int cOff, int ldc, boolean acc) {
        switch (form) {
            case "gemmNT" -> be.gemmNT(m, n, k, a, aOff, lda, b, 0, ldb, c, cOff, ldc, acc);
            case "gemmNN" -> be.gemmNN(m, n, k, a, aOff, lda, b, 0, ldb, c, cOff, ldc, acc);
            default -> be.gemmTN(m, n, k, a, aOff, lda, b, 0, ldb, c, cOff, ldc, acc);
        }
    }

    /** The 2x2 case of ScalarBackendTest, worked by hand: a = [1 2; 3 4], w = [5 6; 7 8]. */
    @Test
    void gemmFormsOnLiteralNumbers() {
        float[] a = {1, 2, 3, 4};       // (2, 2)
        float[] w = {5, 6, 7, 8};       // (2, 2)
        float[] c = new float[4];       // (2, 2)
        two.gemmNT(2, 2, 2, a, 0, 2, w, 0, 2, c, 0, 2, false);
        assertArrayEquals(new float[]{17, 23, 39, 53}, c);   // a . w^T
        two.gemmNN(2, 2, 2, a, 0, 2, w, 0, 2, c, 0, 2, false);
        assertArrayEquals(new float[]{19, 22, 43, 50}, c);   // a . w
        two.gemmTN(2, 2, 2, a, 0, 2, w, 0, 2, c, 0, 2, true);
        assertArrayEquals(new float[]{19 + 26, 22 + 30, 43 + 38, 50 + 44}, c); // += a^T . w
        float[] wide = {9, 9, 9, 9, 9, 9};  // (2, 3): C in the first 2 columns of a wider buffer, ld 3
        two.gemmNT(2, 2, 0, a, 0, 2, w, 0, 2, wide, 0, 3, false);
        assertArrayEquals(new float[]{0, 0, 9, 0, 0, 9}, wide);  // k = 0 writes zeros, leaves column 3
    }

    /** One gemm of each form against EJML's float dense row-major matrices, at MLP-like sizes. */
    @Test
    void gemmFormsAgreeWithEjml() {
        int m = 203;
        int n = 77;
        int k = 419;   // more than one k block of the vector gemm
        FMatrixRMaj x = random(m, k, 1);
        FMatrixRMaj w = random(n, k, 2);
        FMatrixRMaj dy = random(m, n, 3);
        Tolerances.Tolerance tol = Tolerances.of("vector", "gemmNT");

        FMatrixRMaj expected = new FMatrixRMaj(m, n);
        CommonOps_FDRM.multTransB(x, w, expected);                  // Y = X W^T
        float[] y = new float[m * n];
        two.gemmNT(m, n, k, x.data, 0, k, w.data, 0, k, y, 0, n, false);
        assertClose(expected.data, y, tol, "gemmNT vs EJML multTransB");

        FMatrixRMaj dx = new FMatrixRMaj(m, k);
        CommonOps_FDRM.mult(dy, w, dx);               // dX = dY W
        float[] got = new float[m * k];
        two.gemmNN(m, k, n, dy.data, 0, n, w.data, 0, k, got, 0, k, false);
        assertClose(dx.data, got, Tolerances.of("vector", "gemmNN"), "gemmNN vs EJML mult");

        FMatrixRMaj dw = new FMatrixRMaj(n, k);
        CommonOps_FDRM.multTransA(dy, x, dw);                       // dW = dY^T X
        float[] gw = new float[n * k];
        two.gemmTN(n, k, m, dy.data, 0, n, x.data, 0, k, gw, 0, k, false);
        assertClose(dw.data, gw, Tolerances.of("vector", "gemmTN"), "gemmTN vs EJML multTransA");
    }

    private static FMatrixRMaj random(int rows, int cols, long seed) {
        return new FMatrixRMaj(rows, cols, true, BackendCases.random(seed, rows * cols, 1f));
    }

    private static void assertClose(float[] expected, float[] actual, Tolerances.Tolerance tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (!tol.accepts(actual[i], expected[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    @Test
    void badArgumentsNameTheOpAndArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> two.gemmTN(2, 2, 2, new float[4], 0, 2, new float[4], 0, 2, null, 0, 2, false));
        assertTrue(e.getMessage().contains("gemmTN") && e.getMessage().contains("'c'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> two.columnSums(new float[4], 0, new float[9], 0, 3, 3, 3, 2, false));
        assertTrue(e.getMessage().contains("columnSums") && e.getMessage().contains("rowsPerGroup"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> two.copy2d(new float[4], 0, 1, new float[4], 0, 2, 2, 2, false));
        assertTrue(e.getMessage().contains("copy2d") && e.getMessage().contains("'dst'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> two.adam(new float[4], new float[4], new float[4], new float[4], 0, 4, 1e-3f, 0.9f, 0.999f, 1e-8f, 0));
        assertTrue(e.getMessage().contains("adam") && e.getMessage().contains("step"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VectorBackend(0));
    }

    @Test
    void nameAndDeviceSayWhatRuns() {
        assertEquals("vector", two.name());
        int bits = VectorKernels.SPECIES.vectorBitSize();
        assertEquals("Java Vector API, " + bits + "-bit (" + (bits / 32) + " floats), 2 threads", two.device());
        assertEquals("Java Vector API, " + bits + "-bit (" + (bits / 32) + " floats), 1 thread", one.device());
        try (Backend b = Backends.create("vector")) {
            assertTrue(b instanceof VectorBackend, b.getClass().getName());
            assertEquals(Backends.defaultThreads(), ((VectorBackend) b).threads());
        }
    }

    @Test
    void unusableAfterClose() {
        VectorBackend b = new VectorBackend(2);
        b.close();
        float[] x = new float[4];
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.copy2d(x, 0, 2, x, 0, 2, 1, 2, false));
        assertTrue(e.getMessage().contains("close"), e.getMessage());
    }

    /**
     * Parity with scalar at narrower vector widths (the species is fixed per JVM, so this runs
     * {@link VectorParityMain} in a child JVM with {@code -Dgazenerf.vector.bits=256} or 128).
     */
    @ParameterizedTest(name = "{0}-bit")
    @ValueSource(ints = {256, 128})
    void parityAtNarrowerWidths(int bits) throws IOException, InterruptedException {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (bits >= preferred) {
            abort("this CPU's vectors are " + preferred + "-bit: the other tests already run that width");
        }
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "-D" + VectorKernels.BITS_PROPERTY + "=" + bits, "-XX:+UseSerialGC", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), VectorParityMain.class.getName());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("Java Vector API, " + bits + "-bit (" + bits / 32 + " floats)"), output);
    }
}
