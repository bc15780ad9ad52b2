package dev.gazenerf.render;

/**
 * Per-ray and per-pixel math of the render kernels, shared by {@link ScalarRenderKernels} (which loops
 * over every ray or pixel) and {@link ParallelRenderKernels} (which splits the same loop over threads and
 * replaces a few channel loops with Vector API code). Static methods over primitive arrays only, in the
 * subset of Java an OpenCL translation (Aparapi) accepts: no objects, allocation, exceptions or lambdas.
 * Shapes and the math of each op are documented on {@link RenderKernels}.
 */
public final class RenderMath {
    private RenderMath() {
    }

    // ---------------------------------------------------------------- compositing

    /** {@code alpha = 1 - e} with {@code e = exp(-sigma * delta)} computed by the caller (kernels take the exp themselves). */
    public static float alphaFromExp(float e) {
        return 1f - e;
    }

    /**
     * Forward weights of ray r from its alphas (already in the alpha cache): writes T of each sample,
     * bgAlpha and (when {@code hasDepth}) depth of the ray. Sums run over k in increasing order, in float.
     */
    public static void compositeRayWeights(int r, float[] depth, boolean hasDepth, float[] bgAlpha, int rayOff,
                                           float[] alpha, float[] trans, int cacheOff, float[] tvals, int sampleOff,
                                           int samples) {
        float t = 1f;
        float wSum = 0f;
        float d = 0f;
        for (int k = 0; k < samples; k++) {
            int s = r * samples + k;
            float a = alpha[cacheOff + s];
            trans[cacheOff + s] = t;
            float w = a * t;
            wSum += w;
            d += w * tvals[sampleOff + s];
            t = t * (1f - a + RenderKernels.TRANSMITTANCE_EPS);
        }
        bgAlpha[rayOff + r] = 1f - wSum;
        if (hasDepth) {
            depth[rayOff + r] = d;
        }
    }

    /** Forward features of ray r (after {@link #compositeRayWeights}): merged = sum_k w_k f_k + bgAlpha bg_p. */
    public static void compositeRayFeatures(int r, float[] merged, int mergedOff, float[] bgAlpha, int rayOff,
                                            float[] alpha, float[] trans, int cacheOff,
                                            float[] feat, int featOff, int ldf, float[] bg,
                                            int samples, int channels, int pixel) {
        int m = mergedOff + r * channels;
        for (int c = 0; c < channels; c++) {
            merged[m + c] = 0f;
        }
        for (int k = 0; k < samples; k++) {
            int s = r * samples + k;
            float w = alpha[cacheOff + s] * trans[cacheOff + s];
            int f = featOff + s * ldf;
            for (int c = 0; c < channels; c++) {
                merged[m + c] += w * feat[f + c];
            }
        }
        float ba = bgAlpha[rayOff + r];
        int b = pixel * channels;
        for (int c = 0; c < channels; c++) {
            merged[m + c] += ba * bg[b + c];
        }
    }

    /**
     * Backward of ray r through the features: writes {@code G_k = dL/dw_k} into {@code dSigma} (a scratch
     * use, replaced by {@link #compositeRayAlphaBackward}) and {@code dFeat = w_k g}.
     */
    public static void compositeRayFeatureBackward(int r, float[] dSigma, int dSigmaOff,
                                                   float[] dFeat, int dFeatOff, int lddf,
                                                   float[] dMerged, int dMergedOff, float[] dDepth, boolean hasDDepth,
                                                   int rayOff, float[] alpha, float[] trans, int cacheOff,
                                                   float[] feat, int featOff, int ldf, float[] tvals, int sampleOff,
                                                   float[] bg, int samples, int channels, int pixel) {
        int g = dMergedOff + r * channels;
        int b = pixel * channels;
        float gb = 0f;
        for (int c = 0; c < channels; c++) {
            gb += dMerged[g + c] * bg[b + c];
        }
        float dd = hasDDepth ? dDepth[rayOff + r] : 0f;
        for (int k = 0; k < samples; k++) {
            int s = r * samples + k;
            int f = featOff + s * ldf;
            float gf = 0f;
            for (int c = 0; c < channels; c++) {
                gf += dMerged[g + c] * feat[f + c];
            }
            dSigma[dSigmaOff + s] = gf - gb + dd * tvals[sampleOff + s];
            float w = alpha[cacheOff + s] * trans[cacheOff + s];
            int df = dFeatOff + s * lddf;
            for (int c = 0; c < channels; c++) {
                dFeat[df + c] = w * dMerged[g + c];
            }
        }
    }

    /**
     * Backward of ray r from {@code G_k} (read from dSigma) to the alphas, by the suffix recurrence
     * {@code S_{k-1} = G_k alpha_k + (1 - alpha_k + eps) S_k}, {@code dL/dalpha_k = T_k (G_k - S_k)}, written
     * back into dSigma (then turned into sigma and delta gradients by {@link #compositeSampleBackward}).
     */
    public static void compositeRayAlphaBackward(int r, float[] dSigma, int dSigmaOff, float[] alpha, float[] trans,
                                                 int cacheOff, int samples) {
        float suffix = 0f;
        for (int k = samples - 1; k >= 0; k--) {
            int s = r * samples + k;
            float gk = dSigma[dSigmaOff + s];
            float a = alpha[cacheOff + s];
            dSigma[dSigmaOff + s] = trans[cacheOff + s] * (gk - suffix);
            suffix = gk * a + (1f - a + RenderKernels.TRANSMITTANCE_EPS) * suffix;
        }
    }

    /**
     * Sample s from {@code dL/dalpha} (in dSigma) and {@code e = exp(-sigma delta)} (computed by the caller):
     * {@code dSigma = dAlpha delta e}, and when {@code hasDDelta} {@code dDelta = dAlpha sigma e}.
     */
    public static void compositeSampleBackward(int s, float[] dSigma, int dSigmaOff, float[] dDelta, boolean hasDDelta,
                                               float[] sigma, int sigmaOff, float[] delta, int sampleOff, float e) {
        float dAlpha = dSigma[dSigmaOff + s];
        dSigma[dSigmaOff + s] = dAlpha * delta[sampleOff + s] * e;
        if (hasDDelta) {
            dDelta[dSigmaOff + s] = dAlpha * sigma[sigmaOff + s] * e;
        }
    }

    /** First ray of a chunk whose pixel is p: the r in [0, pixels) with (firstPixel + r) mod pixels == p. */
    public static int firstRayOfPixel(int p, int pixels, int firstPixel) {
        int r = (p - firstPixel) % pixels;
        return r < 0 ? r + pixels : r;
    }

    /** dBg[p, :] += sum over the rays r of pixel p (increasing r) of dMerged[r, :] * bgAlpha[r]. */
    public static void compositePixelBgBackward(int p, float[] dBg, float[] dMerged, int dMergedOff,
                                                float[] bgAlpha, int rayOff, int rays, int channels,
                                                int pixels, int firstPixel) {
        int b = p * channels;
        for (int r = firstRayOfPixel(p, pixels, firstPixel); r < rays; r += pixels) {
            float ba = bgAlpha[rayOff + r];
            int g = dMergedOff + r * channels;
            for (int c = 0; c < channels; c++) {
                dBg[b + c] += dMerged[g + c] * ba;
            }
        }
    }

    // ---------------------------------------------------------------- rotation and merge

    /**
     * Writes {@code R = R_y(yaw) R_x(pitch)} row-major into {@code r[rOff .. rOff+8]}:
     * {@code [[cy, sy sp, sy cp], [0, cp, -sp], [-sy, cy sp, cy cp]]}.
     */
    public static void rotationMatrix(float[] r, int rOff, float pitch, float yaw) {
        float cp = (float) Math.cos(pitch);
        float sp = (float) Math.sin(pitch);
        float cy = (float) Math.cos(yaw);
        float sy = (float) Math.sin(yaw);
        r[rOff] = cy;
        r[rOff + 1] = sy * sp;
        r[rOff + 2] = sy * cp;
        r[rOff + 3] = 0f;
        r[rOff + 4] = cp;
        r[rOff + 5] = -sp;
        r[rOff + 6] = -sy;
        r[rOff + 7] = cy * sp;
        r[rOff + 8] = cy * cp;
    }

    /** {@code dR/dpitch} row-major into {@code r[rOff..]}: {@code [[0, sy cp, -sy sp], [0, -sp, -cp], [0, cy cp, -cy sp]]}. */
    public static void rotationMatrixDPitch(float[] r, int rOff, float pitch, float yaw) {
        float cp = (float) Math.cos(pitch);
        float sp = (float) Math.sin(pitch);
        float cy = (float) Math.cos(yaw);
        float sy = (float) Math.sin(yaw);
        r[rOff] = 0f;
        r[rOff + 1] = sy * cp;
        r[rOff + 2] = -sy * sp;
        r[rOff + 3] = 0f;
        r[rOff + 4] = -sp;
        r[rOff + 5] = -cp;
        r[rOff + 6] = 0f;
        r[rOff + 7] = cy * cp;
        r[rOff + 8] = -cy * sp;
    }

    /** {@code dR/dyaw} row-major into {@code r[rOff..]}: {@code [[-sy, cy sp, cy cp], [0, 0, 0], [-cy, -sy sp, -sy cp]]}. */
    public static void rotationMatrixDYaw(float[] r, int rOff, float pitch, float yaw) {
        float cp = (float) Math.cos(pitch);
        float sp = (float) Math.sin(pitch);
        float cy = (float) Math.cos(yaw);
        float sy = (float) Math.sin(yaw);
        r[rOff] = -sy;
        r[rOff + 1] = cy * sp;
        r[rOff + 2] = cy * cp;
        r[rOff + 3] = 0f;
        r[rOff + 4] = 0f;
        r[rOff + 5] = 0f;
        r[rOff + 6] = -cy;
        r[rOff + 7] = -sy * sp;
        r[rOff + 8] = -sy * cp;
    }

    /** One pixel row: every triplet v of {@code in[row, :]} becomes {@code v R} in {@code out[row, :]}. */
    public static void rotateRow(int row, float[] out, float[] in, float[] r, int rOff, int channels) {
        int o = row * channels;
        for (int j = 0; j < channels; j += 3) {
            float v0 = in[o + j];
            float v1 = in[o + j + 1];
            float v2 = in[o + j + 2];
            out[o + j] = v0 * r[rOff] + v1 * r[rOff + 3] + v2 * r[rOff + 6];
            out[o + j + 1] = v0 * r[rOff + 1] + v1 * r[rOff + 4] + v2 * r[rOff + 7];
            out[o + j + 2] = v0 * r[rOff + 2] + v1 * r[rOff + 5] + v2 * r[rOff + 8];
        }
    }

    /** Backward of one pixel row to the input: {@code dv_i (+)= sum_m dOut_m R[i][m]}, i.e. {@code dv = dOut R^T}. */
    public static void rotateRowBackward(int row, float[] dIn, float[] dOut, float[] r, int rOff, int channels,
                                         boolean accumulate) {
        int o = row * channels;
        for (int j = 0; j < channels; j += 3) {
            float g0 = dOut[o + j];
            float g1 = dOut[o + j + 1];
            float g2 = dOut[o + j + 2];
            float d0 = g0 * r[rOff] + g1 * r[rOff + 1] + g2 * r[rOff + 2];
            float d1 = g0 * r[rOff + 3] + g1 * r[rOff + 4] + g2 * r[rOff + 5];
            float d2 = g0 * r[rOff + 6] + g1 * r[rOff + 7] + g2 * r[rOff + 8];
            if (accumulate) {
                dIn[o + j] += d0;
                dIn[o + j + 1] += d1;
                dIn[o + j + 2] += d2;
            } else {
                dIn[o + j] = d0;
                dIn[o + j + 1] = d1;
                dIn[o + j + 2] = d2;
            }
        }
    }

    /**
     * {@code dR[i][m] = sum over rows [rowStart, rowEnd) and triplets j of in[row, 3j+i] * dOut[row, 3j+m]},
     * written (not accumulated) into {@code dR[dROff .. dROff+8]}, summed in double in increasing order.
     */
    public static void rotateBlockGradR(double[] dR, int dROff, float[] in, float[] dOut, int rowStart, int rowEnd,
                                        int channels) {
        for (int q = 0; q < 9; q++) {
            dR[dROff + q] = 0.0;
        }
        for (int row = rowStart; row < rowEnd; row++) {
            int o = row * channels;
            for (int j = 0; j < channels; j += 3) {
                for (int i = 0; i < 3; i++) {
                    double v = in[o + j + i];
                    dR[dROff + 3 * i] += v * dOut[o + j];
                    dR[dROff + 3 * i + 1] += v * dOut[o + j + 1];
                    dR[dROff + 3 * i + 2] += v * dOut[o + j + 2];
                }
            }
        }
    }

    /** Pixel rows per block of the rotation's angle-gradient reduction (fixes the summation order). */
    public static final int ROTATE_BLOCK = 256;

    /** Gradient of the max merge to the first input: g on a > b, g/2 on a tie (PyTorch's rule), 0 otherwise. */
    public static float maxGradA(float g, float a, float b) {
        if (a > b) {
            return g;
        }
        return a == b ? 0.5f * g : 0f;
    }

    // ---------------------------------------------------------------- pixel shuffle and residual

    /** Output pixel (n, oy, ox) of the x2 pixel shuffle: {@code out[n,oy,ox,c] = in[n, oy/2, ox/2, 4c + 2(oy%2) + ox%2]}. */
    public static void shufflePixel(float[] out, float[] in, int n, int oy, int ox, int height, int width, int channels) {
        int o = ((n * 2 * height + oy) * 2 * width + ox) * channels;
        int i = ((n * height + oy / 2) * width + ox / 2) * 4 * channels + 2 * (oy % 2) + (ox % 2);
        for (int c = 0; c < channels; c++) {
            out[o + c] = in[i + 4 * c];
        }
    }

    /** Input pixel (n, h, w) of the shuffle's backward: {@code dIn[n,h,w,4c+2i+j] (+)= dOut[n,2h+i,2w+j,c]}. */
    public static void shufflePixelBackward(float[] dIn, float[] dOut, int n, int h, int w, int height, int width,
                                            int channels, boolean accumulate) {
        int d = ((n * height + h) * width + w) * 4 * channels;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                int o = ((n * 2 * height + 2 * h + i) * 2 * width + 2 * w + j) * channels;
                for (int c = 0; c < channels; c++) {
                    int di = d + 4 * c + 2 * i + j;
                    dIn[di] = accumulate ? dIn[di] + dOut[o + c] : dOut[o + c];
                }
            }
        }
    }

    /** One row of the channel-repeat residual: {@code out[r, k] = y[r, k] + x[xOff + r*C + k mod C]}. */
    public static void repeatAddRow(int r, float[] out, float[] y, float[] x, int xOff, int channels, int repeats) {
        int width = channels * repeats;
        int o = r * width;
        int xi = xOff + r * channels;
        for (int q = 0; q < repeats; q++) {
            for (int c = 0; c < channels; c++) {
                out[o + q * channels + c] = y[o + q * channels + c] + x[xi + c];
            }
        }
    }

    /** One row of the residual's backward: {@code dX[r, c] (+)= sum_q dOut[r, q*C + c]} (q increasing). */
    public static void repeatAddRowBackward(int r, float[] dX, int dxOff, float[] dOut, int channels, int repeats,
                                            boolean accumulate) {
        int o = r * channels * repeats;
        int xi = dxOff + r * channels;
        for (int c = 0; c < channels; c++) {
            float s = 0f;
            for (int q = 0; q < repeats; q++) {
                s += dOut[o + q * channels + c];
            }
            dX[xi + c] = accumulate ? dX[xi + c] + s : s;
        }
    }

    // ---------------------------------------------------------------- bilinear x2 (align_corners=False)

    /**
     * Source coordinate of output index o for a x2 upsampling, as PyTorch computes it in float for
     * align_corners=False: {@code max(0, 0.5 * (o + 0.5) - 0.5)}.
     */
    public static float bilinearSource(int o) {
        float src = 0.5f * (o + 0.5f) - 0.5f;
        return src < 0f ? 0f : src;
    }

    /** Lower input index of output index o: {@code floor(source)} (never beyond the last input index). */
    public static int bilinearIndex(int o, int inSize) {
        int i0 = (int) bilinearSource(o);
        return i0 < inSize - 1 ? i0 : inSize - 1;
    }

    /** Upper input index: {@code i0 + 1}, clamped to the last input index. */
    public static int bilinearUpper(int o, int inSize) {
        int i0 = bilinearIndex(o, inSize);
        return i0 < inSize - 1 ? i0 + 1 : i0;
    }

    /** Weight of the upper neighbour ({@code source - i0}); the lower one weighs {@code 1 - that}. */
    public static float bilinearLambda(int o, int inSize) {
        return bilinearSource(o) - bilinearIndex(o, inSize);
    }

    /**
     * Weight with which input index i contributes to output index o along one axis (0 when it does not);
     * both taps are added when they coincide at the border.
     */
    public static float bilinearTapWeight(int o, int i, int inSize) {
        float l1 = bilinearLambda(o, inSize);
        float w = 0f;
        if (bilinearIndex(o, inSize) == i) {
            w += 1f - l1;
        }
        if (bilinearUpper(o, inSize) == i) {
            w += l1;
        }
        return w;
    }

    /** Output pixel (n, oy, ox) of the x2 bilinear upsampling, PyTorch's formula and order. */
    public static void upsamplePixel(float[] out, float[] in, int n, int oy, int ox, int height, int width,
                                     int channels) {
        int y0 = bilinearIndex(oy, height);
        int y1 = bilinearUpper(oy, height);
        float ly1 = bilinearLambda(oy, height);
        float ly0 = 1f - ly1;
        int x0 = bilinearIndex(ox, width);
        int x1 = bilinearUpper(ox, width);
        float lx1 = bilinearLambda(ox, width);
        float lx0 = 1f - lx1;
        int base = n * height * width;
        int i00 = (base + y0 * width + x0) * channels;
        int i01 = (base + y0 * width + x1) * channels;
        int i10 = (base + y1 * width + x0) * channels;
        int i11 = (base + y1 * width + x1) * channels;
        int o = ((n * 2 * height + oy) * 2 * width + ox) * channels;
        for (int c = 0; c < channels; c++) {
            out[o + c] = ly0 * (lx0 * in[i00 + c] + lx1 * in[i01 + c]) + ly1 * (lx0 * in[i10 + c] + lx1 * in[i11 + c]);
        }
    }

    /** Input pixel (n, iy, ix) of the upsampling's backward: sums its taps over outputs 2i-2 .. 2i+2 per axis. */
    public static void upsamplePixelBackward(float[] dIn, float[] dOut, int n, int iy, int ix, int height, int width,
                                             int channels, boolean accumulate) {
        int d = ((n * height + iy) * width + ix) * channels;
        if (!accumulate) {
            for (int c = 0; c < channels; c++) {
                dIn[d + c] = 0f;
            }
        }
        int oyEnd = Math.min(2 * height - 1, 2 * iy + 2);
        int oxEnd = Math.min(2 * width - 1, 2 * ix + 2);
        for (int oy = Math.max(0, 2 * iy - 2); oy <= oyEnd; oy++) {
            float wy = bilinearTapWeight(oy, iy, height);
            if (wy == 0f) {
                continue;
            }
            for (int ox = Math.max(0, 2 * ix - 2); ox <= oxEnd; ox++) {
                float wx = bilinearTapWeight(ox, ix, width);
                if (wx == 0f) {
                    continue;
                }
                float w = wy * wx;
                int o = ((n * 2 * height + oy) * 2 * width + ox) * channels;
                for (int c = 0; c < channels; c++) {
                    dIn[d + c] += w * dOut[o + c];
                }
            }
        }
    }

    // ---------------------------------------------------------------- 3x3 blur with reflect border

    /** Reflect index i into [0, n) without repeating the edge: -1 -> 1, n -> n-2 (torch 'reflect'). */
    public static int reflect(int i, int n) {
        if (i < 0) {
            return -i;
        }
        return i >= n ? 2 * n - 2 - i : i;
    }

    /** Tap of the unnormalized 1D kernel [1, 2, 1] at offset d in {-1, 0, 1}. */
    public static float blurTap(int d) {
        return d == 0 ? 2f : 1f;
    }

    /** Output pixel (n, oy, ox) of the blur: {@code sum_{a,b} [1,2,1]_a [1,2,1]_b / 16 * in[reflect(oy+a), reflect(ox+b)]}. */
    public static void blurPixel(float[] out, float[] in, int n, int oy, int ox, int height, int width, int channels) {
        int o = ((n * height + oy) * width + ox) * channels;
        for (int c = 0; c < channels; c++) {
            out[o + c] = 0f;
        }
        for (int a = -1; a <= 1; a++) {
            int y = reflect(oy + a, height);
            for (int b = -1; b <= 1; b++) {
                int x = reflect(ox + b, width);
                float w = blurTap(a) * blurTap(b) * 0.0625f;
                int i = ((n * height + y) * width + x) * channels;
                for (int c = 0; c < channels; c++) {
                    out[o + c] += w * in[i + c];
                }
            }
        }
    }

    /** Unnormalized weight with which input index i feeds output index o along one axis (reflected taps folded in). */
    public static float blurAdjointWeight(int o, int i, int n) {
        float w = 0f;
        for (int d = -1; d <= 1; d++) {
            if (reflect(o + d, n) == i) {
                w += blurTap(d);
            }
        }
        return w;
    }

    /** Input pixel (n, iy, ix) of the blur's backward: gathers its weighted outputs iy-1..iy+1, ix-1..ix+1. */
    public static void blurPixelBackward(float[] dIn, float[] dOut, int n, int iy, int ix, int height, int width,
                                         int channels, boolean accumulate) {
        int d = ((n * height + iy) * width + ix) * channels;
        if (!accumulate) {
            for (int c = 0; c < channels; c++) {
                dIn[d + c] = 0f;
            }
        }
        for (int oy = Math.max(0, iy - 1); oy <= Math.min(height - 1, iy + 1); oy++) {
            float wy = blurAdjointWeight(oy, iy, height);
            if (wy == 0f) {
                continue;
            }
            for (int ox = Math.max(0, ix - 1); ox <= Math.min(width - 1, ix + 1); ox++) {
                float wx = blurAdjointWeight(ox, ix, width);
                if (wx == 0f) {
                    continue;
                }
                float w = wy * wx * 0.0625f;
                int o = ((n * height + oy) * width + ox) * channels;
                for (int c = 0; c < channels; c++) {
                    dIn[d + c] += w * dOut[o + c];
                }
            }
        }
    }
}
