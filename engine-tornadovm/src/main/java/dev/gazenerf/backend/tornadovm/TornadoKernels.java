package dev.gazenerf.backend.tornadovm;

import dev.gazenerf.kernel.Activation;
import dev.gazenerf.kernel.ScalarKernels;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The {@link dev.gazenerf.backend.Backend} primitives as TornadoVM kernels: static methods over TornadoVM's
 * off-heap {@link FloatArray}s, one work-item per output element ({@link KernelContext#globalIdx}), that
 * TornadoVM compiles (through Graal) to OpenCL C, PTX or SPIR-V. The per-element math is the same static
 * helpers every other backend calls ({@link Activation#apply}, {@link Activation#backward},
 * {@link ScalarKernels#band}, {@link ScalarKernels#adamParam}); the loops over the reduction dimension run
 * in the same increasing order as {@link dev.gazenerf.backend.ScalarBackend}, so the only differences from
 * scalar are the device's rounding (fused multiply-add, its sin/cos/exp/sqrt).
 *
 * <p>Sizes, offsets and leading dimensions arrive in a small {@link IntArray} {@code p} rather than as
 * scalar arguments: a task graph is compiled once per kernel and reused for every call of every shape,
 * the launch only changes {@code p} and the global work size. The grid is rounded up to a multiple of the
 * work-group size, so every kernel first checks that its work-item has an element to compute.
 *
 * <p>These methods also run as plain Java (TornadoVM's sequential semantics), which the tests never rely on:
 * the backend refuses to start when TornadoVM may fall back to Java (see {@link TornadoVmRuntime}).
 */
public final class TornadoKernels {
    private TornadoKernels() {
    }

    /** Layout of {@code p} for {@link #gemm}: sizes, then the strides of A, B and C, then the accumulate flag. */
    static final int GEMM_M = 0, GEMM_N = 1, GEMM_K = 2,
            GEMM_A_OFF = 3, GEMM_A_ROW = 4, GEMM_A_DEPTH = 5,
            GEMM_B_OFF = 6, GEMM_B_DEPTH = 7, GEMM_B_COL = 8,
            GEMM_C_OFF = 9, GEMM_LDC = 10, GEMM_ACC = 11, GEMM_PARAMS = 12;

    /**
     * The three gemm forms of {@code Backend} in one kernel, through strides:
     * {@code C[i,j] = (acc ? C[i,j] : 0) + sum_q A(i,q) B(q,j)} with
     * {@code A(i,q) = a[aOff + i*aRow + q*aDepth]}, {@code B(q,j) = b[bOff + q*bDepth + j*bCol]},
     * {@code C[i,j] = c[cOff + i*ldc + j]}. gemmNT is {@code (aRow, aDepth, bDepth, bCol) = (lda, 1, 1, ldb)},
     * gemmNN {@code (lda, 1, ldb, 1)}, gemmTN {@code (1, lda, ldb, 1)}. One work-item per element of the
     * {@code (m, n)} result; q runs in increasing order as in the scalar specification.
     */
    public static void gemm(KernelContext context, IntArray p, FloatArray a, FloatArray b, FloatArray c) {
        int n = p.get(GEMM_N);
        int total = p.get(GEMM_M) * n;
        int gid = context.globalIdx;
        if (gid < total) {
            int i = gid / n;
            int j = gid - i * n;
            int k = p.get(GEMM_K);
            int aBase = p.get(GEMM_A_OFF) + i * p.get(GEMM_A_ROW);
            int aDepth = p.get(GEMM_A_DEPTH);
            int bBase = p.get(GEMM_B_OFF) + j * p.get(GEMM_B_COL);
            int bDepth = p.get(GEMM_B_DEPTH);
            float s = 0f;
            for (int q = 0; q < k; q++) {
                s += a.get(aBase + q * aDepth) * b.get(bBase + q * bDepth);
            }
            int ci = p.get(GEMM_C_OFF) + i * p.get(GEMM_LDC) + j;
            if (p.get(GEMM_ACC) != 0) {
                c.set(ci, c.get(ci) + s);
            } else {
                c.set(ci, s);
            }
        }
    }

    /** Side of the square tiles of {@link #gemmTiled}; its work-groups are {@code TILE x TILE}. */
    public static final int TILE = 16;

    /**
     * The same product as {@link #gemm} (same {@code p}), tiled for GPUs: a {@code TILE x TILE} work-group
     * computes a {@code TILE x TILE} block of C (x = column j, y = row i), staging a tile of A and of B in local
     * memory per step of {@code TILE} along q. Each work-item still sums its products in increasing q, one at
     * a time, so it rounds like {@link #gemm}; out-of-range tile entries are loaded as zero and add exact zeros.
     * Launch on a 2D grid of {@code (roundUp(n, TILE), roundUp(m, TILE))} with local work {@code (TILE, TILE)}.
     */
    public static void gemmTiled(KernelContext context, IntArray p, FloatArray a, FloatArray b, FloatArray c) {
        float[] aTile = context.allocateFloatLocalArray(TILE * TILE);
        float[] bTile = context.allocateFloatLocalArray(TILE * TILE);
        int m = p.get(GEMM_M);
        int n = p.get(GEMM_N);
        int k = p.get(GEMM_K);
        int tx = context.localIdx;
        int ty = context.localIdy;
        int j = context.groupIdx * TILE + tx;
        int i = context.groupIdy * TILE + ty;
        int aBase = p.get(GEMM_A_OFF) + i * p.get(GEMM_A_ROW);
        int aDepth = p.get(GEMM_A_DEPTH);
        int bBase = p.get(GEMM_B_OFF) + j * p.get(GEMM_B_COL);
        int bDepth = p.get(GEMM_B_DEPTH);
        float s = 0f;
        for (int q0 = 0; q0 < k; q0 += TILE) {
            int qa = q0 + tx;
            float av = 0f;
            if (i < m && qa < k) {
                av = a.get(aBase + qa * aDepth);
            }
            aTile[ty * TILE + tx] = av;
            int qb = q0 + ty;
            float bv = 0f;
            if (j < n && qb < k) {
                bv = b.get(bBase + qb * bDepth);
            }
            bTile[ty * TILE + tx] = bv;
            context.localBarrier();
            for (int q = 0; q < TILE; q++) {
                s += aTile[ty * TILE + q] * bTile[q * TILE + tx];
            }
            context.localBarrier();
        }
        if (i < m && j < n) {
            int ci = p.get(GEMM_C_OFF) + i * p.get(GEMM_LDC) + j;
            if (p.get(GEMM_ACC) != 0) {
                c.set(ci, c.get(ci) + s);
            } else {
                c.set(ci, s);
            }
        }
    }

    /** Layout of {@code p} for {@link #biasActivation}. */
    static final int BA_ROWS = 0, BA_COLS = 1, BA_Y_OFF = 2, BA_LDY = 3, BA_HAS_BIAS = 4, BA_BIAS_OFF = 5,
            BA_BIAS_STRIDE = 6, BA_ROWS_PER_BIAS = 7, BA_ACT = 8, BA_PARAMS = 9;

    /**
     * In place {@code y[r,c] = act(y[r,c] + bias[biasOff + (r / rowsPerBias) * biasStride + c])} (no bias when
     * {@code hasBias == 0}; {@code bias} is then any array and never read). One work-item per element.
     */
    public static void biasActivation(KernelContext context, IntArray p, FloatArray y, FloatArray bias) {
        int cols = p.get(BA_COLS);
        int total = p.get(BA_ROWS) * cols;
        int gid = context.globalIdx;
        if (gid < total) {
            int r = gid / cols;
            int c = gid - r * cols;
            int yi = p.get(BA_Y_OFF) + r * p.get(BA_LDY) + c;
            float x = y.get(yi);
            if (p.get(BA_HAS_BIAS) != 0) {
                x = x + bias.get(p.get(BA_BIAS_OFF) + (r / p.get(BA_ROWS_PER_BIAS)) * p.get(BA_BIAS_STRIDE) + c);
            }
            y.set(yi, Activation.apply(p.get(BA_ACT), x));
        }
    }

    /** Layout of {@code p} for {@link #activationBackward}. */
    static final int AB_ROWS = 0, AB_COLS = 1, AB_DX_OFF = 2, AB_LDDX = 3, AB_DY_OFF = 4, AB_LDDY = 5,
            AB_Y_OFF = 6, AB_LDY = 7, AB_ACT = 8, AB_PARAMS = 9;

    /** {@code dx[r,c] = Activation.backward(act, dy[r,c], y[r,c])}. One work-item per element. */
    public static void activationBackward(KernelContext context, IntArray p, FloatArray dx, FloatArray dy, FloatArray y) {
        int cols = p.get(AB_COLS);
        int total = p.get(AB_ROWS) * cols;
        int gid = context.globalIdx;
        if (gid < total) {
            int r = gid / cols;
            int c = gid - r * cols;
            float g = dy.get(p.get(AB_DY_OFF) + r * p.get(AB_LDDY) + c);
            float yv = y.get(p.get(AB_Y_OFF) + r * p.get(AB_LDY) + c);
            dx.set(p.get(AB_DX_OFF) + r * p.get(AB_LDDX) + c, Activation.backward(p.get(AB_ACT), g, yv));
        }
    }

    /** Layout of {@code p} for {@link #columnSums}. */
    static final int CS_GROUPS = 0, CS_COLS = 1, CS_ROWS_PER_GROUP = 2, CS_OUT_OFF = 3, CS_D_OFF = 4, CS_LDD = 5,
            CS_ACC = 6, CS_PARAMS = 7;

    /**
     * {@code out[g, c] = (acc ? out[g,c] : 0) + sum_{r in group g} d[r, c]}, rows in increasing order (the
     * deterministic order of the contract). One work-item per {@code (group, column)}.
     */
    public static void columnSums(KernelContext context, IntArray p, FloatArray out, FloatArray d) {
        int cols = p.get(CS_COLS);
        int total = p.get(CS_GROUPS) * cols;
        int gid = context.globalIdx;
        if (gid < total) {
            int g = gid / cols;
            int c = gid - g * cols;
            int rowsPerGroup = p.get(CS_ROWS_PER_GROUP);
            int ldd = p.get(CS_LDD);
            int base = p.get(CS_D_OFF) + g * rowsPerGroup * ldd + c;
            float s = 0f;
            for (int r = 0; r < rowsPerGroup; r++) {
                s += d.get(base + r * ldd);
            }
            int oi = p.get(CS_OUT_OFF) + g * cols + c;
            if (p.get(CS_ACC) != 0) {
                out.set(oi, out.get(oi) + s);
            } else {
                out.set(oi, s);
            }
        }
    }

    /** Layout of {@code p} for {@link #copy2d}. */
    static final int CP_ROWS = 0, CP_COLS = 1, CP_DST_OFF = 2, CP_LDDST = 3, CP_SRC_OFF = 4, CP_LDSRC = 5,
            CP_ACC = 6, CP_PARAMS = 7;

    /** {@code dst[r, c] = (acc ? dst[r,c] : 0) + src[r, c]}. One work-item per element. */
    public static void copy2d(KernelContext context, IntArray p, FloatArray dst, FloatArray src) {
        int cols = p.get(CP_COLS);
        int total = p.get(CP_ROWS) * cols;
        int gid = context.globalIdx;
        if (gid < total) {
            int r = gid / cols;
            int c = gid - r * cols;
            int di = p.get(CP_DST_OFF) + r * p.get(CP_LDDST) + c;
            float s = src.get(p.get(CP_SRC_OFF) + r * p.get(CP_LDSRC) + c);
            if (p.get(CP_ACC) != 0) {
                dst.set(di, dst.get(di) + s);
            } else {
                dst.set(di, s);
            }
        }
    }

    /** Layout of {@code p} for {@link #frequencyEncode} and {@link #frequencyEncodeBackward}. */
    static final int FE_POINTS = 0, FE_FREQUENCIES = 1, FE_OUT_OFF = 2, FE_LDO = 3, FE_XYZ_OFF = 4, FE_ACC = 5,
            FE_PARAMS = 6;

    /**
     * Frequency encoding (reference section 2.3): for point {@code pt} and coordinate {@code i},
     * {@code out[pt, i] = x}, {@code out[pt, 3 + 6f + i] = sin(2^f x)}, {@code out[pt, 6 + 6f + i] = cos(2^f x)}.
     * One work-item per {@code (point, coordinate)}.
     */
    public static void frequencyEncode(KernelContext context, IntArray p, FloatArray out, FloatArray xyz) {
        int total = p.get(FE_POINTS) * 3;
        int gid = context.globalIdx;
        if (gid < total) {
            int pt = gid / 3;
            int i = gid - pt * 3;
            int frequencies = p.get(FE_FREQUENCIES);
            int o = p.get(FE_OUT_OFF) + pt * p.get(FE_LDO);
            float x0 = xyz.get(p.get(FE_XYZ_OFF) + gid);
            out.set(o + i, x0);
            for (int f = 0; f < frequencies; f++) {
                float x = x0 * ScalarKernels.band(f);
                out.set(o + 3 + 6 * f + i, (float) Math.sin(x));
                out.set(o + 6 + 6 * f + i, (float) Math.cos(x));
            }
        }
    }

    /**
     * Backward of {@link #frequencyEncode}: {@code dXyz[pt, i] (+)= dOut[pt, i]
     * + sum_f 2^f (cos(2^f x) dOut[pt, 3+6f+i] - sin(2^f x) dOut[pt, 6+6f+i])}, f in increasing order.
     * Here {@code FE_OUT_OFF}/{@code FE_LDO} describe dOut and {@code FE_XYZ_OFF} is the offset of both xyz
     * and dXyz. One work-item per {@code (point, coordinate)}.
     */
    public static void frequencyEncodeBackward(KernelContext context, IntArray p, FloatArray dXyz, FloatArray dOut,
                                               FloatArray xyz) {
        int total = p.get(FE_POINTS) * 3;
        int gid = context.globalIdx;
        if (gid < total) {
            int pt = gid / 3;
            int i = gid - pt * 3;
            int frequencies = p.get(FE_FREQUENCIES);
            int o = p.get(FE_OUT_OFF) + pt * p.get(FE_LDO);
            int xi = p.get(FE_XYZ_OFF) + gid;
            float x0 = xyz.get(xi);
            float g = dOut.get(o + i);
            for (int f = 0; f < frequencies; f++) {
                float w = ScalarKernels.band(f);
                float x = x0 * w;
                g += w * ((float) Math.cos(x) * dOut.get(o + 3 + 6 * f + i) - (float) Math.sin(x) * dOut.get(o + 6 + 6 * f + i));
            }
            if (p.get(FE_ACC) != 0) {
                dXyz.set(xi, dXyz.get(xi) + g);
            } else {
                dXyz.set(xi, g);
            }
        }
    }

    /** Layout of {@code p} ({@code off, n}) and of {@code h} ({@code beta1, beta2, eps, stepSize, sqrtBias2}) for {@link #adam}. */
    static final int AD_OFF = 0, AD_N = 1, AD_PARAMS = 2;
    static final int AD_BETA1 = 0, AD_BETA2 = 1, AD_EPS = 2, AD_STEP_SIZE = 3, AD_SQRT_BIAS2 = 4, AD_HYPER = 5;

    /**
     * One Adam update per work-item, exactly the scalar specification's float arithmetic:
     * {@code m = b1 m + (1-b1) g}, {@code v = b2 v + (1-b2) g^2}, then {@link ScalarKernels#adamParam} with the
     * host-computed {@code stepSize = lr / (1 - b1^t)} and {@code sqrtBias2 = sqrt(1 - b2^t)}.
     */
    public static void adam(KernelContext context, IntArray p, FloatArray h, FloatArray param, FloatArray grad,
                            FloatArray m, FloatArray v) {
        int gid = context.globalIdx;
        if (gid < p.get(AD_N)) {
            int i = p.get(AD_OFF) + gid;
            float beta1 = h.get(AD_BETA1);
            float beta2 = h.get(AD_BETA2);
            float g = grad.get(i);
            float mi = beta1 * m.get(i) + (1f - beta1) * g;
            float vi = beta2 * v.get(i) + (1f - beta2) * g * g;
            m.set(i, mi);
            v.set(i, vi);
            param.set(i, ScalarKernels.adamParam(param.get(i), mi, vi, h.get(AD_STEP_SIZE), h.get(AD_SQRT_BIAS2), h.get(AD_EPS)));
        }
    }

    /** {@code x[off + i] = value} for {@code i < n}; zeroes a gradient buffer at the start of a device step. */
    public static void fill(KernelContext context, IntArray p, FloatArray x, float value) {
        int gid = context.globalIdx;
        if (gid < p.get(1)) {
            x.set(p.get(0) + gid, value);
        }
    }

    /**
     * Mean squared error gradient, one work-item per element of the {@code (rows, cols)} prediction:
     * {@code d[e] = 2 (y[e] - t[e]) / (rows * cols)}, {@code p = (count)}.
     */
    public static void mseGradient(KernelContext context, IntArray p, FloatArray d, FloatArray y, FloatArray t) {
        int count = p.get(0);
        int gid = context.globalIdx;
        if (gid < count) {
            d.set(gid, 2f * (y.get(gid) - t.get(gid)) / count);
        }
    }

    /**
     * Mean squared error value {@code loss[0] = sum_e (y[e] - t[e])^2 / count}, summed by work-item 0 alone
     * in increasing order (the value is only logged; a single work-item keeps it deterministic).
     */
    public static void mseValue(KernelContext context, IntArray p, FloatArray loss, FloatArray y, FloatArray t) {
        if (context.globalIdx == 0) {
            int count = p.get(0);
            float s = 0f;
            for (int e = 0; e < count; e++) {
                float diff = y.get(e) - t.get(e);
                s += diff * diff;
            }
            loss.set(0, s / count);
        }
    }
}
