package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.kernel.ScalarKernels;

/**
 * One Adam step on an OpenCL device, one work-item per parameter {@code i in [off, off + n)}:
 * {@code m = b1 m + (1-b1) g}, {@code v = b2 v + (1-b2) g^2}, then {@link ScalarKernels#adamParamGivenSqrt} with the
 * square root taken here (as {@link ScalarKernels#adamParam} does). The
 * bias corrections {@code stepSize = lr / (1 - b1^t)} and {@code sqrtBias2 = sqrt(1 - b2^t)} are computed
 * once on the host exactly as the scalar specification does and passed in.
 */
public final class AdamKernel extends Kernel {
    private float[] param = new float[1];
    private float[] grad = new float[1];
    private float[] m = new float[1];
    private float[] v = new float[1];
    private int off;
    private int n;
    private float beta1;
    private float beta2;
    private float eps;
    private float stepSize;
    private float sqrtBias2;

    /** Binds the arguments of one step. */
    public void set(float[] param, float[] grad, float[] m, float[] v, int off, int n, float beta1, float beta2,
                    float eps, float stepSize, float sqrtBias2) {
        this.param = param;
        this.grad = grad;
        this.m = m;
        this.v = v;
        this.off = off;
        this.n = n;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.stepSize = stepSize;
        this.sqrtBias2 = sqrtBias2;
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        if (gid < n) {
            int i = off + gid;
            float g = grad[i];
            float mi = beta1 * m[i] + (1f - beta1) * g;
            float vi = beta2 * v[i] + (1f - beta2) * g * g;
            m[i] = mi;
            v[i] = vi;
            param[i] = ScalarKernels.adamParamGivenSqrt(param[i], mi, (float) Math.sqrt(vi), stepSize, sqrtBias2, eps);
        }
    }
}
