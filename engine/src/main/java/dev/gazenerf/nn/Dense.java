package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.Activation;

/**
 * A dense (fully connected) layer applied to every row, the 1x1 convolution of the reference
 * ({@code nn.Conv2d(in, out, kernel_size=1)}, section 2.4 and 2.7), with an optional fused activation.
 *
 * <p>Forward: {@code z = x W^T + b}, {@code y = act(z)}, with x {@code (rows, in)}, W {@code (out, in)}
 * (PyTorch's {@code [out, in]} order), b {@code (out)} and y {@code (rows, out)}. It is one
 * {@link Backend#gemmNT} and one {@link Backend#biasActivation}.
 *
 * <p>Backward, given {@code dY = dL/dy}: {@code dZ = dY * act'(y)} (computed from the cached output y,
 * written in place over dY when the activation is not {@link Activation#NONE}),
 * {@code dW += dZ^T x}, {@code db += sum_rows dZ}, and optionally {@code dX (+)= dZ W}.
 * Backward needs the layer's input x and, for an activation, its output y: the caller keeps both.
 *
 * <p>Every matrix is a slice of a flat buffer given by an offset and a leading dimension, so a layer can
 * read a column slice of a concatenation, or a column block of a wider weight matrix.
 */
public final class Dense {
    /** Input features per row. */
    public final int in;
    /** Output features per row. */
    public final int out;
    /** The activation fused after the bias. */
    public final Activation activation;

    /** A layer {@code in -> out} followed by {@code activation} ({@link Activation#NONE} for none). */
    public Dense(int in, int out, Activation activation) {
        Checks.positive("Dense", "in", in);
        Checks.positive("Dense", "out", out);
        this.in = in;
        this.out = out;
        this.activation = Checks.notNull("Dense", "activation", activation);
    }

    /** Number of parameters: {@code out * in} weights and {@code out} biases. */
    public int parameterCount() {
        return out * in + out;
    }

    /**
     * {@code y = act(x W^T + b)}.
     *
     * @param y  output {@code (rows, out)}, leading dimension ldy; must not overlap x, W or b
     * @param x  input {@code (rows, in)}, leading dimension ldx
     * @param w  weights {@code (out, in)}, leading dimension ldw (at least {@code in})
     * @param b  bias {@code (out)}
     */
    public void forward(Backend be, float[] y, int yOff, int ldy, float[] x, int xOff, int ldx,
                        float[] w, int wOff, int ldw, float[] b, int bOff, int rows) {
        String op = "Dense.forward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "rows", rows);
        Checks.matrix(op, "y", y, yOff, ldy, rows, out);
        Checks.matrix(op, "x", x, xOff, ldx, rows, in);
        Checks.matrix(op, "w", w, wOff, ldw, out, in);
        Checks.vector(op, "b", b, bOff, out);
        if (rows == 0) {
            return;
        }
        be.gemmNT(rows, out, in, x, xOff, ldx, w, wOff, ldw, y, yOff, ldy, false);
        be.biasActivation(y, yOff, ldy, rows, out, b, bOff, out, rows, activation);
    }

    /**
     * Backward of {@link #forward}. Parameter gradients accumulate ({@code +=}); when the activation is not
     * {@code NONE}, dY is overwritten with {@code dZ = dY * act'(y)}.
     *
     * @param dX           input gradient {@code (rows, in)} or null when not wanted
     * @param accumulateDx whether {@code dX += dZ W} (true) or {@code dX = dZ W} (false)
     * @param dW           weight gradient {@code (out, in)}, leading dimension lddw, accumulated
     * @param dB           bias gradient {@code (out)}, accumulated
     * @param dY           output gradient {@code (rows, out)}; becomes dZ when there is an activation
     * @param x            the forward input {@code (rows, in)}
     * @param y            the forward output {@code (rows, out)}; may be null when the activation is NONE
     * @param w            the weights {@code (out, in)}
     */
    public void backward(Backend be, float[] dX, int dxOff, int lddx, boolean accumulateDx,
                         float[] dW, int dwOff, int lddw, float[] dB, int dbOff,
                         float[] dY, int dyOff, int lddy,
                         float[] x, int xOff, int ldx, float[] y, int yOff, int ldy,
                         float[] w, int wOff, int ldw, int rows) {
        String op = "Dense.backward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "rows", rows);
        if (dX != null) {
            Checks.matrix(op, "dX", dX, dxOff, lddx, rows, in);
        }
        Checks.matrix(op, "dW", dW, dwOff, lddw, out, in);
        Checks.vector(op, "dB", dB, dbOff, out);
        Checks.matrix(op, "dY", dY, dyOff, lddy, rows, out);
        Checks.matrix(op, "x", x, xOff, ldx, rows, in);
        if (activation != Activation.NONE) {
            Checks.matrix(op, "y", y, yOff, ldy, rows, out);
        }
        Checks.matrix(op, "w", w, wOff, ldw, out, in);
        if (rows == 0) {
            return;
        }
        if (activation != Activation.NONE) {
            be.activationBackward(dY, dyOff, lddy, dY, dyOff, lddy, y, yOff, ldy, rows, out, activation);
        }
        be.gemmTN(out, in, rows, dY, dyOff, lddy, x, xOff, ldx, dW, dwOff, lddw, true);
        be.columnSums(dB, dbOff, dY, dyOff, lddy, rows, out, rows, true);
        if (dX != null) {
            be.gemmNN(rows, in, out, dY, dyOff, lddy, w, wOff, ldw, dX, dxOff, lddx, accumulateDx);
        }
    }
}
