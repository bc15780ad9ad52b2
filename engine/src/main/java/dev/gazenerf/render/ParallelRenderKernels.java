package dev.gazenerf.render;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU render kernels: the loops of {@link ScalarRenderKernels} split over a fixed pool of daemon
 * threads (parallel over rays, pixel rows or pixels; every output element is written by exactly one item,
 * and reductions run in an order fixed by the data, never by the thread count), with the channel loops of
 * compositing, its backward, and the background-map gradient in the Java Vector API (fused multiply-add,
 * {@link FloatVector#SPECIES_PREFERRED}, scalar tail). Those vectorized loops round differently from the
 * scalar specification (fma, lane-wise partial sums); everything else calls the same {@link RenderMath}
 * helper and agrees with scalar bit for bit.
 */
public final class ParallelRenderKernels implements RenderKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** The species' vector class: every store casts to it first (see {@link VectorKernels#VECTOR_CLASS}). */
    private static final Class<?> VECTOR_CLASS = SPECIES.vectorType();

    private final WorkerPool pool;
    /** Rotation matrices of the images of the current call, (images, 9); grown when too small. */
    private float[] rot = new float[9];
    /** Per-block dL/dR of the current call, (images * blocks, 9); grown when too small. */
    private double[] partial = new double[9];
    private final float[] rotDPitch = new float[9];
    private final float[] rotDYaw = new float[9];

    /** Kernels running on {@code threads} threads (the caller's thread is one of them). */
    public ParallelRenderKernels(int threads) {
        this.pool = new WorkerPool(threads);
    }

    @Override
    public String name() {
        return "parallel";
    }

    /** The number of threads loops are split over. */
    public int threads() {
        return pool.threads();
    }

    @Override
    public void compositeForward(float[] merged, int mergedOff, float[] depth, float[] bgAlpha, int rayOff,
                                 float[] alpha, float[] trans, int cacheOff,
                                 float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                 float[] delta, float[] tvals, int sampleOff, float[] bg,
                                 int rays, int samples, int channels, int pixels, int firstPixel) {
        RenderChecks.composite("compositeForward", merged, mergedOff, depth, bgAlpha, rayOff, alpha, trans, cacheOff,
                sigma, sigmaOff, feat, featOff, ldf, delta, tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        pool.forRange(rays, (start, end) -> {
            for (int r = start; r < end; r++) {
                for (int s = r * samples; s < (r + 1) * samples; s++) {
                    alpha[cacheOff + s] = RenderMath.alphaFromExp(
                            (float) Math.exp(-sigma[sigmaOff + s] * delta[sampleOff + s]));
                }
                RenderMath.compositeRayWeights(r, depth, depth != null, bgAlpha, rayOff, alpha, trans, cacheOff,
                        tvals, sampleOff, samples);
                compositeRayFeaturesVector(r, merged, mergedOff, bgAlpha, rayOff, alpha, trans, cacheOff,
                        feat, featOff, ldf, bg, samples, channels, (firstPixel + r) % pixels);
            }
        });
    }

    /**
     * Vector API twin of {@link RenderMath#compositeRayFeatures}: the merged row (C floats, L1-resident) is the
     * accumulator and each sample's feature row is streamed once, in order ({@code acc = fma(f_k, w_k, acc)}).
     */
    static void compositeRayFeaturesVector(int r, float[] merged, int mergedOff, float[] bgAlpha, int rayOff,
                                           float[] alpha, float[] trans, int cacheOff,
                                           float[] feat, int featOff, int ldf, float[] bg,
                                           int samples, int channels, int pixel) {
        int m = mergedOff + r * channels;
        int b = pixel * channels;
        int bound = SPECIES.loopBound(channels);
        for (int c = 0; c < channels; c++) {
            merged[m + c] = 0f;
        }
        for (int k = 0; k < samples; k++) {
            int s = r * samples + k;
            float w = alpha[cacheOff + s] * trans[cacheOff + s];
            FloatVector wv = FloatVector.broadcast(SPECIES, w);
            int f = featOff + s * ldf;
            int c = 0;
            for (; c < bound; c += SPECIES.length()) {
                ((FloatVector) VECTOR_CLASS.cast(FloatVector.fromArray(SPECIES, feat, f + c)
                        .fma(wv, FloatVector.fromArray(SPECIES, merged, m + c)))).intoArray(merged, m + c);
            }
            for (; c < channels; c++) {
                merged[m + c] += w * feat[f + c];
            }
        }
        float ba = bgAlpha[rayOff + r];
        FloatVector bav = FloatVector.broadcast(SPECIES, ba);
        int c = 0;
        for (; c < bound; c += SPECIES.length()) {
            ((FloatVector) VECTOR_CLASS.cast(FloatVector.fromArray(SPECIES, bg, b + c)
                    .fma(bav, FloatVector.fromArray(SPECIES, merged, m + c)))).intoArray(merged, m + c);
        }
        for (; c < channels; c++) {
            merged[m + c] += ba * bg[b + c];
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
        ScalarRenderKernels.compositeBackwardChecks(dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dDelta, dBg, dMerged,
                dMergedOff, dDepth, bgAlpha, rayOff, alpha, trans, cacheOff, sigma, sigmaOff, feat, featOff, ldf, delta,
                tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        pool.forRange(rays, (start, end) -> {
            for (int r = start; r < end; r++) {
                compositeRayFeatureBackwardVector(r, dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dMerged, dMergedOff,
                        dDepth, rayOff, alpha, trans, cacheOff, feat, featOff, ldf, tvals, sampleOff, bg, samples,
                        channels, (firstPixel + r) % pixels);
                RenderMath.compositeRayAlphaBackward(r, dSigma, dSigmaOff, alpha, trans, cacheOff, samples);
                for (int s = r * samples; s < (r + 1) * samples; s++) {
                    float e = (float) Math.exp(-sigma[sigmaOff + s] * delta[sampleOff + s]);
                    RenderMath.compositeSampleBackward(s, dSigma, dSigmaOff, dDelta, dDelta != null, sigma, sigmaOff,
                            delta, sampleOff, e);
                }
            }
        });
        pool.forRange(pixels, (start, end) -> {
            for (int p = start; p < end; p++) {
                compositePixelBgBackwardVector(p, dBg, dMerged, dMergedOff, bgAlpha, rayOff, rays, channels, pixels,
                        firstPixel);
            }
        });
    }

    /**
     * Vector dot product with two accumulators (even and odd vectors of the row, added at the end): one fma
     * chain made this latency-bound (JFR: {@code dot} was 35% of compositing's forward+backward samples);
     * the order is fixed by n alone (the lanes summed in lane order, {@link VectorKernels#sumLanesInOrder}), so
     * results depend neither on threads nor on the JDK and JIT tier.
     */
    private static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int vl = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c + 2 * vl <= bound; c += 2 * vl) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOff + c).fma(FloatVector.fromArray(SPECIES, b, bOff + c), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, aOff + c + vl)
                    .fma(FloatVector.fromArray(SPECIES, b, bOff + c + vl), acc1);
        }
        for (; c < bound; c += vl) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOff + c).fma(FloatVector.fromArray(SPECIES, b, bOff + c), acc0);
        }
        float s = VectorKernels.sumLanesInOrder(acc0.add(acc1));
        for (; c < n; c++) {
            s += a[aOff + c] * b[bOff + c];
        }
        return s;
    }

    /** Vector API twin of {@link RenderMath#compositeRayFeatureBackward}. */
    static void compositeRayFeatureBackwardVector(int r, float[] dSigma, int dSigmaOff,
                                                  float[] dFeat, int dFeatOff, int lddf,
                                                  float[] dMerged, int dMergedOff, float[] dDepth, int rayOff,
                                                  float[] alpha, float[] trans, int cacheOff,
                                                  float[] feat, int featOff, int ldf, float[] tvals, int sampleOff,
                                                  float[] bg, int samples, int channels, int pixel) {
        int g = dMergedOff + r * channels;
        float gb = dot(dMerged, g, bg, pixel * channels, channels);
        float dd = dDepth == null ? 0f : dDepth[rayOff + r];   // as RenderMath.compositeRayFeatureBackward
        int bound = SPECIES.loopBound(channels);
        for (int k = 0; k < samples; k++) {
            int s = r * samples + k;
            dSigma[dSigmaOff + s] = dot(dMerged, g, feat, featOff + s * ldf, channels) - gb + dd * tvals[sampleOff + s];
            float w = alpha[cacheOff + s] * trans[cacheOff + s];
            FloatVector wv = FloatVector.broadcast(SPECIES, w);
            int df = dFeatOff + s * lddf;
            int c = 0;
            for (; c < bound; c += SPECIES.length()) {
                ((FloatVector) VECTOR_CLASS.cast(FloatVector.fromArray(SPECIES, dMerged, g + c).mul(wv)))
                        .intoArray(dFeat, df + c);
            }
            for (; c < channels; c++) {
                dFeat[df + c] = w * dMerged[g + c];
            }
        }
    }

    /** Vector API twin of {@link RenderMath#compositePixelBgBackward} (same ray order, fma per element). */
    static void compositePixelBgBackwardVector(int p, float[] dBg, float[] dMerged, int dMergedOff,
                                               float[] bgAlpha, int rayOff, int rays, int channels,
                                               int pixels, int firstPixel) {
        int b = p * channels;
        int bound = SPECIES.loopBound(channels);
        for (int r = RenderMath.firstRayOfPixel(p, pixels, firstPixel); r < rays; r += pixels) {
            float ba = bgAlpha[rayOff + r];
            FloatVector bav = FloatVector.broadcast(SPECIES, ba);
            int g = dMergedOff + r * channels;
            int c = 0;
            for (; c < bound; c += SPECIES.length()) {
                ((FloatVector) VECTOR_CLASS.cast(FloatVector.fromArray(SPECIES, dMerged, g + c)
                        .fma(bav, FloatVector.fromArray(SPECIES, dBg, b + c)))).intoArray(dBg, b + c);
            }
            for (; c < channels; c++) {
                dBg[b + c] += dMerged[g + c] * ba;
            }
        }
    }

    private void rotations(float[] angles, int images) {
        if (rot.length < 9 * images) {
            rot = new float[9 * images];
        }
        for (int n = 0; n < images; n++) {
            RenderMath.rotationMatrix(rot, 9 * n, angles[2 * n], angles[2 * n + 1]);
        }
    }

    @Override
    public void rotateForward(float[] out, float[] in, float[] angles, int images, int pixels, int channels) {
        RenderChecks.rotate("rotateForward", out, in, angles, images, pixels, channels);
        rotations(angles, images);
        float[] r = rot;
        pool.forRange(images * pixels, (start, end) -> {
            for (int row = start; row < end; row++) {
                RenderMath.rotateRow(row, out, in, r, 9 * (row / pixels), channels);
            }
        });
    }

    @Override
    public void rotateBackward(float[] dIn, float[] dAngles, float[] dOut, float[] in, float[] angles,
                               int images, int pixels, int channels, boolean accumulate) {
        RenderChecks.rotate("rotateBackward", dOut, in, angles, images, pixels, channels);
        Checks.matrix("rotateBackward", "dIn", dIn, 0, channels, images * pixels, channels);
        Checks.vector("rotateBackward", "dAngles", dAngles, 0, images * 2);
        rotations(angles, images);
        float[] r = rot;
        pool.forRange(images * pixels, (start, end) -> {
            for (int row = start; row < end; row++) {
                RenderMath.rotateRowBackward(row, dIn, dOut, r, 9 * (row / pixels), channels, accumulate);
            }
        });
        int blocks = (pixels + RenderMath.ROTATE_BLOCK - 1) / RenderMath.ROTATE_BLOCK;
        if (partial.length < 9 * blocks * images) {
            partial = new double[9 * blocks * images];
        }
        double[] part = partial;
        pool.forRange(images * blocks, (start, end) -> {
            for (int item = start; item < end; item++) {
                int n = item / blocks;
                int b = item % blocks;
                int rowStart = n * pixels + b * RenderMath.ROTATE_BLOCK;
                int rowEnd = n * pixels + Math.min(pixels, (b + 1) * RenderMath.ROTATE_BLOCK);
                RenderMath.rotateBlockGradR(part, 9 * item, in, dOut, rowStart, rowEnd, channels);
            }
        });
        for (int n = 0; n < images; n++) {
            ScalarRenderKernels.angleGradients(dAngles, n, angles, part, n * blocks, blocks, rotDPitch, rotDYaw);
        }
    }

    @Override
    public void maxForward(float[] out, float[] a, float[] b, int n) {
        RenderChecks.elementwise("maxForward", n, new String[] {"out", "a", "b"}, out, a, b);
        pool.forRange(n, (start, end) -> {
            for (int i = start; i < end; i++) {
                out[i] = Math.max(a[i], b[i]);
            }
        });
    }

    @Override
    public void maxBackward(float[] dA, float[] dB, float[] dOut, float[] a, float[] b, int n, boolean accumulate) {
        RenderChecks.elementwise("maxBackward", n, new String[] {"dA", "dB", "dOut", "a", "b"}, dA, dB, dOut, a, b);
        pool.forRange(n, (start, end) -> {
            for (int i = start; i < end; i++) {
                float ga = RenderMath.maxGradA(dOut[i], a[i], b[i]);
                float gb = RenderMath.maxGradA(dOut[i], b[i], a[i]);
                dA[i] = accumulate ? dA[i] + ga : ga;
                dB[i] = accumulate ? dB[i] + gb : gb;
            }
        });
    }

    @Override
    public void pixelShuffleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("pixelShuffleForward", "in", in, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleForward", "out", out, images, 2 * height, 2 * width, channels);
        int rows = 2 * height;
        pool.forRange(images * rows, (start, end) -> {
            for (int item = start; item < end; item++) {
                for (int ox = 0; ox < 2 * width; ox++) {
                    RenderMath.shufflePixel(out, in, item / rows, item % rows, ox, height, width, channels);
                }
            }
        });
    }

    @Override
    public void pixelShuffleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                     boolean accumulate) {
        RenderChecks.map("pixelShuffleBackward", "dIn", dIn, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        pool.forRange(images * height, (start, end) -> {
            for (int item = start; item < end; item++) {
                for (int w = 0; w < width; w++) {
                    RenderMath.shufflePixelBackward(dIn, dOut, item / height, item % height, w, height, width, channels,
                            accumulate);
                }
            }
        });
    }

    @Override
    public void repeatAddForward(float[] out, float[] y, float[] x, int xOff, int rows, int channels, int repeats) {
        ScalarRenderKernels.repeatAddChecks("repeatAddForward", out, y, x, xOff, rows, channels, repeats);
        pool.forRange(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                RenderMath.repeatAddRow(r, out, y, x, xOff, channels, repeats);
            }
        });
    }

    @Override
    public void repeatAddBackward(float[] dX, int dxOff, float[] dOut, int rows, int channels, int repeats,
                                  boolean accumulate) {
        ScalarRenderKernels.repeatAddChecks("repeatAddBackward", dOut, null, dX, dxOff, rows, channels, repeats);
        pool.forRange(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                RenderMath.repeatAddRowBackward(r, dX, dxOff, dOut, channels, repeats, accumulate);
            }
        });
    }

    @Override
    public void upsampleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("upsampleForward", "in", in, images, height, width, channels);
        RenderChecks.map("upsampleForward", "out", out, images, 2 * height, 2 * width, channels);
        int rows = 2 * height;
        pool.forRange(images * rows, (start, end) -> {
            for (int item = start; item < end; item++) {
                for (int ox = 0; ox < 2 * width; ox++) {
                    RenderMath.upsamplePixel(out, in, item / rows, item % rows, ox, height, width, channels);
                }
            }
        });
    }

    @Override
    public void upsampleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                 boolean accumulate) {
        RenderChecks.map("upsampleBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("upsampleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        pool.forRange(images * height, (start, end) -> {
            for (int item = start; item < end; item++) {
                for (int ix = 0; ix < width; ix++) {
                    RenderMath.upsamplePixelBackward(dIn, dOut, item / height, item % height, ix, height, width,
                            channels, accumulate);
                }
            }
        });
    }

    @Override
    public void blurForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("blurForward", "in", in, images, height, width, channels);
        RenderChecks.map("blurForward", "out", out, images, height, width, channels);
        RenderChecks.blurSize("blurForward", height, width);
        pool.forRange(images * height, (start, end) -> {
            for (int item = start; item < end; item++) {
                for (int ox = 0; ox < width; ox++) {
                    blurPixelVector(out, in, item / height, item % height, ox, height, width, channels);
                }
            }
        });
    }

    @Override
    public void blurBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                             boolean accumulate) {
        RenderChecks.map("blurBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("blurBackward", "dOut", dOut, images, height, width, channels);
        RenderChecks.blurSize("blurBackward", height, width);
        pool.forRange(images * height, (start, end) -> {
            for (int item = start; item < end; item++) {
                for (int ix = 0; ix < width; ix++) {
                    blurPixelBackwardVector(dIn, dOut, item / height, item % height, ix, height, width, channels,
                            accumulate);
                }
            }
        });
    }

    /**
     * Vector API twin of {@link RenderMath#blurPixel}, bit for bit: per channel vector the 9 taps are summed in
     * registers in the scalar order ({@code 0 + w*in_0 + w*in_1 + ...}, multiply then add, no fma), and the
     * output row is stored once instead of being read and written per tap (JFR: the blur was ~15% of the
     * renderer's forward+backward). Channel tails, and maps narrower than a vector, use the scalar helper.
     */
    static void blurPixelVector(float[] out, float[] in, int n, int oy, int ox, int height, int width, int channels) {
        int bound = SPECIES.loopBound(channels);
        if (bound == 0) {
            RenderMath.blurPixel(out, in, n, oy, ox, height, width, channels);
            return;
        }
        int o = ((n * height + oy) * width + ox) * channels;
        int y0 = RenderMath.reflect(oy - 1, height);
        int y2 = RenderMath.reflect(oy + 1, height);
        int x0 = RenderMath.reflect(ox - 1, width);
        int x2 = RenderMath.reflect(ox + 1, width);
        int r0 = (n * height + y0) * width;
        int r1 = (n * height + oy) * width;
        int r2 = (n * height + y2) * width;
        // the weights as RenderMath.blurPixel computes them: blurTap(a) * blurTap(b) * 0.0625f
        float wc = 1f * 1f * 0.0625f;
        float we = 1f * 2f * 0.0625f;
        float wm = 2f * 2f * 0.0625f;
        int i00 = (r0 + x0) * channels;
        int i01 = (r0 + ox) * channels;
        int i02 = (r0 + x2) * channels;
        int i10 = (r1 + x0) * channels;
        int i11 = (r1 + ox) * channels;
        int i12 = (r1 + x2) * channels;
        int i20 = (r2 + x0) * channels;
        int i21 = (r2 + ox) * channels;
        int i22 = (r2 + x2) * channels;
        int c = 0;
        for (; c < bound; c += SPECIES.length()) {
            FloatVector acc = FloatVector.zero(SPECIES);
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i00 + c).mul(wc));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i01 + c).mul(we));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i02 + c).mul(wc));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i10 + c).mul(we));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i11 + c).mul(wm));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i12 + c).mul(we));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i20 + c).mul(wc));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i21 + c).mul(we));
            acc = acc.add(FloatVector.fromArray(SPECIES, in, i22 + c).mul(wc));
            ((FloatVector) VECTOR_CLASS.cast(acc)).intoArray(out, o + c);
        }
        for (; c < channels; c++) {
            float v = 0f;
            v += wc * in[i00 + c];
            v += we * in[i01 + c];
            v += wc * in[i02 + c];
            v += we * in[i10 + c];
            v += wm * in[i11 + c];
            v += we * in[i12 + c];
            v += wc * in[i20 + c];
            v += we * in[i21 + c];
            v += wc * in[i22 + c];
            out[o + c] = v;
        }
    }

    /**
     * Vector API twin of {@link RenderMath#blurPixelBackward}, bit for bit: the same taps in the same order
     * (taps of adjoint weight 0 skipped, as there), summed in registers onto 0 or onto the old dIn, stored once.
     * The up to 9 tap weights and offsets are computed once per pixel.
     */
    static void blurPixelBackwardVector(float[] dIn, float[] dOut, int n, int iy, int ix, int height, int width,
                                        int channels, boolean accumulate) {
        int bound = SPECIES.loopBound(channels);
        if (bound == 0) {
            RenderMath.blurPixelBackward(dIn, dOut, n, iy, ix, height, width, channels, accumulate);
            return;
        }
        int d = ((n * height + iy) * width + ix) * channels;
        int oy0 = Math.max(0, iy - 1);
        int oy1 = Math.min(height - 1, iy + 1);
        int ox0 = Math.max(0, ix - 1);
        int ox1 = Math.min(width - 1, ix + 1);
        // adjoint weights per axis; 0 where the tap is outside [o0, o1] (RenderMath skips a 0 weight)
        float wy0 = RenderMath.blurAdjointWeight(oy0, iy, height);
        float wy1 = oy0 + 1 <= oy1 ? RenderMath.blurAdjointWeight(oy0 + 1, iy, height) : 0f;
        float wy2 = oy0 + 2 <= oy1 ? RenderMath.blurAdjointWeight(oy0 + 2, iy, height) : 0f;
        float wx0 = RenderMath.blurAdjointWeight(ox0, ix, width);
        float wx1 = ox0 + 1 <= ox1 ? RenderMath.blurAdjointWeight(ox0 + 1, ix, width) : 0f;
        float wx2 = ox0 + 2 <= ox1 ? RenderMath.blurAdjointWeight(ox0 + 2, ix, width) : 0f;
        // the tap weights as RenderMath computes them (wy * wx * 0.0625f), in its order: rows, then columns
        float w00 = wy0 * wx0 * 0.0625f;
        float w01 = wy0 * wx1 * 0.0625f;
        float w02 = wy0 * wx2 * 0.0625f;
        float w10 = wy1 * wx0 * 0.0625f;
        float w11 = wy1 * wx1 * 0.0625f;
        float w12 = wy1 * wx2 * 0.0625f;
        float w20 = wy2 * wx0 * 0.0625f;
        float w21 = wy2 * wx1 * 0.0625f;
        float w22 = wy2 * wx2 * 0.0625f;
        int r0 = (n * height + oy0) * width + ox0;
        int o00 = r0 * channels;
        int o01 = o00 + channels;
        int o02 = o01 + channels;
        int o10 = o00 + width * channels;
        int o11 = o10 + channels;
        int o12 = o11 + channels;
        int o20 = o10 + width * channels;
        int o21 = o20 + channels;
        int o22 = o21 + channels;
        int c = 0;
        for (; c < bound; c += SPECIES.length()) {
            FloatVector acc = accumulate ? FloatVector.fromArray(SPECIES, dIn, d + c) : FloatVector.zero(SPECIES);
            if (w00 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o00 + c).mul(w00));
            }
            if (w01 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o01 + c).mul(w01));
            }
            if (w02 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o02 + c).mul(w02));
            }
            if (w10 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o10 + c).mul(w10));
            }
            if (w11 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o11 + c).mul(w11));
            }
            if (w12 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o12 + c).mul(w12));
            }
            if (w20 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o20 + c).mul(w20));
            }
            if (w21 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o21 + c).mul(w21));
            }
            if (w22 != 0f) {
                acc = acc.add(FloatVector.fromArray(SPECIES, dOut, o22 + c).mul(w22));
            }
            ((FloatVector) VECTOR_CLASS.cast(acc)).intoArray(dIn, d + c);
        }
        for (; c < channels; c++) {
            float v = accumulate ? dIn[d + c] : 0f;
            if (w00 != 0f) {
                v += w00 * dOut[o00 + c];
            }
            if (w01 != 0f) {
                v += w01 * dOut[o01 + c];
            }
            if (w02 != 0f) {
                v += w02 * dOut[o02 + c];
            }
            if (w10 != 0f) {
                v += w10 * dOut[o10 + c];
            }
            if (w11 != 0f) {
                v += w11 * dOut[o11 + c];
            }
            if (w12 != 0f) {
                v += w12 * dOut[o12 + c];
            }
            if (w20 != 0f) {
                v += w20 * dOut[o20 + c];
            }
            if (w21 != 0f) {
                v += w21 * dOut[o21 + c];
            }
            if (w22 != 0f) {
                v += w22 * dOut[o22 + c];
            }
            dIn[d + c] = v;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
