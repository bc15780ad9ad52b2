package dev.gazenerf.backend;

import dev.gazenerf.kernel.Activation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-computed cases for the specification backend's primitives. */
class ScalarBackendTest {
    private final Backend b = new ScalarBackend();

    @Test
    void gemmVariantsOnA2x2Case() {
        float[] a = {1, 2, 3, 4};       // (2, 2)
        float[] w = {5, 6, 7, 8};       // (2, 2)
        float[] c = new float[4];
        b.gemmNT(2, 2, 2, a, 0, 2, w, 0, 2, c, 0, 2, false);
        assertArrayEquals(new float[]{17, 23, 39, 53}, c);   // a . w^T
        b.gemmNN(2, 2, 2, a, 0, 2, w, 0, 2, c, 0, 2, false);
        assertArrayEquals(new float[]{19, 22, 43, 50}, c);   // a . w
        b.gemmTN(2, 2, 2, a, 0, 2, w, 0, 2, c, 0, 2, true);
        assertArrayEquals(new float[]{19 + 26, 22 + 30, 43 + 38, 50 + 44}, c); // += a^T . w
    }

    @Test
    void biasActivationWithPerGroupBias() {
        float[] y = {-1, 1, -1, 1};     // (4, 1)
        float[] bias = {0.5f, -2f};     // one per group of 2 rows
        b.biasActivation(y, 0, 1, 4, 1, bias, 0, 1, 2, Activation.RELU);
        assertArrayEquals(new float[]{0, 1.5f, 0, 0}, y);
    }

    @Test
    void adamFirstStepMovesByLearningRate() {
        float[] p = {1f, 1f};
        float[] g = {0.5f, -3f};
        float[] m = new float[2];
        float[] v = new float[2];
        b.adam(p, g, m, v, 0, 2, 0.1f, 0.9f, 0.999f, 1e-8f, 1);
        // first step: m_hat = g, v_hat = g^2, so p -= lr * sign(g) (up to eps)
        assertEquals(0.9f, p[0], 1e-6f);
        assertEquals(1.1f, p[1], 1e-6f);
    }

    @Test
    void badArgumentsNameTheOpAndArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.gemmNT(2, 2, 2, null, 0, 2, new float[4], 0, 2, new float[4], 0, 2, false));
        assertTrue(e.getMessage().contains("gemmNT") && e.getMessage().contains("'a'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> b.gemmNT(2, 2, 2, new float[3], 0, 2, new float[4], 0, 2, new float[4], 0, 2, false));
        assertTrue(e.getMessage().contains("'a' of length 3"), e.getMessage());
    }
}
