package dev.gazenerf.backend.tornadovm;

import dev.gazenerf.backend.opencl.step.Launch;
import dev.gazenerf.backend.opencl.step.StepKernel;
import dev.gazenerf.kernel.Activation;
import dev.gazenerf.kernel.ScalarKernels;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.RenderMath;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The ops of the device-resident model step ({@link TornadoVmModelStep}) as TornadoVM kernels: one static method per
 * {@link StepKernel} op code, each the per-element code of that op in {@link StepKernel} written over TornadoVM's
 * {@link FloatArray}s (same helpers: {@link Activation}, {@link ScalarKernels}, {@link RenderMath}; same summation
 * orders), so a plan's launch runs here as it runs under Aparapi.
 *
 * <p>Every kernel reads its launch's arguments from its own record {@code a} (the {@link Launch#pack} record, then
 * {@link #GUARD}: the index in {@code in} of the flag that says whether the launch runs in this execution, for Adam
 * {@link #HYPER}: where its step size and bias correction are in {@code in}, {@link #CACHES}: where the compositing
 * caches start in the heap, and {@link #INDEX}: the launch's number, for its float arguments in {@code fargs}). A
 * launch whose flag is 0 does nothing (the Adam tasks run at the start of the next execution, see
 * {@link TornadoVmModelStep}). 1D ops loop over their elements grid-stride ({@code globalGroupSizeX} apart); gemm is
 * one work-item per element of C (the products summed in increasing k, as every backend does).
 */
public final class TornadoStepOps {
    // No kernel or helper here may carry the name of an OpenCL C built-in (rotate, shuffle, upsample, sign, ...):
    // TornadoVM names the OpenCL function after the Java method, and PoCL then finds no kernel of that name
    // ("CL_INVALID_KERNEL_NAME"), after which TornadoVM 5.2.0 launches a null kernel and the JVM crashes.
    private TornadoStepOps() {
    }

    /** Index in a record of the guard flag's position in {@code in}. */
    public static final int GUARD = Launch.INTS;
    /** Index in a record of Adam's step size position in {@code in} (the bias correction follows it). */
    public static final int HYPER = Launch.INTS + 1;
    /** Index in a record of the heap offset of the alpha cache (the transmittance cache follows it). */
    public static final int CACHES = Launch.INTS + 2;
    /** Index in a record of the launch's number (its float arguments are record {@code index} of {@code fargs}). */
    public static final int INDEX = Launch.INTS + 4;
    /** Ints per launch record. */
    public static final int RECORD = Launch.INTS + 5;

    private static boolean runs(IntArray a, FloatArray in) {
        return in.get(a.get(GUARD)) != 0f;
    }

    /**
     * Names every buffer the step's graphs share, so each graph holds them all (a graph passes on to the next only
     * what it holds); writes nothing unless the program flag is 2, which the step never sets.
     */
    public static void share(KernelContext ctx, IntArray a, FloatArray in, FloatArray h, FloatArray fa, FloatArray out) {
        if (ctx.globalIdx == 0 && in.get(a.get(GUARD)) == 2f) {
            h.set(0, h.get(0) + fa.get(0) + out.get(0));
        }
    }

    /** heap[cOff .. cOff + n) = f0. */
    public static void fill(KernelContext ctx, IntArray a, FloatArray in, FloatArray h, FloatArray fa) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            float v = fa.get(a.get(INDEX) * Launch.FLOATS + Launch.F0);
            for (int e = ctx.globalIdx; e < n; e += ctx.globalGroupSizeX) {
                h.set(cOff + e, v);
            }
        }
    }

    /** in (m, n) at aOff/lda to heap at cOff/ldc. */
    public static void copyIn(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int r = e / n;
                int c = e - r * n;
                h.set(cOff + r * ldc + c, in.get(aOff + r * lda + c));
            }
        }
    }

    /** heap (m, n) at aOff/lda to out at cOff/ldc. */
    public static void copyOut(KernelContext ctx, IntArray a, FloatArray in, FloatArray h, FloatArray out) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int r = e / n;
                int c = e - r * n;
                out.set(cOff + r * ldc + c, h.get(aOff + r * lda + c));
            }
        }
    }

    /** heap (m, n) at aOff/lda to heap at cOff/ldc, optionally accumulating. */
    public static void copy(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            int acc = a.get(Launch.ACCUMULATE);
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int r = e / n;
                int c = e - r * n;
                int di = cOff + r * ldc + c;
                float prev = 0f;
                if (acc != 0) {
                    prev = h.get(di);
                }
                h.set(di, prev + h.get(aOff + r * lda + c));
            }
        }
    }

    /** dst (m, n) at cOff ld ldc (+)= the transpose of src (n, m) at aOff ld lda. */
    public static void transpose(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            int acc = a.get(Launch.ACCUMULATE);
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int r = e / n;
                int c = e - r * n;
                int di = cOff + r * ldc + c;
                float prev = 0f;
                if (acc != 0) {
                    prev = h.get(di);
                }
                h.set(di, prev + h.get(aOff + c * lda + r));
            }
        }
    }

    /** pe (m, 3 + 6k) at cOff ld ldc from xyz (m, 3) at aOff; k frequencies; one element per point. */
    public static void frequencyEncode(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int k = a.get(Launch.K);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int aOff = a.get(Launch.A_OFF);
            for (int pt = ctx.globalIdx; pt < m; pt += ctx.globalGroupSizeX) {
                int o = cOff + pt * ldc;
                for (int i = 0; i < 3; i++) {
                    h.set(o + i, h.get(aOff + pt * 3 + i));
                }
                for (int fr = 0; fr < k; fr++) {
                    float w = ScalarKernels.band(fr);
                    for (int i = 0; i < 3; i++) {
                        float x = h.get(aOff + pt * 3 + i) * w;
                        h.set(o + 3 + 6 * fr + i, (float) Math.sin(x));
                        h.set(o + 6 + 6 * fr + i, (float) Math.cos(x));
                    }
                }
            }
        }
    }

    /** dXyz (m, 3) at cOff (+)= backward of the encoding from dOut at aOff ld lda and xyz at bOff. */
    public static void frequencyEncodeBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int k = a.get(Launch.K);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            int bOff = a.get(Launch.B_OFF);
            int acc = a.get(Launch.ACCUMULATE);
            for (int e = ctx.globalIdx; e < m * 3; e += ctx.globalGroupSizeX) {
                int pt = e / 3;
                int i = e - pt * 3;
                int o = aOff + pt * lda;
                float gr = h.get(o + i);
                for (int fr = 0; fr < k; fr++) {
                    float w = ScalarKernels.band(fr);
                    float x = h.get(bOff + pt * 3 + i) * w;
                    gr += w * ((float) Math.cos(x) * h.get(o + 3 + 6 * fr + i) - (float) Math.sin(x) * h.get(o + 6 + 6 * fr + i));
                }
                int di = cOff + pt * 3 + i;
                float prev = 0f;
                if (acc != 0) {
                    prev = h.get(di);
                }
                h.set(di, prev + gr);
            }
        }
    }

    /**
     * C (m, n) at cOff ld ldc (+)= op(A) op(B), forms NT, NN, TN as {@link StepKernel}'s gemm, k summed in increasing
     * order, with the optional fused bias + activation epilogue; one element of C per work-item (grid-stride).
     */
    public static void gemm(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int form = a.get(Launch.FORM);
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int k = a.get(Launch.K);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            int bOff = a.get(Launch.B_OFF);
            int ldb = a.get(Launch.LDB);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int acc = a.get(Launch.ACCUMULATE);
            int epilogue = a.get(Launch.EPILOGUE);
            int epiBiasOff = a.get(Launch.EPI_BIAS_OFF);
            int epiBiasStride = a.get(Launch.EPI_BIAS_STRIDE);
            int epiRowsPerBias = a.get(Launch.EPI_ROWS_PER_BIAS);
            int act = a.get(Launch.ACT);
            // A(i, q) = h[aOff + i aRow + q aDepth], B(q, j) = h[bOff + q bDepth + j bCol]
            int aRow = lda;
            int aDepth = 1;
            if (form == StepKernel.TN) {
                aRow = 1;
                aDepth = lda;
            }
            int bDepth = ldb;
            int bCol = 1;
            if (form == StepKernel.NT) {
                bDepth = 1;
                bCol = ldb;
            }
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int i = e / n;
                int j = e - i * n;
                int ai = aOff + i * aRow;
                int bj = bOff + j * bCol;
                float s = 0f;
                for (int q = 0; q < k; q++) {
                    s += h.get(ai + q * aDepth) * h.get(bj + q * bDepth);
                }
                int ci = cOff + i * ldc + j;
                float v = s;
                if (acc != 0) {
                    v = h.get(ci) + s;
                }
                if (epilogue != 0) {
                    v = v + h.get(epiBiasOff + (i / epiRowsPerBias) * epiBiasStride + j);
                    float ex = 0f;
                    if (Activation.needsExp(act)) {
                        ex = (float) Math.exp(Activation.negAbs(v));
                    }
                    v = Activation.applyGivenExp(act, v, ex);
                }
                h.set(ci, v);
            }
        }
    }

    /** y (m, n) at cOff ld ldc, in place; bias row (r / rowsPerGroup) at bOff, stride ldb. */
    public static void biasActivation(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int hasBias = a.get(Launch.HAS_BIAS);
            int bOff = a.get(Launch.B_OFF);
            int ldb = a.get(Launch.LDB);
            int rowsPerGroup = a.get(Launch.ROWS_PER_GROUP);
            int act = a.get(Launch.ACT);
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int r = e / n;
                int c = e - r * n;
                int i = cOff + r * ldc + c;
                float x = h.get(i);
                if (hasBias != 0) {
                    x = x + h.get(bOff + (r / rowsPerGroup) * ldb + c);
                }
                float ex = 0f;
                if (Activation.needsExp(act)) {
                    ex = (float) Math.exp(Activation.negAbs(x));
                }
                h.set(i, Activation.applyGivenExp(act, x, ex));
            }
        }
    }

    /** dx at cOff/ldc, dy at aOff/lda, y at bOff/ldb, all (m, n). */
    public static void activationBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int ldc = a.get(Launch.LDC);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            int bOff = a.get(Launch.B_OFF);
            int ldb = a.get(Launch.LDB);
            int act = a.get(Launch.ACT);
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int r = e / n;
                int c = e - r * n;
                h.set(cOff + r * ldc + c, Activation.backward(act, h.get(aOff + r * lda + c), h.get(bOff + r * ldb + c)));
            }
        }
    }

    /** out (m / rowsPerGroup, n) contiguous at cOff; d (m, n) at aOff ld lda; rows summed in increasing order. */
    public static void columnSums(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int lda = a.get(Launch.LDA);
            int rowsPerGroup = a.get(Launch.ROWS_PER_GROUP);
            int acc = a.get(Launch.ACCUMULATE);
            int groups = m / rowsPerGroup;
            for (int e = ctx.globalIdx; e < groups * n; e += ctx.globalGroupSizeX) {
                int gr = e / n;
                int c = e - gr * n;
                float s = 0f;
                int r0 = gr * rowsPerGroup;
                for (int r = r0; r < r0 + rowsPerGroup; r++) {
                    s += h.get(aOff + r * lda + c);
                }
                int oi = cOff + gr * n + c;
                float prev = 0f;
                if (acc != 0) {
                    prev = h.get(oi);
                }
                h.set(oi, prev + s);
            }
        }
    }

    /** Adam over n parameters: param at cOff, grad at aOff, m at bOff, v at dOff; beta1, beta2, eps in f0..f2. */
    public static void adam(KernelContext ctx, IntArray a, FloatArray in, FloatArray h, FloatArray fa) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int bOff = a.get(Launch.B_OFF);
            int dOff = a.get(Launch.D_OFF);
            int fb = a.get(INDEX) * Launch.FLOATS;
            float f0 = fa.get(fb + Launch.F0);
            float f1 = fa.get(fb + Launch.F1);
            float f2 = fa.get(fb + Launch.F2);
            int hy = a.get(HYPER);
            float f3 = in.get(hy);
            float f4 = in.get(hy + 1);
            for (int e = ctx.globalIdx; e < n; e += ctx.globalGroupSizeX) {
                float gr = h.get(aOff + e);
                float mi = f0 * h.get(bOff + e) + (1f - f0) * gr;
                float vi = f1 * h.get(dOff + e) + (1f - f1) * gr * gr;
                h.set(bOff + e, mi);
                h.set(dOff + e, vi);
                int pi = cOff + e;
                h.set(pi, ScalarKernels.adamParamGivenSqrt(h.get(pi), mi, (float) Math.sqrt(vi), f3, f4, f2));
            }
        }
    }

    /**
     * Compositing forward, one ray per element (as {@link StepKernel}'s: the alphas from the exponential, then
     * {@link RenderMath#compositeRayWeights} and {@link RenderMath#compositeRayFeatures} written out over the heap);
     * the background map at heap offset 0, ray r is pixel {@code (r + rayBase) mod pixels}.
     */
    public static void compositeForward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int rays = a.get(Launch.RAYS);
            int samples = a.get(Launch.SAMPLES);
            int channels = a.get(Launch.N);
            int pixels = a.get(Launch.PIXELS);
            int sigmaOff = a.get(Launch.SIGMA_OFF);
            int featOff = a.get(Launch.FEAT_OFF);
            int ldf = a.get(Launch.LDF);
            int deltaOff = a.get(Launch.DELTA_OFF);
            int tvalsOff = a.get(Launch.TVALS_OFF);
            int bgAlphaOff = a.get(Launch.BG_ALPHA_OFF);
            int mergedOff = a.get(Launch.MERGED_OFF);
            int aCache = a.get(CACHES) + a.get(Launch.CACHE_OFF);
            int tCache = a.get(CACHES + 1) + a.get(Launch.CACHE_OFF);
            int rayBase = a.get(Launch.RAY_BASE);
            for (int r = ctx.globalIdx; r < rays; r += ctx.globalGroupSizeX) {
                for (int s = r * samples; s < (r + 1) * samples; s++) {
                    float ex = (float) Math.exp(-h.get(sigmaOff + s) * h.get(deltaOff + s));
                    // RenderMath.alphaFromExp written out (a second task of a kernel that calls it failed to build)
                    h.set(aCache + s, 1f - ex);
                }
                // compositeRayWeights (no depth)
                float t = 1f;
                float wSum = 0f;
                for (int k = 0; k < samples; k++) {
                    int s = r * samples + k;
                    float al = h.get(aCache + s);
                    h.set(tCache + s, t);
                    float w = al * t;
                    wSum += w;
                    t = t * (1f - al + RenderKernels.TRANSMITTANCE_EPS);
                }
                h.set(bgAlphaOff + r, 1f - wSum);
                // compositeRayFeatures
                int pixel = (r + rayBase) % pixels;
                int mo = mergedOff + r * channels;
                for (int c = 0; c < channels; c++) {
                    h.set(mo + c, 0f);
                }
                for (int k = 0; k < samples; k++) {
                    int s = r * samples + k;
                    float w = h.get(aCache + s) * h.get(tCache + s);
                    int f = featOff + s * ldf;
                    for (int c = 0; c < channels; c++) {
                        h.set(mo + c, h.get(mo + c) + w * h.get(f + c));
                    }
                }
                float ba = h.get(bgAlphaOff + r);
                int bo = pixel * channels;
                for (int c = 0; c < channels; c++) {
                    h.set(mo + c, h.get(mo + c) + ba * h.get(bo + c));
                }
            }
        }
    }

    /**
     * Compositing backward, one ray per element (as {@link StepKernel}'s: feature backward, the alpha recurrence,
     * then sigma and delta per sample; no depth, no background gradient).
     */
    public static void compositeBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int rays = a.get(Launch.RAYS);
            int samples = a.get(Launch.SAMPLES);
            int channels = a.get(Launch.N);
            int pixels = a.get(Launch.PIXELS);
            int sigmaOff = a.get(Launch.SIGMA_OFF);
            int featOff = a.get(Launch.FEAT_OFF);
            int ldf = a.get(Launch.LDF);
            int deltaOff = a.get(Launch.DELTA_OFF);
            int tvalsOff = a.get(Launch.TVALS_OFF);
            int dSigmaOff = a.get(Launch.D_SIGMA_OFF);
            int dFeatOff = a.get(Launch.D_FEAT_OFF);
            int lddf = a.get(Launch.LDDF);
            int dDeltaOff = a.get(Launch.D_DELTA_OFF);
            int dMergedOff = a.get(Launch.D_MERGED_OFF);
            int aCache = a.get(CACHES) + a.get(Launch.CACHE_OFF);
            int tCache = a.get(CACHES + 1) + a.get(Launch.CACHE_OFF);
            int rayBase = a.get(Launch.RAY_BASE);
            for (int r = ctx.globalIdx; r < rays; r += ctx.globalGroupSizeX) {
                // compositeRayFeatureBackward (no depth gradient)
                int pixel = (r + rayBase) % pixels;
                int g = dMergedOff + r * channels;
                int bo = pixel * channels;
                float gb = 0f;
                for (int c = 0; c < channels; c++) {
                    gb += h.get(g + c) * h.get(bo + c);
                }
                float dd = 0f;
                for (int k = 0; k < samples; k++) {
                    int s = r * samples + k;
                    int f = featOff + s * ldf;
                    float gf = 0f;
                    for (int c = 0; c < channels; c++) {
                        gf += h.get(g + c) * h.get(f + c);
                    }
                    h.set(dSigmaOff + s, gf - gb + dd * h.get(tvalsOff + s));
                    float w = h.get(aCache + s) * h.get(tCache + s);
                    int df = dFeatOff + s * lddf;
                    for (int c = 0; c < channels; c++) {
                        h.set(df + c, w * h.get(g + c));
                    }
                }
                // compositeRayAlphaBackward
                float suffix = 0f;
                for (int k = samples - 1; k >= 0; k--) {
                    int s = r * samples + k;
                    float gk = h.get(dSigmaOff + s);
                    float al = h.get(aCache + s);
                    h.set(dSigmaOff + s, h.get(tCache + s) * (gk - suffix));
                    suffix = gk * al + (1f - al + RenderKernels.TRANSMITTANCE_EPS) * suffix;
                }
                for (int s = r * samples; s < (r + 1) * samples; s++) {
                    float ex = (float) Math.exp(-h.get(sigmaOff + s) * h.get(deltaOff + s));
                    float dAlpha = h.get(dSigmaOff + s);
                    h.set(dDeltaOff + s, dAlpha * h.get(sigmaOff + s) * ex);
                    // compositeSampleBackward without dDelta
                    h.set(dSigmaOff + s, dAlpha * h.get(deltaOff + s) * ex);
                }
            }
        }
    }

    /** dBg (pixels, n) at cOff += over the images (increasing) of dMap at aOff times bgAlpha at bOff. */
    public static void compositeBgBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int pixels = a.get(Launch.PIXELS);
            int images = a.get(Launch.IMAGES);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int bOff = a.get(Launch.B_OFF);
            for (int e = ctx.globalIdx; e < pixels * n; e += ctx.globalGroupSizeX) {
                int p = e / n;
                int c = e - p * n;
                float v = h.get(cOff + e);
                for (int img = 0; img < images; img++) {
                    int r = img * pixels + p;
                    v += h.get(aOff + r * n + c) * h.get(bOff + r);
                }
                h.set(cOff + e, v);
            }
        }
    }

    /** The eye rotation (form 0: v R; form 1: dIn (+)= dOut R^T), one channel triplet per element. */
    public static void rotateTriplets(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int bOff = a.get(Launch.B_OFF);
            int rowsPerGroup = a.get(Launch.ROWS_PER_GROUP);
            int form = a.get(Launch.FORM);
            int acc = a.get(Launch.ACCUMULATE);
            int triplets = n / 3;
            int rs = 3 - 2 * form;
            int cs = 1 + 2 * form;
            for (int e = ctx.globalIdx; e < m * triplets; e += ctx.globalGroupSizeX) {
                int row = e / triplets;
                int j = (e - row * triplets) * 3;
                int ro = bOff + 9 * (row / rowsPerGroup);
                int o = row * n + j;
                float v0 = h.get(aOff + o);
                float v1 = h.get(aOff + o + 1);
                float v2 = h.get(aOff + o + 2);
                // form 0: out_j = sum_i v_i R[3i + j]; form 1: dIn_j = sum_i v_i R[3j + i] (the same products
                // in the same order as StepKernel's two branches, as strides: no branch, which PoCL 3.1 crashed on)
                float d0 = v0 * h.get(ro) + v1 * h.get(ro + rs) + v2 * h.get(ro + 2 * rs);
                float d1 = v0 * h.get(ro + cs) + v1 * h.get(ro + rs + cs) + v2 * h.get(ro + 2 * rs + cs);
                float d2 = v0 * h.get(ro + 2 * cs) + v1 * h.get(ro + rs + 2 * cs) + v2 * h.get(ro + 2 * rs + 2 * cs);
                if (acc != 0) {
                    d0 = h.get(cOff + o) + d0;
                    d1 = h.get(cOff + o + 1) + d1;
                    d2 = h.get(cOff + o + 2) + d2;
                }
                h.set(cOff + o, d0);
                h.set(cOff + o + 1, d1);
                h.set(cOff + o + 2, d2);
            }
        }
    }

    /** out at cOff = max(a at aOff, b at bOff), n elements. */
    public static void maxForward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int bOff = a.get(Launch.B_OFF);
            for (int e = ctx.globalIdx; e < n; e += ctx.globalGroupSizeX) {
                h.set(cOff + e, Math.max(h.get(aOff + e), h.get(bOff + e)));
            }
        }
    }

    /** dA at cOff, dB at dOff (+)= the max's gradients from dOut at q0 ({@link RenderMath#maxGradA}). */
    public static void maxBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int dOff = a.get(Launch.D_OFF);
            int q0 = a.get(Launch.Q0);
            int aOff = a.get(Launch.A_OFF);
            int bOff = a.get(Launch.B_OFF);
            int acc = a.get(Launch.ACCUMULATE);
            for (int e = ctx.globalIdx; e < n; e += ctx.globalGroupSizeX) {
                float g = h.get(q0 + e);
                float av = h.get(aOff + e);
                float bv = h.get(bOff + e);
                float ga = RenderMath.maxGradA(g, av, bv);
                float gb = RenderMath.maxGradA(g, bv, av);
                if (acc != 0) {
                    ga = h.get(cOff + e) + ga;
                    gb = h.get(dOff + e) + gb;
                }
                h.set(cOff + e, ga);
                h.set(dOff + e, gb);
            }
        }
    }

    /** out (m, k n) at cOff = y (m, k n) at aOff + x (m, n) at bOff repeated k times along the channels. */
    public static void repeatAdd(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int k = a.get(Launch.K);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int bOff = a.get(Launch.B_OFF);
            int wide = n * k;
            for (int e = ctx.globalIdx; e < m * wide; e += ctx.globalGroupSizeX) {
                int r = e / wide;
                int q = e - r * wide;
                int c = q % n;
                h.set(cOff + e, h.get(aOff + e) + h.get(bOff + r * n + c));
            }
        }
    }

    /** dX (m, n) at cOff (+)= sum over the k repeats (increasing) of dOut (m, k n) at aOff. */
    public static void repeatAddBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int m = a.get(Launch.M);
            int n = a.get(Launch.N);
            int k = a.get(Launch.K);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int acc = a.get(Launch.ACCUMULATE);
            for (int e = ctx.globalIdx; e < m * n; e += ctx.globalGroupSizeX) {
                int r = e / n;
                int c = e - r * n;
                int o = aOff + r * n * k + c;
                float s = 0f;
                for (int q = 0; q < k; q++) {
                    s += h.get(o + q * n);
                }
                int di = cOff + e;
                if (acc != 0) {
                    s = h.get(di) + s;
                }
                h.set(di, s);
            }
        }
    }

    /** x2 pixel shuffle: out (images, 2H, 2W, n) at cOff from in (images, H, W, 4n) at aOff. */
    public static void pixelShuffle(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int images = a.get(Launch.IMAGES);
            int height = a.get(Launch.HEIGHT);
            int width = a.get(Launch.WIDTH);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int w2 = 2 * width;
            int h2 = 2 * height;
            for (int e = ctx.globalIdx; e < images * h2 * w2 * n; e += ctx.globalGroupSizeX) {
                int c = e % n;
                int pix = e / n;
                int ox = pix % w2;
                int t = pix / w2;
                int oy = t % h2;
                int img = t / h2;
                int i = ((img * height + oy / 2) * width + ox / 2) * 4 * n + 2 * (oy % 2) + (ox % 2);
                h.set(cOff + e, h.get(aOff + i + 4 * c));
            }
        }
    }

    /** Shuffle backward: dIn (images, H, W, 4n) at cOff (+)= dOut (images, 2H, 2W, n) at aOff. */
    public static void shuffleBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int images = a.get(Launch.IMAGES);
            int height = a.get(Launch.HEIGHT);
            int width = a.get(Launch.WIDTH);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int acc = a.get(Launch.ACCUMULATE);
            int n4 = 4 * n;
            for (int e = ctx.globalIdx; e < images * height * width * n4; e += ctx.globalGroupSizeX) {
                int q = e % n4;
                int pix = e / n4;
                int w = pix % width;
                int t = pix / width;
                int hh = t % height;
                int img = t / height;
                int c = q / 4;
                int i = (q % 4) / 2;
                int j = q % 2;
                float v = h.get(aOff + ((img * 2 * height + 2 * hh + i) * 2 * width + 2 * w + j) * n + c);
                if (acc != 0) {
                    v = h.get(cOff + e) + v;
                }
                h.set(cOff + e, v);
            }
        }
    }

    /** Reflected index of the blur's border. */
    private static int reflectIndex(int i, int len) {
        int r = i;
        if (r < 0) {
            r = -r;
        }
        if (r >= len) {
            r = 2 * len - 2 - r;
        }
        return r;
    }

    /** 3x3 [1,2,1]^2/16 blur with reflect border, out at cOff from in at aOff, both (images, H, W, n). */
    public static void blur(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int images = a.get(Launch.IMAGES);
            int height = a.get(Launch.HEIGHT);
            int width = a.get(Launch.WIDTH);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            for (int e = ctx.globalIdx; e < images * height * width * n; e += ctx.globalGroupSizeX) {
                int c = e % n;
                int pix = e / n;
                int ox = pix % width;
                int t = pix / width;
                int oy = t % height;
                int img = t / height;
                float s = 0f;
                for (int dy = -1; dy <= 1; dy++) {
                    int y = reflectIndex(oy + dy, height);
                    float ta = 1f;
                    if (dy == 0) {
                        ta = 2f;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int x = reflectIndex(ox + dx, width);
                        float tb = 1f;
                        if (dx == 0) {
                            tb = 2f;
                        }
                        s += ta * tb * 0.0625f * h.get(aOff + ((img * height + y) * width + x) * n + c);
                    }
                }
                h.set(cOff + e, s);
            }
        }
    }

    /** Unnormalized weight with which index i feeds output o of a len-long axis through the reflected [1,2,1] taps. */
    private static float blurAdjoint(int o, int i, int len) {
        float w = 0f;
        for (int d = -1; d <= 1; d++) {
            int j = reflectIndex(o + d, len);
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

    /** Blur backward: dIn at cOff (+)= gathered from dOut at aOff. */
    public static void blurBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int images = a.get(Launch.IMAGES);
            int height = a.get(Launch.HEIGHT);
            int width = a.get(Launch.WIDTH);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int acc = a.get(Launch.ACCUMULATE);
            for (int e = ctx.globalIdx; e < images * height * width * n; e += ctx.globalGroupSizeX) {
                int c = e % n;
                int pix = e / n;
                int ix = pix % width;
                int t = pix / width;
                int iy = t % height;
                int img = t / height;
                float s = 0f;
                if (acc != 0) {
                    s = h.get(cOff + e);
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
                            s += w * h.get(aOff + ((img * height + oy) * width + ox) * n + c);
                        }
                    }
                }
                h.set(cOff + e, s);
            }
        }
    }

    /** Bilinear x2 (align_corners=False): out (images, 2H, 2W, n) at cOff from in (images, H, W, n) at aOff. */
    public static void upsampleBilinear(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int images = a.get(Launch.IMAGES);
            int height = a.get(Launch.HEIGHT);
            int width = a.get(Launch.WIDTH);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int w2 = 2 * width;
            int h2 = 2 * height;
            for (int e = ctx.globalIdx; e < images * h2 * w2 * n; e += ctx.globalGroupSizeX) {
                int c = e % n;
                int pix = e / n;
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
                float v00 = h.get(aOff + (base + y0 * width + x0) * n + c);
                float v01 = h.get(aOff + (base + y0 * width + x1) * n + c);
                float v10 = h.get(aOff + (base + y1 * width + x0) * n + c);
                float v11 = h.get(aOff + (base + y1 * width + x1) * n + c);
                h.set(cOff + e, ly0 * (lx0 * v00 + lx1 * v01) + ly1 * (lx0 * v10 + lx1 * v11));
            }
        }
    }

    /** Upsampling backward: dIn (images, H, W, n) at cOff (+)= taps gathered from dOut at aOff. */
    public static void upsampleBackward(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int images = a.get(Launch.IMAGES);
            int height = a.get(Launch.HEIGHT);
            int width = a.get(Launch.WIDTH);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int acc = a.get(Launch.ACCUMULATE);
            for (int e = ctx.globalIdx; e < images * height * width * n; e += ctx.globalGroupSizeX) {
                int c = e % n;
                int pix = e / n;
                int ix = pix % width;
                int t = pix / width;
                int iy = t % height;
                int img = t / height;
                float s = 0f;
                if (acc != 0) {
                    s = h.get(cOff + e);
                }
                int oyEnd = Math.min(2 * height - 1, 2 * iy + 2);
                int oxEnd = Math.min(2 * width - 1, 2 * ix + 2);
                for (int oy = Math.max(0, 2 * iy - 2); oy <= oyEnd; oy++) {
                    float wy = RenderMath.bilinearTapWeight(oy, iy, height);
                    for (int ox = Math.max(0, 2 * ix - 2); ox <= oxEnd; ox++) {
                        float wx = RenderMath.bilinearTapWeight(ox, ix, width);
                        float w = wy * wx;
                        if (w != 0f) {
                            s += w * h.get(aOff + ((img * 2 * height + oy) * 2 * width + ox) * n + c);
                        }
                    }
                }
                h.set(cOff + e, s);
            }
        }
    }

    private static float signOf(float d) {
        float s = 0f;
        if (d > 0f) {
            s = 1f;
        }
        if (d < 0f) {
            s = -1f;
        }
        return s;
    }

    /** The masked image terms of the trainer's loss, as {@link StepKernel}'s reconLoss (see there). */
    public static void reconLoss(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int q5 = a.get(Launch.Q5);
            int q6 = a.get(Launch.Q6);
            int featOff = a.get(Launch.FEAT_OFF);
            int aOff = a.get(Launch.A_OFF);
            int bOff = a.get(Launch.B_OFF);
            int dOff = a.get(Launch.D_OFF);
            int q0 = a.get(Launch.Q0);
            int q1 = a.get(Launch.Q1);
            int q2 = a.get(Launch.Q2);
            int q3 = a.get(Launch.Q3);
            int q4 = a.get(Launch.Q4);
            int l1 = a.get(Launch.FORM);
            for (int kk = ctx.globalIdx; kk < n; kk += ctx.globalGroupSizeX) {
                int px = kk / 3;
                boolean head = h.get(q1 + px) >= 0.5f;
                boolean eye = h.get(q2 + px) >= 0.5f || h.get(q3 + px) >= 0.5f;
                float gt = h.get(q0 + kk);
                float dm = 0f;
                float df = 0f;
                float de = 0f;
                float tHead = 0f;
                float tFace = 0f;
                float tEyes = 0f;
                float tNon = 0f;
                if (head) {
                    float d = h.get(aOff + kk) - gt;
                    if (l1 == 1) {
                        tHead = Math.abs(d);
                        dm = h.get(q4) * signOf(d);
                    } else {
                        tHead = d * d;
                        dm = h.get(q4) * 2f * d;
                    }
                    if (!eye) {
                        float ef = h.get(bOff + kk) - gt;
                        if (l1 == 1) {
                            tFace = Math.abs(ef);
                            df = h.get(q4 + 1) * signOf(ef);
                        } else {
                            tFace = ef * ef;
                            df = h.get(q4 + 1) * 2f * ef;
                        }
                    }
                } else {
                    float d = h.get(aOff + kk) - 1f;
                    tNon = d * d;
                    dm = h.get(q4 + 3) * 2f * d;
                }
                if (eye) {
                    float ee = h.get(dOff + kk) - gt;
                    if (l1 == 1) {
                        tEyes = Math.abs(ee);
                        de = h.get(q4 + 2) * signOf(ee);
                    } else {
                        tEyes = ee * ee;
                        de = h.get(q4 + 2) * 2f * ee;
                    }
                }
                h.set(cOff + kk, dm);
                h.set(q5 + kk, df);
                h.set(q6 + kk, de);
                int t = featOff + kk * 5;
                h.set(t, tHead);
                h.set(t + 1, tFace);
                h.set(t + 2, tEyes);
                h.set(t + 3, tNon);
            }
        }
    }

    /** Background term: dBg at cOff = f0 2 (bg - 1), term (bg - 1)^2 into column 4 of the table at featOff. */
    public static void backgroundLoss(KernelContext ctx, IntArray a, FloatArray in, FloatArray h, FloatArray fa) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            int featOff = a.get(Launch.FEAT_OFF);
            float f0 = fa.get(a.get(INDEX) * Launch.FLOATS + Launch.F0);
            for (int kk = ctx.globalIdx; kk < n; kk += ctx.globalGroupSizeX) {
                float d = h.get(aOff + kk) - 1f;
                h.set(cOff + kk, f0 * 2f * d);
                h.set(featOff + kk * 5 + 4, d * d);
            }
        }
    }

    /** Sets heap[cOff] to 1 when one of the n floats at aOff is NaN or infinite. */
    public static void nonFinite(KernelContext ctx, IntArray a, FloatArray in, FloatArray h) {
        if (runs(a, in)) {
            int n = a.get(Launch.N);
            int cOff = a.get(Launch.C_OFF);
            int aOff = a.get(Launch.A_OFF);
            for (int e = ctx.globalIdx; e < n; e += ctx.globalGroupSizeX) {
                float x = h.get(aOff + e);
                float z = x - x;
                if (z != z) {
                    h.set(cOff, 1f);
                }
            }
        }
    }
}
