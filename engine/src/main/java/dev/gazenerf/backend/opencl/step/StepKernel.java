package dev.gazenerf.backend.opencl.step;

import com.aparapi.Kernel;

import dev.gazenerf.kernel.Activation;
import dev.gazenerf.kernel.ScalarKernels;
import dev.gazenerf.render.RenderMath;

/**
 * One Aparapi kernel for a whole device-resident step: every buffer of the step lives in four arrays that are
 * bound once, and {@code run()} dispatches on the {@code op} field to the per-op code. Aparapi keeps one device
 * buffer per array field per kernel instance, so with one kernel and fixed arrays the data stays on the device
 * between launches; only the {@code put}/{@code get} calls of {@link DeviceArena} move it.
 *
 * <p>Arrays (all bound at construction, never rebound):
 * <ul>
 *   <li>{@code heap}: everything that stays on the device (parameters, gradients, Adam moments, activations,
 *       scratch), addressed by offsets;</li>
 *   <li>{@code in}: the per-step inputs the host uploads; {@link #COPY_IN} moves them into the heap;</li>
 *   <li>{@code out}: what the host downloads each step (loss, code gradients); {@link #COPY_OUT} fills it;</li>
 *   <li>{@code snap}: a parameter snapshot downloaded only on request ({@link #COPY_SNAP}).</li>
 * </ul>
 * Compute ops read and write the heap only, so operands that share an array never need snapshots: distinct
 * regions of one buffer are distinct operands.
 *
 * <p>Ops and their math are those of {@link dev.gazenerf.backend.Backend} (same helpers as the scalar
 * specification): {@link #GEMM} (forms NT, NN, TN, tiled in local memory like
 * {@link dev.gazenerf.backend.opencl.GemmKernel}: each work-group a {@code (tile, tile)} block of C, each
 * work-item a 4 x 4 register block, k summed in increasing order; optionally with a fused bias + activation
 * epilogue applied to the finished element, the math of {@link #BIAS_ACT}; or split along k, each slice's product
 * written to a partial buffer and summed by {@link #SPLIT_REDUCE} in slice order), {@link #BIAS_ACT}, {@link #ACT_BACKWARD},
 * {@link #COLUMN_SUMS}, the copies, {@link #FILL}, {@link #ADAM}, and {@link #SQUARED_ERROR}:
 * {@code d[i] = scale (y[i] - t[i])}, {@code e[i] = scale (y[i] - t[i])^2 / 2}, so {@code d} is the gradient
 * of {@code sum e} (with {@code scale = 2 / N} the mean squared error).
 * Launches of {@link #GEMM} use a 2D range with {@code (tile/4, tile/4)} work-groups; all others a 1D range,
 * one work-item per element (items past the end do nothing). {@code op} is uniform across a launch, so the
 * barriers inside the gemm branch are reached by every work-item of a group.
 */
public final class StepKernel extends Kernel {
    public static final int GEMM = 1;
    public static final int BIAS_ACT = 2;
    public static final int ACT_BACKWARD = 3;
    public static final int COLUMN_SUMS = 4;
    public static final int COPY = 5;
    public static final int COPY_IN = 6;
    public static final int COPY_OUT = 7;
    public static final int COPY_SNAP = 8;
    public static final int FILL = 9;
    public static final int ADAM = 10;
    public static final int SQUARED_ERROR = 11;
    public static final int FREQ_ENCODE = 12;
    public static final int FREQ_ENCODE_BACKWARD = 13;
    public static final int COMPOSITE_FORWARD = 14;
    public static final int COMPOSITE_BACKWARD = 15;
    public static final int SPLIT_REDUCE = 16;

    /** Gemm forms, as in {@link dev.gazenerf.backend.opencl.GemmKernel}. */
    public static final int NT = 0;
    public static final int NN = 1;
    public static final int TN = 2;
    /** Edge of the register block of one gemm work-item. */
    public static final int BLOCK = 4;

    private final float[] heap;
    private final float[] in;
    private final float[] out;
    private final float[] snap;
    /** Compositing cache: alpha of every sample (device only). */
    private final float[] alpha;
    /** Compositing cache: transmittance of every sample (device only). */
    private final float[] trans;
    /** Split-k gemm partial products, {@code (splits, m, n)} (device only). */
    private final float[] partial;
    private final int tile;
    private final int tileShift;
    private final int g;
    /** (tile, tile) A block of a gemm step. */
    @Local
    private final float[] tileA;
    /** (tile, tile) B block of a gemm step. */
    @Local
    private final float[] tileB;

    // launch arguments (see Launch for their meaning per op)
    int op;
    int form;
    int m;
    int n;
    int k;
    int aOff;
    int lda;
    int bOff;
    int ldb;
    int cOff;
    int ldc;
    int dOff;
    int accumulate;
    int hasBias;
    int rowsPerGroup;
    int act;
    float f0;
    float f1;
    float f2;
    float f3;
    float f4;
    // compositing (see Launch)
    int rays;
    int samples;
    int pixels;
    int sigmaOff;
    int featOff;
    int ldf;
    int deltaOff;
    int tvalsOff;
    int bgAlphaOff;
    int mergedOff;
    int dSigmaOff;
    int dFeatOff;
    int lddf;
    int dDeltaOff;
    int dMergedOff;
    // gemm epilogue: C = act(C + bias row (i / epiRowsPerBias) at epiBiasOff, stride epiBiasStride) when epilogue != 0
    int epilogue;
    int epiBiasOff;
    int epiBiasStride;
    int epiRowsPerBias;
    // split-k gemm: work-group row index gy covers rows (gy mod rowGroups) and k slice (gy / rowGroups) of kChunk
    int splits;
    int rowGroups;
    int kChunk;

    /** Binds the four arrays; {@code tile} is the gemm tile edge (a power of two, at least {@value #BLOCK}). */
    public StepKernel(float[] heap, float[] in, float[] out, float[] snap, int tile) {
        this(heap, in, out, snap, new float[1], new float[1], new float[1], tile);
    }

    /**
     * Binds the four arrays and the two compositing caches (alpha and transmittance of every sample; the
     * render helpers index both with one offset, so they are arrays of their own).
     */
    public StepKernel(float[] heap, float[] in, float[] out, float[] snap, float[] alpha, float[] trans, int tile) {
        this(heap, in, out, snap, alpha, trans, new float[1], tile);
    }

    /** As above, with a scratch array for the partial products of split-k gemms. */
    public StepKernel(float[] heap, float[] in, float[] out, float[] snap, float[] alpha, float[] trans, float[] partial,
                      int tile) {
        if (tile < BLOCK || Integer.bitCount(tile) != 1) {
            throw new IllegalArgumentException("StepKernel: tile must be a power of two >= " + BLOCK + ", got " + tile);
        }
        this.heap = heap;
        this.in = in;
        this.out = out;
        this.snap = snap;
        this.alpha = alpha;
        this.trans = trans;
        this.partial = partial;
        this.tile = tile;
        this.tileShift = Integer.numberOfTrailingZeros(tile);
        this.g = tile / BLOCK;
        this.tileA = new float[tile * tile];
        this.tileB = new float[tile * tile];
    }

    /** The gemm tile edge. */
    public int tile() {
        return tile;
    }

    /** The gemm work-group edge ({@code tile / 4}). */
    public int groupEdge() {
        return g;
    }

    /** Copies the arguments of one launch into the kernel's fields. */
    void load(Launch l) {
        op = l.op;
        form = l.form;
        m = l.m;
        n = l.n;
        k = l.k;
        aOff = l.aOff;
        lda = l.lda;
        bOff = l.bOff;
        ldb = l.ldb;
        cOff = l.cOff;
        ldc = l.ldc;
        dOff = l.dOff;
        accumulate = l.accumulate;
        hasBias = l.hasBias;
        rowsPerGroup = l.rowsPerGroup;
        act = l.act;
        f0 = l.f0;
        f1 = l.f1;
        f2 = l.f2;
        f3 = l.f3;
        f4 = l.f4;
        rays = l.rays;
        samples = l.samples;
        pixels = l.pixels;
        sigmaOff = l.sigmaOff;
        featOff = l.featOff;
        ldf = l.ldf;
        deltaOff = l.deltaOff;
        tvalsOff = l.tvalsOff;
        bgAlphaOff = l.bgAlphaOff;
        mergedOff = l.mergedOff;
        dSigmaOff = l.dSigmaOff;
        dFeatOff = l.dFeatOff;
        lddf = l.lddf;
        dDeltaOff = l.dDeltaOff;
        dMergedOff = l.dMergedOff;
        epilogue = l.epilogue;
        epiBiasOff = l.epiBiasOff;
        epiBiasStride = l.epiBiasStride;
        epiRowsPerBias = l.epiRowsPerBias;
        splits = l.splits;
        rowGroups = l.rowGroups;
        kChunk = l.kChunk;
    }

    @Override
    public void run() {
        // flat, independent branches: Aparapi 3.0.2 cannot structure long else-if chains ("child list broken")
        if (op == GEMM) {
            gemm();
        }
        if (op == BIAS_ACT) {
            biasAct();
        }
        if (op == ACT_BACKWARD) {
            actBackward();
        }
        if (op == COLUMN_SUMS) {
            columnSums();
        }
        if (op == COPY) {
            copy();
        }
        if (op == COPY_IN) {
            copyIn();
        }
        if (op == COPY_OUT) {
            copyOut();
        }
        if (op == COPY_SNAP) {
            copySnap();
        }
        if (op == FILL) {
            fill();
        }
        if (op == ADAM) {
            adam();
        }
        if (op == SQUARED_ERROR) {
            squaredError();
        }
        if (op == FREQ_ENCODE) {
            frequencyEncode();
        }
        if (op == FREQ_ENCODE_BACKWARD) {
            frequencyEncodeBackward();
        }
        if (op == COMPOSITE_FORWARD) {
            compositeForward();
        }
        if (op == COMPOSITE_BACKWARD) {
            compositeBackward();
        }
        if (op == SPLIT_REDUCE) {
            splitReduce();
        }
    }

    /** C (m, n) at cOff ld ldc (+)= the sum over the splits (in increasing order) of the partial products. */
    private void splitReduce() {
        int gid = getGlobalId();
        if (gid < m * n) {
            int i = gid / n;
            int j = gid - i * n;
            float sum = 0f;
            for (int q = 0; q < splits; q++) {
                sum += partial[q * m * n + gid];
            }
            int ci = cOff + i * ldc + j;
            float prev = 0f;
            if (accumulate != 0) {
                prev = heap[ci];
            }
            heap[ci] = prev + sum;
        }
    }

    /** pe (m, 3 + 6k) at cOff ld ldc from xyz (m, 3) at aOff; k frequencies; one work-item per point. */
    private void frequencyEncode() {
        int pt = getGlobalId();
        if (pt < m) {
            int o = cOff + pt * ldc;
            for (int i = 0; i < 3; i++) {
                heap[o + i] = heap[aOff + pt * 3 + i];
            }
            for (int fr = 0; fr < k; fr++) {
                float w = ScalarKernels.band(fr);
                for (int i = 0; i < 3; i++) {
                    float x = heap[aOff + pt * 3 + i] * w;
                    heap[o + 3 + 6 * fr + i] = (float) Math.sin(x);
                    heap[o + 6 + 6 * fr + i] = (float) Math.cos(x);
                }
            }
        }
    }

    /** dXyz (m, 3) at cOff (+)= backward of the encoding from dOut at aOff ld lda and xyz at bOff; one item per coordinate. */
    private void frequencyEncodeBackward() {
        int gid = getGlobalId();
        if (gid < m * 3) {
            int pt = gid / 3;
            int i = gid - pt * 3;
            int o = aOff + pt * lda;
            float gr = heap[o + i];
            for (int fr = 0; fr < k; fr++) {
                float w = ScalarKernels.band(fr);
                float x = heap[bOff + pt * 3 + i] * w;
                gr += w * ((float) Math.cos(x) * heap[o + 3 + 6 * fr + i] - (float) Math.sin(x) * heap[o + 6 + 6 * fr + i]);
            }
            int di = cOff + pt * 3 + i;
            float prev = 0f;
            if (accumulate != 0) {
                prev = heap[di];
            }
            heap[di] = prev + gr;
        }
    }

    /**
     * One work-item per ray, as {@link dev.gazenerf.render.RenderKernels#compositeForward} without depth: the
     * alphas (the exponential in double and rounded, as the host kernels take it), then {@link RenderMath#compositeRayWeights} and {@link RenderMath#compositeRayFeatures}. The
     * background map is read at heap offset 0 (the helper indexes it from 0); the ray of id r is pixel
     * {@code r mod pixels}.
     */
    private void compositeForward() {
        int r = getGlobalId();
        if (r < rays) {
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                float e = (float) Math.exp(-heap[sigmaOff + s] * heap[deltaOff + s]);
                alpha[s] = RenderMath.alphaFromExp(e);
            }
            RenderMath.compositeRayWeights(r, heap, false, heap, bgAlphaOff, alpha, trans, 0, heap, tvalsOff, samples);
            RenderMath.compositeRayFeatures(r, heap, mergedOff, heap, bgAlphaOff, alpha, trans, 0, heap, featOff, ldf,
                    heap, samples, n, r % pixels);
        }
    }

    /**
     * One work-item per ray, as {@link dev.gazenerf.render.RenderKernels#compositeBackward} without depth and
     * without the background gradient: feature backward, the alpha recurrence, then sigma and delta per sample.
     */
    private void compositeBackward() {
        int r = getGlobalId();
        if (r < rays) {
            RenderMath.compositeRayFeatureBackward(r, heap, dSigmaOff, heap, dFeatOff, lddf, heap, dMergedOff, heap, false,
                    0, alpha, trans, 0, heap, featOff, ldf, heap, tvalsOff, heap, samples, n, r % pixels);
            RenderMath.compositeRayAlphaBackward(r, heap, dSigmaOff, alpha, trans, 0, samples);
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                float e = (float) Math.exp(-heap[sigmaOff + s] * heap[deltaOff + s]);
                // dDelta = dAlpha sigma e (RenderMath.compositeSampleBackward's second output, at its own offset here)
                heap[dDeltaOff + s] = heap[dSigmaOff + s] * heap[sigmaOff + s] * e;
                RenderMath.compositeSampleBackward(s, heap, dSigmaOff, heap, false, heap, sigmaOff, heap, deltaOff, e);
            }
        }
    }

    /** y (m, n) at cOff ld ldc, in place; bias row (r / rowsPerGroup) at bOff, stride ldb. */
    private void biasAct() {
        int gid = getGlobalId();
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            int i = cOff + r * ldc + c;
            float x = heap[i];
            if (hasBias != 0) {
                x = x + heap[bOff + (r / rowsPerGroup) * ldb + c];
            }
            float e = 0f;
            if (Activation.needsExp(act)) {
                e = (float) Math.exp(Activation.negAbs(x));
            }
            heap[i] = Activation.applyGivenExp(act, x, e);
        }
    }

    /** dx at cOff/ldc, dy at aOff/lda, y at bOff/ldb, all (m, n). */
    private void actBackward() {
        int gid = getGlobalId();
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            heap[cOff + r * ldc + c] = Activation.backward(act, heap[aOff + r * lda + c], heap[bOff + r * ldb + c]);
        }
    }

    /** out (m / rowsPerGroup, n) contiguous at cOff; d (m, n) at aOff ld lda; rows summed in increasing order. */
    private void columnSums() {
        int gid = getGlobalId();
        int groups = m / rowsPerGroup;
        if (gid < groups * n) {
            int gr = gid / n;
            int c = gid - gr * n;
            float s = 0f;
            int r0 = gr * rowsPerGroup;
            for (int r = r0; r < r0 + rowsPerGroup; r++) {
                s += heap[aOff + r * lda + c];
            }
            int oi = cOff + gr * n + c;
            float prev = 0f;
            if (accumulate != 0) {
                prev = heap[oi];
            }
            heap[oi] = prev + s;
        }
    }

    /** heap (m, n) at aOff/lda to heap at cOff/ldc, optionally accumulating. */
    private void copy() {
        int gid = getGlobalId();
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            int di = cOff + r * ldc + c;
            float prev = 0f;
            if (accumulate != 0) {
                prev = heap[di];
            }
            heap[di] = prev + heap[aOff + r * lda + c];
        }
    }

    /** in (m, n) at aOff/lda to heap at cOff/ldc. */
    private void copyIn() {
        int gid = getGlobalId();
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            heap[cOff + r * ldc + c] = in[aOff + r * lda + c];
        }
    }

    /** heap (m, n) at aOff/lda to out at cOff/ldc. */
    private void copyOut() {
        int gid = getGlobalId();
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            out[cOff + r * ldc + c] = heap[aOff + r * lda + c];
        }
    }

    /** heap (m, n) at aOff/lda to snap at cOff/ldc. */
    private void copySnap() {
        int gid = getGlobalId();
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            snap[cOff + r * ldc + c] = heap[aOff + r * lda + c];
        }
    }

    /** heap[cOff .. cOff + n) = f0. */
    private void fill() {
        int gid = getGlobalId();
        if (gid < n) {
            heap[cOff + gid] = f0;
        }
    }

    /** param at cOff, grad at aOff, m at bOff, v at dOff; f0..f4 = beta1, beta2, eps, stepSize, sqrtBias2. */
    private void adam() {
        int gid = getGlobalId();
        if (gid < n) {
            float gr = heap[aOff + gid];
            float mi = f0 * heap[bOff + gid] + (1f - f0) * gr;
            float vi = f1 * heap[dOff + gid] + (1f - f1) * gr * gr;
            heap[bOff + gid] = mi;
            heap[dOff + gid] = vi;
            int pi = cOff + gid;
            heap[pi] = ScalarKernels.adamParamGivenSqrt(heap[pi], mi, (float) Math.sqrt(vi), f3, f4, f2);
        }
    }

    /** y at aOff, target at bOff, gradient {@code f0 diff} at cOff, loss term {@code f0 diff^2 / 2} at dOff; n elements. */
    private void squaredError() {
        int gid = getGlobalId();
        if (gid < n) {
            float diff = heap[aOff + gid] - heap[bOff + gid];
            heap[cOff + gid] = f0 * diff;
            heap[dOff + gid] = 0.5f * f0 * diff * diff;
        }
    }

    private void gemm() {
        int tx = getLocalId(0);
        int ty = getLocalId(1);
        int col0 = getGroupId(0) * tile;
        int gy = getGroupId(1);
        int slice = gy / rowGroups;
        int row0 = (gy - slice * rowGroups) * tile;
        int kBegin = slice * kChunk;
        int kEnd = kBegin + kChunk;
        if (kEnd > k) {
            kEnd = k;
        }
        int lid = ty * g + tx;
        int items = g * g;
        int mask = tile - 1;
        float acc00 = 0f;
        float acc01 = 0f;
        float acc02 = 0f;
        float acc03 = 0f;
        float acc10 = 0f;
        float acc11 = 0f;
        float acc12 = 0f;
        float acc13 = 0f;
        float acc20 = 0f;
        float acc21 = 0f;
        float acc22 = 0f;
        float acc23 = 0f;
        float acc30 = 0f;
        float acc31 = 0f;
        float acc32 = 0f;
        float acc33 = 0f;
        for (int p0 = kBegin; p0 < kEnd; p0 += tile) {
            for (int l = 0; l < 16; l++) {
                int e = lid + l * items;
                int hi = e >> tileShift;
                int lo = e & mask;
                loadA(hi, lo, row0, p0, kEnd);
                loadB(hi, lo, col0, p0, kEnd);
            }
            localBarrier();
            for (int q = 0; q < tile; q++) {
                float a0 = tileA[ty * tile + q];
                float a1 = tileA[(ty + g) * tile + q];
                float a2 = tileA[(ty + 2 * g) * tile + q];
                float a3 = tileA[(ty + 3 * g) * tile + q];
                float b0 = tileB[q * tile + tx];
                float b1 = tileB[q * tile + tx + g];
                float b2 = tileB[q * tile + tx + 2 * g];
                float b3 = tileB[q * tile + tx + 3 * g];
                acc00 += a0 * b0;
                acc01 += a0 * b1;
                acc02 += a0 * b2;
                acc03 += a0 * b3;
                acc10 += a1 * b0;
                acc11 += a1 * b1;
                acc12 += a1 * b2;
                acc13 += a1 * b3;
                acc20 += a2 * b0;
                acc21 += a2 * b1;
                acc22 += a2 * b2;
                acc23 += a2 * b3;
                acc30 += a3 * b0;
                acc31 += a3 * b1;
                acc32 += a3 * b2;
                acc33 += a3 * b3;
            }
            localBarrier();
        }
        store(row0 + ty, col0 + tx, acc00, slice);
        store(row0 + ty, col0 + tx + g, acc01, slice);
        store(row0 + ty, col0 + tx + 2 * g, acc02, slice);
        store(row0 + ty, col0 + tx + 3 * g, acc03, slice);
        store(row0 + ty + g, col0 + tx, acc10, slice);
        store(row0 + ty + g, col0 + tx + g, acc11, slice);
        store(row0 + ty + g, col0 + tx + 2 * g, acc12, slice);
        store(row0 + ty + g, col0 + tx + 3 * g, acc13, slice);
        store(row0 + ty + 2 * g, col0 + tx, acc20, slice);
        store(row0 + ty + 2 * g, col0 + tx + g, acc21, slice);
        store(row0 + ty + 2 * g, col0 + tx + 2 * g, acc22, slice);
        store(row0 + ty + 2 * g, col0 + tx + 3 * g, acc23, slice);
        store(row0 + ty + 3 * g, col0 + tx, acc30, slice);
        store(row0 + ty + 3 * g, col0 + tx + g, acc31, slice);
        store(row0 + ty + 3 * g, col0 + tx + 2 * g, acc32, slice);
        store(row0 + ty + 3 * g, col0 + tx + 3 * g, acc33, slice);
    }

    private void loadA(int hi, int lo, int row0, int p0, int kEnd) {
        float v = 0f;
        if (form == TN) {
            int p = p0 + hi;
            int r = row0 + lo;
            if (p < kEnd && r < m) {
                v = heap[aOff + p * lda + r];
            }
            tileA[lo * tile + hi] = v;
        } else {
            int r = row0 + hi;
            int p = p0 + lo;
            if (r < m && p < kEnd) {
                v = heap[aOff + r * lda + p];
            }
            tileA[hi * tile + lo] = v;
        }
    }

    private void loadB(int hi, int lo, int col0, int p0, int kEnd) {
        float v = 0f;
        if (form == NT) {
            int j = col0 + hi;
            int p = p0 + lo;
            if (j < n && p < kEnd) {
                v = heap[bOff + j * ldb + p];
            }
            tileB[lo * tile + hi] = v;
        } else {
            int p = p0 + hi;
            int j = col0 + lo;
            if (p < kEnd && j < n) {
                v = heap[bOff + p * ldb + j];
            }
            tileB[hi * tile + lo] = v;
        }
    }

    private void store(int i, int j, float s, int slice) {
        if (i < m && j < n && splits > 1) {
            partial[slice * m * n + i * n + j] = s;
        }
        if (i < m && j < n && splits <= 1) {
            int ci = cOff + i * ldc + j;
            float v = s;
            if (accumulate != 0) {
                v = heap[ci] + s;
            }
            if (epilogue != 0) {
                // fused bias + activation, the math of biasAct on the finished sum
                v = v + heap[epiBiasOff + (i / epiRowsPerBias) * epiBiasStride + j];
                float e = 0f;
                if (Activation.needsExp(act)) {
                    e = (float) Math.exp(Activation.negAbs(v));
                }
                v = Activation.applyGivenExp(act, v, e);
            }
            heap[ci] = v;
        }
    }
}
