package dev.gazenerf.backend;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gemm shortcuts give the same bits as the blocked path: the unpacked paths for products with m, n or k equal
 * to 1 (density head, per-image code rows, outer products) and the weight gradient computed as its transpose when
 * it has less than half as many columns as rows; in every form, with offsets, padded strides, accumulation, k
 * longer than a block, edge tiles, on one and on two threads; and both agree with a double-precision sum.
 */
class VectorGemmShortcutTest {

    private static final int[][] SHAPES = {
            // m, n, k
            {4096, 1, 384}, {1, 384, 4096}, {4096, 384, 1}, {1, 181, 384}, {1, 127, 192}, {384, 181, 1},
            {192, 127, 1}, {1, 1, 1}, {1, 1, 1000}, {37, 1, 1000}, {1, 37, 1000}, {37, 53, 1}, {1, 200, 1},
            {200, 1, 1}, {1, 70, 5}, {70, 1, 5}, {13, 1, 800}, {1, 13, 800},
            // narrow weight gradients with an edge panel on zero-padded copies (TN with n % 32 != 0, n <= 192:
            // paddedTN; {40, 63, 13000} and {7, 50, 6200} span several of its 6,144-row slabs), and wider ones with
            // an edge panel and 2n < m as their transpose (swappedTN); the other forms take the blocked path
            {384, 63, 4096}, {384, 63, 1000}, {97, 31, 500}, {200, 99, 385}, {13, 5, 7}, {50, 150, 300},
            {64, 63, 3000}, {40, 191, 777}, {500, 200, 400}, {450, 210, 385}, {40, 63, 13000}, {7, 50, 6200},
    };

    @Test
    void shortcutsGiveTheBlockedPathsBits() {
        for (int threads : new int[]{1, 2}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                VectorGemm shortcuts = new VectorGemm(pool, true);
                VectorGemm blocked = new VectorGemm(pool, false);
                SplittableRandom rnd = new SplittableRandom(7);
                int cases = 0;
                for (int[] shape : SHAPES) {
                    for (int form = VectorGemm.FORM_NT; form <= VectorGemm.FORM_TN; form++) {
                        for (boolean accumulate : new boolean[]{false, true}) {
                            compare(shortcuts, blocked, form, shape[0], shape[1], shape[2], accumulate, rnd,
                                    "threads " + threads);
                            cases++;
                        }
                    }
                }
                assertEquals(SHAPES.length * 6, cases);
            }
        }
    }

    private static void compare(VectorGemm fast, VectorGemm blocked, int form, int m, int n, int k, boolean accumulate,
                                SplittableRandom rnd, String where) {
        // A is (m, k) for NT/NN and (k, m) for TN; B is (n, k) for NT and (k, n) otherwise; pad every stride by 3
        int aRows = form == VectorGemm.FORM_TN ? k : m;
        int aCols = form == VectorGemm.FORM_TN ? m : k;
        int bRows = form == VectorGemm.FORM_NT ? n : k;
        int bCols = form == VectorGemm.FORM_NT ? k : n;
        int lda = aCols + 3;
        int ldb = bCols + 3;
        int ldc = n + 3;
        int aOff = 5;
        int bOff = 2;
        int cOff = 1;
        float[] a = random(aOff + aRows * lda, rnd);
        float[] b = random(bOff + bRows * ldb, rnd);
        float[] c0 = random(cOff + m * ldc, rnd);
        float[] c1 = c0.clone();
        fast.gemm(form, m, n, k, a, aOff, lda, b, bOff, ldb, c0, cOff, ldc, accumulate);
        blocked.gemm(form, m, n, k, a, aOff, lda, b, bOff, ldb, c1, cOff, ldc, accumulate);
        String label = where + ", form " + form + ", " + m + "x" + n + "x" + k + (accumulate ? ", accumulate" : "");
        assertArrayEquals(c1, c0, label);  // padding included: neither path writes outside C
        float[] before = c1.clone();
        // both against a double-precision reference (so the two paths cannot agree on a wrong answer)
        float[] init = random(cOff + m * ldc, new SplittableRandom(1));
        float[] check = init.clone();
        fast.gemm(form, m, n, k, a, aOff, lda, b, bOff, ldb, check, cOff, ldc, accumulate);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = accumulate ? init[cOff + i * ldc + j] : 0;
                double magnitude = Math.abs(sum);
                for (int p = 0; p < k; p++) {
                    double av = form == VectorGemm.FORM_TN ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = form == VectorGemm.FORM_NT ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    sum += av * bv;
                    magnitude += Math.abs(av * bv);
                }
                float got = check[cOff + i * ldc + j];
                assertEquals(sum, got, 1e-6 * k + 1e-6 * magnitude + 1e-7, label + " at (" + i + ", " + j + ")");
            }
        }
        assertArrayEquals(before, c1, label);
    }

    private static float[] random(int length, SplittableRandom rnd) {
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        return x;
    }
}
