package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

/**
 * Grouped column sums {@code out[g, c] = (accumulate ? out[g,c] : 0) + sum_{r in group g} d[r, c]} on an
 * OpenCL device: one work-item per {@code (g, c)}, summing its rows in increasing order, the order of the
 * scalar specification (so the result is deterministic and does not depend on the work-group size).
 */
public final class ColumnSumsKernel extends Kernel {
    private float[] out = new float[1];
    private int outOff;
    private float[] d = new float[1];
    private int dOff;
    private int ldd;
    private int groups;
    private int cols;
    private int rowsPerGroup;
    private int accumulate;

    /** Binds the arguments of one call. */
    public void set(float[] out, int outOff, float[] d, int dOff, int ldd, int rows, int cols, int rowsPerGroup,
                    boolean accumulate) {
        this.out = out;
        this.outOff = outOff;
        this.d = d;
        this.dOff = dOff;
        this.ldd = ldd;
        this.groups = rows / rowsPerGroup;
        this.cols = cols;
        this.rowsPerGroup = rowsPerGroup;
        this.accumulate = accumulate ? 1 : 0;
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < groups * cols) {
            int g = gid / cols;
            int c = gid - g * cols;
            float s = 0f;
            int r0 = g * rowsPerGroup;
            for (int r = r0; r < r0 + rowsPerGroup; r++) {
                s += d[dOff + r * ldd + c];
            }
            int oi = outOff + g * cols + c;
            if (accumulate != 0) {
                out[oi] = out[oi] + s;
            } else {
                out[oi] = s;
            }
        }
    }
}
