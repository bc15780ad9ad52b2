package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ReLU, LeakyReLU(0.2) and sigmoid as ops: hand-computed values, finite differences, argument checks. */
class ActivationOpTest {
    private final Backend be = new ScalarBackend();
    private final float[] x = {-2f, -0.5f, 0f, 1.5f};
    private final float[] dY = {2f, 2f, 2f, 2f};

    private float[][] run(ActivationOp op) {
        float[] y = new float[4];
        op.forward(be, y, 0, 4, x, 0, 4, 1, 4);
        float[] dX = new float[4];
        op.backward(be, dX, 0, 4, dY, 0, 4, y, 0, 4, 1, 4);
        return new float[][]{y, dX};
    }

    @Test
    void handComputedRelu() {
        float[][] r = run(ActivationOp.RELU);
        assertArrayEquals(new float[]{0, 0, 0, 1.5f}, r[0]);
        assertArrayEquals(new float[]{0, 0, 0, 2}, r[1]);     // x = 0 takes the left branch, as PyTorch
    }

    @Test
    void handComputedLeakyRelu() {
        float[][] r = run(ActivationOp.LEAKY_RELU);
        assertArrayEquals(new float[]{-0.4f, -0.1f, 0, 1.5f}, r[0], 1e-7f);
        assertArrayEquals(new float[]{0.4f, 0.4f, 0.4f, 2}, r[1], 1e-7f);
    }

    @Test
    void handComputedSigmoid() {
        float[][] r = run(ActivationOp.SIGMOID);
        // 1 / (1 + e^-x) and 2 y (1 - y)
        assertArrayEquals(new float[]{0.11920292f, 0.37754067f, 0.5f, 0.81757448f}, r[0], 1e-7f);
        assertArrayEquals(new float[]{0.20998718f, 0.47000742f, 0.5f, 0.29829290f}, r[1], 1e-6f);
    }

    @Test
    void inPlaceForwardAndBackward() {
        float[] y = x.clone();
        ActivationOp.LEAKY_RELU.forward(be, y, 0, 4, y, 0, 4, 1, 4);
        assertArrayEquals(new float[]{-0.4f, -0.1f, 0, 1.5f}, y, 1e-7f);
        float[] d = dY.clone();
        ActivationOp.LEAKY_RELU.backward(be, d, 0, 4, d, 0, 4, y, 0, 4, 1, 4);
        assertArrayEquals(new float[]{0.4f, 0.4f, 0.4f, 2}, d, 1e-7f);
    }

    @Test
    void finiteDifferences() {
        for (ActivationOp op : new ActivationOp[]{ActivationOp.RELU, ActivationOp.LEAKY_RELU, ActivationOp.SIGMOID}) {
            int rows = 5;
            int cols = 3;
            int ldx = 4;
            float[] in = NnTestData.uniform(rows * ldx, 3, -3, 3);
            float[] dIn = new float[in.length];
            float[] y = new float[rows * cols];
            float[] dOut = new float[rows * cols];
            GradientChecker gc = new GradientChecker(5).output("y", y, dOut).eps(1e-3).tolerance(1e-4, 1e-3);
            for (int r = 0; r < rows; r++) {
                gc.input(op.activation + " x row " + r, in, r * ldx, cols, dIn, r * ldx);
            }
            gc.check(() -> op.forward(be, y, 0, cols, in, 0, ldx, rows, cols),
                    () -> op.backward(be, dIn, 0, ldx, dOut, 0, cols, y, 0, cols, rows, cols));
        }
    }

    @Test
    void badArgumentsNameOpAndArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ActivationOp.RELU.forward(be, new float[3], 0, 4, x, 0, 4, 1, 4));
        assertTrue(e.getMessage().contains("ActivationOp.forward") && e.getMessage().contains("'y'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ActivationOp.SIGMOID.backward(be, new float[4], 0, 4, dY, 0, 4, null, 0, 4, 1, 4));
        assertTrue(e.getMessage().contains("ActivationOp.backward") && e.getMessage().contains("'y'"), e.getMessage());
    }
}
