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
    public static final int TRANSPOSE = 17;
    public static final int ROTATE = 18;
    public static final int MAX_FORWARD = 19;
    public static final int MAX_BACKWARD = 20;
    public static final int REPEAT_ADD = 21;
    public static final int REPEAT_ADD_BACKWARD = 22;
    public static final int SHUFFLE = 23;
    public static final int SHUFFLE_BACKWARD = 24;
    public static final int BLUR = 25;
    public static final int BLUR_BACKWARD = 26;
    public static final int UPSAMPLE = 27;
    public static final int UPSAMPLE_BACKWARD = 28;
    public static final int RECON_LOSS = 29;
    public static final int BG_LOSS = 30;
    public static final int COMPOSITE_BG_BACKWARD = 31;
    public static final int NONFINITE = 32;

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
    /** Elements of a 1D launch (its work-items loop over them). */
    int items;
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
    int cacheOff;
    int rayBase;
    int images;
    int height;
    int width;
    int q0;
    int q1;
    int q2;
    int q3;
    int q4;
    int q5;
    int q6;
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
        items = l.items;
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
        cacheOff = l.cacheOff;
        rayBase = l.rayBase;
        images = l.images;
        height = l.height;
        width = l.width;
        q0 = l.q0;
        q1 = l.q1;
        q2 = l.q2;
        q3 = l.q3;
        q4 = l.q4;
        q5 = l.q5;
        q6 = l.q6;
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
        if (op != GEMM) {
            // a grid-stride loop: a launch has at most a few work-items per processing element, each doing
            // several elements (PoCL's CPU device pays ~250 ns per work-item of a kernel with barriers)
            for (int e = getGlobalId(); e < items; e += getGlobalSize()) {
                element(e);
            }
        }
    }

    /** Element (or ray, pixel, ...) e of a 1D op. */
    private void element(int e) {
        if (op == BIAS_ACT) {
            biasAct(e);
        }
        if (op == ACT_BACKWARD) {
            actBackward(e);
        }
        if (op == COLUMN_SUMS) {
            columnSums(e);
        }
        if (op == COPY) {
            copy(e);
        }
        if (op == COPY_IN) {
            copyIn(e);
        }
        if (op == COPY_OUT) {
            copyOut(e);
        }
        if (op == COPY_SNAP) {
            copySnap(e);
        }
        if (op == FILL) {
            fill(e);
        }
        if (op == ADAM) {
            adam(e);
        }
        if (op == SQUARED_ERROR) {
            squaredError(e);
        }
        if (op == FREQ_ENCODE) {
            frequencyEncode(e);
        }
        if (op == FREQ_ENCODE_BACKWARD) {
            frequencyEncodeBackward(e);
        }
        if (op == COMPOSITE_FORWARD) {
            compositeForward(e);
        }
        if (op == COMPOSITE_BACKWARD) {
            compositeBackward(e);
        }
        if (op == SPLIT_REDUCE) {
            splitReduce(e);
        }
        if (op == TRANSPOSE) {
            transpose(e);
        }
        if (op == ROTATE) {
            rotate(e);
        }
        if (op == MAX_FORWARD) {
            maxForward(e);
        }
        if (op == MAX_BACKWARD) {
            maxBackward(e);
        }
        if (op == REPEAT_ADD) {
            repeatAdd(e);
        }
        if (op == REPEAT_ADD_BACKWARD) {
            repeatAddBackward(e);
        }
        if (op == SHUFFLE) {
            shuffle(e);
        }
        if (op == SHUFFLE_BACKWARD) {
            shuffleBackward(e);
        }
        if (op == BLUR) {
            blur(e);
        }
        if (op == BLUR_BACKWARD) {
            blurBackward(e);
        }
        if (op == UPSAMPLE) {
            upsample(e);
        }
        if (op == UPSAMPLE_BACKWARD) {
            upsampleBackward(e);
        }
        if (op == RECON_LOSS) {
            reconLoss(e);
        }
        if (op == BG_LOSS) {
            bgLoss(e);
        }
        if (op == COMPOSITE_BG_BACKWARD) {
            compositeBgBackward(e);
        }
        if (op == NONFINITE) {
            nonFinite(e);
        }
    }

    // ------------------------------------------------------------------ model-step ops (one work-item per element)

    /** dst (m, n) at cOff ld ldc (+)= the transpose of src (n, m) at aOff ld lda. */
    private void transpose(int gid) {
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            int di = cOff + r * ldc + c;
            float prev = 0f;
            if (accumulate != 0) {
                prev = heap[di];
            }
            heap[di] = prev + heap[aOff + c * lda + r];
        }
    }

    /**
     * One work-item per channel triplet of m pixel rows of n channels; R (row-major 3 x 3) of row r at
     * {@code bOff + 9 (r / rowsPerGroup)}. form 0: out at cOff = in at aOff times R ({@code v R}, as
     * RenderMath.rotateRow); form 1: dIn at cOff (+)= dOut at aOff times R^T (RenderMath.rotateRowBackward).
     */
    private void rotate(int gid) {
        int triplets = n / 3;
        if (gid < m * triplets) {
            int row = gid / triplets;
            int j = (gid - row * triplets) * 3;
            int ro = bOff + 9 * (row / rowsPerGroup);
            int o = row * n + j;
            float v0 = heap[aOff + o];
            float v1 = heap[aOff + o + 1];
            float v2 = heap[aOff + o + 2];
            float d0 = 0f;
            float d1 = 0f;
            float d2 = 0f;
            if (form == 0) {
                d0 = v0 * heap[ro] + v1 * heap[ro + 3] + v2 * heap[ro + 6];
                d1 = v0 * heap[ro + 1] + v1 * heap[ro + 4] + v2 * heap[ro + 7];
                d2 = v0 * heap[ro + 2] + v1 * heap[ro + 5] + v2 * heap[ro + 8];
            } else {
                d0 = v0 * heap[ro] + v1 * heap[ro + 1] + v2 * heap[ro + 2];
                d1 = v0 * heap[ro + 3] + v1 * heap[ro + 4] + v2 * heap[ro + 5];
                d2 = v0 * heap[ro + 6] + v1 * heap[ro + 7] + v2 * heap[ro + 8];
            }
            if (accumulate != 0) {
                d0 = heap[cOff + o] + d0;
                d1 = heap[cOff + o + 1] + d1;
                d2 = heap[cOff + o + 2] + d2;
            }
            heap[cOff + o] = d0;
            heap[cOff + o + 1] = d1;
            heap[cOff + o + 2] = d2;
        }
    }

    /** out at cOff = max(a at aOff, b at bOff), n elements. */
    private void maxForward(int gid) {
        if (gid < n) {
            heap[cOff + gid] = Math.max(heap[aOff + gid], heap[bOff + gid]);
        }
    }

    /** dA at cOff and dB at dOff (+)= the max's gradients from dOut at q0 (PyTorch's tie rule), a at aOff, b at bOff. */
    private void maxBackward(int gid) {
        if (gid < n) {
            float g = heap[q0 + gid];
            float a = heap[aOff + gid];
            float b = heap[bOff + gid];
            float ga = RenderMath.maxGradA(g, a, b);
            float gb = RenderMath.maxGradA(g, b, a);
            if (accumulate != 0) {
                ga = heap[cOff + gid] + ga;
                gb = heap[dOff + gid] + gb;
            }
            heap[cOff + gid] = ga;
            heap[dOff + gid] = gb;
        }
    }

    /** out (m, k n) at cOff = y (m, k n) at aOff + x (m, n) at bOff repeated k times along the channels. */
    private void repeatAdd(int gid) {
        int wide = n * k;
        if (gid < m * wide) {
            int r = gid / wide;
            int q = gid - r * wide;
            int c = q % n;
            heap[cOff + gid] = heap[aOff + gid] + heap[bOff + r * n + c];
        }
    }

    /** dX (m, n) at cOff (+)= sum over the k repeats (increasing) of dOut (m, k n) at aOff. */
    private void repeatAddBackward(int gid) {
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            int o = aOff + r * n * k + c;
            float s = 0f;
            for (int q = 0; q < k; q++) {
                s += heap[o + q * n];
            }
            int di = cOff + gid;
            if (accumulate != 0) {
                s = heap[di] + s;
            }
            heap[di] = s;
        }
    }

    /** x2 pixel shuffle: out (images, 2H, 2W, n) at cOff from in (images, H, W, 4n) at aOff; H, W = height, width. */
    private void shuffle(int gid) {
        int w2 = 2 * width;
        int h2 = 2 * height;
        if (gid < images * h2 * w2 * n) {
            int c = gid % n;
            int pix = gid / n;
            int ox = pix % w2;
            int t = pix / w2;
            int oy = t % h2;
            int img = t / h2;
            int i = ((img * height + oy / 2) * width + ox / 2) * 4 * n + 2 * (oy % 2) + (ox % 2);
            heap[cOff + gid] = heap[aOff + i + 4 * c];
        }
    }

    /** Shuffle backward: dIn (images, H, W, 4n) at cOff (+)= dOut (images, 2H, 2W, n) at aOff. */
    private void shuffleBackward(int gid) {
        int n4 = 4 * n;
        if (gid < images * height * width * n4) {
            int q = gid % n4;
            int pix = gid / n4;
            int w = pix % width;
            int t = pix / width;
            int h = t % height;
            int img = t / height;
            int c = q / 4;
            int i = (q % 4) / 2;
            int j = q % 2;
            float v = heap[aOff + ((img * 2 * height + 2 * h + i) * 2 * width + 2 * w + j) * n + c];
            if (accumulate != 0) {
                v = heap[cOff + gid] + v;
            }
            heap[cOff + gid] = v;
        }
    }

    /** 3x3 [1,2,1]^2/16 blur with reflect border, out at cOff from in at aOff, both (images, H, W, n); RenderMath.blurPixel's order. */
    private void blur(int gid) {
        if (gid < images * height * width * n) {
            int c = gid % n;
            int pix = gid / n;
            int ox = pix % width;
            int t = pix / width;
            int oy = t % height;
            int img = t / height;
            float s = 0f;
            for (int a = -1; a <= 1; a++) {
                int y = oy + a;
                if (y < 0) {
                    y = -y;
                }
                if (y >= height) {
                    y = 2 * height - 2 - y;
                }
                float ta = 1f;
                if (a == 0) {
                    ta = 2f;
                }
                for (int b = -1; b <= 1; b++) {
                    int x = ox + b;
                    if (x < 0) {
                        x = -x;
                    }
                    if (x >= width) {
                        x = 2 * width - 2 - x;
                    }
                    float tb = 1f;
                    if (b == 0) {
                        tb = 2f;
                    }
                    s += ta * tb * 0.0625f * heap[aOff + ((img * height + y) * width + x) * n + c];
                }
            }
            heap[cOff + gid] = s;
        }
    }

    /** Unnormalized weight with which index i feeds output o of an n-long axis through the reflected [1,2,1] taps. */
    private float blurAdjoint(int o, int i, int len) {
        float w = 0f;
        for (int d = -1; d <= 1; d++) {
            int j = o + d;
            if (j < 0) {
                j = -j;
            }
            if (j >= len) {
                j = 2 * len - 2 - j;
            }
            if (j == i) {
                if (d == 0) {
                    w += 2f;
                } else {
                    w += 1f;
                }
            }
        }
        return w;
    }

    /** Blur backward: dIn at cOff (+)= gathered from dOut at aOff, RenderMath.blurPixelBackward's order. */
    private void blurBackward(int gid) {
        if (gid < images * height * width * n) {
            int c = gid % n;
            int pix = gid / n;
            int ix = pix % width;
            int t = pix / width;
            int iy = t % height;
            int img = t / height;
            float s = 0f;
            if (accumulate != 0) {
                s = heap[cOff + gid];
            }
            int y0 = Math.max(0, iy - 1);
            int y1 = Math.min(height - 1, iy + 1);
            int x0 = Math.max(0, ix - 1);
            int x1 = Math.min(width - 1, ix + 1);
            for (int oy = y0; oy <= y1; oy++) {
                float wy = blurAdjoint(oy, iy, height);
                for (int ox = x0; ox <= x1; ox++) {
                    float wx = blurAdjoint(ox, ix, width);
                    float w = wy * wx * 0.0625f;
                    if (w != 0f) {
                        s += w * heap[aOff + ((img * height + oy) * width + ox) * n + c];
                    }
                }
            }
            heap[cOff + gid] = s;
        }
    }

    /** Bilinear x2 (align_corners=False): out (images, 2H, 2W, n) at cOff from in (images, H, W, n) at aOff. */
    private void upsample(int gid) {
        int w2 = 2 * width;
        int h2 = 2 * height;
        if (gid < images * h2 * w2 * n) {
            int c = gid % n;
            int pix = gid / n;
            int ox = pix % w2;
            int t = pix / w2;
            int oy = t % h2;
            int img = t / h2;
            int y0 = RenderMath.bilinearIndex(oy, height);
            int y1 = RenderMath.bilinearUpper(oy, height);
            float ly1 = RenderMath.bilinearLambda(oy, height);
            float ly0 = 1f - ly1;
            int x0 = RenderMath.bilinearIndex(ox, width);
            int x1 = RenderMath.bilinearUpper(ox, width);
            float lx1 = RenderMath.bilinearLambda(ox, width);
            float lx0 = 1f - lx1;
            int base = img * height * width;
            float v00 = heap[aOff + (base + y0 * width + x0) * n + c];
            float v01 = heap[aOff + (base + y0 * width + x1) * n + c];
            float v10 = heap[aOff + (base + y1 * width + x0) * n + c];
            float v11 = heap[aOff + (base + y1 * width + x1) * n + c];
            heap[cOff + gid] = ly0 * (lx0 * v00 + lx1 * v01) + ly1 * (lx0 * v10 + lx1 * v11);
        }
    }

    /** Upsampling backward: dIn (images, H, W, n) at cOff (+)= taps gathered from dOut at aOff (RenderMath's order). */
    private void upsampleBackward(int gid) {
        if (gid < images * height * width * n) {
            int c = gid % n;
            int pix = gid / n;
            int ix = pix % width;
            int t = pix / width;
            int iy = t % height;
            int img = t / height;
            float s = 0f;
            if (accumulate != 0) {
                s = heap[cOff + gid];
            }
            int oyEnd = Math.min(2 * height - 1, 2 * iy + 2);
            int oxEnd = Math.min(2 * width - 1, 2 * ix + 2);
            for (int oy = Math.max(0, 2 * iy - 2); oy <= oyEnd; oy++) {
                float wy = RenderMath.bilinearTapWeight(oy, iy, height);
                for (int ox = Math.max(0, 2 * ix - 2); ox <= oxEnd; ox++) {
                    float wx = RenderMath.bilinearTapWeight(ox, ix, width);
                    float w = wy * wx;
                    if (w != 0f) {
                        s += w * heap[aOff + ((img * 2 * height + oy) * 2 * width + ox) * n + c];
                    }
                }
            }
            heap[cOff + gid] = s;
        }
    }

    /**
     * The masked image terms of the trainer's loss, one work-item per element k of {@code n = B O^2 3}:
     * merged at aOff, face image at bOff, eyes image at dOff, target at q0, head / left-eye / right-eye masks
     * (B O^2) at q1, q2, q3, the four gradient scales (head, face, eyes, non-head: weight / (3 count)) at q4;
     * writes dMerged at cOff, dFace at q5, dEyes at q6 and the four unweighted terms into columns 0..3 of the
     * (rows, 5) term table at featOff (row k). form 1: L1, else squared error. Masks threshold at 0.5.
     */
    private void reconLoss(int kk) {
        if (kk < n) {
            int px = kk / 3;
            boolean head = heap[q1 + px] >= 0.5f;
            boolean eye = heap[q2 + px] >= 0.5f || heap[q3 + px] >= 0.5f;
            float gt = heap[q0 + kk];
            float dm = 0f;
            float df = 0f;
            float de = 0f;
            float tHead = 0f;
            float tFace = 0f;
            float tEyes = 0f;
            float tNon = 0f;
            if (head) {
                float d = heap[aOff + kk] - gt;
                if (form == 1) {
                    tHead = Math.abs(d);
                    dm = heap[q4] * sign(d);
                } else {
                    tHead = d * d;
                    dm = heap[q4] * 2f * d;
                }
                if (!eye) {
                    float e = heap[bOff + kk] - gt;
                    if (form == 1) {
                        tFace = Math.abs(e);
                        df = heap[q4 + 1] * sign(e);
                    } else {
                        tFace = e * e;
                        df = heap[q4 + 1] * 2f * e;
                    }
                }
            } else {
                float d = heap[aOff + kk] - 1f;
                tNon = d * d;
                dm = heap[q4 + 3] * 2f * d;
            }
            if (eye) {
                float e = heap[dOff + kk] - gt;
                if (form == 1) {
                    tEyes = Math.abs(e);
                    de = heap[q4 + 2] * sign(e);
                } else {
                    tEyes = e * e;
                    de = heap[q4 + 2] * 2f * e;
                }
            }
            heap[cOff + kk] = dm;
            heap[q5 + kk] = df;
            heap[q6 + kk] = de;
            int t = featOff + kk * 5;
            heap[t] = tHead;
            heap[t + 1] = tFace;
            heap[t + 2] = tEyes;
            heap[t + 3] = tNon;
        }
    }

    private float sign(float d) {
        float s = 0f;
        if (d > 0f) {
            s = 1f;
        }
        if (d < 0f) {
            s = -1f;
        }
        return s;
    }

    /** Background term, n = O^2 3 elements: bg image at aOff, dBg at cOff = f0 2 (bg - 1), term (bg - 1)^2 in column 4 of the table at featOff. */
    private void bgLoss(int kk) {
        if (kk < n) {
            float d = heap[aOff + kk] - 1f;
            heap[cOff + kk] = f0 * 2f * d;
            heap[featOff + kk * 5 + 4] = d * d;
        }
    }

    /**
     * Compositing's background gradient, one work-item per (pixel, channel) of the (pixels, n) map: dBg at cOff
     * += over the images (increasing) of dMap (images pixels, n) at aOff times bgAlpha (images pixels) at bOff.
     */
    private void compositeBgBackward(int gid) {
        if (gid < pixels * n) {
            int p = gid / n;
            int c = gid - p * n;
            float v = heap[cOff + gid];
            for (int img = 0; img < images; img++) {
                int r = img * pixels + p;
                v += heap[aOff + r * n + c] * heap[bOff + r];
            }
            heap[cOff + gid] = v;
        }
    }

    /** Sets heap[cOff] to 1 when one of the n floats at aOff is NaN or infinite (x - x is NaN exactly then). */
    private void nonFinite(int gid) {
        if (gid < n) {
            float x = heap[aOff + gid];
            float z = x - x;
            if (z != z) {
                heap[cOff] = 1f;
            }
        }
    }

    /** C (m, n) at cOff ld ldc (+)= the sum over the splits (in increasing order) of the partial products. */
    private void splitReduce(int gid) {
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
    private void frequencyEncode(int pt) {
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
    private void frequencyEncodeBackward(int gid) {
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
    private void compositeForward(int r) {
        if (r < rays) {
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                float e = (float) Math.exp(-heap[sigmaOff + s] * heap[deltaOff + s]);
                alpha[cacheOff + s] = RenderMath.alphaFromExp(e);
            }
            RenderMath.compositeRayWeights(r, heap, false, heap, bgAlphaOff, alpha, trans, cacheOff, heap, tvalsOff, samples);
            RenderMath.compositeRayFeatures(r, heap, mergedOff, heap, bgAlphaOff, alpha, trans, cacheOff, heap, featOff, ldf,
                    heap, samples, n, (r + rayBase) % pixels);
        }
    }

    /**
     * One work-item per ray, as {@link dev.gazenerf.render.RenderKernels#compositeBackward} without depth and
     * without the background gradient: feature backward, the alpha recurrence, then sigma and delta per sample.
     */
    private void compositeBackward(int r) {
        if (r < rays) {
            RenderMath.compositeRayFeatureBackward(r, heap, dSigmaOff, heap, dFeatOff, lddf, heap, dMergedOff, heap, false,
                    0, alpha, trans, cacheOff, heap, featOff, ldf, heap, tvalsOff, heap, samples, n, (r + rayBase) % pixels);
            RenderMath.compositeRayAlphaBackward(r, heap, dSigmaOff, alpha, trans, cacheOff, samples);
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                float e = (float) Math.exp(-heap[sigmaOff + s] * heap[deltaOff + s]);
                // dDelta = dAlpha sigma e (RenderMath.compositeSampleBackward's second output, at its own offset here)
                heap[dDeltaOff + s] = heap[dSigmaOff + s] * heap[sigmaOff + s] * e;
                RenderMath.compositeSampleBackward(s, heap, dSigmaOff, heap, false, heap, sigmaOff, heap, deltaOff, e);
            }
        }
    }

    /** y (m, n) at cOff ld ldc, in place; bias row (r / rowsPerGroup) at bOff, stride ldb. */
    private void biasAct(int gid) {
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
    private void actBackward(int gid) {
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            heap[cOff + r * ldc + c] = Activation.backward(act, heap[aOff + r * lda + c], heap[bOff + r * ldb + c]);
        }
    }

    /** out (m / rowsPerGroup, n) contiguous at cOff; d (m, n) at aOff ld lda; rows summed in increasing order. */
    private void columnSums(int gid) {
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
    private void copy(int gid) {
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
    private void copyIn(int gid) {
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            heap[cOff + r * ldc + c] = in[aOff + r * lda + c];
        }
    }

    /** heap (m, n) at aOff/lda to out at cOff/ldc. */
    private void copyOut(int gid) {
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            out[cOff + r * ldc + c] = heap[aOff + r * lda + c];
        }
    }

    /** heap (m, n) at aOff/lda to snap at cOff/ldc. */
    private void copySnap(int gid) {
        if (gid < m * n) {
            int r = gid / n;
            int c = gid - r * n;
            snap[cOff + r * ldc + c] = heap[aOff + r * lda + c];
        }
    }

    /** heap[cOff .. cOff + n) = f0. */
    private void fill(int gid) {
        if (gid < n) {
            heap[cOff + gid] = f0;
        }
    }

    /** param at cOff, grad at aOff, m at bOff, v at dOff; f0..f4 = beta1, beta2, eps, stepSize, sqrtBias2. */
    private void adam(int gid) {
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
    private void squaredError(int gid) {
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
