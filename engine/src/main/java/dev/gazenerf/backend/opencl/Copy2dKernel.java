package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

/**
 * Block copy {@code dst[r, c] = (accumulate ? dst[r,c] : 0) + src[r, c]} on an OpenCL device, one
 * work-item per element of the {@code (rows, cols)} block.
 */
public final class Copy2dKernel extends Kernel {
    private float[] dst = new float[1];
    private int dstOff;
    private int lddst;
    private float[] src = new float[1];
    private int srcOff;
    private int ldsrc;
    private int rows;
    private int cols;
    private int accumulate;

    /** Binds the arguments of one call. */
    public void set(float[] dst, int dstOff, int lddst, float[] src, int srcOff, int ldsrc, int rows, int cols,
                    boolean accumulate) {
        this.dst = dst;
        this.dstOff = dstOff;
        this.lddst = lddst;
        this.src = src;
        this.srcOff = srcOff;
        this.ldsrc = ldsrc;
        this.rows = rows;
        this.cols = cols;
        this.accumulate = accumulate ? 1 : 0;
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < rows * cols) {
            int r = gid / cols;
            int c = gid - r * cols;
            int di = dstOff + r * lddst + c;
            float s = src[srcOff + r * ldsrc + c];
            if (accumulate != 0) {
                dst[di] = dst[di] + s;
            } else {
                dst[di] = s;
            }
        }
    }
}
