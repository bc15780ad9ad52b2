package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.kernel.Activation;

/**
 * In place {@code y[r,c] = act(y[r,c] + bias[biasOff + (r / rowsPerBias) * biasStride + c])} on an OpenCL
 * device, one work-item per element of the {@code (rows, cols)} block (the range is rounded up to whole
 * work-groups; items past the end do nothing). The per-element math is
 * {@link Activation#applyGivenExp}, with the exponential taken here (as {@link Activation#apply} does).
 */
public final class BiasActivationKernel extends Kernel {
    private float[] y = new float[1];
    private int yOff;
    private int ldy;
    private int rows;
    private int cols;
    private float[] bias = new float[1];
    private int hasBias;
    private int biasOff;
    private int biasStride;
    private int rowsPerBias;
    private int act;
    /** Bound in place of a missing bias (never read: {@code hasBias} is 0). */
    private final float[] noBias = new float[1];

    /** Binds the arguments; {@code bias} null means no bias (a one-element placeholder is bound instead). */
    public void set(float[] y, int yOff, int ldy, int rows, int cols, float[] bias, int biasOff, int biasStride,
                    int rowsPerBias, int act) {
        this.y = y;
        this.yOff = yOff;
        this.ldy = ldy;
        this.rows = rows;
        this.cols = cols;
        this.hasBias = bias == null ? 0 : 1;
        this.bias = bias == null ? noBias : bias;
        this.biasOff = biasOff;
        this.biasStride = biasStride;
        this.rowsPerBias = Math.max(rowsPerBias, 1);
        this.act = act;
    }

    /** The bias array bound (the placeholder when there is none), for explicit uploads. */
    public float[] boundBias() {
        return bias;
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < rows * cols) {
            int r = gid / cols;
            int c = gid - r * cols;
            int i = yOff + r * ldy + c;
            float x = y[i];
            if (hasBias != 0) {
                x = x + bias[biasOff + (r / rowsPerBias) * biasStride + c];
            }
            float e = 0f;
            if (Activation.needsExp(act)) {
                e = (float) Math.exp(Activation.negAbs(x));
            }
            y[i] = Activation.applyGivenExp(act, x, e);
        }
    }
}
