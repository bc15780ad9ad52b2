package dev.gazenerf.nn;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker itself: it passes a right gradient and catches a wrong one, a NaN, and a kink overflow. */
class GradientCheckerTest {

    // y[i] = x[i]^2 * p[0]
    private static void square(float[] y, float[] x, float[] p) {
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * x[i] * p[0];
        }
    }

    @Test
    void passesARightGradient() {
        float[] x = {0.5f, -1.5f, 2f};
        float[] p = {1.25f};
        float[] y = new float[3];
        float[] dY = new float[3];
        float[] dX = new float[3];
        float[] dP = new float[1];
        GradientChecker.Report r = new GradientChecker(1).input("x", x, dX).param("p", p, 0, 1, dP).output("y", y, dY)
                .eps(1e-3)
                .check(() -> square(y, x, p), () -> {
                    for (int i = 0; i < 3; i++) {
                        dX[i] += 2 * x[i] * p[0] * dY[i];
                        dP[0] += x[i] * x[i] * dY[i];
                    }
                });
        assertEquals(4, r.coordinates());
        assertEquals(0, r.kinks());
        assertTrue(r.worstRatio() < 1, r.toString());
    }

    @Test
    void catchesAWrongGradientNamingTensorAndIndex() {
        float[] x = {0.5f, -1.5f, 2f};
        float[] p = {1.25f};
        float[] y = new float[3];
        float[] dY = new float[3];
        float[] dX = new float[3];
        float[] dP = new float[1];
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () ->
                new GradientChecker(1).input("x", x, dX).param("p", p, 0, 1, dP).output("y", y, dY).eps(1e-3)
                        .check(() -> square(y, x, p), () -> {
                            for (int i = 0; i < 3; i++) {
                                dX[i] += (i == 2 ? 2.2f : 2f) * x[i] * p[0] * dY[i];
                                dP[0] += x[i] * x[i] * dY[i];
                            }
                        }));
        assertTrue(e.getMessage().contains("input 'x'[2]"), e.getMessage());
    }

    @Test
    void failsOnNaNFirst() {
        float[] x = {1f};
        float[] y = new float[1];
        float[] dY = new float[1];
        float[] dX = new float[1];
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () ->
                new GradientChecker(1).input("x", x, dX).output("y", y, dY)
                        .check(() -> y[0] = x[0], () -> dX[0] = Float.NaN));
        assertTrue(e.getMessage().contains("'x'[0]") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void kinksAreToleratedOnlyWhenAllowedAndOneSideMatches() {
        float[] x = {0.004f};  // relu's kink lies within eps = 0.01 of the point
        float[] y = new float[1];
        float[] dY = new float[1];
        float[] dX = new float[1];
        GradientChecker.Computation fwd = () -> y[0] = Math.max(x[0], 0f);
        GradientChecker.Computation bwd = () -> dX[0] += x[0] > 0 ? dY[0] : 0f;
        assertThrows(AssertionFailedError.class,
                () -> new GradientChecker(1).input("x", x, dX).output("y", y, dY).check(fwd, bwd));
        GradientChecker.Report r = new GradientChecker(1).input("x", x, dX).output("y", y, dY).allowKinks(1.0).check(fwd, bwd);
        assertEquals(1, r.kinks());
        // a wrong gradient at a kink still fails
        assertThrows(AssertionFailedError.class, () -> new GradientChecker(1).input("x", x, dX).output("y", y, dY)
                .allowKinks(1.0).check(fwd, () -> dX[0] += 0.5f * dY[0]));
    }
}
