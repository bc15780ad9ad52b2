package dev.gazenerf.render;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.tensor.ParamLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parity cases of every render primitive on a device backend against {@link ScalarRenderKernels}, shared by
 * the OpenCL test ({@code OpenClRenderKernelsTest}) and the TornadoVM one (module {@code engine-tornadovm}, which
 * reads this class from the engine's test jar): forward and backward, random inputs and edge sizes (one ray, one
 * sample, an empty ray with sigma 0, one pixel, odd widths), operands at offsets, accumulate on and off, outputs
 * that start non-zero, and the whole {@link NeuralRenderer} on a tiny config. A subclass says which kernels run,
 * how a launch on its device is counted and what tolerance each op gets; every case asserts that its kernels were
 * launched on the device.
 */
abstract class RenderKernelsParityCases {
    static final ScalarRenderKernels SCALAR = new ScalarRenderKernels();

    /** The kernels under test. */
    abstract RenderKernels device();

    /** Their backend (the renderer's products run on it). */
    abstract Backend deviceBackend();

    /** Kernel launches on the device so far, as the backend counts them. */
    abstract long launches();

    /** The device in messages, e.g. "the OpenCL device". */
    abstract String deviceName();

    /** Fails unless {@code got} matches {@code ref} within the op's tolerance on this device. */
    abstract void parity(String op, String what, float[] ref, float[] got);

    /** The max merge's exactness: by default the same bits as scalar, signed zeros included. */
    void assertMaxSame(float[] ref, float[] got) {
        RenderTestData.assertSame("max", ref, got);
    }

    /** Runs {@code body} and asserts that it launched at least {@code launches} kernels on the device. */
    void onDevice(String what, int launches, Runnable body) {
        long before = launches();
        body.run();
        assertTrue(launches() >= before + launches,
                what + ": expected " + launches + " launches on " + deviceName() + ", got " + (launches() - before));
    }

    static float[] uniform(int n, long seed, double lo, double hi) {
        return RenderTestData.uniform(n, seed, lo, hi);
    }

    // ------------------------------------------------------------ compositing

    /** Forward and backward of one problem on both; outputs and gradients start non-zero (random). */
    private void compositeCase(CompositeTest.Problem s, CompositeTest.Problem o, boolean depth, boolean dDelta,
                                      boolean dDepth) {
        for (CompositeTest.Problem p : new CompositeTest.Problem[] {s, o}) {
            fillRandom(p.merged, 101);
            fillRandom(p.depth, 102);
            fillRandom(p.alpha, 103);
            fillRandom(p.dSigma, 104);
            fillRandom(p.dFeat, 105);
            fillRandom(p.dDelta, 106);
            fillRandom(p.dBg, 107);
        }
        run(s, SCALAR, depth, dDelta, dDepth);
        onDevice("composite", 3, () -> run(o, device(), depth, dDelta, dDepth));
        parity("compositeForward", "merged", s.merged, o.merged);
        parity("compositeForward", "depth", s.depth, o.depth);
        parity("compositeForward", "bgAlpha", s.bgAlpha, o.bgAlpha);
        parity("compositeForward", "alpha", s.alpha, o.alpha);
        parity("compositeForward", "trans", s.trans, o.trans);
        parity("compositeBackward", "dSigma", s.dSigma, o.dSigma);
        parity("compositeBackward", "dFeat", s.dFeat, o.dFeat);
        parity("compositeBackward", "dDelta", s.dDelta, o.dDelta);
        parity("compositeBackward", "dBg", s.dBg, o.dBg);
    }

    private void fillRandom(float[] a, long seed) {
        System.arraycopy(uniform(a.length, seed, -1, 1), 0, a, 0, a.length);
    }

    private void run(CompositeTest.Problem p, RenderKernels k, boolean depth, boolean dDelta, boolean dDepth) {
        k.compositeForward(p.merged, 0, depth ? p.depth : null, p.bgAlpha, 0, p.alpha, p.trans, 0, p.sigma, 0,
                p.feat, 0, p.channels, p.delta, p.tvals, 0, p.bg, p.rays, p.samples, p.channels, p.pixels, p.firstPixel);
        k.compositeBackward(p.dSigma, 0, p.dFeat, 0, p.channels, dDelta ? p.dDelta : null, p.dBg, p.dMerged, 0,
                dDepth ? p.dDepth : null, p.bgAlpha, 0, p.alpha, p.trans, 0, p.sigma, 0, p.feat, 0, p.channels,
                p.delta, p.tvals, 0, p.bg, p.rays, p.samples, p.channels, p.pixels, p.firstPixel);
    }

    @Test
    void compositingMatchesScalar() {
        // several rays per background pixel (70 rays over 25 pixels from pixel 7), odd channel count
        compositeCase(CompositeTest.Problem.random(70, 9, 37, 25, 7, 33),
                CompositeTest.Problem.random(70, 9, 37, 25, 7, 33), true, true, true);
        // depth, dDelta and dDepth absent
        compositeCase(CompositeTest.Problem.random(13, 5, 4, 20, 19, 8),
                CompositeTest.Problem.random(13, 5, 4, 20, 19, 8), false, false, false);
        // one ray of one sample, one channel, one pixel
        compositeCase(CompositeTest.Problem.random(1, 1, 1, 1, 0, 9), CompositeTest.Problem.random(1, 1, 1, 1, 0, 9),
                true, true, true);
    }

    @Test
    void compositingEmptyRaysShowTheBackground() {
        CompositeTest.Problem s = CompositeTest.Problem.random(6, 4, 3, 3, 1, 5);
        CompositeTest.Problem o = CompositeTest.Problem.random(6, 4, 3, 3, 1, 5);
        for (CompositeTest.Problem p : new CompositeTest.Problem[] {s, o}) {
            for (int k = 0; k < 4; k++) {
                p.sigma[2 * 4 + k] = 0f;   // ray 2 is empty
                p.sigma[5 * 4 + k] = 0f;   // and ray 5
            }
        }
        compositeCase(s, o, true, true, true);
        assertEquals(1f, o.bgAlpha[2], 0f, "an empty ray is all background");
        int pixel = (1 + 2) % 3;
        for (int c = 0; c < 3; c++) {
            assertEquals(o.bg[pixel * 3 + c], o.merged[2 * 3 + c], 0f, "empty ray channel " + c);
        }
    }

    @Test
    void compositingOpaqueFirstSampleHidesEverythingBehind() {
        CompositeTest.Problem s = CompositeTest.Problem.random(3, 4, 3, 2, 1, 9);
        CompositeTest.Problem o = CompositeTest.Problem.random(3, 4, 3, 2, 1, 9);
        for (CompositeTest.Problem p : new CompositeTest.Problem[] {s, o}) {
            p.sigma[4] = 1e4f;   // ray 1: exp(-1e4) is 0, alpha 1
            p.delta[4] = 1f;
        }
        compositeCase(s, o, true, true, true);
        assertEquals(0f, o.bgAlpha[1], 0f, "nothing of the background shows");
        for (int c = 0; c < 3; c++) {
            assertEquals(o.feat[4 * 3 + c], o.merged[3 + c], 1e-6f, "the first sample's feature, channel " + c);
        }
        for (int k = 1; k < 4; k++) {
            assertEquals(0f, o.trans[4 + k], 1e-9f, "transmittance behind the opaque sample, sample " + k);
        }
    }

    @Test
    void compositingAtOffsetsInLargerBuffers() {
        int rays = 7;
        int samples = 6;
        int channels = 5;
        int ldf = 9;
        int pixels = 4;
        int points = rays * samples;
        float[][] outs = new float[2][];
        for (int impl = 0; impl < 2; impl++) {
            RenderKernels k = impl == 0 ? SCALAR : device();
            float[] merged = uniform(3 + rays * channels, 1, -1, 1);
            float[] depth = uniform(2 + rays, 2, -1, 1);
            float[] bgAlpha = uniform(2 + rays, 3, -1, 1);
            float[] alpha = uniform(4 + points, 4, -1, 1);
            float[] trans = uniform(4 + points, 5, -1, 1);
            float[] sigma = uniform(1 + points, 6, 0, 4);
            float[] feat = uniform(3 + points * ldf, 7, -1, 1);
            float[] delta = uniform(5 + points, 8, 0.01, 0.6);
            float[] tvals = uniform(5 + points, 9, 1, 4);
            float[] bg = uniform(pixels * channels, 10, -1, 1);
            float[] dSigma = uniform(2 + points, 11, -1, 1);
            float[] dFeat = uniform(6 + points * 8, 12, -1, 1);
            float[] dDelta = uniform(2 + points, 13, -1, 1);
            float[] dBg = uniform(pixels * channels, 14, -1, 1);
            float[] dMerged = uniform(1 + rays * channels, 15, -1, 1);
            float[] dDepth = uniform(2 + rays, 16, -1, 1);
            Runnable body = () -> {
                k.compositeForward(merged, 3, depth, bgAlpha, 2, alpha, trans, 4, sigma, 1, feat, 3, ldf, delta, tvals, 5,
                        bg, rays, samples, channels, pixels, 2);
                k.compositeBackward(dSigma, 2, dFeat, 6, 8, dDelta, dBg, dMerged, 1, dDepth, bgAlpha, 2, alpha, trans, 4,
                        sigma, 1, feat, 3, ldf, delta, tvals, 5, bg, rays, samples, channels, pixels, 2);
            };
            if (impl == 0) {
                body.run();
            } else {
                onDevice("composite at offsets", 3, body);
            }
            outs[impl] = concat(merged, depth, bgAlpha, alpha, trans, dSigma, dFeat, dDelta, dBg);
        }
        parity("compositeBackward", "all outputs at offsets", outs[0], outs[1]);
    }

    private static float[] concat(float[]... arrays) {
        int n = 0;
        for (float[] a : arrays) {
            n += a.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] a : arrays) {
            System.arraycopy(a, 0, all, at, a.length);
            at += a.length;
        }
        return all;
    }

    // ------------------------------------------------------------ rotation and merge

    private void rotationCase(int images, int pixels, int channels, boolean accumulate, long seed) {
        int len = images * pixels * channels;
        float[] in = uniform(len, seed, -1, 1);
        float[] dOut = uniform(len, seed + 1, -1, 1);
        float[] angles = uniform(2 * images, seed + 2, -0.8, 0.8);
        float[] o1 = uniform(len, seed + 3, -1, 1);
        float[] o2 = o1.clone();
        SCALAR.rotateForward(o1, in, angles, images, pixels, channels);
        onDevice("rotateForward", 1, () -> device().rotateForward(o2, in, angles, images, pixels, channels));
        parity("rotateForward", "out", o1, o2);
        float[] d1 = uniform(len, seed + 4, -1, 1);
        float[] d2 = d1.clone();
        float[] a1 = uniform(2 * images, seed + 5, -1, 1);
        float[] a2 = a1.clone();
        SCALAR.rotateBackward(d1, a1, dOut, in, angles, images, pixels, channels, accumulate);
        onDevice("rotateBackward", 2,
                () -> device().rotateBackward(d2, a2, dOut, in, angles, images, pixels, channels, accumulate));
        parity("rotateBackward", "dIn", d1, d2);
        parity("rotateBackward", "dAngles", a1, a2);
    }

    @Test
    void rotationMatchesScalar() {
        rotationCase(3, 517, 12, true, 5);     // three blocks of the angle reduction, the last one partial
        rotationCase(2, 256, 3, false, 15);    // exactly one block, one triplet
        rotationCase(1, 1, 6, true, 25);       // one pixel
        rotationCase(4, 37, 9, false, 35);
    }

    @Test
    void maxMergeMatchesScalarIncludingTiesAndSignedZeros() {
        int n = 1031;
        float[] a = uniform(n, 1, -1, 1);
        float[] b = uniform(n, 2, -1, 1);
        for (int i = 0; i < n; i += 7) {
            b[i] = a[i];   // ties
        }
        a[1] = -0f;
        b[1] = 0f;
        a[2] = 0f;
        b[2] = -0f;
        a[3] = -0f;
        b[3] = -0f;
        float[] m1 = new float[n];
        float[] m2 = new float[n];
        SCALAR.maxForward(m1, a, b, n);
        onDevice("maxForward", 1, () -> device().maxForward(m2, a, b, n));
        assertMaxSame(m1, m2);
        parity("maxForward", "out", m1, m2);
        float[] dOut = uniform(n, 3, -1, 1);
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] da1 = uniform(n, 4, -1, 1);
            float[] db1 = uniform(n, 5, -1, 1);
            float[] da2 = da1.clone();
            float[] db2 = db1.clone();
            SCALAR.maxBackward(da1, db1, dOut, a, b, n, accumulate);
            onDevice("maxBackward", 1, () -> device().maxBackward(da2, db2, dOut, a, b, n, accumulate));
            parity("maxBackward", "dA", da1, da2);
            parity("maxBackward", "dB", db1, db2);
        }
        // one element
        float[] one = new float[1];
        onDevice("maxForward of one", 1, () -> device().maxForward(one, new float[] {2f}, new float[] {3f}, 1));
        assertEquals(3f, one[0], 0f);
    }

    @Test
    void aliasedInputsGiveTheScalarResult() {
        int n = 64;
        float[] a = uniform(n, 1, -1, 1);
        float[] b = uniform(n, 2, -1, 1);
        float[] expected = new float[n];
        SCALAR.maxForward(expected, a, b, n);
        float[] inPlace = a.clone();
        onDevice("maxForward in place", 1, () -> device().maxForward(inPlace, inPlace, b, n));
        RenderTestData.assertSame("max in place", expected, inPlace);
        float[] same = new float[n];
        onDevice("maxForward of a with itself", 1, () -> device().maxForward(same, a, a, n));
        RenderTestData.assertSame("max(a, a)", a, same);
        float[] dA = new float[n];
        assertThrows(IllegalArgumentException.class, () -> device().maxBackward(dA, dA, b, a, b, n, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> device().maxForward(new float[n - 1], a, b, n));
        assertTrue(e.getMessage().contains("maxForward") && e.getMessage().contains("out"), e.getMessage());
    }

    // ------------------------------------------------------------ renderer pieces

    private void piecesCase(int images, int h, int w, int c, long seed) {
        int mapLen = images * h * w * c;
        float[] wide = uniform(4 * mapLen, seed, -1, 1);     // (images, h, w, 4c)
        float[] map = uniform(mapLen, seed + 1, -1, 1);      // (images, h, w, c)
        float[] big = uniform(4 * mapLen, seed + 2, -1, 1);  // (images, 2h, 2w, c)
        for (boolean accumulate : new boolean[] {false, true}) {
            // pixel shuffle
            float[] s1 = uniform(big.length, seed + 3, -1, 1);
            float[] s2 = s1.clone();
            SCALAR.pixelShuffleForward(s1, wide, images, h, w, c);
            onDevice("pixelShuffleForward", 1, () -> device().pixelShuffleForward(s2, wide, images, h, w, c));
            parity("pixelShuffleForward", "out", s1, s2);
            float[] w1 = uniform(wide.length, seed + 4, -1, 1);
            float[] w2 = w1.clone();
            SCALAR.pixelShuffleBackward(w1, big, images, h, w, c, accumulate);
            onDevice("pixelShuffleBackward", 1, () -> device().pixelShuffleBackward(w2, big, images, h, w, c, accumulate));
            parity("pixelShuffleBackward", "dIn", w1, w2);
            // channel-repeat residual, x at an offset, out of place and in place
            float[] x = uniform(5 + mapLen, seed + 5, -1, 1);
            int rows = images * h * w;
            float[] r1 = new float[wide.length];
            float[] r2 = uniform(wide.length, seed + 6, -1, 1);
            SCALAR.repeatAddForward(r1, wide, x, 5, rows, c, 4);
            onDevice("repeatAddForward", 1, () -> device().repeatAddForward(r2, wide, x, 5, rows, c, 4));
            parity("repeatAddForward", "out", r1, r2);
            float[] inPlace = wide.clone();
            onDevice("repeatAddForward in place", 1, () -> device().repeatAddForward(inPlace, inPlace, x, 5, rows, c, 4));
            parity("repeatAddForward", "out in place", r1, inPlace);
            float[] x1 = uniform(2 + mapLen, seed + 7, -1, 1);
            float[] x2 = x1.clone();
            SCALAR.repeatAddBackward(x1, 2, wide, rows, c, 4, accumulate);
            onDevice("repeatAddBackward", 1, () -> device().repeatAddBackward(x2, 2, wide, rows, c, 4, accumulate));
            parity("repeatAddBackward", "dX", x1, x2);
            // bilinear x2
            float[] u1 = uniform(big.length, seed + 8, -1, 1);
            float[] u2 = u1.clone();
            SCALAR.upsampleForward(u1, map, images, h, w, c);
            onDevice("upsampleForward", 1, () -> device().upsampleForward(u2, map, images, h, w, c));
            parity("upsampleForward", "out", u1, u2);
            float[] ub1 = uniform(mapLen, seed + 9, -1, 1);
            float[] ub2 = ub1.clone();
            SCALAR.upsampleBackward(ub1, big, images, h, w, c, accumulate);
            onDevice("upsampleBackward", 1, () -> device().upsampleBackward(ub2, big, images, h, w, c, accumulate));
            parity("upsampleBackward", "dIn", ub1, ub2);
            // blur (needs h, w >= 2)
            if (h >= 2 && w >= 2) {
                float[] b1 = uniform(mapLen, seed + 10, -1, 1);
                float[] b2 = b1.clone();
                SCALAR.blurForward(b1, map, images, h, w, c);
                onDevice("blurForward", 1, () -> device().blurForward(b2, map, images, h, w, c));
                parity("blurForward", "out", b1, b2);
                float[] dMap = uniform(mapLen, seed + 11, -1, 1);
                float[] bb1 = uniform(mapLen, seed + 12, -1, 1);
                float[] bb2 = bb1.clone();
                SCALAR.blurBackward(bb1, dMap, images, h, w, c, accumulate);
                onDevice("blurBackward", 1, () -> device().blurBackward(bb2, dMap, images, h, w, c, accumulate));
                parity("blurBackward", "dIn", bb1, bb2);
            }
        }
    }

    @Test
    void rendererPiecesMatchScalar() {
        piecesCase(2, 5, 7, 7, 1);     // odd sizes and channels
        piecesCase(1, 1, 1, 1, 20);    // one pixel of one channel (no blur)
        piecesCase(1, 2, 3, 3, 40);    // the smallest blur
        piecesCase(3, 8, 6, 4, 60);
    }

    @Test
    void zeroSizedCallsLaunchNothing() {
        long before = launches();
        float[] empty = new float[0];
        device().maxForward(empty, empty, empty, 0);
        device().pixelShuffleForward(empty, empty, 0, 3, 3, 2);
        device().upsampleBackward(empty, empty, 0, 3, 3, 2, true);
        device().rotateForward(empty, empty, empty, 0, 5, 3);
        CompositeTest.Problem p = CompositeTest.Problem.random(1, 2, 3, 1, 0, 2);
        device().compositeForward(p.merged, 0, p.depth, p.bgAlpha, 0, p.alpha, p.trans, 0, p.sigma, 0, p.feat, 0, 3,
                p.delta, p.tvals, 0, p.bg, 0, 2, 3, 1, 0);
        assertEquals(before, launches());
    }

    // ------------------------------------------------------------ the whole neural renderer

    @Test
    void neuralRendererForwardAndBackwardMatchScalar() {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "", 12, 8, 32, 4);
        float[] params = new float[layout.size()];
        r.initialize(params, 7);
        int images = 2;
        float[] in = uniform(3 + images * 64 * 12, 8, -1, 1);
        float[] dOut = uniform(images * 32 * 32 * 3, 9, -1, 1);
        float[][] outs = new float[2][dOut.length];
        float[][] dIns = new float[2][in.length];
        float[][] dPs = new float[2][params.length];
        Backend[] bes = {new ScalarBackend(), deviceBackend()};
        RenderKernels[] ks = {SCALAR, device()};
        for (int k = 0; k < 2; k++) {
            int kk = k;
            NeuralRenderer.Workspace ws = r.newWorkspace(images);
            java.util.Arrays.fill(dIns[k], 0.5f);
            Runnable body = () -> {
                r.forward(bes[kk], ks[kk], ws, outs[kk], in, 3, params, images);
                r.backward(bes[kk], ks[kk], ws, dIns[kk], 3, true, dPs[kk], dOut, in, params);
            };
            if (k == 0) {
                body.run();
            } else {
                onDevice("NeuralRenderer", 10, body);
            }
        }
        parity("NeuralRenderer", "rgb", outs[0], outs[1]);
        parity("NeuralRenderer", "dIn", dIns[0], dIns[1]);
        parity("NeuralRenderer", "dParams", dPs[0], dPs[1]);
    }
}
