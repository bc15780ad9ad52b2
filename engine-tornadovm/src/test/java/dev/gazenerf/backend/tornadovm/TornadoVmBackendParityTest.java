package dev.gazenerf.backend.tornadovm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.kernel.Activation;

/**
 * Every {@link dev.gazenerf.backend.Backend} primitive of the {@code tornadovm} backend against the scalar
 * specification: outputs with offsets, leading dimensions wider than the rows, sizes that are not multiples
 * of the work-group size, accumulate on and off. Skips with the reason when the TornadoVM runtime is absent.
 *
 * <p>Tolerances ({@code |err| <= atol + rtol |ref|}) were measured on TornadoVM 5.2.0-jdk25 with the PoCL 3.1
 * CPU device (pthread, AVX-512); the worst absolute error seen is beside each constant, and the constants are
 * about twice that. Each test prints its worst error and its worst error/bound ratio.
 */
class TornadoVmBackendParityTest {
    /** gemm, k = 53 products of values in [-1, 1] in the scalar order; the device fuses multiply-adds. Worst seen 1.9e-6. */
    static final double GEMM_ATOL = 4e-6, GEMM_RTOL = 0;
    /**
     * Bias + activation, its backward, copies: worst seen 0 (the same helpers, the same float operations; sigmoid's
     * exp is computed in double and rounded to float on both sides). Bound: one float ulp relative.
     */
    static final double ELEMENT_ATOL = 1e-30, ELEMENT_RTOL = 1.2e-7;
    /** Column sums of up to 60 rows of values in [-1, 1]: worst seen 9.5e-7. */
    static final double SUM_ATOL = 2e-6, SUM_RTOL = 0;
    /** Frequency encoding, 6 bands, |x| <= 2: the device's sin/cos against Java's. Worst seen 1.2e-7. */
    static final double ENCODE_ATOL = 2.4e-7, ENCODE_RTOL = 0;
    /** Its backward sums terms weighted up to 2^5: worst seen 3.8e-6. */
    static final double ENCODE_BACKWARD_ATOL = 8e-6, ENCODE_BACKWARD_RTOL = 0;
    /** Adam, 3 steps, lr 1e-3: worst seen 9.3e-9 (first moment; the device fuses b*m + (1-b)*g). */
    static final double ADAM_ATOL = 2e-8, ADAM_RTOL = 0;

    private static TornadoVmBackend tornado;
    /** The same backend with the other gemm kernel (tiled where the device default is simple, and vice versa). */
    private static TornadoVmBackend otherGemm;
    private static final Backend scalar = new ScalarBackend();

    @BeforeEach
    void open() {
        TornadoVmTests.requireRuntime();
        if (tornado == null) {
            tornado = new TornadoVmBackend();
            otherGemm = new TornadoVmBackend(true, !tornado.tiledGemm());
            tornado.close();
            tornado = new TornadoVmBackend(true, !otherGemm.tiledGemm());
        }
    }

    @AfterAll
    static void close() {
        if (tornado != null) {
            tornado.close();
            otherGemm.close();
        }
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (r.nextFloat() * 2f - 1f) * scale;
        }
        return a;
    }

    @Test
    void gemmFormsMatchScalar() {
        gemmFormsMatchScalar(tornado);
    }

    @Test
    void gemmFormsMatchScalarWithTheOtherKernel() {
        gemmFormsMatchScalar(otherGemm);
    }

    /** m, n, k not multiples of the tile (16) or work-group (64); k spans four tiles. */
    private static void gemmFormsMatchScalar(TornadoVmBackend backend) {
        Random r = new Random(1);
        int m = 37, n = 29, k = 53;
        int lda = 60, ldb = 61, ldc = 33;
        String kernel = backend.tiledGemm() ? " tiled" : "";
        for (String form : new String[] {"NT", "NN", "TN"}) {
            for (boolean acc : new boolean[] {false, true}) {
                float[] a = random(r, 5 + 60 * 60, 1f);
                float[] b = random(r, 7 + 61 * 61, 1f);
                float[] want = random(r, 3 + ldc * m, 1f);
                float[] got = want.clone();
                switch (form) {
                    case "NT" -> {
                        scalar.gemmNT(m, n, k, a, 5, lda, b, 7, ldb, want, 3, ldc, acc);
                        backend.gemmNT(m, n, k, a, 5, lda, b, 7, ldb, got, 3, ldc, acc);
                    }
                    case "NN" -> {
                        scalar.gemmNN(m, n, k, a, 5, lda, b, 7, ldb, want, 3, ldc, acc);
                        backend.gemmNN(m, n, k, a, 5, lda, b, 7, ldb, got, 3, ldc, acc);
                    }
                    default -> {
                        scalar.gemmTN(m, n, k, a, 5, lda, b, 7, ldb, want, 3, ldc, acc);
                        backend.gemmTN(m, n, k, a, 5, lda, b, 7, ldb, got, 3, ldc, acc);
                    }
                }
                TornadoVmTests.assertClose("gemm" + form + kernel + (acc ? " accumulate" : ""), want, got, GEMM_ATOL, GEMM_RTOL);
            }
        }
    }

    @Test
    void biasActivationMatchesScalarForEveryActivation() {
        Random r = new Random(2);
        int rows = 40, cols = 13, ldy = 17;
        for (Activation act : Activation.values()) {
            float[] bias = random(r, 4 + 4 * 20, 1f);
            float[] want = random(r, 2 + rows * ldy, 3f);
            float[] got = want.clone();
            // one bias row per 10 rows (a per-image code product), bias rows 20 apart
            scalar.biasActivation(want, 2, ldy, rows, cols, bias, 4, 20, 10, act);
            tornado.biasActivation(got, 2, ldy, rows, cols, bias, 4, 20, 10, act);
            TornadoVmTests.assertClose("biasActivation " + act, want, got, ELEMENT_ATOL, ELEMENT_RTOL);
            float[] noBiasWant = random(r, rows * cols, 3f);
            float[] noBiasGot = noBiasWant.clone();
            scalar.biasActivation(noBiasWant, 0, cols, rows, cols, null, 0, 0, rows, act);
            tornado.biasActivation(noBiasGot, 0, cols, rows, cols, null, 0, 0, rows, act);
            TornadoVmTests.assertClose("biasActivation " + act + " no bias", noBiasWant, noBiasGot, ELEMENT_ATOL, ELEMENT_RTOL);
        }
    }

    @Test
    void activationBackwardMatchesScalarAlsoInPlace() {
        Random r = new Random(3);
        int rows = 33, cols = 9;
        for (Activation act : Activation.values()) {
            float[] y = random(r, 1 + rows * 11, 1f);
            if (act == Activation.SIGMOID) {
                for (int i = 0; i < y.length; i++) {
                    y[i] = 0.5f + 0.49f * y[i];
                }
            }
            float[] dy = random(r, rows * 10, 1f);
            float[] want = random(r, 6 + rows * 12, 1f);
            float[] got = want.clone();
            scalar.activationBackward(want, 6, 12, dy, 0, 10, y, 1, 11, rows, cols, act);
            tornado.activationBackward(got, 6, 12, dy, 0, 10, y, 1, 11, rows, cols, act);
            TornadoVmTests.assertClose("activationBackward " + act, want, got, ELEMENT_ATOL, ELEMENT_RTOL);
            float[] inPlaceWant = dy.clone();
            float[] inPlaceGot = dy.clone();
            scalar.activationBackward(inPlaceWant, 0, 10, inPlaceWant, 0, 10, y, 1, 11, rows, cols, act);
            tornado.activationBackward(inPlaceGot, 0, 10, inPlaceGot, 0, 10, y, 1, 11, rows, cols, act);
            TornadoVmTests.assertClose("activationBackward " + act + " in place", inPlaceWant, inPlaceGot, ELEMENT_ATOL, ELEMENT_RTOL);
        }
    }

    @Test
    void columnSumsAndCopyMatchScalar() {
        Random r = new Random(4);
        int rows = 60, cols = 7, ldd = 9;
        float[] d = random(r, 3 + rows * ldd, 1f);
        for (int rowsPerGroup : new int[] {rows, 12}) {
            for (boolean acc : new boolean[] {false, true}) {
                float[] want = random(r, 2 + (rows / rowsPerGroup) * cols, 1f);
                float[] got = want.clone();
                scalar.columnSums(want, 2, d, 3, ldd, rows, cols, rowsPerGroup, acc);
                tornado.columnSums(got, 2, d, 3, ldd, rows, cols, rowsPerGroup, acc);
                TornadoVmTests.assertClose("columnSums groups of " + rowsPerGroup + (acc ? " accumulate" : ""), want, got,
                        SUM_ATOL, SUM_RTOL);
            }
        }
        for (boolean acc : new boolean[] {false, true}) {
            float[] want = random(r, 5 + 25 * 16, 1f);
            float[] got = want.clone();
            scalar.copy2d(want, 5, 16, d, 1, ldd, 25, 6, acc);
            tornado.copy2d(got, 5, 16, d, 1, ldd, 25, 6, acc);
            TornadoVmTests.assertClose("copy2d" + (acc ? " accumulate" : ""), want, got, ELEMENT_ATOL, ELEMENT_RTOL);
        }
    }

    @Test
    void frequencyEncodingAndBackwardMatchScalar() {
        Random r = new Random(5);
        int points = 45, frequencies = 6, width = 3 + 6 * frequencies, ldo = width + 4;
        float[] xyz = random(r, 2 + points * 3, 2f);
        float[] want = random(r, 1 + points * ldo, 1f);
        float[] got = want.clone();
        scalar.frequencyEncode(want, 1, ldo, xyz, 2, points, frequencies);
        tornado.frequencyEncode(got, 1, ldo, xyz, 2, points, frequencies);
        TornadoVmTests.assertClose("frequencyEncode", want, got, ENCODE_ATOL, ENCODE_RTOL);
        float[] dOut = random(r, points * ldo, 1f);
        for (boolean acc : new boolean[] {false, true}) {
            float[] dWant = random(r, 3 + points * 3, 1f);
            float[] dGot = dWant.clone();
            scalar.frequencyEncodeBackward(dWant, 3, dOut, 0, ldo, xyz, 2, points, frequencies, acc);
            tornado.frequencyEncodeBackward(dGot, 3, dOut, 0, ldo, xyz, 2, points, frequencies, acc);
            TornadoVmTests.assertClose("frequencyEncodeBackward" + (acc ? " accumulate" : ""), dWant, dGot,
                    ENCODE_BACKWARD_ATOL, ENCODE_BACKWARD_RTOL);
        }
    }

    @Test
    void adamStepsMatchScalar() {
        Random r = new Random(6);
        int n = 301, off = 4;
        float[] pWant = random(r, off + n, 1f);
        float[] mWant = new float[off + n];
        float[] vWant = new float[off + n];
        float[] pGot = pWant.clone();
        float[] mGot = mWant.clone();
        float[] vGot = vWant.clone();
        for (int step = 1; step <= 3; step++) {
            float[] g = random(r, off + n, 0.5f);
            scalar.adam(pWant, g, mWant, vWant, off, n, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
            tornado.adam(pGot, g, mGot, vGot, off, n, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
        }
        TornadoVmTests.assertClose("adam param", pWant, pGot, ADAM_ATOL, ADAM_RTOL);
        TornadoVmTests.assertClose("adam m", mWant, mGot, ADAM_ATOL, ADAM_RTOL);
        TornadoVmTests.assertClose("adam v", vWant, vGot, ADAM_ATOL, ADAM_RTOL);
    }

    @Test
    void buffersGrowWhenACallNeedsMore() {
        // A fresh backend: a small call sizes the buffers, a call 40 times larger must rebuild the graph.
        try (TornadoVmBackend fresh = new TornadoVmBackend(true, tornado.tiledGemm())) {
            Random r = new Random(8);
            for (int rows : new int[] {3, 120, 5}) {
                float[] src = random(r, rows * 400, 1f);
                float[] want = random(r, rows * 401, 1f);
                float[] got = want.clone();
                scalar.copy2d(want, 0, 401, src, 0, 400, rows, 400, true);
                fresh.copy2d(got, 0, 401, src, 0, 400, rows, 400, true);
                TornadoVmTests.assertClose("copy2d growing, rows " + rows, want, got, ELEMENT_ATOL, ELEMENT_RTOL);
            }
            assertEquals(3, fresh.launches());
        }
    }

    @Test
    void kernelsRanOnTheDevice() {
        float[] a = {1, 2, 3, 4};
        float[] b = {5, 6, 7, 8};
        float[] c = new float[4];
        long launches = tornado.launches();
        long nanos = tornado.deviceKernelNanos();
        // (2x2) * (2x2)^T by hand: [1 2; 3 4] [5 7; 6 8] = [17 23; 39 53]
        tornado.gemmNT(2, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2, false);
        assertArrayEquals(new float[] {17, 23, 39, 53}, c);
        assertEquals(launches + 1, tornado.launches());
        assertTrue(tornado.deviceKernelNanos() > nanos, "TornadoVM's profiler recorded no device kernel time");
        assertTrue(tornado.device().startsWith("TornadoVM 5.2.0-jdk25: "), tornado.device());
        assertEquals("False", System.getProperty("tornado.recover.bailout"), "TornadoVM's Java fallback must be off");
    }

    @Test
    void zeroSizesDoNothingAndBadArgumentsNameTheOp() {
        float[] c = {1, 2, 3};
        long launches = tornado.launches();
        tornado.gemmNT(0, 3, 4, new float[0], 0, 4, new float[12], 0, 4, c, 0, 3, false);
        tornado.copy2d(c, 0, 3, new float[3], 0, 3, 1, 0, false);
        tornado.adam(c, c, c, c, 0, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        assertArrayEquals(new float[] {1, 2, 3}, c);
        assertEquals(launches, tornado.launches());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tornado.gemmNN(2, 2, 2, new float[3], 0, 2, new float[4], 0, 2, new float[4], 0, 2, false));
        assertTrue(e.getMessage().contains("gemmNN") && e.getMessage().contains("'a'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> tornado.biasActivation(null, 0, 1, 1, 1, null, 0, 0, 1, Activation.RELU));
        assertTrue(e.getMessage().contains("biasActivation") && e.getMessage().contains("'y'"), e.getMessage());
    }

    @Test
    void selectedByNameThroughBackends() {
        try (Backend b = Backends.create("tornadovm")) {
            assertEquals("tornadovm", b.name());
        }
    }
}
