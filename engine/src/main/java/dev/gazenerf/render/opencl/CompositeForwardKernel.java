package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.render.RenderMath;

/**
 * Volume compositing forward (reference 2.5) on an OpenCL device, one work-item per ray with the sample loop
 * inside, in the scalar order: {@code alpha_k = 1 - exp(-sigma_k delta_k)} (the exponential taken here, in
 * double and rounded to float as the scalar loop does), then {@link RenderMath#compositeRayWeights} (T, bgAlpha,
 * depth) and {@link RenderMath#compositeRayFeatures} (merged). Shapes as on
 * {@link dev.gazenerf.render.RenderKernels#compositeForward}.
 */
public final class CompositeForwardKernel extends Kernel {
    private float[] merged = new float[1];     // (rays, C) at mergedOff
    private float[] depth = new float[1];      // (rays) at rayOff, or the placeholder
    private float[] bgAlpha = new float[1];    // (rays) at rayOff
    private float[] alpha = new float[1];      // (rays, S) at cacheOff
    private float[] trans = new float[1];      // (rays, S) at cacheOff
    private float[] sigma = new float[1];      // (rays*S) at sigmaOff
    private float[] feat = new float[1];       // (rays*S, C) at featOff, ld ldf
    private float[] delta = new float[1];      // (rays*S) at sampleOff
    private float[] tvals = new float[1];      // (rays*S) at sampleOff
    private float[] bg = new float[1];         // (pixels, C)
    private final float[] noDepth = new float[1];
    private int mergedOff;
    private int hasDepth;
    private int rayOff;
    private int cacheOff;
    private int sigmaOff;
    private int featOff;
    private int ldf;
    private int sampleOff;
    private int rays;
    private int samples;
    private int channels;
    private int pixels;
    private int firstPixel;

    /** Binds the arguments of one call ({@code depth} null: not written). */
    public void set(float[] merged, int mergedOff, float[] depth, float[] bgAlpha, int rayOff,
                    float[] alpha, float[] trans, int cacheOff, float[] sigma, int sigmaOff,
                    float[] feat, int featOff, int ldf, float[] delta, float[] tvals, int sampleOff, float[] bg,
                    int rays, int samples, int channels, int pixels, int firstPixel) {
        this.merged = merged;
        this.mergedOff = mergedOff;
        this.hasDepth = depth == null ? 0 : 1;
        this.depth = depth == null ? noDepth : depth;
        this.bgAlpha = bgAlpha;
        this.rayOff = rayOff;
        this.alpha = alpha;
        this.trans = trans;
        this.cacheOff = cacheOff;
        this.sigma = sigma;
        this.sigmaOff = sigmaOff;
        this.feat = feat;
        this.featOff = featOff;
        this.ldf = ldf;
        this.delta = delta;
        this.tvals = tvals;
        this.sampleOff = sampleOff;
        this.bg = bg;
        this.rays = rays;
        this.samples = samples;
        this.channels = channels;
        this.pixels = pixels;
        this.firstPixel = firstPixel;
    }

    /** Uploads every bound array (outputs too, so that what a call does not write keeps the host's values). */
    public void upload() {
        put(merged).put(depth).put(bgAlpha).put(alpha).put(trans).put(sigma).put(feat).put(delta).put(tvals).put(bg);
    }

    /** Downloads the outputs: merged, depth, bgAlpha and the caches alpha and T. */
    public void download() {
        get(merged).get(depth).get(bgAlpha).get(alpha).get(trans);
    }

    @Override
    public void run() {
        int r = getGlobalId();
        if (r < rays) {
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                alpha[cacheOff + s] = RenderMath.alphaFromExp((float) exp((double) (-sigma[sigmaOff + s] * delta[sampleOff + s])));
            }
            RenderMath.compositeRayWeights(r, depth, hasDepth != 0, bgAlpha, rayOff, alpha, trans, cacheOff,
                    tvals, sampleOff, samples);
            RenderMath.compositeRayFeatures(r, merged, mergedOff, bgAlpha, rayOff, alpha, trans, cacheOff,
                    feat, featOff, ldf, bg, samples, channels, (firstPixel + r) % pixels);
        }
    }
}
