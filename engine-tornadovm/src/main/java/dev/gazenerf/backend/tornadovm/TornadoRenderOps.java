package dev.gazenerf.backend.tornadovm;

import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.RenderMath;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The {@link RenderKernels} primitives as TornadoVM kernels: static methods over TornadoVM's off-heap
 * {@link FloatArray}s, one work-item per ray, pixel, row or element ({@link KernelContext#globalIdx}).
 *
 * <p>Each kernel is the loop body of {@link dev.gazenerf.render.ScalarRenderKernels} for its work-item, written
 * over {@code FloatArray} (the per-ray and per-pixel helpers of {@link RenderMath} take {@code float[]}, which
 * a TornadoVM kernel over off-heap arrays cannot pass them), with the same loop orders and the same float
 * expressions; the scalar leaf helpers of {@link RenderMath} ({@link RenderMath#alphaFromExp},
 * {@link RenderMath#maxGradA}, {@link RenderMath#bilinearTapWeight}, {@link RenderMath#reflect},
 * {@link RenderMath#blurTap}, {@link RenderMath#blurAdjointWeight}, {@link RenderMath#firstRayOfPixel}) are
 * called as they are (the upsampling writes {@code bilinearIndex/Upper/Lambda} out, see there). The differences from scalar are the device's rounding (fused multiply-add, its exp)
 * and, in the rotation's angle gradient, per-block partial sums stored as float (scalar keeps them in double).
 *
 * <p>All buffers start at the operand's offset (the host copies spans), so the kernels see offset 0; sizes
 * travel in {@code p}. Grids are rounded up to the work-group size, so each kernel checks its index first.
 */
public final class TornadoRenderOps {
    private TornadoRenderOps() {
    }

    // ---------------------------------------------------------------- compositing

    /** Layout of {@code p} for the compositing kernels. */
    static final int C_RAYS = 0, C_SAMPLES = 1, C_CHANNELS = 2, C_PIXELS = 3, C_FIRST = 4, C_LDF = 5,
            C_HAS_DEPTH = 6, C_LDDF = 7, C_HAS_DDEPTH = 8, C_HAS_DDELTA = 9, C_PARAMS = 10;

    /**
     * Forward compositing of one ray (see {@link RenderKernels#compositeForward}): alphas, then T, bgAlpha and
     * depth ({@code RenderMath.compositeRayWeights}), then the merged features ({@code compositeRayFeatures}).
     */
    public static void compositeForward(KernelContext context, IntArray p, FloatArray merged, FloatArray depth,
                                        FloatArray bgAlpha, FloatArray alpha, FloatArray trans, FloatArray sigma,
                                        FloatArray feat, FloatArray delta, FloatArray tvals, FloatArray bg) {
        int r = context.globalIdx;
        if (r < p.get(C_RAYS)) {
            int samples = p.get(C_SAMPLES);
            int channels = p.get(C_CHANNELS);
            int ldf = p.get(C_LDF);
            int pixel = (p.get(C_FIRST) + r) % p.get(C_PIXELS);
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                alpha.set(s, RenderMath.alphaFromExp((float) Math.exp(-sigma.get(s) * delta.get(s))));
            }
            float t = 1f;
            float wSum = 0f;
            float d = 0f;
            for (int k = 0; k < samples; k++) {
                int s = r * samples + k;
                float a = alpha.get(s);
                trans.set(s, t);
                float w = a * t;
                wSum += w;
                d += w * tvals.get(s);
                t = t * (1f - a + RenderKernels.TRANSMITTANCE_EPS);
            }
            bgAlpha.set(r, 1f - wSum);
            if (p.get(C_HAS_DEPTH) != 0) {
                depth.set(r, d);
            }
            int m = r * channels;
            for (int c = 0; c < channels; c++) {
                merged.set(m + c, 0f);
            }
            for (int k = 0; k < samples; k++) {
                int s = r * samples + k;
                float w = alpha.get(s) * trans.get(s);
                int f = s * ldf;
                for (int c = 0; c < channels; c++) {
                    merged.set(m + c, merged.get(m + c) + w * feat.get(f + c));
                }
            }
            float ba = bgAlpha.get(r);
            int b = pixel * channels;
            for (int c = 0; c < channels; c++) {
                merged.set(m + c, merged.get(m + c) + ba * bg.get(b + c));
            }
        }
    }

    /**
     * Backward compositing of one ray (see {@link RenderKernels#compositeBackward}): {@code G_k} and dFeat
     * ({@code RenderMath.compositeRayFeatureBackward}), the suffix recurrence to dL/dalpha
     * ({@code compositeRayAlphaBackward}), then dSigma and dDelta ({@code compositeSampleBackward}).
     */
    public static void compositeBackward(KernelContext context, IntArray p, FloatArray dSigma, FloatArray dFeat,
                                         FloatArray dDelta, FloatArray dMerged, FloatArray dDepth,
                                         FloatArray alpha, FloatArray trans, FloatArray sigma, FloatArray feat,
                                         FloatArray delta, FloatArray tvals, FloatArray bg) {
        int r = context.globalIdx;
        if (r < p.get(C_RAYS)) {
            int samples = p.get(C_SAMPLES);
            int channels = p.get(C_CHANNELS);
            int ldf = p.get(C_LDF);
            int lddf = p.get(C_LDDF);
            int pixel = (p.get(C_FIRST) + r) % p.get(C_PIXELS);
            int g = r * channels;
            int b = pixel * channels;
            float gb = 0f;
            for (int c = 0; c < channels; c++) {
                gb += dMerged.get(g + c) * bg.get(b + c);
            }
            float dd = p.get(C_HAS_DDEPTH) != 0 ? dDepth.get(r) : 0f;
            for (int k = 0; k < samples; k++) {
                int s = r * samples + k;
                int f = s * ldf;
                float gf = 0f;
                for (int c = 0; c < channels; c++) {
                    gf += dMerged.get(g + c) * feat.get(f + c);
                }
                dSigma.set(s, gf - gb + dd * tvals.get(s));
                float w = alpha.get(s) * trans.get(s);
                int df = s * lddf;
                for (int c = 0; c < channels; c++) {
                    dFeat.set(df + c, w * dMerged.get(g + c));
                }
            }
            float suffix = 0f;
            for (int k = samples - 1; k >= 0; k--) {
                int s = r * samples + k;
                float gk = dSigma.get(s);
                float a = alpha.get(s);
                dSigma.set(s, trans.get(s) * (gk - suffix));
                suffix = gk * a + (1f - a + RenderKernels.TRANSMITTANCE_EPS) * suffix;
            }
            boolean hasDDelta = p.get(C_HAS_DDELTA) != 0;
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                float e = (float) Math.exp(-sigma.get(s) * delta.get(s));
                float dAlpha = dSigma.get(s);
                dSigma.set(s, dAlpha * delta.get(s) * e);
                if (hasDDelta) {
                    dDelta.set(s, dAlpha * sigma.get(s) * e);
                }
            }
        }
    }

    /**
     * Background gradient of one pixel ({@code RenderMath.compositePixelBgBackward}): {@code dBg[p, :] +=} the
     * sum over the rays of pixel p, in increasing ray order, of {@code dMerged[r, :] * bgAlpha[r]}.
     */
    public static void compositeBgBackward(KernelContext context, IntArray p, FloatArray dBg, FloatArray dMerged,
                                           FloatArray bgAlpha) {
        int px = context.globalIdx;
        int pixels = p.get(C_PIXELS);
        if (px < pixels) {
            int rays = p.get(C_RAYS);
            int channels = p.get(C_CHANNELS);
            int b = px * channels;
            for (int r = RenderMath.firstRayOfPixel(px, pixels, p.get(C_FIRST)); r < rays; r += pixels) {
                float ba = bgAlpha.get(r);
                int g = r * channels;
                for (int c = 0; c < channels; c++) {
                    dBg.set(b + c, dBg.get(b + c) + dMerged.get(g + c) * ba);
                }
            }
        }
    }

    // ---------------------------------------------------------------- rotation and max merge

    /** Layout of {@code p} for the rotation kernels. */
    static final int R_IMAGES = 0, R_PIXELS = 1, R_CHANNELS = 2, R_ACC = 3, R_BLOCKS = 4, R_PARAMS = 5;

    /**
     * One pixel row of the eye-feature rotation ({@code RenderMath.rotateRow}) with the row-major 3x3 matrix of
     * its image at {@code rot[9n..]} (computed on the host by {@link RenderMath#rotationMatrix}).
     */
    public static void rotateForward(KernelContext context, IntArray p, FloatArray out, FloatArray in, FloatArray rot) {
        int row = context.globalIdx;
        int pixels = p.get(R_PIXELS);
        if (row < p.get(R_IMAGES) * pixels) {
            int channels = p.get(R_CHANNELS);
            int m = 9 * (row / pixels);
            int o = row * channels;
            for (int j = 0; j < channels; j += 3) {
                float v0 = in.get(o + j);
                float v1 = in.get(o + j + 1);
                float v2 = in.get(o + j + 2);
                out.set(o + j, v0 * rot.get(m) + v1 * rot.get(m + 3) + v2 * rot.get(m + 6));
                out.set(o + j + 1, v0 * rot.get(m + 1) + v1 * rot.get(m + 4) + v2 * rot.get(m + 7));
                out.set(o + j + 2, v0 * rot.get(m + 2) + v1 * rot.get(m + 5) + v2 * rot.get(m + 8));
            }
        }
    }

    /** Backward of one pixel row to the input ({@code RenderMath.rotateRowBackward}): {@code dv (+)= dOut R^T}. */
    public static void rotateBackwardRows(KernelContext context, IntArray p, FloatArray dIn, FloatArray dOut,
                                          FloatArray rot) {
        int row = context.globalIdx;
        int pixels = p.get(R_PIXELS);
        if (row < p.get(R_IMAGES) * pixels) {
            int channels = p.get(R_CHANNELS);
            boolean accumulate = p.get(R_ACC) != 0;
            int m = 9 * (row / pixels);
            int o = row * channels;
            for (int j = 0; j < channels; j += 3) {
                float g0 = dOut.get(o + j);
                float g1 = dOut.get(o + j + 1);
                float g2 = dOut.get(o + j + 2);
                float d0 = g0 * rot.get(m) + g1 * rot.get(m + 1) + g2 * rot.get(m + 2);
                float d1 = g0 * rot.get(m + 3) + g1 * rot.get(m + 4) + g2 * rot.get(m + 5);
                float d2 = g0 * rot.get(m + 6) + g1 * rot.get(m + 7) + g2 * rot.get(m + 8);
                if (accumulate) {
                    dIn.set(o + j, dIn.get(o + j) + d0);
                    dIn.set(o + j + 1, dIn.get(o + j + 1) + d1);
                    dIn.set(o + j + 2, dIn.get(o + j + 2) + d2);
                } else {
                    dIn.set(o + j, d0);
                    dIn.set(o + j + 1, d1);
                    dIn.set(o + j + 2, d2);
                }
            }
        }
    }

    /**
     * One block of {@link RenderMath#ROTATE_BLOCK} pixel rows of image n ({@code RenderMath.rotateBlockGradR}):
     * {@code partial[9 (n*blocks + b) + 3i + m] = sum over rows and triplets of in[row, 3j+i] dOut[row, 3j+m]},
     * summed in double in increasing order, stored as float. One work-item per (image, block).
     */
    public static void rotateBlockGradR(KernelContext context, IntArray p, FloatArray partial, FloatArray in,
                                        FloatArray dOut) {
        int id = context.globalIdx;
        int blocks = p.get(R_BLOCKS);
        if (id < p.get(R_IMAGES) * blocks) {
            int pixels = p.get(R_PIXELS);
            int channels = p.get(R_CHANNELS);
            int n = id / blocks;
            int b = id - n * blocks;
            int start = n * pixels + b * RenderMath.ROTATE_BLOCK;
            int end = n * pixels + Math.min(pixels, (b + 1) * RenderMath.ROTATE_BLOCK);
            for (int i = 0; i < 3; i++) {
                for (int m = 0; m < 3; m++) {
                    double s = 0.0;
                    for (int row = start; row < end; row++) {
                        int o = row * channels;
                        for (int j = 0; j < channels; j += 3) {
                            s += (double) in.get(o + j + i) * dOut.get(o + j + m);
                        }
                    }
                    partial.set(9 * id + 3 * i + m, (float) s);
                }
            }
        }
    }

    /** Layout of {@code p} for the elementwise max kernels. */
    static final int M_N = 0, M_ACC = 1, M_PARAMS = 2;

    /**
     * {@code out[i] = max(a[i], b[i])} with Java's {@link Math#max} semantics written out (OpenCL's fmax may
     * return either zero of a {@code (+0, -0)} pair and ignores NaN): NaN wins, {@code max(+0, -0) = +0}
     * (the sum of two zeros is -0 only when both are).
     */
    public static void maxForward(KernelContext context, IntArray p, FloatArray out, FloatArray a, FloatArray b) {
        int i = context.globalIdx;
        if (i < p.get(M_N)) {
            float x = a.get(i);
            float y = b.get(i);
            float m;
            if (x != x || y != y) {
                m = x + y;
            } else if (x > y) {
                m = x;
            } else if (y > x) {
                m = y;
            } else if (x == 0f) {
                m = x + y;
            } else {
                m = x;
            }
            out.set(i, m);
        }
    }

    /** Backward of the max merge through {@link RenderMath#maxGradA} (ties split the gradient). */
    public static void maxBackward(KernelContext context, IntArray p, FloatArray dA, FloatArray dB, FloatArray dOut,
                                   FloatArray a, FloatArray b) {
        int i = context.globalIdx;
        if (i < p.get(M_N)) {
            float g = dOut.get(i);
            float ga = RenderMath.maxGradA(g, a.get(i), b.get(i));
            float gb = RenderMath.maxGradA(g, b.get(i), a.get(i));
            if (p.get(M_ACC) != 0) {
                dA.set(i, dA.get(i) + ga);
                dB.set(i, dB.get(i) + gb);
            } else {
                dA.set(i, ga);
                dB.set(i, gb);
            }
        }
    }

    // ---------------------------------------------------------------- neural renderer pieces

    /** Layout of {@code p} for the feature-map kernels: the input map's sizes, accumulate, repeats. */
    static final int F_IMAGES = 0, F_HEIGHT = 1, F_WIDTH = 2, F_CHANNELS = 3, F_ACC = 4, F_REPEATS = 5, F_PARAMS = 6;

    /** Output pixel (n, oy, ox) of the x2 pixel shuffle ({@code RenderMath.shufflePixel}). */
    public static void pixelShuffleForward(KernelContext context, IntArray p, FloatArray out, FloatArray in) {
        int id = context.globalIdx;
        int height = p.get(F_HEIGHT);
        int width = p.get(F_WIDTH);
        if (id < p.get(F_IMAGES) * 4 * height * width) {
            int channels = p.get(F_CHANNELS);
            int ox = id % (2 * width);
            int oy = (id / (2 * width)) % (2 * height);
            int n = id / (4 * height * width);
            int o = id * channels;
            int i = ((n * height + oy / 2) * width + ox / 2) * 4 * channels + 2 * (oy % 2) + (ox % 2);
            for (int c = 0; c < channels; c++) {
                out.set(o + c, in.get(i + 4 * c));
            }
        }
    }

    /** Input pixel (n, h, w) of the shuffle's backward ({@code RenderMath.shufflePixelBackward}). */
    public static void pixelShuffleBackward(KernelContext context, IntArray p, FloatArray dIn, FloatArray dOut) {
        int id = context.globalIdx;
        int height = p.get(F_HEIGHT);
        int width = p.get(F_WIDTH);
        if (id < p.get(F_IMAGES) * height * width) {
            int channels = p.get(F_CHANNELS);
            boolean accumulate = p.get(F_ACC) != 0;
            int w = id % width;
            int h = (id / width) % height;
            int n = id / (height * width);
            int d = id * 4 * channels;
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    int o = ((n * 2 * height + 2 * h + i) * 2 * width + 2 * w + j) * channels;
                    for (int c = 0; c < channels; c++) {
                        int di = d + 4 * c + 2 * i + j;
                        dIn.set(di, accumulate ? dIn.get(di) + dOut.get(o + c) : dOut.get(o + c));
                    }
                }
            }
        }
    }

    /** One row of the channel-repeat residual ({@code RenderMath.repeatAddRow}); rows in {@code F_IMAGES}. */
    public static void repeatAddForward(KernelContext context, IntArray p, FloatArray out, FloatArray y, FloatArray x) {
        int r = context.globalIdx;
        if (r < p.get(F_IMAGES)) {
            int channels = p.get(F_CHANNELS);
            int repeats = p.get(F_REPEATS);
            int o = r * channels * repeats;
            int xi = r * channels;
            for (int q = 0; q < repeats; q++) {
                for (int c = 0; c < channels; c++) {
                    out.set(o + q * channels + c, y.get(o + q * channels + c) + x.get(xi + c));
                }
            }
        }
    }

    /** One row of the residual's backward ({@code RenderMath.repeatAddRowBackward}), q increasing. */
    public static void repeatAddBackward(KernelContext context, IntArray p, FloatArray dX, FloatArray dOut) {
        int r = context.globalIdx;
        if (r < p.get(F_IMAGES)) {
            int channels = p.get(F_CHANNELS);
            int repeats = p.get(F_REPEATS);
            boolean accumulate = p.get(F_ACC) != 0;
            int o = r * channels * repeats;
            int xi = r * channels;
            for (int c = 0; c < channels; c++) {
                float s = 0f;
                for (int q = 0; q < repeats; q++) {
                    s += dOut.get(o + q * channels + c);
                }
                dX.set(xi + c, accumulate ? dX.get(xi + c) + s : s);
            }
        }
    }

    /** Output pixel (n, oy, ox) of the bilinear x2 upsampling ({@code RenderMath.upsamplePixel}). */
    public static void upsampleForward(KernelContext context, IntArray p, FloatArray out, FloatArray in) {
        int id = context.globalIdx;
        int height = p.get(F_HEIGHT);
        int width = p.get(F_WIDTH);
        if (id < p.get(F_IMAGES) * 4 * height * width) {
            int channels = p.get(F_CHANNELS);
            int ox = id % (2 * width);
            int oy = (id / (2 * width)) % (2 * height);
            int n = id / (4 * height * width);
            // RenderMath.bilinearIndex / bilinearUpper / bilinearLambda written out (the same float expressions):
            // with six helper calls in one kernel TornadoVM 5.2.0 intermittently failed to build this kernel
            // (a hang in its callee analysis, once an OpenCL build error), see the README.
            float sy = 0.5f * (oy + 0.5f) - 0.5f;
            sy = sy < 0f ? 0f : sy;
            int iy = (int) sy;
            int y0 = iy < height - 1 ? iy : height - 1;
            int y1 = iy < height - 1 ? iy + 1 : height - 1;
            float ly1 = sy - y0;
            float ly0 = 1f - ly1;
            float sx = 0.5f * (ox + 0.5f) - 0.5f;
            sx = sx < 0f ? 0f : sx;
            int ix = (int) sx;
            int x0 = ix < width - 1 ? ix : width - 1;
            int x1 = ix < width - 1 ? ix + 1 : width - 1;
            float lx1 = sx - x0;
            float lx0 = 1f - lx1;
            int base = n * height * width;
            int i00 = (base + y0 * width + x0) * channels;
            int i01 = (base + y0 * width + x1) * channels;
            int i10 = (base + y1 * width + x0) * channels;
            int i11 = (base + y1 * width + x1) * channels;
            int o = id * channels;
            for (int c = 0; c < channels; c++) {
                out.set(o + c, ly0 * (lx0 * in.get(i00 + c) + lx1 * in.get(i01 + c))
                        + ly1 * (lx0 * in.get(i10 + c) + lx1 * in.get(i11 + c)));
            }
        }
    }

    /** Input pixel (n, iy, ix) of the upsampling's backward ({@code RenderMath.upsamplePixelBackward}). */
    public static void upsampleBackward(KernelContext context, IntArray p, FloatArray dIn, FloatArray dOut) {
        int id = context.globalIdx;
        int height = p.get(F_HEIGHT);
        int width = p.get(F_WIDTH);
        if (id < p.get(F_IMAGES) * height * width) {
            int channels = p.get(F_CHANNELS);
            int ix = id % width;
            int iy = (id / width) % height;
            int n = id / (height * width);
            int d = id * channels;
            if (p.get(F_ACC) == 0) {
                for (int c = 0; c < channels; c++) {
                    dIn.set(d + c, 0f);
                }
            }
            int oyEnd = Math.min(2 * height - 1, 2 * iy + 2);
            int oxEnd = Math.min(2 * width - 1, 2 * ix + 2);
            for (int oy = Math.max(0, 2 * iy - 2); oy <= oyEnd; oy++) {
                float wy = RenderMath.bilinearTapWeight(oy, iy, height);
                if (wy != 0f) {
                    for (int ox = Math.max(0, 2 * ix - 2); ox <= oxEnd; ox++) {
                        float wx = RenderMath.bilinearTapWeight(ox, ix, width);
                        if (wx != 0f) {
                            float w = wy * wx;
                            int o = ((n * 2 * height + oy) * 2 * width + ox) * channels;
                            for (int c = 0; c < channels; c++) {
                                dIn.set(d + c, dIn.get(d + c) + w * dOut.get(o + c));
                            }
                        }
                    }
                }
            }
        }
    }

    /** Output pixel (n, oy, ox) of the 3x3 blur with reflect border ({@code RenderMath.blurPixel}). */
    public static void blurForward(KernelContext context, IntArray p, FloatArray out, FloatArray in) {
        int id = context.globalIdx;
        int height = p.get(F_HEIGHT);
        int width = p.get(F_WIDTH);
        if (id < p.get(F_IMAGES) * height * width) {
            int channels = p.get(F_CHANNELS);
            int ox = id % width;
            int oy = (id / width) % height;
            int n = id / (height * width);
            int o = id * channels;
            for (int c = 0; c < channels; c++) {
                out.set(o + c, 0f);
            }
            for (int a = -1; a <= 1; a++) {
                int y = RenderMath.reflect(oy + a, height);
                for (int b = -1; b <= 1; b++) {
                    int x = RenderMath.reflect(ox + b, width);
                    float w = RenderMath.blurTap(a) * RenderMath.blurTap(b) * 0.0625f;
                    int i = ((n * height + y) * width + x) * channels;
                    for (int c = 0; c < channels; c++) {
                        out.set(o + c, out.get(o + c) + w * in.get(i + c));
                    }
                }
            }
        }
    }

    /** Input pixel (n, iy, ix) of the blur's backward ({@code RenderMath.blurPixelBackward}). */
    public static void blurBackward(KernelContext context, IntArray p, FloatArray dIn, FloatArray dOut) {
        int id = context.globalIdx;
        int height = p.get(F_HEIGHT);
        int width = p.get(F_WIDTH);
        if (id < p.get(F_IMAGES) * height * width) {
            int channels = p.get(F_CHANNELS);
            int ix = id % width;
            int iy = (id / width) % height;
            int n = id / (height * width);
            int d = id * channels;
            if (p.get(F_ACC) == 0) {
                for (int c = 0; c < channels; c++) {
                    dIn.set(d + c, 0f);
                }
            }
            int oyEnd = Math.min(height - 1, iy + 1);
            int oxEnd = Math.min(width - 1, ix + 1);
            for (int oy = Math.max(0, iy - 1); oy <= oyEnd; oy++) {
                float wy = RenderMath.blurAdjointWeight(oy, iy, height);
                if (wy != 0f) {
                    for (int ox = Math.max(0, ix - 1); ox <= oxEnd; ox++) {
                        float wx = RenderMath.blurAdjointWeight(ox, ix, width);
                        if (wx != 0f) {
                            float w = wy * wx * 0.0625f;
                            int o = ((n * height + oy) * width + ox) * channels;
                            for (int c = 0; c < channels; c++) {
                                dIn.set(d + c, dIn.get(d + c) + w * dOut.get(o + c));
                            }
                        }
                    }
                }
            }
        }
    }
}
