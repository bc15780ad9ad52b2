package dev.gazenerf.backend;

import dev.gazenerf.kernel.Activation;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Named calls of every {@link Backend} method on random inputs, for the parity and determinism tests. A case
 * builds its inputs from fixed seeds on every run, so two backends (or two runs) see identical inputs, calls
 * the method once and returns every buffer it may have written, whole: elements outside the written region
 * (offsets, leading-dimension padding) must come back untouched.
 */
final class BackendCases {
    private BackendCases() {
    }

    /** One call: {@code method} is the Backend method's name, {@code run} returns the buffers it wrote. */
    record Case(String method, String label, Function<Backend, float[][]> run) {
        @Override
        public String toString() {
            return method + " " + label;
        }
    }

    /** Small and edge-case sizes (zero, one, not multiples of any vector width), plus a few that run in parallel. */
    static List<Case> parityCases() {
        List<Case> cases = new ArrayList<>();
        int[][] gemmSizes = {
            {1, 1, 1}, {0, 5, 7}, {5, 0, 7}, {6, 5, 0}, {1, 17, 33}, {3, 65, 2}, {37, 29, 45},
            {70, 130, 300}, {130, 70, 400}, {9, 23, 1700}, {300, 100, 50}, {33, 800, 40}
        };
        for (String form : new String[]{"gemmNT", "gemmNN", "gemmTN"}) {
            for (int[] s : gemmSizes) {
                cases.add(gemm(form, s[0], s[1], s[2], 0, false));
                cases.add(gemm(form, s[0], s[1], s[2], 2, false));
                cases.add(gemm(form, s[0], s[1], s[2], 3, true));
            }
        }
        int[][] matrixSizes = {{0, 5}, {1, 1}, {1, 37}, {37, 3}, {19, 70}, {2000, 37}};
        for (Activation act : Activation.values()) {
            for (int[] s : matrixSizes) {
                for (int biasMode = 0; biasMode < 3; biasMode++) {
                    cases.add(biasActivation(s[0], s[1], biasMode, act, biasMode));
                }
                cases.add(activationBackward(s[0], s[1], act, false, 2));
                cases.add(activationBackward(s[0], s[1], act, true, 0));
            }
        }
        for (int[] s : matrixSizes) {
            for (boolean acc : new boolean[]{false, true}) {
                cases.add(columnSums(s[0], s[1], Math.max(s[0], 1), acc, acc ? 5 : 0));
                cases.add(copy2d(s[0], s[1], acc, acc ? 0 : 4));
            }
        }
        cases.add(columnSums(2000, 37, 100, false, 3));
        cases.add(columnSums(2000, 70, 2000, true, 1));
        cases.add(columnSums(21, 5, 7, true, 0));
        for (int points : new int[]{0, 1, 37, 3000}) {
            for (int f : new int[]{0, 1, 10}) {
                cases.add(frequencyEncode(points, f, f == 1 ? 5 : 0));
                cases.add(frequencyEncodeBackward(points, f, f == 1, f == 10 ? 7 : 0));
            }
        }
        for (int n : new int[]{0, 1, 37, 100_003}) {
            cases.add(adam(n, 0, 1));
            cases.add(adam(n, 5, 10));
        }
        return cases;
    }

    /** One case per method at sizes large enough to be split across threads (for the determinism test). */
    static List<Case> largeCases() {
        List<Case> cases = new ArrayList<>();
        cases.add(gemm("gemmNT", 1000, 200, 500, 2, true));
        cases.add(gemm("gemmNT", 517, 258, 384, 0, false));
        cases.add(gemm("gemmNN", 1000, 200, 500, 2, true));
        cases.add(gemm("gemmNN", 517, 244, 192, 0, false));
        cases.add(gemm("gemmNT", 100, 300, 400, 1, false));  // one row block: split over column panels
        cases.add(gemm("gemmTN", 100, 150, 4000, 2, true));
        cases.add(gemm("gemmTN", 258, 192, 2100, 0, false));
        for (Activation act : Activation.values()) {
            cases.add(biasActivation(3000, 70, 2, act, 1));
            cases.add(activationBackward(3000, 70, act, false, 1));
        }
        cases.add(columnSums(6000, 70, 6000, true, 1));
        cases.add(columnSums(6000, 70, 200, false, 0));
        cases.add(copy2d(3000, 70, true, 2));
        cases.add(copy2d(3000, 70, false, 2));
        cases.add(frequencyEncode(5000, 10, 1));
        cases.add(frequencyEncodeBackward(5000, 10, true, 1));
        cases.add(adam(200_001, 3, 7));
        return cases;
    }

    /** Uniform floats in [-scale, scale), at least one element. */
    static float[] random(long seed, int n, float scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[Math.max(n, 1)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }

    static Case gemm(String form, int m, int n, int k, int pad, boolean accumulate) {
        String label = m + "x" + n + "x" + k + (pad > 0 ? " offsets+ld" : "") + (accumulate ? " accumulate" : "");
        return new Case(form, label, be -> {
            boolean transA = form.equals("gemmTN");
            boolean transB = form.equals("gemmNT");
            int aRows = transA ? k : m;
            int aCols = transA ? m : k;
            int bRows = transB ? n : k;
            int bCols = transB ? k : n;
            int lda = aCols + pad;
            int ldb = bCols + pad;
            int ldc = n + pad;
            int aOff = 3 * pad;
            int bOff = 5 * pad;
            int cOff = 7 * pad;
            float[] a = random(11, aOff + aRows * lda + pad, 1f);  // (aRows, aCols) at aOff, ld lda
            float[] b = random(12, bOff + bRows * ldb + pad, 1f);  // (bRows, bCols) at bOff, ld ldb
            float[] c = random(13, cOff + m * ldc + pad, 1f);      // (m, n) at cOff, ld ldc
            switch (form) {
                case "gemmNT" -> be.gemmNT(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
                case "gemmNN" -> be.gemmNN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
                default -> be.gemmTN(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            }
            return new float[][]{c};
        });
    }

    /** biasMode 0: no bias; 1: one bias row for all rows; 2: a bias row per group of 7 rows, stride cols + 4. */
    static Case biasActivation(int rows, int cols, int biasMode, Activation act, int pad) {
        String label = rows + "x" + cols + " " + act + " bias=" + (biasMode == 0 ? "none" : biasMode == 1 ? "row" : "grouped")
                + (pad > 0 ? " offsets+ld" : "");
        return new Case("biasActivation", label, be -> {
            int ldy = cols + pad;
            int yOff = 2 * pad;
            float[] y = random(21, yOff + rows * ldy + pad, 3f);  // (rows, cols)
            float[] bias = null;
            int biasOff = pad;
            int stride = cols;
            int rowsPerBias = Math.max(rows, 1);
            if (biasMode == 1) {
                bias = random(22, biasOff + cols, 3f);
            } else if (biasMode == 2) {
                rowsPerBias = 7;
                stride = cols + 4;
                bias = random(23, biasOff + ((rows + 6) / 7) * stride, 3f);
            }
            be.biasActivation(y, yOff, ldy, rows, cols, bias, biasOff, stride, rowsPerBias, act);
            return new float[][]{y};
        });
    }

    /** y is a real output of the activation; {@code inPlace} passes dy as dx. */
    static Case activationBackward(int rows, int cols, Activation act, boolean inPlace, int pad) {
        String label = rows + "x" + cols + " " + act + (inPlace ? " in place" : "") + (pad > 0 ? " offsets+ld" : "");
        return new Case("activationBackward", label, be -> {
            int ld = cols + pad;
            int off = pad;
            float[] y = random(31, off + rows * ld + pad, 3f);  // (rows, cols)
            for (int i = 0; i < y.length; i++) {
                y[i] = Activation.apply(act.code, y[i]);
            }
            float[] dy = random(32, off + rows * ld + pad, 1f);  // (rows, cols)
            float[] dx = inPlace ? dy : random(33, 2 * off + rows * (ld + 1) + pad, 1f);
            int dxOff = inPlace ? off : 2 * off;
            int lddx = inPlace ? ld : ld + 1;
            be.activationBackward(dx, dxOff, lddx, dy, off, ld, y, off, ld, rows, cols, act);
            return new float[][]{dx, dy};
        });
    }

    static Case columnSums(int rows, int cols, int rowsPerGroup, boolean accumulate, int pad) {
        String label = rows + "x" + cols + " groups of " + rowsPerGroup + (accumulate ? " accumulate" : "")
                + (pad > 0 ? " offsets+ld" : "");
        return new Case("columnSums", label, be -> {
            int ldd = cols + pad;
            float[] d = random(41, pad + rows * ldd + pad, 1f);                       // (rows, cols)
            float[] out = random(42, 2 * pad + (rows / rowsPerGroup) * cols + pad, 1f); // (groups, cols)
            be.columnSums(out, 2 * pad, d, pad, ldd, rows, cols, rowsPerGroup, accumulate);
            return new float[][]{out};
        });
    }

    static Case copy2d(int rows, int cols, boolean accumulate, int pad) {
        String label = rows + "x" + cols + (accumulate ? " accumulate" : "") + (pad > 0 ? " offsets+ld" : "");
        return new Case("copy2d", label, be -> {
            float[] src = random(51, pad + rows * (cols + pad) + pad, 1f);         // (rows, cols), ld cols + pad
            float[] dst = random(52, 3 * pad + rows * (cols + 2 * pad) + pad, 1f); // (rows, cols), ld cols + 2 pad
            be.copy2d(dst, 3 * pad, cols + 2 * pad, src, pad, cols + pad, rows, cols, accumulate);
            return new float[][]{dst};
        });
    }

    static Case frequencyEncode(int points, int frequencies, int pad) {
        String label = points + " points, " + frequencies + " frequencies" + (pad > 0 ? " offsets+ld" : "");
        return new Case("frequencyEncode", label, be -> {
            int width = 3 + 6 * frequencies;
            float[] xyz = random(61, pad + points * 3, 2f);                          // (points, 3)
            float[] out = random(62, 2 * pad + points * (width + pad) + pad, 1f);    // (points, width), ld width + pad
            be.frequencyEncode(out, 2 * pad, width + pad, xyz, pad, points, frequencies);
            return new float[][]{out};
        });
    }

    static Case frequencyEncodeBackward(int points, int frequencies, boolean accumulate, int pad) {
        String label = points + " points, " + frequencies + " frequencies" + (accumulate ? " accumulate" : "")
                + (pad > 0 ? " offsets+ld" : "");
        return new Case("frequencyEncodeBackward", label, be -> {
            int width = 3 + 6 * frequencies;
            float[] xyz = random(71, pad + points * 3, 2f);                          // (points, 3)
            float[] dOut = random(72, 2 * pad + points * (width + pad) + pad, 1f);   // (points, width)
            float[] dXyz = random(73, 3 * pad + points * 3 + pad, 1f);               // (points, 3)
            be.frequencyEncodeBackward(dXyz, 3 * pad, dOut, 2 * pad, width + pad, xyz, pad, points, frequencies, accumulate);
            return new float[][]{dXyz};
        });
    }

    static Case adam(int n, int off, int step) {
        String label = n + " parameters at " + off + ", step " + step;
        return new Case("adam", label, be -> {
            float[] p = random(81, off + n + 2, 1f);
            float[] g = random(82, off + n + 2, 1f);
            float[] m = random(83, off + n + 2, 0.1f);
            float[] v = random(84, off + n + 2, 0.01f);
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.abs(v[i]);
            }
            be.adam(p, g, m, v, off, n, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
            return new float[][]{p, m, v};
        });
    }
}
