package dev.gazenerf.render;

import dev.gazenerf.nn.GradientChecker;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rays, samples on planes of constant world z, jitter, camera corrections and their backward (2.2, 3.1). */
class RaysTest {
    // K^-1 = identity; the camera at (0, 0, 5) looks down -z: c2w R = diag(1, -1, -1).
    private static final float[] IDENTITY = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    private static final float[] LOOK_DOWN = {1, 0, 0, 0, -1, 0, 0, 0, -1};
    private static final float[] CENTRE = {0, 0, 5};

    @Test
    void samplesLieOnPlanesOfConstantWorldZ() {
        // 2x2 rays, S = 4: edges t_k = (5 - 2.5)(1 - k/4) + (5 + 3.5) k/4 = 2.5 + 1.5 k; world z = 5 - t_k.
        Rays rays = new Rays(2, 4, 2.5f, -3.5f, false, 1);
        float[] xyz = new float[2 * 2 * 4 * 3];
        float[] delta = new float[16];
        float[] tvals = new float[16];
        rays.forward(xyz, delta, tvals, IDENTITY, LOOK_DOWN, CENTRE, null, null, 1, false, 0);
        // ray 0 = pixel (0, 0): u = (0, 0, 1), d = (0, 0, -1), l = 1
        assertArrayEquals(new float[] {0, 0, 2.5f, 0, 0, 1f, 0, 0, -0.5f, 0, 0, -2f}, java.util.Arrays.copyOf(xyz, 12), 1e-6f);
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f}, java.util.Arrays.copyOf(delta, 4), 1e-6f);
        assertArrayEquals(new float[] {2.5f, 4f, 5.5f, 7f}, java.util.Arrays.copyOf(tvals, 4), 1e-6f);
        // ray 1 = pixel (x=1, y=0): u = (1, 0, 1), R u = (1, 0, -1), |.| = sqrt 2, l = sqrt 2;
        // point = o + (1, 0, -1) t_k: x = t_k, z = 5 - t_k; delta = 1.5 sqrt 2.
        for (int k = 0; k < 4; k++) {
            float t = 2.5f + 1.5f * k;
            assertEquals(t, xyz[3 * (4 + k)], 1e-5f);
            assertEquals(0f, xyz[3 * (4 + k) + 1], 1e-6f);
            assertEquals(5 - t, xyz[3 * (4 + k) + 2], 1e-5f);
            assertEquals(1.5f * (float) Math.sqrt(2), delta[4 + k], 1e-5f);
        }
        // ray 2 = pixel (x=0, y=1): R u = (0, -1, -1): y = -t_k.
        assertEquals(-2.5f, xyz[3 * 8 + 1], 1e-6f);
    }

    @Test
    void pixelCentresShiftByHalf() {
        Rays rays = new Rays(2, 4, 2.5f, -3.5f, true, 1);
        float[] xyz = new float[48];
        rays.forward(xyz, new float[16], new float[16], IDENTITY, LOOK_DOWN, CENTRE, null, null, 1, false, 0);
        // pixel (0.5, 0.5): R u = (0.5, -0.5, -1), q = (0.5, -0.5, -1): first point (1.25, -1.25, 2.5)
        assertArrayEquals(new float[] {1.25f, -1.25f, 2.5f}, java.util.Arrays.copyOf(xyz, 3), 1e-6f);
    }

    @Test
    void jitterStaysBetweenMidpointsAndIsSeeded() {
        Rays rays = new Rays(3, 8, 2.5f, -3.5f, false, 2);
        int pts = 2 * 9 * 8;
        float[] xyzA = new float[pts * 3];
        float[] xyzB = new float[pts * 3];
        float[] tA = new float[pts];
        float[] tB = new float[pts];
        float[] delta = new float[pts];
        float[] rot = concat(LOOK_DOWN, LOOK_DOWN);
        float[] centre = {0, 0, 5, 0.1f, 0, 4};
        float[] kinv = concat(IDENTITY, IDENTITY);
        rays.forward(xyzA, delta, tA, kinv, rot, centre, null, null, 2, true, 42);
        rays.forward(xyzB, delta, tB, kinv, rot, centre, null, null, 2, true, 42);
        assertArrayEquals(tA, tB, "the same seed gives the same samples");
        float[] plain = new float[pts];
        rays.forward(xyzB, delta, plain, kinv, rot, centre, null, null, 2, false, 0);
        double step = 6.0 / 8;
        boolean moved = false;
        for (int s = 0; s < pts; s++) {
            int k = s % 8;
            double lo = plain[s] - (k == 0 ? 0 : step / 2);
            double hi = plain[s] + step / 2;
            assertTrue(tA[s] >= lo - 1e-5 && tA[s] <= hi + 1e-5, "sample " + s + " = " + tA[s] + " outside [" + lo + ", " + hi + "]");
            moved |= tA[s] != plain[s];
        }
        assertTrue(moved);
        rays.forward(xyzB, delta, tB, kinv, rot, centre, null, null, 2, true, 43);
        assertNotEquals(tA[5], tB[5]);
    }

    @Test
    void cameraCorrectionComposesAsTheReference() {
        // e = (0, 0, pi/2): R_delta = R_z(90) = [[0,-1,0],[1,0,0],[0,0,1]]; R' = R_delta R; T' = R_delta T + dT.
        Rays rays = new Rays(1, 2, 2.5f, -3.5f, false, 1);
        float[] euler = {0, 0, (float) (Math.PI / 2)};
        float[] dT = {0.5f, 0, 0};
        float[] centre = {1, 2, 5};
        rays.forward(new float[6], new float[2], new float[2], IDENTITY, LOOK_DOWN, centre, euler, dT, 1, false, 0);
        double[] r = new double[9];
        double[] t = new double[3];
        rays.cameraRotation(0, r);
        rays.cameraTranslation(0, t);
        assertArrayEquals(new double[] {0, 1, 0, 1, 0, 0, 0, 0, -1}, r, 1e-7);
        assertArrayEquals(new double[] {-2 + 0.5, 1, 5}, t, 1e-6);
    }

    @Test
    void finiteDifferencesToEulerAndTranslationDeltas() {
        Rays rays = new Rays(3, 5, 2.5f, -3.5f, false, 2);
        int pts = 2 * 9 * 5;
        float[] xyz = new float[pts * 3];
        float[] delta = new float[pts];
        float[] tvals = new float[pts];
        float[] kinv = {0.2f, 0, -0.2f, 0, 0.2f, -0.2f, 0, 0, 1, 0.25f, 0.01f, -0.3f, 0, 0.25f, -0.2f, 0, 0, 1};
        // two tilted cameras looking roughly down -z
        float[] rot = new float[18];
        double[] tmp = new double[9];
        Rays.eulerRotation(tmp, 0, Math.PI + 0.1, 0.2, -0.3, -1);
        for (int q = 0; q < 9; q++) {
            rot[q] = (float) tmp[q];
        }
        Rays.eulerRotation(tmp, 0, Math.PI - 0.15, -0.1, 0.4, -1);
        for (int q = 0; q < 9; q++) {
            rot[9 + q] = (float) tmp[q];
        }
        float[] centre = {0.2f, -0.1f, 5, -0.3f, 0.2f, 4.5f};
        float[] euler = {0.05f, -0.02f, 0.03f, -0.04f, 0.01f, 0.02f};
        float[] dTrans = {0.1f, -0.05f, 0.2f, 0, 0.03f, -0.1f};
        float[] dEuler = new float[6];
        float[] dDTrans = new float[6];
        float[] dXyz = new float[xyz.length];
        float[] dDelta = new float[pts];
        GradientChecker.Report rep = new GradientChecker(17).eps(1e-3).tolerance(2e-3, 2e-3)
                .output("xyz", xyz, dXyz).output("delta", delta, dDelta)
                .input("euler", euler, dEuler).input("dT", dTrans, dDTrans)
                .check(() -> rays.forward(xyz, delta, tvals, kinv, rot, centre, euler, dTrans, 2, true, 7),
                        () -> rays.backward(dEuler, dDTrans, dXyz, dDelta));
        assertEquals(12, rep.coordinates());
    }

    @Test
    void badSizesAreNamed() {
        Rays rays = new Rays(2, 4, 2.5f, -3.5f, false, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                rays.forward(new float[10], new float[16], new float[16], IDENTITY, LOOK_DOWN, CENTRE, null, null, 1, false, 0));
        assertTrue(e.getMessage().contains("Rays.forward") && e.getMessage().contains("xyz"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () ->
                rays.forward(new float[48], new float[16], new float[16], IDENTITY, LOOK_DOWN, CENTRE, null, null, 2, false, 0));
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
