package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

/**
 * The eye-feature rotation (reference 2.6) and its input gradient on an OpenCL device, one work-item per
 * element {@code (row, k)} of the {@code (images*pixels, C)} map, with {@code j = k - k mod 3} the triplet and
 * {@code m = k mod 3}, and R the image's rotation matrix (computed on the host by
 * {@link dev.gazenerf.render.RenderMath#rotationMatrix}, row-major, {@code (images, 9)}):
 * <pre>
 *   forward:   out[row, j+m] = v0 R[0][m] + v1 R[1][m] + v2 R[2][m]      (v = in[row, j..j+2])
 *   backward:  dIn[row, j+m] (+)= g0 R[m][0] + g1 R[m][1] + g2 R[m][2]   (g = dOut[row, j..j+2])
 * </pre>
 * the same sums in the same order as {@link dev.gazenerf.render.RenderMath#rotateRow} and
 * {@link dev.gazenerf.render.RenderMath#rotateRowBackward}.
 */
public final class RotateKernel extends Kernel {
    private float[] dst = new float[1];   // (images*pixels, C): out, or dIn
    private float[] src = new float[1];   // (images*pixels, C): in, or dOut
    private float[] rot = new float[9];   // (images, 9)
    private int pixels;
    private int channels;
    private int items;
    private int backward;
    private int accumulate;

    /** Binds one call: {@code backward} false for {@code dst = src R}, true for {@code dst (+)= src R^T}. */
    public void set(float[] dst, float[] src, float[] rot, int images, int pixels, int channels, boolean backward,
                    boolean accumulate) {
        this.dst = dst;
        this.src = src;
        this.rot = rot;
        this.pixels = pixels;
        this.channels = channels;
        this.items = images * pixels * channels;
        this.backward = backward ? 1 : 0;
        this.accumulate = accumulate ? 1 : 0;
    }

    /** Uploads every bound array. */
    public void upload() {
        put(dst).put(src).put(rot);
    }

    /** Downloads dst. */
    public void download() {
        get(dst);
    }

    @Override
    public void run() {
        int i = getGlobalId();
        if (i < items) {
            int row = i / channels;
            int k = i - row * channels;
            int m = k % 3;
            int o = i - m;
            int r = 9 * (row / pixels);
            float v0 = src[o];
            float v1 = src[o + 1];
            float v2 = src[o + 2];
            if (backward == 0) {
                dst[i] = v0 * rot[r + m] + v1 * rot[r + 3 + m] + v2 * rot[r + 6 + m];
            } else {
                float d = v0 * rot[r + 3 * m] + v1 * rot[r + 3 * m + 1] + v2 * rot[r + 3 * m + 2];
                if (accumulate != 0) {
                    dst[i] = dst[i] + d;
                } else {
                    dst[i] = d;
                }
            }
        }
    }
}
