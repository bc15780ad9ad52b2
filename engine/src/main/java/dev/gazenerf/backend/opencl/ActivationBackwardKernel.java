package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.kernel.Activation;

/**
 * {@code dx[r,c] = Activation.backward(act, dy[r,c], y[r,c])} on an OpenCL device, one work-item per
 * element of the {@code (rows, cols)} block. The backend binds distinct arrays (an in-place call reads a
 * snapshot of dy), because Aparapi gives each field its own device buffer.
 */
public final class ActivationBackwardKernel extends Kernel {
    private float[] dx = new float[1];
    private int dxOff;
    private int lddx;
    private float[] dy = new float[1];
    private int dyOff;
    private int lddy;
    private float[] y = new float[1];
    private int yOff;
    private int ldy;
    private int rows;
    private int cols;
    private int act;

    /** Binds the arguments of one call. */
    public void set(float[] dx, int dxOff, int lddx, float[] dy, int dyOff, int lddy, float[] y, int yOff, int ldy,
                    int rows, int cols, int act) {
        this.dx = dx;
        this.dxOff = dxOff;
        this.lddx = lddx;
        this.dy = dy;
        this.dyOff = dyOff;
        this.lddy = lddy;
        this.y = y;
        this.yOff = yOff;
        this.ldy = ldy;
        this.rows = rows;
        this.cols = cols;
        this.act = act;
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < rows * cols) {
            int r = gid / cols;
            int c = gid - r * cols;
            dx[dxOff + r * lddx + c] = Activation.backward(act, dy[dyOff + r * lddy + c], y[yOff + r * ldy + c]);
        }
    }
}
