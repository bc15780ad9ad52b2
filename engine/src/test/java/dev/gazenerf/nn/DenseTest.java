package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.kernel.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dense: a hand-computed case, finite differences with every activation, argument checks. */
class DenseTest {
    private final Backend be = new ScalarBackend();

    // x (2, 3), W (2, 3), b (2):  z = x W^T + b = [[-1, 2], [0, -4]]
    private final float[] x = {1, 2, 3, -1, 0, 1};
    private final float[] w = {0.5f, -1, 0, 1, 1, 1};
    private final float[] b = {0.5f, -4};

    @Test
    void handComputedWithoutActivation() {
        Dense d = new Dense(3, 2, Activation.NONE);
        float[] y = new float[4];
        d.forward(be, y, 0, 2, x, 0, 3, w, 0, 3, b, 0, 2);
        assertArrayEquals(new float[]{-1, 2, 0, -4}, y);
        float[] dY = {1, 2, 3, 4};
        float[] dW = new float[6];
        float[] dB = {10, 20};                      // accumulates onto what is there
        float[] dX = new float[6];
        d.backward(be, dX, 0, 3, false, dW, 0, 3, dB, 0, dY, 0, 2, x, 0, 3, y, 0, 2, w, 0, 3, 2);
        // dW = dY^T x, dB = column sums of dY, dX = dY W
        assertArrayEquals(new float[]{-2, 2, 6, -2, 4, 10}, dW);
        assertArrayEquals(new float[]{14, 26}, dB);
        assertArrayEquals(new float[]{2.5f, 1, 2, 5.5f, 1, 4}, dX);
        assertArrayEquals(new float[]{1, 2, 3, 4}, dY, "dY untouched without an activation");
    }

    @Test
    void handComputedWithRelu() {
        Dense d = new Dense(3, 2, Activation.RELU);
        float[] y = new float[4];
        d.forward(be, y, 0, 2, x, 0, 3, w, 0, 3, b, 0, 2);
        assertArrayEquals(new float[]{0, 2, 0, 0}, y);   // z = 0 maps to 0 with derivative 0
        float[] dY = {1, 1, 1, 1};
        float[] dW = new float[6];
        float[] dB = new float[2];
        float[] dX = {1, 1, 1, 1, 1, 1};
        d.backward(be, dX, 0, 3, true, dW, 0, 3, dB, 0, dY, 0, 2, x, 0, 3, y, 0, 2, w, 0, 3, 2);
        assertArrayEquals(new float[]{0, 1, 0, 0}, dY, "dY becomes dZ");
        assertArrayEquals(new float[]{0, 0, 0, 1, 2, 3}, dW);
        assertArrayEquals(new float[]{0, 1}, dB);
        assertArrayEquals(new float[]{2, 2, 2, 1, 1, 1}, dX, "dX accumulated");
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void finiteDifferencesOnStridedSlices(Activation act) {
        int rows = 7;
        int in = 5;
        int out = 4;
        int ldx = 8;   // x is a column slice of a wider buffer
        int ldw = 6;   // W is a column block of a wider weight matrix
        Dense d = new Dense(in, out, act);
        float[] xs = NnTestData.uniform(2 + rows * ldx, 1, -1, 1);
        float[] params = NnTestData.uniform(3 + out * ldw + out, 2, -0.7, 0.7);
        int wOff = 3;
        int bOff = 3 + out * ldw;
        float[] y = new float[rows * out];
        float[] dY = new float[rows * out];
        float[] dXs = new float[xs.length];
        float[] dParams = new float[params.length];
        GradientChecker gc = new GradientChecker(11).output("y", y, dY).allowKinks(0.25);
        for (int r = 0; r < rows; r++) {
            gc.input("x row " + r, xs, 2 + r * ldx, in, dXs, 2 + r * ldx);
        }
        for (int o = 0; o < out; o++) {
            gc.param("w row " + o, params, wOff + o * ldw, in, dParams);
        }
        gc.param("b", params, bOff, out, dParams);
        gc.check(() -> d.forward(be, y, 0, out, xs, 2, ldx, params, wOff, ldw, params, bOff, rows),
                () -> d.backward(be, dXs, 2, ldx, true, dParams, wOff, ldw, dParams, bOff, dY, 0, out,
                        xs, 2, ldx, y, 0, out, params, wOff, ldw, rows));
    }

    @Test
    void zeroRowsTouchNothing() {
        Dense d = new Dense(3, 2, Activation.RELU);
        float[] y = {7, 7};
        d.forward(be, y, 0, 2, new float[0], 0, 3, w, 0, 3, b, 0, 0);
        assertArrayEquals(new float[]{7, 7}, y);
        float[] dW = {1, 1, 1, 1, 1, 1};
        float[] dB = {1, 1};
        d.backward(be, null, 0, 3, false, dW, 0, 3, dB, 0, new float[0], 0, 2, new float[0], 0, 3, new float[0], 0, 2,
                w, 0, 3, 0);
        assertArrayEquals(new float[]{1, 1, 1, 1, 1, 1}, dW);
        assertArrayEquals(new float[]{1, 1}, dB);
    }

    @Test
    void badArgumentsNameOpAndArgument() {
        Dense d = new Dense(3, 2, Activation.RELU);
        float[] y = new float[4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.forward(be, y, 0, 2, null, 0, 3, w, 0, 3, b, 0, 2));
        assertTrue(e.getMessage().contains("Dense.forward") && e.getMessage().contains("'x'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> d.forward(be, y, 0, 2, x, 0, 3, w, 0, 2, b, 0, 2));
        assertTrue(e.getMessage().contains("Dense.forward") && e.getMessage().contains("'w'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> d.backward(be, null, 0, 3, false, new float[6], 0, 3, new float[1], 0, new float[4], 0, 2,
                        x, 0, 3, y, 0, 2, w, 0, 3, 2));
        assertTrue(e.getMessage().contains("Dense.backward") && e.getMessage().contains("'dB'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Dense(0, 2, Activation.NONE));
        assertTrue(e.getMessage().contains("Dense") && e.getMessage().contains("'in'"), e.getMessage());
    }
}
