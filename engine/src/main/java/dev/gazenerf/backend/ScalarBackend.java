package dev.gazenerf.backend;

import dev.gazenerf.kernel.Activation;
import dev.gazenerf.kernel.ScalarKernels;

/**
 * The specification backend: plain single-threaded loops, written to be read. Every other backend is
 * tested against this one. Accumulations run in increasing index order in float.
 */
public final class ScalarBackend implements Backend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public String device() {
        return "Java, 1 thread";
    }

    @Override
    public void gemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmNT", m, n, k, false, true, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    s += a[aOff + i * lda + p] * b[bOff + j * ldb + p];
                }
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    @Override
    public void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmNN", m, n, k, false, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    s += a[aOff + i * lda + p] * b[bOff + p * ldb + j];
                }
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    @Override
    public void gemmTN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmTN", m, n, k, true, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    s += a[aOff + p * lda + i] * b[bOff + p * ldb + j];
                }
                int ci = cOff + i * ldc + j;
                c[ci] = accumulate ? c[ci] + s : s;
            }
        }
    }

    @Override
    public void biasActivation(float[] y, int yOff, int ldy, int rows, int cols,
                               float[] bias, int biasOff, int biasStride, int rowsPerBias, Activation act) {
        Checks.biasActivation(y, yOff, ldy, rows, cols, bias, biasOff, biasStride, rowsPerBias, act);
        for (int r = 0; r < rows; r++) {
            int bRow = bias == null ? 0 : biasOff + (r / rowsPerBias) * biasStride;
            for (int c = 0; c < cols; c++) {
                int i = yOff + r * ldy + c;
                float x = bias == null ? y[i] : y[i] + bias[bRow + c];
                y[i] = Activation.apply(act.code, x);
            }
        }
    }

    @Override
    public void activationBackward(float[] dx, int dxOff, int lddx, float[] dy, int dyOff, int lddy,
                                   float[] y, int yOff, int ldy, int rows, int cols, Activation act) {
        String op = "activationBackward";
        Checks.notNull(op, "act", act);
        Checks.matrix(op, "dx", dx, dxOff, lddx, rows, cols);
        Checks.matrix(op, "dy", dy, dyOff, lddy, rows, cols);
        Checks.matrix(op, "y", y, yOff, ldy, rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                dx[dxOff + r * lddx + c] = Activation.backward(act.code, dy[dyOff + r * lddy + c], y[yOff + r * ldy + c]);
            }
        }
    }

    @Override
    public void columnSums(float[] out, int outOff, float[] d, int dOff, int ldd, int rows, int cols,
                           int rowsPerGroup, boolean accumulate) {
        Checks.columnSums(out, outOff, d, dOff, ldd, rows, cols, rowsPerGroup);
        int groups = rows / rowsPerGroup;
        for (int g = 0; g < groups; g++) {
            for (int c = 0; c < cols; c++) {
                float s = 0f;
                for (int r = g * rowsPerGroup; r < (g + 1) * rowsPerGroup; r++) {
                    s += d[dOff + r * ldd + c];
                }
                int oi = outOff + g * cols + c;
                out[oi] = accumulate ? out[oi] + s : s;
            }
        }
    }

    @Override
    public void copy2d(float[] dst, int dstOff, int lddst, float[] src, int srcOff, int ldsrc, int rows, int cols,
                       boolean accumulate) {
        Checks.matrix("copy2d", "dst", dst, dstOff, lddst, rows, cols);
        Checks.matrix("copy2d", "src", src, srcOff, ldsrc, rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int di = dstOff + r * lddst + c;
                float s = src[srcOff + r * ldsrc + c];
                dst[di] = accumulate ? dst[di] + s : s;
            }
        }
    }

    @Override
    public void frequencyEncode(float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int points, int frequencies) {
        String op = "frequencyEncode";
        Checks.size(op, "frequencies", frequencies);
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(op, "out", out, outOff, ldo, points, 3 + 6 * frequencies);
        for (int p = 0; p < points; p++) {
            int o = outOff + p * ldo;
            for (int i = 0; i < 3; i++) {
                out[o + i] = xyz[xyzOff + p * 3 + i];
            }
            for (int f = 0; f < frequencies; f++) {
                float w = ScalarKernels.band(f);
                for (int i = 0; i < 3; i++) {
                    float x = xyz[xyzOff + p * 3 + i] * w;
                    out[o + 3 + 6 * f + i] = (float) Math.sin(x);
                    out[o + 6 + 6 * f + i] = (float) Math.cos(x);
                }
            }
        }
    }

    @Override
    public void frequencyEncodeBackward(float[] dXyz, int dXyzOff, float[] dOut, int dOutOff, int lddo,
                                        float[] xyz, int xyzOff, int points, int frequencies, boolean accumulate) {
        String op = "frequencyEncodeBackward";
        Checks.size(op, "frequencies", frequencies);
        Checks.vector(op, "dXyz", dXyz, dXyzOff, points * 3);
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(op, "dOut", dOut, dOutOff, lddo, points, 3 + 6 * frequencies);
        for (int p = 0; p < points; p++) {
            int o = dOutOff + p * lddo;
            for (int i = 0; i < 3; i++) {
                float g = dOut[o + i];
                for (int f = 0; f < frequencies; f++) {
                    float w = ScalarKernels.band(f);
                    float x = xyz[xyzOff + p * 3 + i] * w;
                    g += w * ((float) Math.cos(x) * dOut[o + 3 + 6 * f + i] - (float) Math.sin(x) * dOut[o + 6 + 6 * f + i]);
                }
                int di = dXyzOff + p * 3 + i;
                dXyz[di] = accumulate ? dXyz[di] + g : g;
            }
        }
    }

    @Override
    public void adam(float[] param, float[] grad, float[] m, float[] v, int off, int n,
                     float lr, float beta1, float beta2, float eps, int step) {
        String op = "adam";
        Checks.vector(op, "param", param, off, n);
        Checks.vector(op, "grad", grad, off, n);
        Checks.vector(op, "m", m, off, n);
        Checks.vector(op, "v", v, off, n);
        Checks.positive(op, "step", step);
        float stepSize = (float) (lr / (1.0 - Math.pow(beta1, step)));
        float sqrtBias2 = (float) Math.sqrt(1.0 - Math.pow(beta2, step));
        for (int i = off; i < off + n; i++) {
            float g = grad[i];
            m[i] = beta1 * m[i] + (1f - beta1) * g;
            v[i] = beta2 * v[i] + (1f - beta2) * g * g;
            param[i] = ScalarKernels.adamParam(param[i], m[i], v[i], stepSize, sqrtBias2, eps);
        }
    }

    @Override
    public void close() {
        // nothing to release
    }
}
