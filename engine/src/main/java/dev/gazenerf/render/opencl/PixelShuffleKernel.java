package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

/**
 * The x2 pixel shuffle (reference 2.7) on an OpenCL device, one work-item per element written. Forward, per
 * output element {@code (n, oy, ox, c)} of {@code (images, 2H, 2W, C)}:
 * {@code out = in[n, oy/2, ox/2, 4c + 2(oy%2) + ox%2]}. Backward, per input element {@code (n, h, w, k)} of
 * {@code (images, H, W, 4C)} with {@code k = 4c + 2i + j}: {@code dIn (+)= dOut[n, 2h+i, 2w+j, c]}.
 * Pure copies (and one add): the scalar result bit for bit.
 */
public final class PixelShuffleKernel extends Kernel {
    private float[] dst = new float[1];   // forward out (images, 2H, 2W, C); backward dIn (images, H, W, 4C)
    private float[] src = new float[1];   // forward in; backward dOut
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
        this.items = images * height * width * 4 * channels;
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
            if (backward == 0) {
                int c = gid % channels;
                int p = gid / channels;
                int ox = p % (2 * width);
                int t = p / (2 * width);
                int oy = t % (2 * height);
                int n = t / (2 * height);
                dst[gid] = src[((n * height + oy / 2) * width + ox / 2) * 4 * channels + 2 * (oy % 2) + (ox % 2) + 4 * c];
            } else {
                int k = gid % (4 * channels);
                int p = gid / (4 * channels);
                int w = p % width;
                int t = p / width;
                int h = t % height;
                int n = t / height;
                int c = k / 4;
                int i = (k % 4) / 2;
                int j = k % 2;
                float g = src[((n * 2 * height + 2 * h + i) * 2 * width + 2 * w + j) * channels + c];
                if (accumulate != 0) {
                    dst[gid] = dst[gid] + g;
                } else {
                    dst[gid] = g;
                }
            }
        }
    }
}
