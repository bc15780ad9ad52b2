package dev.gazenerf.kernel;

/**
 * Per-element math shared by every backend (scalar loops, Vector API tails and Aparapi {@code run()}).
 * Only static methods over primitives: the subset of Java that Aparapi translates to OpenCL.
 */
public final class ScalarKernels {
    private ScalarKernels() {
    }

    /** Frequency {@code 2^f} of band f of the positional encoding (section 2.3). */
    public static float band(int f) {
        return (float) (1 << f);
    }

    /** One Adam update of a single parameter; returns the new parameter (moments are updated by the caller). */
    public static float adamParam(float p, float mNew, float vNew, float stepSize, float sqrtBias2, float eps) {
        return adamParamGivenSqrt(p, mNew, (float) Math.sqrt(vNew), stepSize, sqrtBias2, eps);
    }

    /**
     * {@link #adamParam} given {@code sqrtV = (float) Math.sqrt(vNew)}. OpenCL kernels call this form and take
     * the square root in their own {@code run()}: Aparapi 3.0.2 cannot translate a {@code java.lang.Math} call
     * inside a helper of another class.
     */
    public static float adamParamGivenSqrt(float p, float mNew, float sqrtV, float stepSize, float sqrtBias2, float eps) {
        return p - stepSize * mNew / (sqrtV / sqrtBias2 + eps);
    }
}
