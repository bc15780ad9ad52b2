package dev.gazenerf.kernel;

/**
 * Point-wise activations used by the network, with per-element helpers shared by every backend.
 *
 * <p>The derivative is written in terms of the activation's <em>output</em> {@code y}, so backward
 * needs only the cached output: ReLU {@code y > 0}, LeakyReLU(0.2) {@code y > 0 ? 1 : 0.2} (y has the
 * sign of x), sigmoid {@code y (1 - y)}. At exactly x = 0 ReLU and LeakyReLU take the left branch, as
 * PyTorch does. The integer {@link #code} is what OpenCL kernels receive (they cannot take enums).
 */
public enum Activation {
    NONE(0), RELU(1), LEAKY_RELU(2), SIGMOID(3);

    /** The negative slope of LeakyReLU everywhere in GazeNeRF's neural renderer (section 2.7). */
    public static final float LEAKY_SLOPE = 0.2f;

    public final int code;

    Activation(int code) {
        this.code = code;
    }

    /** y = act(x) for the activation with the given code. */
    public static float apply(int code, float x) {
        return applyGivenExp(code, x, needsExp(code) ? (float) Math.exp(negAbs(x)) : 0f);
    }

    /**
     * y = act(x) given {@code e = (float) Math.exp(negAbs(x))} when {@link #needsExp} says the activation
     * uses it (any value otherwise). OpenCL kernels call this form and evaluate the exponential in their own
     * {@code run()}: Aparapi 3.0.2 cannot translate a {@code java.lang.Math} call inside a helper of another
     * class. {@link #apply} is this helper with the exponential filled in, so every backend shares it.
     */
    public static float applyGivenExp(int code, float x, float e) {
        if (code == 1) {
            return x > 0f ? x : 0f;
        } else if (code == 2) {
            return x > 0f ? x : LEAKY_SLOPE * x;
        } else if (code == 3) {
            return sigmoidGivenExp(x, e);
        }
        return x;
    }

    /** Whether the activation with the given code needs {@code exp(negAbs(x))} (only sigmoid does). */
    public static boolean needsExp(int code) {
        return code == 3;
    }

    /** {@code -|x|} in plain arithmetic (translatable by Aparapi); NaN stays NaN. */
    public static float negAbs(float x) {
        return x > 0f ? -x : x;
    }

    /** dL/dx given dL/dy and the output y of the activation with the given code. */
    public static float backward(int code, float dy, float y) {
        if (code == 1) {
            return y > 0f ? dy : 0f;
        } else if (code == 2) {
            return y > 0f ? dy : LEAKY_SLOPE * dy;
        } else if (code == 3) {
            return dy * y * (1f - y);
        }
        return dy;
    }

    /** Logistic function, computed so that it neither overflows nor loses precision for large |x|. */
    public static float sigmoid(float x) {
        return sigmoidGivenExp(x, (float) Math.exp(negAbs(x)));
    }

    /**
     * The logistic function given {@code e = (float) Math.exp(-|x|)}: {@code 1 / (1 + e)} for {@code x >= 0},
     * {@code e / (1 + e)} otherwise (the same bits as evaluating {@code exp(-x)} or {@code exp(x)} per branch).
     */
    public static float sigmoidGivenExp(float x, float e) {
        if (x >= 0f) {
            return 1f / (1f + e);
        }
        return e / (1f + e);
    }
}
