package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.kernel.ScalarKernels;

/**
 * Frequency encoding (reference section 2.3) on an OpenCL device, one work-item per point:
 * {@code out[p, :] = [x, sin(2^0 x), cos(2^0 x), ..., sin(2^(F-1) x), cos(2^(F-1) x)]}, each entry 3 wide.
 * The band frequencies come from {@link ScalarKernels#band}; sine and cosine are evaluated in double and
 * rounded to float, as the scalar specification does (the device needs fp64, which Aparapi checks).
 */
public final class FrequencyEncodeKernel extends Kernel {
    private float[] out = new float[1];
    private int outOff;
    private int ldo;
    private float[] xyz = new float[1];
    private int xyzOff;
    private int points;
    private int frequencies;

    /** Binds the arguments of one call. */
    public void set(float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int points, int frequencies) {
        this.out = out;
        this.outOff = outOff;
        this.ldo = ldo;
        this.xyz = xyz;
        this.xyzOff = xyzOff;
        this.points = points;
        this.frequencies = frequencies;
    }

    @Override
    public void run() {
        int p = getGlobalId();
        if (p < points) {
            int o = outOff + p * ldo;
            for (int i = 0; i < 3; i++) {
                out[o + i] = xyz[xyzOff + p * 3 + i];
            }
            for (int f = 0; f < frequencies; f++) {
                float w = ScalarKernels.band(f);
                for (int i = 0; i < 3; i++) {
                    float x = xyz[xyzOff + p * 3 + i] * w;
                    out[o + 3 + 6 * f + i] = (float) Math.sin(x);
                    out[o + 6 + 6 * f + i] = (float) Math.cos(x);
                }
            }
        }
    }
}
