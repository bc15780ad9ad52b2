package dev.gazenerf.backend;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import com.aparapi.Kernel;

import dev.gazenerf.kernel.Activation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The OpenCL backend against the scalar specification on the OpenCL device: every method with random inputs,
 * edge sizes (not multiples of the gemm tile or the work-group), offsets, padded leading dimensions,
 * accumulate on and off, every activation, aliasing calls; plus proof that the kernels ran on the device,
 * that a kernel Aparapi cannot run there is an error, device listing and selection.
 *
 * <p>Without an OpenCL device these tests skip with the reason (they fail instead when
 * {@code -Dgazenerf.opencl.required=true}); the pure tests of the tile choice run everywhere.
 *
 * <p>Tolerances were measured on PoCL 3.1 (CPU device, LLVM 15) with {@code -Dgazenerf.measure=true}, which
 * prints the worst error of each op family; each is about twice the worst seen (see the constants).
 */
class OpenClBackendTest {
    /**
     * gemm: |opencl - scalar| <= GEMM_REL * sum_p |a_ip b_pj| (the error scale of a float dot product; the
     * device may fuse multiply-add). Worst measured: 2.05e-7 over all shapes here.
     */
    private static final float GEMM_REL = 4e-7f;
    /**
     * Element-wise math with exp/sin/cos evaluated in double and rounded (bias + sigmoid, frequency encoding):
     * relative error. Worst measured: 0 (identical bits) for sigmoid and the encoding; allowed one float ulp
     * (2^-23), since another device's double exp/sin/cos may differ in the last double bit and flip a rounding.
     */
    private static final float ULP_REL = 1.2e-7f;
    /** Absolute floor for values near zero (sin/cos of large arguments, sums that cancel). Worst measured: 0. */
    private static final float ABS_FLOOR = 1e-7f;
    /**
     * Frequency-encoding backward: a sum of products (fused or not) relative to sum_f 2^f (|dOut_sin| + |dOut_cos|).
     * Worst measured: 1.06e-7.
     */
    private static final float FE_BACKWARD_REL = 2.2e-7f;
    /**
     * Adam: absolute error of parameters (|p| <= 1) and moments (|g| <= 2) over 5 steps; absolute because the
     * first moment cancels (b1 m + (1-b1) g), and the device may fuse its multiply-adds. Worst measured: 7.45e-8.
     */
    private static final float ADAM_ABS = 1.5e-7f;

    private static final boolean MEASURE = Boolean.getBoolean("gazenerf.measure");
    private static OpenClBackend cl;
    private final ScalarBackend scalar = new ScalarBackend();
    private final Random rnd = new Random(20230607);

    /** The shared backend under test (skips or fails through {@link TestBackends#create} without a device). */
    private static synchronized OpenClBackend cl() {
        if (cl == null) {
            cl = (OpenClBackend) TestBackends.create("opencl");
        }
        return cl;
    }

    @AfterAll
    static void closeBackend() {
        if (cl != null) {
            cl.close();
            cl = null;
        }
    }

    // ------------------------------------------------------------------ gemm

    private static final int[][] GEMM_SHAPES = {
            {1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {13, 17, 19}, {32, 32, 32}, {33, 31, 65}, {70, 45, 100}, {3, 4, 0}, {128, 96, 200},
            {64, 64, 64}, {65, 129, 63}};

    @Test
    void gemmAllFormsMatchScalar() {
        OpenClBackend b = cl();
        double worst = 0;
        for (int form = 0; form < 3; form++) {
            for (int[] s : GEMM_SHAPES) {
                for (int layout = 0; layout < 2; layout++) {
                    for (boolean acc : new boolean[]{false, true}) {
                        worst = Math.max(worst, checkGemm(b, form, s[0], s[1], s[2], layout == 1, acc));
                    }
                }
            }
        }
        report("gemm, relative to sum |a b|", worst);
    }

    /** Runs one gemm on both backends; returns the worst error relative to sum |a b|. */
    private double checkGemm(OpenClBackend b, int form, int m, int n, int k, boolean padded, boolean acc) {
        boolean transA = form == 2;
        boolean transB = form == 0;
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        int pad = padded ? 3 : 0;
        int aOff = padded ? 5 : 0;
        int bOff = padded ? 7 : 0;
        int cOff = padded ? 11 : 0;
        int lda = aCols + pad;
        int ldb = bCols + pad;
        int ldc = n + pad;
        float[] a = random(aOff + aRows * lda + 2, 1f);   // (aRows, aCols) at aOff, ld lda
        float[] w = random(bOff + bRows * ldb + 2, 1f);   // (bRows, bCols) at bOff, ld ldb
        float[] c0 = random(cOff + m * ldc + 2, 1f);      // (m, n) at cOff, ld ldc
        float[] ref = c0.clone();
        float[] got = c0.clone();
        gemm(scalar, form, m, n, k, a, aOff, lda, w, bOff, ldb, ref, cOff, ldc, acc);
        gemm(b, form, m, n, k, a, aOff, lda, w, bOff, ldb, got, cOff, ldc, acc);
        // error scale: the same product over absolute values (plus |C| when accumulating)
        float[] absA = abs(a);
        float[] absB = abs(w);
        float[] scale = acc ? abs(c0) : new float[c0.length];
        gemm(scalar, form, m, n, k, absA, aOff, lda, absB, bOff, ldb, scale, cOff, ldc, acc);
        String what = String.format(Locale.ROOT, "gemm form %d (%d,%d,%d) padded=%b acc=%b", form, m, n, k, padded, acc);
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs((double) got[i] - ref[i]);
            double bound = GEMM_REL * scale[i] + 1e-30;
            if (!(err <= bound)) {
                throw new AssertionError(what + ": element " + i + " opencl " + got[i] + " scalar " + ref[i]
                        + " error " + err + " > " + bound);
            }
            if (scale[i] > 0) {
                worst = Math.max(worst, err / scale[i]);
            }
        }
        return worst;
    }

    private static void gemm(Backend be, int form, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                             int ldb, float[] c, int cOff, int ldc, boolean acc) {
        if (form == 0) {
            be.gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        } else if (form == 1) {
            be.gemmNN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        } else {
            be.gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, acc);
        }
    }

    @Test
    void gemmIsDeterministic() {
        OpenClBackend b = cl();
        float[] a = random(57 * 41, 1f);
        float[] w = random(23 * 41, 1f);
        float[] c1 = new float[57 * 23];
        float[] c2 = new float[57 * 23];
        b.gemmNT(57, 23, 41, a, 0, 41, w, 0, 41, c1, 0, 23, false);
        b.gemmNT(57, 23, 41, a, 0, 41, w, 0, 41, c2, 0, 23, false);
        assertArrayEquals(c1, c2);
    }

    @Test
    void gemmWithAliasedArrays() {
        OpenClBackend b = cl();
        // x^T x with A and B the same array
        float[] x = random(9 * 6, 1f);                  // (9, 6)
        float[] ref = new float[36];
        float[] got = new float[36];
        scalar.gemmTN(6, 6, 9, x, 0, 6, x, 0, 6, ref, 0, 6, false);
        b.gemmTN(6, 6, 9, x, 0, 6, x, 0, 6, got, 0, 6, false);
        assertCloseRel("gemmTN(x, x)", ref, got, 1e-6f);
        // A and C in one workspace: A (4, 5) at 0, C (4, 3) at 20
        float[] ws = random(20 + 12, 1f);
        float[] w = random(3 * 5, 1f);                  // (3, 5)
        float[] wsRef = ws.clone();
        scalar.gemmNT(4, 3, 5, wsRef, 0, 5, w, 0, 5, wsRef, 20, 3, true);
        b.gemmNT(4, 3, 5, ws, 0, 5, w, 0, 5, ws, 20, 3, true);
        assertCloseRel("gemmNT with A and C in one array", wsRef, ws, 1e-6f);
    }

    // ------------------------------------------------------------------ element-wise

    @Test
    void biasActivationMatchesScalarForEveryActivation() {
        OpenClBackend b = cl();
        double worst = 0;
        int[][] shapes = {{1, 1}, {10, 7}, {37, 130}, {300, 3}};
        for (Activation act : Activation.values()) {
            for (int[] s : shapes) {
                int rows = s[0];
                int cols = s[1];
                for (int biasKind = 0; biasKind < 3; biasKind++) {
                    for (boolean padded : new boolean[]{false, true}) {
                        int yOff = padded ? 4 : 0;
                        int ldy = cols + (padded ? 5 : 0);
                        float[] y = random(yOff + rows * ldy, 8f);  // (rows, cols) at yOff, ld ldy
                        y[yOff] = 0f;                               // the x = 0 branch
                        float[] bias = null;
                        int biasOff = padded ? 2 : 0;
                        int rowsPerBias = rows;
                        int biasStride = cols + (padded ? 1 : 0);
                        if (biasKind == 1) {
                            bias = random(biasOff + cols, 2f);      // (cols)
                        } else if (biasKind == 2) {
                            rowsPerBias = 3;                        // per-group rows; the last group may be partial
                            int groups = (rows + 2) / 3;
                            bias = random(biasOff + groups * biasStride, 2f);   // (groups, cols), stride biasStride
                        }
                        float[] ref = y.clone();
                        float[] got = y.clone();
                        scalar.biasActivation(ref, yOff, ldy, rows, cols, bias, biasOff, biasStride, rowsPerBias, act);
                        b.biasActivation(got, yOff, ldy, rows, cols, bias, biasOff, biasStride, rowsPerBias, act);
                        worst = Math.max(worst, assertCloseRel("biasActivation " + act + " " + Arrays.toString(s)
                                + " bias " + biasKind + " padded " + padded, ref, got, ULP_REL));
                    }
                }
            }
        }
        report("biasActivation, relative", worst);
    }

    @Test
    void biasActivationWithBiasInTheSameArray() {
        OpenClBackend b = cl();
        float[] buf = random(6 * 4 + 4, 3f);   // y (6, 4) at 0, bias (4) at 24
        float[] ref = buf.clone();
        scalar.biasActivation(ref, 0, 4, 6, 4, ref, 24, 4, 6, Activation.SIGMOID);
        b.biasActivation(buf, 0, 4, 6, 4, buf, 24, 4, 6, Activation.SIGMOID);
        assertCloseRel("biasActivation, bias in y's array", ref, buf, ULP_REL);
    }

    @Test
    void activationBackwardMatchesScalarInPlaceAndNot() {
        OpenClBackend b = cl();
        for (Activation act : Activation.values()) {
            for (boolean inPlace : new boolean[]{false, true}) {
                for (boolean padded : new boolean[]{false, true}) {
                    int rows = 29;
                    int cols = 17;
                    int pad = padded ? 3 : 0;
                    float[] y = random(rows * (cols + pad) + 1, 4f);   // (rows, cols), ld cols+pad
                    scalar.biasActivation(y, 1, cols + pad, rows - 1, cols, null, 0, 0, 1, act);
                    float[] dy = random(2 + rows * (cols + pad), 1f);  // (rows, cols) at 2, ld cols+pad
                    float[] dxRef = inPlace ? dy.clone() : random(3 + rows * cols, 1f);
                    float[] dxGot = dxRef.clone();
                    if (inPlace) {
                        float[] dyGot = dxGot;
                        scalar.activationBackward(dxRef, 2, cols + pad, dxRef, 2, cols + pad, y, 1, cols + pad, rows - 1, cols, act);
                        b.activationBackward(dxGot, 2, cols + pad, dyGot, 2, cols + pad, y, 1, cols + pad, rows - 1, cols, act);
                    } else {
                        scalar.activationBackward(dxRef, 3, cols, dy, 2, cols + pad, y, 1, cols + pad, rows - 1, cols, act);
                        b.activationBackward(dxGot, 3, cols, dy, 2, cols + pad, y, 1, cols + pad, rows - 1, cols, act);
                    }
                    // products of at most three floats with no additions: the same bits
                    assertArrayEquals(dxRef, dxGot, "activationBackward " + act + " inPlace " + inPlace + " padded " + padded);
                }
            }
        }
    }

    @Test
    void columnSumsMatchScalarBitForBit() {
        OpenClBackend b = cl();
        int[][] cases = {{1, 1, 1}, {12, 5, 12}, {12, 5, 4}, {12, 5, 1}, {513, 33, 513}, {300, 7, 100}};
        for (int[] cs : cases) {
            for (boolean acc : new boolean[]{false, true}) {
                for (boolean padded : new boolean[]{false, true}) {
                    int rows = cs[0];
                    int cols = cs[1];
                    int rpg = cs[2];
                    int dOff = padded ? 3 : 0;
                    int ldd = cols + (padded ? 2 : 0);
                    int outOff = padded ? 6 : 0;
                    float[] d = random(dOff + rows * ldd, 1f);              // (rows, cols) at dOff, ld ldd
                    float[] out = random(outOff + rows / rpg * cols + 2, 1f); // (groups, cols) at outOff
                    float[] ref = out.clone();
                    scalar.columnSums(ref, outOff, d, dOff, ldd, rows, cols, rpg, acc);
                    b.columnSums(out, outOff, d, dOff, ldd, rows, cols, rpg, acc);
                    // the same additions in the same order: the same bits
                    assertArrayEquals(ref, out, "columnSums " + Arrays.toString(cs) + " acc " + acc + " padded " + padded);
                }
            }
        }
    }

    @Test
    void copy2dMatchesScalarIncludingWithinOneArray() {
        OpenClBackend b = cl();
        for (boolean acc : new boolean[]{false, true}) {
            float[] src = random(4 + 19 * 10, 1f);    // (19, 7) at 4, ld 10
            float[] dst = random(1 + 19 * 12, 1f);    // (19, 7) at 1, ld 12
            float[] ref = dst.clone();
            scalar.copy2d(ref, 1, 12, src, 4, 10, 19, 7, acc);
            b.copy2d(dst, 1, 12, src, 4, 10, 19, 7, acc);
            assertArrayEquals(ref, dst, "copy2d acc " + acc);
            // channel concatenation inside one buffer: columns 0..2 copied into columns 5..7
            float[] buf = random(9 * 8, 1f);          // (9, 8)
            float[] bufRef = buf.clone();
            scalar.copy2d(bufRef, 5, 8, bufRef, 0, 8, 9, 3, acc);
            b.copy2d(buf, 5, 8, buf, 0, 8, 9, 3, acc);
            assertArrayEquals(bufRef, buf, "copy2d within one array, acc " + acc);
        }
    }

    @Test
    void frequencyEncodeAndBackwardMatchScalar() {
        OpenClBackend b = cl();
        double worstFwd = 0;
        double worstBwd = 0;
        for (int frequencies : new int[]{0, 1, 10}) {
            for (int points : new int[]{1, 37, 300}) {
                for (boolean padded : new boolean[]{false, true}) {
                    int width = 3 + 6 * frequencies;
                    int ldo = width + (padded ? 4 : 0);
                    int outOff = padded ? 3 : 0;
                    int xyzOff = padded ? 2 : 0;
                    float[] xyz = random(xyzOff + points * 3, 1.5f);   // (points, 3) at xyzOff
                    float[] out = random(outOff + points * ldo, 1f);   // (points, width) at outOff, ld ldo
                    float[] ref = out.clone();
                    scalar.frequencyEncode(ref, outOff, ldo, xyz, xyzOff, points, frequencies);
                    b.frequencyEncode(out, outOff, ldo, xyz, xyzOff, points, frequencies);
                    worstFwd = Math.max(worstFwd, assertCloseRel("frequencyEncode F=" + frequencies + " points " + points,
                            ref, out, ULP_REL));
                    for (boolean acc : new boolean[]{false, true}) {
                        float[] dOut = random(outOff + points * ldo, 1f);   // (points, width) at outOff, ld ldo
                        float[] dXyz = random(1 + points * 3, 1f);          // (points, 3) at 1
                        float[] dRef = dXyz.clone();
                        scalar.frequencyEncodeBackward(dRef, 1, dOut, outOff, ldo, xyz, xyzOff, points, frequencies, acc);
                        b.frequencyEncodeBackward(dXyz, 1, dOut, outOff, ldo, xyz, xyzOff, points, frequencies, acc);
                        for (int p = 0; p < points; p++) {
                            for (int i = 0; i < 3; i++) {
                                double scale = Math.abs(dOut[outOff + p * ldo + i]) + (acc ? Math.abs(dRef[1 + p * 3 + i]) : 0);
                                for (int f = 0; f < frequencies; f++) {
                                    scale += (1 << f) * (Math.abs(dOut[outOff + p * ldo + 3 + 6 * f + i])
                                            + Math.abs(dOut[outOff + p * ldo + 6 + 6 * f + i]));
                                }
                                int j = 1 + p * 3 + i;
                                double err = Math.abs((double) dXyz[j] - dRef[j]);
                                assertTrue(err <= FE_BACKWARD_REL * scale + ABS_FLOOR, "frequencyEncodeBackward F=" + frequencies
                                        + " point " + p + " coordinate " + i + ": opencl " + dXyz[j] + " scalar " + dRef[j]);
                                worstBwd = Math.max(worstBwd, err / scale);
                            }
                        }
                        assertEquals(dRef[0], dXyz[0], "frequencyEncodeBackward wrote outside dXyz");
                    }
                }
            }
        }
        report("frequencyEncode, relative", worstFwd);
        report("frequencyEncodeBackward, relative to its scale", worstBwd);
    }

    @Test
    void adamMatchesScalarOverSeveralSteps() {
        OpenClBackend b = cl();
        int len = 1000;
        int off = 13;
        int n = 971;
        float[] p = random(len, 1f);
        float[] m = new float[len];
        float[] v = new float[len];
        float[] pRef = p.clone();
        float[] mRef = m.clone();
        float[] vRef = v.clone();
        double worst = 0;
        for (int step = 1; step <= 5; step++) {
            float[] g = random(len, 2f);
            scalar.adam(pRef, g, mRef, vRef, off, n, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
            b.adam(p, g, m, v, off, n, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
            worst = Math.max(worst, assertCloseAbs("adam param, step " + step, pRef, p, ADAM_ABS));
            worst = Math.max(worst, assertCloseAbs("adam m, step " + step, mRef, m, ADAM_ABS));
            worst = Math.max(worst, assertCloseAbs("adam v, step " + step, vRef, v, ADAM_ABS));
        }
        report("adam, absolute", worst);
    }

    @Test
    void adamWithGradientInTheParameterArrayIsRejectedOrCorrect() {
        OpenClBackend b = cl();
        float[] p = random(8, 1f);
        float[] m = new float[8];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.adam(p, random(8, 1f), m, m, 0, 8, 1e-3f, 0.9f, 0.999f, 1e-8f, 1));
        assertTrue(e.getMessage().contains("adam"), e.getMessage());
        // grad == param is an odd but well-defined call: the update reads the old parameters as gradients
        float[] pRef = p.clone();
        float[] mRef = new float[8];
        float[] vRef = new float[8];
        scalar.adam(pRef, pRef, mRef, vRef, 0, 8, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        b.adam(p, p, m, new float[8], 0, 8, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        assertCloseAbs("adam with grad == param", pRef, p, ADAM_ABS);
    }

    // ------------------------------------------------------------------ contract edges

    @Test
    void zeroSizesDoNothing() {
        OpenClBackend b = cl();
        long before = b.launches();
        float[] c = {1, 2, 3};
        b.gemmNT(0, 3, 2, new float[0], 0, 2, new float[6], 0, 2, c, 0, 3, false);
        b.gemmNN(1, 0, 2, new float[2], 0, 2, new float[0], 0, 0, c, 0, 0, false);
        b.biasActivation(c, 0, 3, 0, 3, null, 0, 0, 1, Activation.SIGMOID);
        b.activationBackward(c, 0, 3, c, 0, 3, c, 0, 3, 0, 3, Activation.RELU);
        b.columnSums(c, 0, new float[0], 0, 3, 0, 3, 1, false);
        b.copy2d(c, 0, 3, new float[0], 0, 3, 0, 3, false);
        b.frequencyEncode(c, 0, 9, new float[0], 0, 0, 1);
        b.frequencyEncodeBackward(c, 0, new float[0], 0, 9, new float[0], 0, 0, 1, false);
        b.adam(c, c.clone(), new float[3], new float[3], 0, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        assertArrayEquals(new float[]{1, 2, 3}, c);
        assertEquals(before, b.launches(), "empty calls must not launch kernels");
        // k = 0: C = accumulate ? C : 0, through the kernel
        float[] c2 = {1, 2, 3, 4};
        b.gemmNT(2, 2, 0, new float[0], 0, 0, new float[0], 0, 0, c2, 0, 2, true);
        assertArrayEquals(new float[]{1, 2, 3, 4}, c2);
        b.gemmNT(2, 2, 0, new float[0], 0, 0, new float[0], 0, 0, c2, 0, 2, false);
        assertArrayEquals(new float[]{0, 0, 0, 0}, c2);
    }

    @Test
    void badArgumentsNameTheOpAndArgument() {
        OpenClBackend b = cl();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.gemmNT(2, 2, 2, null, 0, 2, new float[4], 0, 2, new float[4], 0, 2, false));
        assertTrue(e.getMessage().contains("gemmNT") && e.getMessage().contains("'a'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> b.gemmTN(2, 2, 3, new float[5], 0, 2, new float[6], 0, 2, new float[4], 0, 2, false));
        assertTrue(e.getMessage().contains("gemmTN") && e.getMessage().contains("'a' of length 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> b.columnSums(new float[4], 0, new float[20], 0, 2, 10, 2, 3, false));
        assertTrue(e.getMessage().contains("columnSums") && e.getMessage().contains("rowsPerGroup"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> b.biasActivation(new float[4], 0, 2, 2, 2, null, 0, 0, 1, null));
        assertTrue(e.getMessage().contains("biasActivation") && e.getMessage().contains("'act'"), e.getMessage());
    }

    // ------------------------------------------------------------------ where the kernels ran

    @Test
    void everyOpLaunchesOneVerifiedKernelOnTheOpenClDevice() {
        OpenClBackend b = cl();
        assertTrue(b.device().startsWith("OpenCL: "), b.device());
        assertTrue(OpenClBackend.listDevices().get(b.deviceIndex()).startsWith(b.deviceIndex() + ": "
                + b.device().substring("OpenCL: ".length()) + ", "), "device() names the selected device: " + b.device());
        float[] x = random(64, 1f);
        float[] y = random(64, 1f);
        Runnable[] ops = {
            () -> b.gemmNT(4, 4, 4, x, 0, 4, y, 0, 4, random(16, 1f), 0, 4, false),
            () -> b.gemmNN(4, 4, 4, x, 0, 4, y, 0, 4, random(16, 1f), 0, 4, false),
            () -> b.gemmTN(4, 4, 4, x, 0, 4, y, 0, 4, random(16, 1f), 0, 4, false),
            () -> b.biasActivation(random(16, 1f), 0, 4, 4, 4, y, 0, 4, 4, Activation.SIGMOID),
            () -> b.activationBackward(random(16, 1f), 0, 4, x, 0, 4, y, 0, 4, 4, 4, Activation.LEAKY_RELU),
            () -> b.columnSums(random(4, 1f), 0, x, 0, 4, 4, 4, 4, false),
            () -> b.copy2d(random(16, 1f), 0, 4, x, 0, 4, 4, 4, true),
            () -> b.frequencyEncode(new float[4 * 15], 0, 15, x, 0, 4, 2),
            () -> b.frequencyEncodeBackward(new float[12], 0, random(60, 1f), 0, 15, x, 0, 4, 2, false),
            () -> b.adam(random(8, 1f), random(8, 1f), new float[8], new float[8], 0, 8, 1e-3f, 0.9f, 0.999f, 1e-8f, 1),
        };
        for (int i = 0; i < ops.length; i++) {
            long before = b.launches();
            ops[i].run();
            assertEquals(before + 1, b.launches(), "op " + i + " ran one kernel verified on the OpenCL device");
        }
    }

    /**
     * Calls a helper of another class that calls {@code java.lang.Math}: Aparapi 3.0.2 cannot translate that
     * (the reason {@link Activation#applyGivenExp} exists), so this kernel cannot run on the OpenCL device.
     */
    static final class UntranslatableKernel extends Kernel {
        float[] out = new float[8];

        @Override
        public void run() {
            int i = getGlobalId();
            out[i] = Activation.sigmoid(out[i]);
        }
    }

    @Test
    void aKernelThatCannotRunOnTheDeviceIsAnErrorNotAFallback() {
        OpenClBackend b = cl();
        UntranslatableKernel k = b.prepare(new UntranslatableKernel());
        try {
            Arrays.fill(k.out, -1f);
            k.put(k.out);
            long before = b.launches();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.execute("untranslatable", k, b.range(8)));
            assertTrue(e.getMessage().contains("OpenCL kernel untranslatable did not run on the OpenCL device"), e.getMessage());
            assertEquals(before, b.launches());
            for (float v : k.out) {
                assertEquals(-1f, v, "the kernel must not have run on Java threads");
            }
        } finally {
            k.dispose();
        }
    }

    /** A kernel written outside the backend: {@code out[i] = in[off + i]^2 + bias} for {@code i < n}. */
    static final class SquareKernel extends Kernel {
        float[] in = new float[1];
        float[] out = new float[1];
        int off;
        int n;
        float bias;

        @Override
        public void run() {
            int i = getGlobalId();
            if (i < n) {
                float v = in[off + i];
                out[i] = v * v + bias;
            }
        }
    }

    @Test
    void otherKernelsRunThroughTheReusableLaunch() {
        OpenClBackend b = cl();
        SquareKernel k = b.prepare(new SquareKernel());
        try {
            for (int n : new int[]{1, b.groupSize() + 3}) {
                k.in = random(n + 2, 2f);
                k.out = new float[n];
                k.off = 2;
                k.n = n;
                k.bias = 0.5f;
                k.put(k.in).put(k.out);
                long before = b.launches();
                b.execute("square", k, b.range(n));
                k.get(k.out);
                assertEquals(before + 1, b.launches());
                for (int i = 0; i < n; i++) {
                    float v = k.in[2 + i];
                    // the OpenCL compiler may fuse the multiply-add
                    assertTrue(k.out[i] == v * v + 0.5f || k.out[i] == Math.fma(v, v, 0.5f), "square " + i + ": " + k.out[i]);
                }
            }
        } finally {
            k.dispose();
        }
    }

    // ------------------------------------------------------------------ devices

    @Test
    void listDevicesDescribesEachDevice() {
        cl();
        List<String> lines = OpenClBackend.listDevices();
        assertFalse(lines.isEmpty());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            assertTrue(line.startsWith(i + ": "), line);
            assertTrue(line.contains(" / ") && line.contains("compute units") && line.contains("global memory")
                    && line.contains("local memory") && line.contains("max work-group size"), line);
        }
        assertNull(OpenClBackend.unavailableReason());
        assertEquals(lines.stream().anyMatch(l -> l.contains("(GPU)")), OpenClBackend.hasGpu());
    }

    @Test
    void aBadDeviceIndexGivesAClearError() {
        cl();
        int count = OpenClBackend.listDevices().size();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OpenClBackend(count + 4));
        assertTrue(e.getMessage().contains("no OpenCL device with index " + (count + 4)) && e.getMessage().contains("0: "),
                e.getMessage());
        String old = System.getProperty(Backends.DEVICE_PROPERTY);
        try {
            System.setProperty(Backends.DEVICE_PROPERTY, "first");
            e = assertThrows(IllegalArgumentException.class, OpenClBackend::new);
            assertTrue(e.getMessage().contains("-Dgazenerf.device must be a device index") && e.getMessage().contains("'first'"),
                    e.getMessage());
            System.setProperty(Backends.DEVICE_PROPERTY, String.valueOf(count));
            e = assertThrows(IllegalArgumentException.class, () -> Backends.create("opencl"));
            assertTrue(e.getMessage().contains("no OpenCL device with index " + count), e.getMessage());
            System.setProperty(Backends.DEVICE_PROPERTY, "0");
            try (Backend chosen = Backends.create("opencl")) {
                assertTrue(OpenClBackend.listDevices().get(0).startsWith("0: " + chosen.device().substring("OpenCL: ".length()) + ", "),
                        chosen.device());
            }
        } finally {
            if (old == null) {
                System.clearProperty(Backends.DEVICE_PROPERTY);
            } else {
                System.setProperty(Backends.DEVICE_PROPERTY, old);
            }
        }
    }

    @Test
    void withoutADeviceTheErrorSaysHowToInstallOne() throws Exception {
        cl();
        // a child JVM whose ICD loader (ocl-icd and the Khronos loader read OCL_ICD_VENDORS) finds no driver
        Path empty = Files.createTempDirectory("no-opencl-icd");
        try {
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"), OpenClNoDeviceMain.class.getName());
            pb.environment().put("OCL_ICD_VENDORS", empty.toString());
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            assumeFalse(out.contains("CREATED: "), "this OpenCL loader ignores OCL_ICD_VENDORS, so the child still sees a device");
            assertTrue(out.contains("REASON: no OpenCL platform with a device was found; install an OpenCL ICD"), out);
            assertTrue(out.contains("GPU: false") && out.contains("DEVICES: 0"), out);
            assertTrue(out.contains("ERROR: IllegalStateException: OpenCL backend: no OpenCL platform with a device was found")
                    && out.contains("apt-get install ocl-icd-libopencl1 pocl-opencl-icd"), out);
        } finally {
            Files.deleteIfExists(empty);
        }
    }

    @Test
    void gemmTileComesFromTheDeviceLimits() {
        // a GPU like an H100: 1024 items per group, 48 KiB local memory: 64 x 64 blocks, 16 x 16 items, 32 KiB
        assertEquals(64, OpenClBackend.gemmTile(1024, new int[]{1024, 1024, 64}, 48 << 10));
        // 256 items per group and 64 KiB (many AMD GPUs): still 16 x 16 items
        assertEquals(64, OpenClBackend.gemmTile(256, new int[]{256, 256, 256}, 64 << 10));
        // 64 items per group: 8 x 8 items of 4 x 4 outputs
        assertEquals(32, OpenClBackend.gemmTile(64, new int[]{64, 64, 64}, 64 << 10));
        // PoCL on a CPU: 4096 items, 1 MiB local memory: capped at MAX_GEMM_TILE
        assertEquals(OpenClBackend.MAX_GEMM_TILE, OpenClBackend.gemmTile(4096, new int[]{4096, 4096, 4096}, 1 << 20));
        // 16 KiB local memory: two 32 x 32 float tiles (8 KiB) fit in three quarters, two 64 x 64 (32 KiB) do not
        assertEquals(32, OpenClBackend.gemmTile(1024, new int[]{1024, 1024, 64}, 16 << 10));
        // a narrow second work-item dimension limits the tile: edge 2 -> tile 8
        assertEquals(8, OpenClBackend.gemmTile(1024, new int[]{1024, 2, 1}, 48 << 10));
        // odd work-group limits round down to a power of two: 100 items -> edge 8 -> tile 32
        assertEquals(32, OpenClBackend.gemmTile(100, new int[]{100, 100, 100}, 48 << 10));
        // a one-item work-group still works, with the smallest tile
        assertEquals(4, OpenClBackend.gemmTile(1, new int[]{1, 1, 1}, 48 << 10));
    }

    // ------------------------------------------------------------------ helpers

    private float[] random(int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (rnd.nextFloat() * 2f - 1f) * scale;
        }
        return x;
    }

    private static float[] abs(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.abs(x[i]);
        }
        return y;
    }

    /** Worst absolute error seen where |ref| < 1e-3 (where ABS_FLOOR rather than the relative bound matters). */
    private static double worstSmallAbs;

    /**
     * Asserts |got - ref| <= rel * |ref| + ABS_FLOOR everywhere; returns the worst |got - ref| / |ref| over
     * |ref| >= 1e-3 (the worst absolute error below that goes to {@link #worstSmallAbs}).
     */
    private static double assertCloseRel(String what, float[] ref, float[] got, float rel) {
        assertEquals(ref.length, got.length, what);
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs((double) got[i] - ref[i]);
            double bound = rel * Math.abs(ref[i]) + ABS_FLOOR;
            if (!(err <= bound) && !(Float.isNaN(ref[i]) && Float.isNaN(got[i]))) {
                throw new AssertionError(what + ": element " + i + " opencl " + got[i] + " scalar " + ref[i] + " error " + err);
            }
            if (Math.abs(ref[i]) >= 1e-3) {
                worst = Math.max(worst, err / Math.abs(ref[i]));
            } else {
                worstSmallAbs = Math.max(worstSmallAbs, err);
            }
        }
        return worst;
    }

    /** Asserts |got - ref| <= tol everywhere; returns the worst |got - ref|. */
    private static double assertCloseAbs(String what, float[] ref, float[] got, float tol) {
        assertEquals(ref.length, got.length, what);
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs((double) got[i] - ref[i]);
            if (!(err <= tol)) {
                throw new AssertionError(what + ": element " + i + " opencl " + got[i] + " scalar " + ref[i] + " error " + err);
            }
            worst = Math.max(worst, err);
        }
        return worst;
    }

    private static void report(String what, double worst) {
        if (MEASURE) {
            System.out.printf(Locale.ROOT, "MEASURED %s: worst error %.3e (worst absolute error near zero so far %.3e)%n",
                    what, worst, worstSmallAbs);
        }
    }
}
