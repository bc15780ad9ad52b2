package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.render.RenderMath;

/**
 * The background-map gradient of compositing as a gather, one work-item per (pixel p, channel c):
 * {@code dBg[p, c] += sum over the rays r of pixel p, r increasing, of dMerged[r, c] * bgAlpha[r]}, added to
 * dBg one ray at a time as the scalar loop does (no atomics; the order is fixed by the data).
 */
public final class CompositeBgBackwardKernel extends Kernel {
    private float[] dBg = new float[1];        // (pixels, C)
    private float[] dMerged = new float[1];    // (rays, C) at dMergedOff
    private float[] bgAlpha = new float[1];    // (rays) at rayOff
    private int dMergedOff;
    private int rayOff;
    private int rays;
    private int channels;
    private int pixels;
    private int firstPixel;

    /** Binds the arguments of one call. */
    public void set(float[] dBg, float[] dMerged, int dMergedOff, float[] bgAlpha, int rayOff,
                    int rays, int channels, int pixels, int firstPixel) {
        this.dBg = dBg;
        this.dMerged = dMerged;
        this.dMergedOff = dMergedOff;
        this.bgAlpha = bgAlpha;
        this.rayOff = rayOff;
        this.rays = rays;
        this.channels = channels;
        this.pixels = pixels;
        this.firstPixel = firstPixel;
    }

    /** Uploads every bound array. */
    public void upload() {
        put(dBg).put(dMerged).put(bgAlpha);
    }

    /** Downloads dBg. */
    public void download() {
        get(dBg);
    }

    @Override
    public void run() {
        int i = getGlobalId();
        if (i < pixels * channels) {
            int p = i / channels;
            int c = i - p * channels;
            float acc = dBg[i];
            for (int r = RenderMath.firstRayOfPixel(p, pixels, firstPixel); r < rays; r += pixels) {
                acc += dMerged[dMergedOff + r * channels + c] * bgAlpha[rayOff + r];
            }
            dBg[i] = acc;
        }
    }
}
