package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.render.RenderMath;

/**
 * The 3x3 reflect-border blur ([1,2,1]^T [1,2,1] / 16, reference 2.7) on an OpenCL device, one work-item per
 * element {@code (n, y, x, c)} of {@code (images, H, W, C)}. Forward: {@code out = sum_{a,b} tap_a tap_b / 16 *
 * in[reflect(y+a), reflect(x+b), c]} (a, then b, increasing, as {@link RenderMath#blurPixel}). Backward as a
 * gather: {@code dIn (+)= sum over oy in y-1..y+1, ox in x-1..x+1 of wy wx / 16 * dOut[oy, ox, c]} with the
 * reflected taps folded in by {@link RenderMath#blurAdjointWeight} (no atomics), as
 * {@link RenderMath#blurPixelBackward}.
 */
public final class BlurKernel extends Kernel {
    private float[] dst = new float[1];   // (images, H, W, C): out, or dIn
    private float[] src = new float[1];   // (images, H, W, C): in, or dOut
    private int height;
    private int width;
    private int channels;
    private int items;
    private int backward;
    private int accumulate;

    /** Binds one call. */
    public void set(float[] dst, float[] src, int images, int height, int width, int channels, boolean backward,
                    boolean accumulate) {
        this.dst = dst;
        this.src = src;
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.items = images * height * width * channels;
        this.backward = backward ? 1 : 0;
        this.accumulate = accumulate ? 1 : 0;
    }

    /** Uploads every bound array. */
    public void upload() {
        put(dst).put(src);
    }

    /** Downloads dst. */
    public void download() {
        get(dst);
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < items) {
            int c = gid % channels;
            int p = gid / channels;
            int x = p % width;
            int t = p / width;
            int y = t % height;
            int n = t / height;
            if (backward == 0) {
                float acc = 0f;
                for (int a = -1; a <= 1; a++) {
                    int sy = RenderMath.reflect(y + a, height);
                    for (int b = -1; b <= 1; b++) {
                        int sx = RenderMath.reflect(x + b, width);
                        float w = RenderMath.blurTap(a) * RenderMath.blurTap(b) * 0.0625f;
                        acc += w * src[((n * height + sy) * width + sx) * channels + c];
                    }
                }
                dst[gid] = acc;
            } else {
                float acc = 0f;
                if (accumulate != 0) {
                    acc = dst[gid];
                }
                int oyStart = y - 1 < 0 ? 0 : y - 1;
                int oyEnd = y + 1 > height - 1 ? height - 1 : y + 1;
                int oxStart = x - 1 < 0 ? 0 : x - 1;
                int oxEnd = x + 1 > width - 1 ? width - 1 : x + 1;
                for (int oy = oyStart; oy <= oyEnd; oy++) {
                    float wy = RenderMath.blurAdjointWeight(oy, y, height);
                    if (wy != 0f) {
                        for (int ox = oxStart; ox <= oxEnd; ox++) {
                            float wx = RenderMath.blurAdjointWeight(ox, x, width);
                            if (wx != 0f) {
                                float w = wy * wx * 0.0625f;
                                acc += w * src[((n * height + oy) * width + ox) * channels + c];
                            }
                        }
                    }
                }
                dst[gid] = acc;
            }
        }
    }
}
