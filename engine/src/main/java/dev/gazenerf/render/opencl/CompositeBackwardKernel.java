package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.render.RenderMath;

/**
 * Volume compositing backward to the samples on an OpenCL device, one work-item per ray, in the scalar order:
 * {@link RenderMath#compositeRayFeatureBackward} ({@code G_k} into dSigma, dFeat), the suffix recurrence
 * {@link RenderMath#compositeRayAlphaBackward} (k decreasing), then per sample
 * {@link RenderMath#compositeSampleBackward} with {@code exp(-sigma delta)} taken here. The background-map
 * gradient is {@link CompositeBgBackwardKernel}. Shapes as on
 * {@link dev.gazenerf.render.RenderKernels#compositeBackward}.
 */
public final class CompositeBackwardKernel extends Kernel {
    private float[] dSigma = new float[1];     // (rays*S) at dSigmaOff
    private float[] dFeat = new float[1];      // (rays*S, C) at dFeatOff, ld lddf
    private float[] dDelta = new float[1];     // (rays*S) at dSigmaOff, or the placeholder
    private float[] dMerged = new float[1];    // (rays, C) at dMergedOff
    private float[] dDepth = new float[1];     // (rays) at rayOff, or the placeholder
    private float[] alpha = new float[1];      // (rays, S) at cacheOff
    private float[] trans = new float[1];      // (rays, S) at cacheOff
    private float[] sigma = new float[1];      // (rays*S) at sigmaOff
    private float[] feat = new float[1];       // (rays*S, C) at featOff, ld ldf
    private float[] delta = new float[1];      // (rays*S) at sampleOff
    private float[] tvals = new float[1];      // (rays*S) at sampleOff
    private float[] bg = new float[1];         // (pixels, C)
    private final float[] noDDelta = new float[1];
    private final float[] noDDepth = new float[1];
    private int dSigmaOff;
    private int dFeatOff;
    private int lddf;
    private int hasDDelta;
    private int dMergedOff;
    private int hasDDepth;
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

    /** Binds the arguments of one call ({@code dDelta} null: not written; {@code dDepth} null: zero). */
    public void set(float[] dSigma, int dSigmaOff, float[] dFeat, int dFeatOff, int lddf, float[] dDelta,
                    float[] dMerged, int dMergedOff, float[] dDepth, int rayOff,
                    float[] alpha, float[] trans, int cacheOff, float[] sigma, int sigmaOff,
                    float[] feat, int featOff, int ldf, float[] delta, float[] tvals, int sampleOff, float[] bg,
                    int rays, int samples, int channels, int pixels, int firstPixel) {
        this.dSigma = dSigma;
        this.dSigmaOff = dSigmaOff;
        this.dFeat = dFeat;
        this.dFeatOff = dFeatOff;
        this.lddf = lddf;
        this.hasDDelta = dDelta == null ? 0 : 1;
        this.dDelta = dDelta == null ? noDDelta : dDelta;
        this.dMerged = dMerged;
        this.dMergedOff = dMergedOff;
        this.hasDDepth = dDepth == null ? 0 : 1;
        this.dDepth = dDepth == null ? noDDepth : dDepth;
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

    /** Uploads every bound array. */
    public void upload() {
        put(dSigma).put(dFeat).put(dDelta).put(dMerged).put(dDepth).put(alpha).put(trans).put(sigma).put(feat)
                .put(delta).put(tvals).put(bg);
    }

    /** Downloads the outputs dSigma, dFeat and dDelta. */
    public void download() {
        get(dSigma).get(dFeat).get(dDelta);
    }

    @Override
    public void run() {
        int r = getGlobalId();
        if (r < rays) {
            RenderMath.compositeRayFeatureBackward(r, dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dMerged, dMergedOff,
                    dDepth, hasDDepth != 0, rayOff, alpha, trans, cacheOff, feat, featOff, ldf, tvals, sampleOff, bg,
                    samples, channels, (firstPixel + r) % pixels);
            RenderMath.compositeRayAlphaBackward(r, dSigma, dSigmaOff, alpha, trans, cacheOff, samples);
            for (int s = r * samples; s < (r + 1) * samples; s++) {
                float e = (float) exp((double) (-sigma[sigmaOff + s] * delta[sampleOff + s]));
                RenderMath.compositeSampleBackward(s, dSigma, dSigmaOff, dDelta, hasDDelta != 0, sigma, sigmaOff,
                        delta, sampleOff, e);
            }
        }
    }
}
