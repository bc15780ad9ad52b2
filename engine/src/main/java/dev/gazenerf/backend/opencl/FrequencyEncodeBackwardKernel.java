package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.kernel.ScalarKernels;

/**
 * Backward of the frequency encoding on an OpenCL device, one work-item per coordinate {@code (p, i)}:
 * {@code dXyz[p, i] (+)= dOut[p, i] + sum_f 2^f (cos(2^f x_i) dOut[p, sin_f i] - sin(2^f x_i) dOut[p, cos_f i])},
 * bands summed in increasing f as in the scalar specification.
 */
public final class FrequencyEncodeBackwardKernel extends Kernel {
    private float[] dXyz = new float[1];
    private int dXyzOff;
    private float[] dOut = new float[1];
    private int dOutOff;
    private int lddo;
    private float[] xyz = new float[1];
    private int xyzOff;
    private int points;
    private int frequencies;
    private int accumulate;

    /** Binds the arguments of one call. */
    public void set(float[] dXyz, int dXyzOff, float[] dOut, int dOutOff, int lddo, float[] xyz, int xyzOff,
                    int points, int frequencies, boolean accumulate) {
        this.dXyz = dXyz;
        this.dXyzOff = dXyzOff;
        this.dOut = dOut;
        this.dOutOff = dOutOff;
        this.lddo = lddo;
        this.xyz = xyz;
        this.xyzOff = xyzOff;
        this.points = points;
        this.frequencies = frequencies;
        this.accumulate = accumulate ? 1 : 0;
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < points * 3) {
            int p = gid / 3;
            int i = gid - p * 3;
            int o = dOutOff + p * lddo;
            float g = dOut[o + i];
            for (int f = 0; f < frequencies; f++) {
                float w = ScalarKernels.band(f);
                float x = xyz[xyzOff + p * 3 + i] * w;
                g += w * ((float) Math.cos(x) * dOut[o + 3 + 6 * f + i] - (float) Math.sin(x) * dOut[o + 6 + 6 * f + i]);
            }
            int di = dXyzOff + p * 3 + i;
            if (accumulate != 0) {
                dXyz[di] = dXyz[di] + g;
            } else {
                dXyz[di] = g;
            }
        }
    }
}
