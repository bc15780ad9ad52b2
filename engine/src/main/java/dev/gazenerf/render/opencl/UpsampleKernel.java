package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.render.RenderMath;

/**
 * Bilinear x2 upsampling, align_corners=False (reference 2.7), on an OpenCL device, one work-item per element
 * written. Forward, per output element {@code (n, oy, ox, c)} of {@code (images, 2H, 2W, C)}: PyTorch's formula
 * {@code ly0 (lx0 in[y0,x0] + lx1 in[y0,x1]) + ly1 (lx0 in[y1,x0] + lx1 in[y1,x1])} with the indices and weights
 * of {@link RenderMath#bilinearIndex}, {@link RenderMath#bilinearUpper}, {@link RenderMath#bilinearLambda}.
 * Backward as a gather, per input element {@code (n, iy, ix, c)}: {@code dIn (+)= sum over oy in 2iy-2..2iy+2,
 * ox in 2ix-2..2ix+2 (increasing) of wy wx dOut[n, oy, ox, c]} with the weights of
 * {@link RenderMath#bilinearTapWeight} (no atomics), in the order of
 * {@link RenderMath#upsamplePixelBackward}.
 */
public final class UpsampleKernel extends Kernel {
    private float[] dst = new float[1];   // forward out (images, 2H, 2W, C); backward dIn (images, H, W, C)
    private float[] src = new float[1];   // forward in (images, H, W, C); backward dOut (images, 2H, 2W, C)
    private int height;
    private int width;
    private int channels;
    private int items;
    private int backward;
    private int accumulate;

    /** Binds one call over {@code images} images of the input size {@code (height, width)}. */
    public void set(float[] dst, float[] src, int images, int height, int width, int channels, boolean backward,
                    boolean accumulate) {
        this.dst = dst;
        this.src = src;
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.items = images * height * width * channels * (backward ? 1 : 4);
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
            if (backward == 0) {
                int ox = p % (2 * width);
                int t = p / (2 * width);
                int oy = t % (2 * height);
                int n = t / (2 * height);
                int y0 = RenderMath.bilinearIndex(oy, height);
                int y1 = RenderMath.bilinearUpper(oy, height);
                float ly1 = RenderMath.bilinearLambda(oy, height);
                float ly0 = 1f - ly1;
                int x0 = RenderMath.bilinearIndex(ox, width);
                int x1 = RenderMath.bilinearUpper(ox, width);
                float lx1 = RenderMath.bilinearLambda(ox, width);
                float lx0 = 1f - lx1;
                int base = n * height * width;
                float v00 = src[(base + y0 * width + x0) * channels + c];
                float v01 = src[(base + y0 * width + x1) * channels + c];
                float v10 = src[(base + y1 * width + x0) * channels + c];
                float v11 = src[(base + y1 * width + x1) * channels + c];
                dst[gid] = ly0 * (lx0 * v00 + lx1 * v01) + ly1 * (lx0 * v10 + lx1 * v11);
            } else {
                int ix = p % width;
                int t = p / width;
                int iy = t % height;
                int n = t / height;
                float acc = 0f;
                if (accumulate != 0) {
                    acc = dst[gid];
                }
                int oyStart = 2 * iy - 2 < 0 ? 0 : 2 * iy - 2;
                int oyEnd = 2 * iy + 2 > 2 * height - 1 ? 2 * height - 1 : 2 * iy + 2;
                int oxStart = 2 * ix - 2 < 0 ? 0 : 2 * ix - 2;
                int oxEnd = 2 * ix + 2 > 2 * width - 1 ? 2 * width - 1 : 2 * ix + 2;
                for (int oy = oyStart; oy <= oyEnd; oy++) {
                    float wy = RenderMath.bilinearTapWeight(oy, iy, height);
                    if (wy != 0f) {
                        for (int ox = oxStart; ox <= oxEnd; ox++) {
                            float wx = RenderMath.bilinearTapWeight(ox, ix, width);
                            if (wx != 0f) {
                                float w = wy * wx;
                                acc += w * src[((n * 2 * height + oy) * 2 * width + ox) * channels + c];
                            }
                        }
                    }
                }
                dst[gid] = acc;
            }
        }
    }
}
