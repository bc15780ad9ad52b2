package dev.gazenerf.render;

import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.backend.TestBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenCL render kernels against the scalar specification, every primitive forward and backward, on the
 * OpenCL device (each launch goes through {@link OpenClBackend#execute}, which throws when a kernel did not
 * run on the device). Without a device the tests skip with the reason, unless
 * {@code -Dgazenerf.opencl.required=true}, when they fail.
 *
 * <p>Tolerances are absolute, about twice the worst difference measured on PoCL 3.1 (CPU device, 2 cores,
 * JDK 17): compositing merged 3.0e-7, alpha and T 6e-8, depth 2.4e-7, dSigma 3.0e-7, dDelta 1.9e-6,
 * dFeat 9e-8, dBg 1.3e-7 (the device's {@code exp}, contracted multiply-adds); rotation 1.2e-7, dIn 2.4e-7,
 * angles 0; bilinear 1.2e-7 and 2.4e-7; the shuffle, the residual, the blur and the max merge are exact.
 */
class OpenClRenderKernelsTest {
    private static OpenClBackend backend;
    private static OpenClRenderKernels cl;
    private static final ScalarRenderKernels SCALAR = new ScalarRenderKernels();

    @BeforeAll
    static void open() {
        backend = (OpenClBackend) TestBackends.create("opencl");
        cl = new OpenClRenderKernels(backend);
    }

    @AfterAll
    static void close() {
        if (cl != null) {
            cl.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static double check(String what, float[] expected, float[] actual, double atol) {
        double worst = RenderTestData.assertClose(what, expected, actual, atol, 0);
        System.out.println("opencl " + what + " worst " + worst);
        return worst;
    }

    @Test
    void compositing() {
        long before = backend.launches();
        CompositeTest.Problem s = CompositeTest.Problem.random(70, 9, 37, 25, 7, 33);
        CompositeTest.Problem o = CompositeTest.Problem.random(70, 9, 37, 25, 7, 33);
        s.forward(SCALAR);
        o.forward(cl);
        check("composite merged", s.merged, o.merged, 6e-7);
        check("composite alpha", s.alpha, o.alpha, 1.2e-7);
        check("composite trans", s.trans, o.trans, 1.2e-7);
        check("composite depth", s.depth, o.depth, 5e-7);
        s.backward(SCALAR);
        o.backward(cl);
        check("composite dSigma", s.dSigma, o.dSigma, 6e-7);
        check("composite dDelta", s.dDelta, o.dDelta, 4e-6);
        check("composite dFeat", s.dFeat, o.dFeat, 2e-7);
        check("composite dBg", s.dBg, o.dBg, 2.5e-7);
        assertTrue(backend.launches() >= before + 3, "the kernels ran on the device");
    }

    @Test
    void rotationAndMax() {
        int images = 3;
        int pixels = 517;
        int channels = 12;
        int len = images * pixels * channels;
        float[] in = RenderTestData.uniform(len, 5, -1, 1);
        float[] dOut = RenderTestData.uniform(len, 6, -1, 1);
        float[] angles = RenderTestData.uniform(6, 7, -1, 1);
        float[] o1 = new float[len];
        float[] o2 = new float[len];
        SCALAR.rotateForward(o1, in, angles, images, pixels, channels);
        cl.rotateForward(o2, in, angles, images, pixels, channels);
        check("rotate", o1, o2, 2.5e-7);
        float[] d1 = RenderTestData.uniform(len, 8, -1, 1);
        float[] d2 = d1.clone();
        float[] a1 = {1, 2, 3, 4, 5, 6};
        float[] a2 = a1.clone();
        SCALAR.rotateBackward(d1, a1, dOut, in, angles, images, pixels, channels, true);
        cl.rotateBackward(d2, a2, dOut, in, angles, images, pixels, channels, true);
        check("rotate dIn", d1, d2, 5e-7);
        check("rotate dAngles", a1, a2, 1e-6);

        float[] b = o1.clone();
        b[3] = in[3];   // a tie
        float[] m1 = new float[len];
        float[] m2 = new float[len];
        SCALAR.maxForward(m1, in, b, len);
        cl.maxForward(m2, in, b, len);
        RenderTestData.assertSame("max", m1, m2);
        float[] da1 = new float[len];
        float[] db1 = new float[len];
        float[] da2 = new float[len];
        float[] db2 = new float[len];
        SCALAR.maxBackward(da1, db1, dOut, in, b, len, false);
        cl.maxBackward(da2, db2, dOut, in, b, len, false);
        RenderTestData.assertSame("max dA", da1, da2);
        RenderTestData.assertSame("max dB", db1, db2);
    }

    @Test
    void rendererPieces() {
        int n = 2;
        int h = 5;
        int w = 6;
        int c = 7;
        float[] wide = RenderTestData.uniform(n * h * w * 4 * c, 1, -1, 1);
        float[] map = RenderTestData.uniform(n * h * w * c, 2, -1, 1);
        float[] big = RenderTestData.uniform(n * 4 * h * w * c, 3, -1, 1);
        // pixel shuffle
        float[] s1 = new float[big.length];
        float[] s2 = new float[big.length];
        SCALAR.pixelShuffleForward(s1, wide, n, h, w, c);
        cl.pixelShuffleForward(s2, wide, n, h, w, c);
        RenderTestData.assertSame("shuffle", s1, s2);
        float[] w1 = RenderTestData.uniform(wide.length, 4, -1, 1);
        float[] w2 = w1.clone();
        SCALAR.pixelShuffleBackward(w1, big, n, h, w, c, true);
        cl.pixelShuffleBackward(w2, big, n, h, w, c, true);
        RenderTestData.assertSame("shuffle backward", w1, w2);
        // repeat residual, in place and not
        float[] r1 = new float[wide.length];
        float[] r2 = new float[wide.length];
        SCALAR.repeatAddForward(r1, wide, map, 0, n * h * w, c, 4);
        cl.repeatAddForward(r2, wide, map, 0, n * h * w, c, 4);
        RenderTestData.assertSame("repeatAdd", r1, r2);
        float[] inPlace = wide.clone();
        cl.repeatAddForward(inPlace, inPlace, map, 0, n * h * w, c, 4);
        RenderTestData.assertSame("repeatAdd in place", r1, inPlace);
        float[] x1 = new float[map.length];
        float[] x2 = new float[map.length];
        SCALAR.repeatAddBackward(x1, 0, wide, n * h * w, c, 4, false);
        cl.repeatAddBackward(x2, 0, wide, n * h * w, c, 4, false);
        RenderTestData.assertSame("repeatAdd backward", x1, x2);
        // bilinear
        float[] u1 = new float[big.length];
        float[] u2 = new float[big.length];
        SCALAR.upsampleForward(u1, map, n, h, w, c);
        cl.upsampleForward(u2, map, n, h, w, c);
        check("upsample", u1, u2, 2.5e-7);
        float[] ub1 = new float[map.length];
        float[] ub2 = new float[map.length];
        SCALAR.upsampleBackward(ub1, big, n, h, w, c, false);
        cl.upsampleBackward(ub2, big, n, h, w, c, false);
        check("upsample backward", ub1, ub2, 5e-7);
        // blur
        float[] b1 = new float[map.length];
        float[] b2 = new float[map.length];
        SCALAR.blurForward(b1, map, n, h, w, c);
        cl.blurForward(b2, map, n, h, w, c);
        RenderTestData.assertSame("blur", b1, b2);
        float[] bb1 = RenderTestData.uniform(map.length, 9, -1, 1);
        float[] bb2 = bb1.clone();
        SCALAR.blurBackward(bb1, map, n, h, w, c, true);
        cl.blurBackward(bb2, map, n, h, w, c, true);
        RenderTestData.assertSame("blur backward", bb1, bb2);
    }
}
