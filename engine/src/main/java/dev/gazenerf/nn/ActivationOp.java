package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.Activation;

/**
 * A point-wise activation as a stand-alone op: ReLU (the NeRF MLP, section 2.4), LeakyReLU with slope 0.2
 * (the neural renderer, section 2.7) or the logistic sigmoid (the renderer's output, section 2.7).
 *
 * <p>Forward {@code y = act(x)} on a {@code (rows, cols)} block. Backward {@code dX = dY * act'(x)}, written
 * with the cached output y ({@link Activation#backward}): ReLU {@code [y > 0]}, LeakyReLU
 * {@code y > 0 ? 1 : 0.2}, sigmoid {@code y (1 - y)}. Backward needs only y, which the caller keeps.
 */
public final class ActivationOp {
    /** ReLU. */
    public static final ActivationOp RELU = new ActivationOp(Activation.RELU);
    /** LeakyReLU with negative slope {@link Activation#LEAKY_SLOPE} (0.2). */
    public static final ActivationOp LEAKY_RELU = new ActivationOp(Activation.LEAKY_RELU);
    /** Logistic sigmoid. */
    public static final ActivationOp SIGMOID = new ActivationOp(Activation.SIGMOID);

    /** The per-element function. */
    public final Activation activation;

    /** An op applying {@code activation}. */
    public ActivationOp(Activation activation) {
        this.activation = Checks.notNull("ActivationOp", "activation", activation);
    }

    /**
     * {@code y = act(x)}; y {@code (rows, cols)} may be the same block as x (in place).
     */
    public void forward(Backend be, float[] y, int yOff, int ldy, float[] x, int xOff, int ldx, int rows, int cols) {
        String op = "ActivationOp.forward";
        Checks.notNull(op, "backend", be);
        Checks.matrix(op, "y", y, yOff, ldy, rows, cols);
        Checks.matrix(op, "x", x, xOff, ldx, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        if (y != x || yOff != xOff || ldy != ldx) {
            be.copy2d(y, yOff, ldy, x, xOff, ldx, rows, cols, false);
        }
        be.biasActivation(y, yOff, ldy, rows, cols, null, 0, 0, rows, activation);
    }

    /**
     * {@code dX = dY * act'(y)} from the forward output y; dX may be the same block as dY.
     */
    public void backward(Backend be, float[] dX, int dxOff, int lddx, float[] dY, int dyOff, int lddy,
                         float[] y, int yOff, int ldy, int rows, int cols) {
        String op = "ActivationOp.backward";
        Checks.notNull(op, "backend", be);
        Checks.matrix(op, "dX", dX, dxOff, lddx, rows, cols);
        Checks.matrix(op, "dY", dY, dyOff, lddy, rows, cols);
        Checks.matrix(op, "y", y, yOff, ldy, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        be.activationBackward(dX, dxOff, lddx, dY, dyOff, lddy, y, yOff, ldy, rows, cols, activation);
    }
}
