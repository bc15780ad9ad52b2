package dev.gazenerf.render;

import dev.gazenerf.nn.GradientChecker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Eye-feature rotation and max merge (reference 2.6): literal cases, finite differences, parity. */
class RotationMergeTest {
    private static final ScalarRenderKernels SCALAR = new ScalarRenderKernels();
    private static final ParallelRenderKernels PARALLEL = new ParallelRenderKernels(3);

    @AfterAll
    static void close() {
        PARALLEL.close();
    }

    @Test
    void ninetyDegreeYaw() {
        // R = R_y(90 deg) = [[0,0,1],[0,1,0],[-1,0,0]]; v R for v = (1,2,3) is (-3, 2, 1).
        float[] in = {1, 2, 3, 4, 5, 6};
        float[] angles = {0f, (float) (Math.PI / 2)};
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            float[] out = new float[6];
            k.rotateForward(out, in, angles, 1, 1, 6);
            assertArrayEquals(new float[] {-3, 2, 1, -6, 5, 4}, out, 1e-6f);
            // dOut = e_0 of the first triplet: dIn = dOut R^T = first row... column 0 of R: (0, 0, -1);
            // dL/dyaw = -v0 sin(yaw) - v2 cos(yaw) = -1, dL/dpitch = 0 (out_0 does not depend on pitch).
            float[] dOut = {1, 0, 0, 0, 0, 0};
            float[] dIn = new float[6];
            float[] dAngles = {10, 20};
            k.rotateBackward(dIn, dAngles, dOut, in, angles, 1, 1, 6, false);
            assertArrayEquals(new float[] {0, 0, -1, 0, 0, 0}, dIn, 1e-6f);
            assertEquals(10f, dAngles[0], 1e-6f);
            assertEquals(19f, dAngles[1], 1e-6f);   // accumulated onto 20
        }
    }

    @Test
    void pitchOnlyMatchesTheMatrix() {
        // R_x(p) as a row-vector map: v R = (v0, v1 cp + v2 sp, -v1 sp + v2 cp).
        float p = 0.3f;
        float[] in = {0.5f, -1f, 2f};
        float[] out = new float[3];
        SCALAR.rotateForward(out, in, new float[] {p, 0f}, 1, 1, 3);
        double cp = Math.cos(p);
        double sp = Math.sin(p);
        assertArrayEquals(new float[] {0.5f, (float) (-cp + 2 * sp), (float) (sp + 2 * cp)}, out, 1e-6f);
    }

    private static GradientChecker.Report rotationCheck(RenderKernels k) {
        int images = 2;
        int pixels = 300;   // more than one reduction block of 256 rows
        int channels = 9;
        float[] in = RenderTestData.uniform(images * pixels * channels, 4, -1, 1);
        float[] angles = {0.3f, -0.7f, -0.2f, 1.1f};
        float[] out = new float[in.length];
        float[] dOut = new float[in.length];
        float[] dIn = new float[in.length];
        float[] dAngles = new float[4];
        GradientChecker gc = new GradientChecker(8).eps(1e-3).tolerance(1e-3, 1e-3).maxCoordinates(40)
                .output("out", out, dOut).input("in", in, dIn).input("angles", angles, dAngles);
        return gc.check(() -> k.rotateForward(out, in, angles, images, pixels, channels),
                () -> k.rotateBackward(dIn, dAngles, dOut, in, angles, images, pixels, channels, false));
    }

    @Test
    void rotationFiniteDifferences() {
        rotationCheck(SCALAR);
        rotationCheck(PARALLEL);
    }

    @Test
    void rotationParallelMatchesScalarBitForBit() {
        int images = 3;
        int pixels = 517;
        int channels = 12;
        float[] in = RenderTestData.uniform(images * pixels * channels, 5, -1, 1);
        float[] dOut = RenderTestData.uniform(in.length, 6, -1, 1);
        float[] angles = RenderTestData.uniform(6, 7, -1, 1);
        float[] o1 = new float[in.length];
        float[] o2 = new float[in.length];
        SCALAR.rotateForward(o1, in, angles, images, pixels, channels);
        PARALLEL.rotateForward(o2, in, angles, images, pixels, channels);
        RenderTestData.assertSame("out", o1, o2);
        float[] d1 = RenderTestData.uniform(in.length, 8, -1, 1);
        float[] d2 = d1.clone();
        float[] a1 = {1, 2, 3, 4, 5, 6};
        float[] a2 = a1.clone();
        SCALAR.rotateBackward(d1, a1, dOut, in, angles, images, pixels, channels, true);
        PARALLEL.rotateBackward(d2, a2, dOut, in, angles, images, pixels, channels, true);
        RenderTestData.assertSame("dIn", d1, d2);
        RenderTestData.assertSame("dAngles", a1, a2);
    }

    @Test
    void rotationRejectsChannelsNotMultipleOfThree() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SCALAR.rotateForward(new float[4], new float[4], new float[2], 1, 1, 4));
        assertTrue(e.getMessage().contains("rotateForward") && e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void maxMatchesPyTorchOnTies() throws Exception {
        // From render_fixtures.json (torch.maximum, PyTorch 1.13): a tie gives each input half the gradient.
        var root = RendererPiecesTest.fixtures().get("maximum");
        float[] a = RendererPiecesTest.floats(root.get("a"));
        float[] b = RendererPiecesTest.floats(root.get("b"));
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            float[] out = new float[3];
            k.maxForward(out, a, b, 3);
            assertArrayEquals(new float[] {1, 2, 4}, out);
            float[] dA = new float[3];
            float[] dB = {1, 1, 1};
            k.maxBackward(dA, dB, new float[] {1, 1, 1}, a, b, 3, false);
            assertArrayEquals(RendererPiecesTest.floats(root.get("da")), dA);
            assertArrayEquals(RendererPiecesTest.floats(root.get("db")), dB);
        }
    }

    @Test
    void maxFiniteDifferencesAndParity() {
        int n = 101;
        float[] a = RenderTestData.uniform(n, 1, -1, 1);
        float[] b = RenderTestData.uniform(n, 2, -1, 1);
        float[] out = new float[n];
        float[] dOut = new float[n];
        float[] dA = new float[n];
        float[] dB = new float[n];
        // eps 1e-3 below the smallest |a - b| gap of these draws would be needed for no kinks; allow a few.
        new GradientChecker(4).eps(1e-3).allowKinks(0.1).output("out", out, dOut).input("a", a, dA).input("b", b, dB)
                .check(() -> SCALAR.maxForward(out, a, b, n), () -> SCALAR.maxBackward(dA, dB, dOut, a, b, n, false));
        float[] out2 = new float[n];
        PARALLEL.maxForward(out2, a, b, n);
        RenderTestData.assertSame("max", out, out2);
        float[] dA2 = new float[n];
        float[] dB2 = new float[n];
        PARALLEL.maxBackward(dA2, dB2, dOut, a, b, n, false);
        RenderTestData.assertSame("dA", dA, dA2);
        RenderTestData.assertSame("dB", dB, dB2);
    }
}
