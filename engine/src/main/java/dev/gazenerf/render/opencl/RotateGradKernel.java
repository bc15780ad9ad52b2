package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

/**
 * First stage of the rotation's gaze-angle gradient on an OpenCL device: one work-item per (image n, pixel
 * block b, matrix entry q = 3i + m) writes
 * {@code partial[(n*blocks + b)*9 + q] = sum over the rows of the block (increasing) and triplets j (increasing)
 * of in[row, j+i] * dOut[row, j+m]} in double, the sum of
 * {@link dev.gazenerf.render.RenderMath#rotateBlockGradR} (each product of two floats is exact in double, so the
 * result is the scalar one bit for bit). The host then adds the blocks of each image in block order and
 * contracts with dR/dpitch and dR/dyaw, as the scalar kernels do. Needs a device with fp64.
 */
public final class RotateGradKernel extends Kernel {
    private double[] partial = new double[9];   // (images*blocks, 9)
    private float[] in = new float[1];          // (images*pixels, C)
    private float[] dOut = new float[1];        // (images*pixels, C)
    private int pixels;
    private int channels;
    private int blocks;
    private int block;
    private int items;

    /** Binds one call; {@code block} rows per block ({@link dev.gazenerf.render.RenderMath#ROTATE_BLOCK}). */
    public void set(double[] partial, float[] in, float[] dOut, int images, int pixels, int channels, int block) {
        this.partial = partial;
        this.in = in;
        this.dOut = dOut;
        this.pixels = pixels;
        this.channels = channels;
        this.block = block;
        this.blocks = (pixels + block - 1) / block;
        this.items = images * blocks * 9;
    }

    /** Uploads every bound array. */
    public void upload() {
        put(partial).put(in).put(dOut);
    }

    /** Downloads the partial sums. */
    public void download() {
        get(partial);
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < items) {
            int item = gid / 9;
            int q = gid - item * 9;
            int i = q / 3;
            int m = q - i * 3;
            int n = item / blocks;
            int b = item - n * blocks;
            int rowStart = n * pixels + b * block;
            int rowEnd = (b + 1) * block;
            if (rowEnd > pixels) {
                rowEnd = pixels;
            }
            rowEnd = rowEnd + n * pixels;
            double acc = 0.0;
            for (int row = rowStart; row < rowEnd; row++) {
                int o = row * channels;
                for (int j = 0; j < channels; j += 3) {
                    double v = in[o + j + i];
                    acc += v * dOut[o + j + m];
                }
            }
            partial[gid] = acc;
        }
    }
}
