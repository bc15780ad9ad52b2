package dev.gazenerf.render;

import dev.gazenerf.backend.Checks;

/**
 * The specification of the render kernels: plain single-threaded loops over rays or pixels, each
 * calling the per-item helper of {@link RenderMath}. Every other implementation is tested against this one.
 */
public final class ScalarRenderKernels implements RenderKernels {
    /** Rotation matrix and its two derivatives, row-major 3x3 each (scratch; this class is single-threaded). */
    private final float[] rot = new float[9];
    private final float[] rotDPitch = new float[9];
    private final float[] rotDYaw = new float[9];
    /** Per-block dL/dR of one image, (blocks, 9); grown when too small. */
    private double[] partial = new double[9];

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void compositeForward(float[] merged, int mergedOff, float[] depth, float[] bgAlpha, int rayOff,
                                 float[] alpha, float[] trans, int cacheOff,
                                 float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                 float[] delta, float[] tvals, int sampleOff, float[] bg,
                                 int rays, int samples, int channels, int pixels, int firstPixel) {
        RenderChecks.composite("compositeForward", merged, mergedOff, depth, bgAlpha, rayOff, alpha, trans, cacheOff,
                sigma, sigmaOff, feat, featOff, ldf, delta, tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        for (int r = 0; r < rays; r++) {
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                alpha[cacheOff + s] = RenderMath.alphaFromExp((float) Math.exp(-sigma[sigmaOff + s] * delta[sampleOff + s]));
            }
            RenderMath.compositeRayWeights(r, depth, depth != null, bgAlpha, rayOff, alpha, trans, cacheOff,
                    tvals, sampleOff, samples);
            RenderMath.compositeRayFeatures(r, merged, mergedOff, bgAlpha, rayOff, alpha, trans, cacheOff,
                    feat, featOff, ldf, bg, samples, channels, (firstPixel + r) % pixels);
        }
    }

    @Override
    public void compositeBackward(float[] dSigma, int dSigmaOff, float[] dFeat, int dFeatOff, int lddf,
                                  float[] dDelta, float[] dBg,
                                  float[] dMerged, int dMergedOff, float[] dDepth,
                                  float[] bgAlpha, int rayOff, float[] alpha, float[] trans, int cacheOff,
                                  float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                  float[] delta, float[] tvals, int sampleOff, float[] bg,
                                  int rays, int samples, int channels, int pixels, int firstPixel) {
        compositeBackwardChecks(dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dDelta, dBg, dMerged, dMergedOff, dDepth,
                bgAlpha, rayOff, alpha, trans, cacheOff, sigma, sigmaOff, feat, featOff, ldf, delta, tvals, sampleOff,
                bg, rays, samples, channels, pixels, firstPixel);
        for (int r = 0; r < rays; r++) {
            RenderMath.compositeRayFeatureBackward(r, dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dMerged, dMergedOff,
                    dDepth, dDepth != null, rayOff, alpha, trans, cacheOff, feat, featOff, ldf, tvals, sampleOff, bg,
                    samples, channels, (firstPixel + r) % pixels);
            RenderMath.compositeRayAlphaBackward(r, dSigma, dSigmaOff, alpha, trans, cacheOff, samples);
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                float e = (float) Math.exp(-sigma[sigmaOff + s] * delta[sampleOff + s]);
                RenderMath.compositeSampleBackward(s, dSigma, dSigmaOff, dDelta, dDelta != null, sigma, sigmaOff,
                        delta, sampleOff, e);
            }
        }
        for (int p = 0; p < pixels; p++) {
            RenderMath.compositePixelBgBackward(p, dBg, dMerged, dMergedOff, bgAlpha, rayOff, rays, channels, pixels,
                    firstPixel);
        }
    }

    /** The checks of {@link #compositeBackward}, shared with the parallel kernels. */
    static void compositeBackwardChecks(float[] dSigma, int dSigmaOff, float[] dFeat, int dFeatOff, int lddf,
                                        float[] dDelta, float[] dBg, float[] dMerged, int dMergedOff, float[] dDepth,
                                        float[] bgAlpha, int rayOff, float[] alpha, float[] trans, int cacheOff,
                                        float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                        float[] delta, float[] tvals, int sampleOff, float[] bg,
                                        int rays, int samples, int channels, int pixels, int firstPixel) {
        String op = "compositeBackward";
        RenderChecks.composite(op, dMerged, dMergedOff, dDepth, bgAlpha, rayOff, alpha, trans, cacheOff,
                sigma, sigmaOff, feat, featOff, ldf, delta, tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        int points = rays * samples;
        Checks.vector(op, "dSigma", dSigma, dSigmaOff, points);
        Checks.matrix(op, "dFeat", dFeat, dFeatOff, lddf, points, channels);
        if (dDelta != null) {
            Checks.vector(op, "dDelta", dDelta, dSigmaOff, points);
        }
        Checks.matrix(op, "dBg", dBg, 0, channels, pixels, channels);
    }

    @Override
    public void rotateForward(float[] out, float[] in, float[] angles, int images, int pixels, int channels) {
        RenderChecks.rotate("rotateForward", out, in, angles, images, pixels, channels);
        float[] r = rot;
        for (int n = 0; n < images; n++) {
            RenderMath.rotationMatrix(r, 0, angles[2 * n], angles[2 * n + 1]);
            for (int p = 0; p < pixels; p++) {
                RenderMath.rotateRow(n * pixels + p, out, in, r, 0, channels);
            }
        }
    }

    @Override
    public void rotateBackward(float[] dIn, float[] dAngles, float[] dOut, float[] in, float[] angles,
                               int images, int pixels, int channels, boolean accumulate) {
        RenderChecks.rotate("rotateBackward", dOut, in, angles, images, pixels, channels);
        Checks.matrix("rotateBackward", "dIn", dIn, 0, channels, images * pixels, channels);
        Checks.vector("rotateBackward", "dAngles", dAngles, 0, images * 2);
        float[] r = rot;
        int blocks = (pixels + RenderMath.ROTATE_BLOCK - 1) / RenderMath.ROTATE_BLOCK;
        if (partial.length < 9 * blocks) {
            partial = new double[9 * blocks];
        }
        for (int n = 0; n < images; n++) {
            RenderMath.rotationMatrix(r, 0, angles[2 * n], angles[2 * n + 1]);
            for (int p = 0; p < pixels; p++) {
                RenderMath.rotateRowBackward(n * pixels + p, dIn, dOut, r, 0, channels, accumulate);
            }
            for (int b = 0; b < blocks; b++) {
                int start = n * pixels + b * RenderMath.ROTATE_BLOCK;
                int end = n * pixels + Math.min(pixels, (b + 1) * RenderMath.ROTATE_BLOCK);
                RenderMath.rotateBlockGradR(partial, 9 * b, in, dOut, start, end, channels);
            }
            angleGradients(dAngles, n, angles, partial, 0, blocks, rotDPitch, rotDYaw);
        }
    }

    /** Sums the per-block dL/dR in block order and adds (dL/dpitch, dL/dyaw) of image n to dAngles. */
    static void angleGradients(float[] dAngles, int n, float[] angles, double[] partial, int firstBlock, int blocks,
                               float[] dp, float[] dy) {
        RenderMath.rotationMatrixDPitch(dp, 0, angles[2 * n], angles[2 * n + 1]);
        RenderMath.rotationMatrixDYaw(dy, 0, angles[2 * n], angles[2 * n + 1]);
        double gp = 0.0;
        double gy = 0.0;
        for (int q = 0; q < 9; q++) {
            double dR = 0.0;
            for (int b = firstBlock; b < firstBlock + blocks; b++) {
                dR += partial[9 * b + q];
            }
            gp += dR * dp[q];
            gy += dR * dy[q];
        }
        dAngles[2 * n] += (float) gp;
        dAngles[2 * n + 1] += (float) gy;
    }

    @Override
    public void maxForward(float[] out, float[] a, float[] b, int n) {
        RenderChecks.elementwise("maxForward", n, new String[] {"out", "a", "b"}, out, a, b);
        for (int i = 0; i < n; i++) {
            out[i] = Math.max(a[i], b[i]);
        }
    }

    @Override
    public void maxBackward(float[] dA, float[] dB, float[] dOut, float[] a, float[] b, int n, boolean accumulate) {
        RenderChecks.elementwise("maxBackward", n, new String[] {"dA", "dB", "dOut", "a", "b"}, dA, dB, dOut, a, b);
        for (int i = 0; i < n; i++) {
            float ga = RenderMath.maxGradA(dOut[i], a[i], b[i]);
            float gb = RenderMath.maxGradA(dOut[i], b[i], a[i]);
            dA[i] = accumulate ? dA[i] + ga : ga;
            dB[i] = accumulate ? dB[i] + gb : gb;
        }
    }

    @Override
    public void pixelShuffleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("pixelShuffleForward", "in", in, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleForward", "out", out, images, 2 * height, 2 * width, channels);
        for (int n = 0; n < images; n++) {
            for (int oy = 0; oy < 2 * height; oy++) {
                for (int ox = 0; ox < 2 * width; ox++) {
                    RenderMath.shufflePixel(out, in, n, oy, ox, height, width, channels);
                }
            }
        }
    }

    @Override
    public void pixelShuffleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                     boolean accumulate) {
        RenderChecks.map("pixelShuffleBackward", "dIn", dIn, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        for (int n = 0; n < images; n++) {
            for (int h = 0; h < height; h++) {
                for (int w = 0; w < width; w++) {
                    RenderMath.shufflePixelBackward(dIn, dOut, n, h, w, height, width, channels, accumulate);
                }
            }
        }
    }

    @Override
    public void repeatAddForward(float[] out, float[] y, float[] x, int xOff, int rows, int channels, int repeats) {
        repeatAddChecks("repeatAddForward", out, y, x, xOff, rows, channels, repeats);
        for (int r = 0; r < rows; r++) {
            RenderMath.repeatAddRow(r, out, y, x, xOff, channels, repeats);
        }
    }

    static void repeatAddChecks(String op, float[] out, float[] y, float[] x, int xOff, int rows, int channels,
                                int repeats) {
        Checks.size(op, "rows", rows);
        Checks.positive(op, "channels", channels);
        Checks.positive(op, "repeats", repeats);
        Checks.matrix(op, "out", out, 0, channels * repeats, rows, channels * repeats);
        if (y != null) {
            Checks.matrix(op, "y", y, 0, channels * repeats, rows, channels * repeats);
        }
        Checks.matrix(op, "x", x, xOff, channels, rows, channels);
    }

    @Override
    public void repeatAddBackward(float[] dX, int dxOff, float[] dOut, int rows, int channels, int repeats,
                                  boolean accumulate) {
        repeatAddChecks("repeatAddBackward", dOut, null, dX, dxOff, rows, channels, repeats);
        for (int r = 0; r < rows; r++) {
            RenderMath.repeatAddRowBackward(r, dX, dxOff, dOut, channels, repeats, accumulate);
        }
    }

    @Override
    public void upsampleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("upsampleForward", "in", in, images, height, width, channels);
        RenderChecks.map("upsampleForward", "out", out, images, 2 * height, 2 * width, channels);
        for (int n = 0; n < images; n++) {
            for (int oy = 0; oy < 2 * height; oy++) {
                for (int ox = 0; ox < 2 * width; ox++) {
                    RenderMath.upsamplePixel(out, in, n, oy, ox, height, width, channels);
                }
            }
        }
    }

    @Override
    public void upsampleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                 boolean accumulate) {
        RenderChecks.map("upsampleBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("upsampleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        for (int n = 0; n < images; n++) {
            for (int iy = 0; iy < height; iy++) {
                for (int ix = 0; ix < width; ix++) {
                    RenderMath.upsamplePixelBackward(dIn, dOut, n, iy, ix, height, width, channels, accumulate);
                }
            }
        }
    }

    @Override
    public void blurForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("blurForward", "in", in, images, height, width, channels);
        RenderChecks.map("blurForward", "out", out, images, height, width, channels);
        RenderChecks.blurSize("blurForward", height, width);
        for (int n = 0; n < images; n++) {
            for (int oy = 0; oy < height; oy++) {
                for (int ox = 0; ox < width; ox++) {
                    RenderMath.blurPixel(out, in, n, oy, ox, height, width, channels);
                }
            }
        }
    }

    @Override
    public void blurBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                             boolean accumulate) {
        RenderChecks.map("blurBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("blurBackward", "dOut", dOut, images, height, width, channels);
        RenderChecks.blurSize("blurBackward", height, width);
        for (int n = 0; n < images; n++) {
            for (int iy = 0; iy < height; iy++) {
                for (int ix = 0; ix < width; ix++) {
                    RenderMath.blurPixelBackward(dIn, dOut, n, iy, ix, height, width, channels, accumulate);
                }
            }
        }
    }

    @Override
    public void close() {
        // nothing to release
    }
}
