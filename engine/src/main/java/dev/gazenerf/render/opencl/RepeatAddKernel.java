package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

/**
 * The channel-repeat residual of PixelShuffleUpsample (reference 2.7) on an OpenCL device. Forward, one
 * work-item per output element {@code (r, k)} of {@code (rows, R*C)}: {@code out = y[r, k] + x[xOff + r*C + k mod C]}.
 * Backward, one work-item per element {@code (r, c)} of dX: {@code dX[dxOff + r*C + c] (+)= sum_q dOut[r, q*C + c]}
 * (q increasing). The scalar result bit for bit.
 */
public final class RepeatAddKernel extends Kernel {
    private float[] dst = new float[1];   // forward out (rows, R*C); backward dX (rows, C) at xOff
    private float[] src = new float[1];   // forward y (rows, R*C); backward dOut (rows, R*C)
    private float[] x = new float[1];     // forward x (rows, C) at xOff; backward the placeholder
    private final float[] noX = new float[1];
    private int xOff;
    private int channels;
    private int repeats;
    private int items;
    private int backward;
    private int accumulate;

    /** Binds the forward; {@code y} must not be {@code out} (pass a copy). */
    public void setForward(float[] out, float[] y, float[] x, int xOff, int rows, int channels, int repeats) {
        this.dst = out;
        this.src = y;
        this.x = x;
        this.xOff = xOff;
        this.channels = channels;
        this.repeats = repeats;
        this.items = rows * channels * repeats;
        this.backward = 0;
        this.accumulate = 0;
    }

    /** Binds the backward to x. */
    public void setBackward(float[] dX, int dxOff, float[] dOut, int rows, int channels, int repeats, boolean accumulate) {
        this.dst = dX;
        this.src = dOut;
        this.x = noX;
        this.xOff = dxOff;
        this.channels = channels;
        this.repeats = repeats;
        this.items = rows * channels;
        this.backward = 1;
        this.accumulate = accumulate ? 1 : 0;
    }

    /** Uploads every bound array. */
    public void upload() {
        put(dst).put(src).put(x);
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
                int width = channels * repeats;
                int r = gid / width;
                int k = gid - r * width;
                dst[gid] = src[gid] + x[xOff + r * channels + k % channels];
            } else {
                int r = gid / channels;
                int c = gid - r * channels;
                int o = r * channels * repeats + c;
                float s = 0f;
                for (int q = 0; q < repeats; q++) {
                    s += src[o + q * channels];
                }
                int d = xOff + gid;
                if (accumulate != 0) {
                    dst[d] = dst[d] + s;
                } else {
                    dst[d] = s;
                }
            }
        }
    }
}
