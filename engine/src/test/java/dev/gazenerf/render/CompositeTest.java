package dev.gazenerf.render;

import dev.gazenerf.nn.GradientChecker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Volume compositing (reference 2.5): literal cases, finite differences, parallel against scalar. */
class CompositeTest {
    private static final ScalarRenderKernels SCALAR = new ScalarRenderKernels();
    private static final ParallelRenderKernels PARALLEL = new ParallelRenderKernels(3);

    @AfterAll
    static void close() {
        PARALLEL.close();
    }

    /** Buffers of one compositing problem: rays x samples x channels over a bg map of `pixels` pixels. */
    static final class Problem {
        final int rays;
        final int samples;
        final int channels;
        final int pixels;
        final int firstPixel;
        final float[] sigma;
        final float[] feat;
        final float[] delta;
        final float[] tvals;
        final float[] bg;
        final float[] merged;
        final float[] depth;
        final float[] bgAlpha;
        final float[] alpha;
        final float[] trans;
        final float[] dSigma;
        final float[] dFeat;
        final float[] dDelta;
        final float[] dBg;
        final float[] dMerged;
        final float[] dDepth;

        Problem(int rays, int samples, int channels, int pixels, int firstPixel) {
            this.rays = rays;
            this.samples = samples;
            this.channels = channels;
            this.pixels = pixels;
            this.firstPixel = firstPixel;
            int points = rays * samples;
            sigma = new float[points];
            feat = new float[points * channels];
            delta = new float[points];
            tvals = new float[points];
            bg = new float[pixels * channels];
            merged = new float[rays * channels];
            depth = new float[rays];
            bgAlpha = new float[rays];
            alpha = new float[points];
            trans = new float[points];
            dSigma = new float[points];
            dFeat = new float[points * channels];
            dDelta = new float[points];
            dBg = new float[pixels * channels];
            dMerged = new float[rays * channels];
            dDepth = new float[rays];
        }

        static Problem random(int rays, int samples, int channels, int pixels, int firstPixel, long seed) {
            Problem p = new Problem(rays, samples, channels, pixels, firstPixel);
            System.arraycopy(RenderTestData.uniform(p.sigma.length, seed, 0.0, 3.0), 0, p.sigma, 0, p.sigma.length);
            System.arraycopy(RenderTestData.uniform(p.feat.length, seed + 1, -1, 1), 0, p.feat, 0, p.feat.length);
            System.arraycopy(RenderTestData.uniform(p.delta.length, seed + 2, 0.05, 0.5), 0, p.delta, 0, p.delta.length);
            System.arraycopy(RenderTestData.uniform(p.tvals.length, seed + 3, 1, 3), 0, p.tvals, 0, p.tvals.length);
            System.arraycopy(RenderTestData.uniform(p.bg.length, seed + 4, -1, 2), 0, p.bg, 0, p.bg.length);
            System.arraycopy(RenderTestData.uniform(p.dMerged.length, seed + 5, -1, 1), 0, p.dMerged, 0, p.dMerged.length);
            System.arraycopy(RenderTestData.uniform(p.dDepth.length, seed + 6, -1, 1), 0, p.dDepth, 0, p.dDepth.length);
            return p;
        }

        void forward(RenderKernels k) {
            k.compositeForward(merged, 0, depth, bgAlpha, 0, alpha, trans, 0, sigma, 0, feat, 0, channels,
                    delta, tvals, 0, bg, rays, samples, channels, pixels, firstPixel);
        }

        void backward(RenderKernels k) {
            k.compositeBackward(dSigma, 0, dFeat, 0, channels, dDelta, dBg, dMerged, 0, dDepth, bgAlpha, 0,
                    alpha, trans, 0, sigma, 0, feat, 0, channels, delta, tvals, 0, bg,
                    rays, samples, channels, pixels, firstPixel);
        }
    }

    private static float ln(double x) {
        return (float) Math.log(x);
    }

    @Test
    void threeSampleRayWithLiteralWeights() {
        // alpha = 0.5, 0.75, 0.2 (sigma = ln 2, ln 4, ln 1.25 with delta = 1); T = 1, 0.5, 0.125;
        // w = 0.5, 0.375, 0.025; bgAlpha = 0.1; f = (1,0), (0,2), (4,4); bg = (10, 20); t = 1, 2, 3.
        Problem p = new Problem(1, 3, 2, 1, 0);
        float[] sigma = {ln(2), ln(4), ln(1.25)};
        System.arraycopy(sigma, 0, p.sigma, 0, 3);
        System.arraycopy(new float[] {1, 1, 1}, 0, p.delta, 0, 3);
        System.arraycopy(new float[] {1, 2, 3}, 0, p.tvals, 0, 3);
        System.arraycopy(new float[] {1, 0, 0, 2, 4, 4}, 0, p.feat, 0, 6);
        System.arraycopy(new float[] {10, 20}, 0, p.bg, 0, 2);
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            p.forward(k);
            assertEquals(0.5f, p.alpha[0], 1e-6f);
            assertEquals(0.75f, p.alpha[1], 1e-6f);
            assertEquals(0.2f, p.alpha[2], 1e-6f);
            assertEquals(1f, p.trans[0], 0f);
            assertEquals(0.5f, p.trans[1], 1e-6f);
            assertEquals(0.125f, p.trans[2], 1e-6f);
            assertEquals(0.1f, p.bgAlpha[0], 1e-6f);
            assertEquals(1.325f, p.depth[0], 1e-6f);     // 0.5*1 + 0.375*2 + 0.025*3
            assertEquals(1.6f, p.merged[0], 1e-5f);      // 0.5 + 0.025*4 + 0.1*10
            assertEquals(2.85f, p.merged[1], 1e-5f);     // 0.375*2 + 0.025*4 + 0.1*20
            // dL/dmerged = (1, 0): G = f_k0 - bg_0 = (-9, -10, -6); suffix S = (-7.8, -1.2, 0);
            // dL/dalpha = T (G - S) = (-1.2, -4.4, -0.75); dSigma = dAlpha * delta * (1 - alpha).
            p.dMerged[0] = 1;
            p.dMerged[1] = 0;
            p.dDepth[0] = 0;
            java.util.Arrays.fill(p.dBg, 0f);
            p.backward(k);
            assertEquals(-0.6f, p.dSigma[0], 1e-5f);
            assertEquals(-1.1f, p.dSigma[1], 1e-5f);
            assertEquals(-0.6f, p.dSigma[2], 1e-5f);
            assertEquals(-1.2f * ln(2) * 0.5f, p.dDelta[0], 1e-5f);
            assertEquals(-4.4f * ln(4) * 0.25f, p.dDelta[1], 1e-5f);
            assertEquals(-0.75f * ln(1.25) * 0.8f, p.dDelta[2], 1e-5f);
            float[] wts = {0.5f, 0.375f, 0.025f};
            for (int s = 0; s < 3; s++) {
                assertEquals(wts[s], p.dFeat[2 * s], 1e-6f);
                assertEquals(0f, p.dFeat[2 * s + 1], 0f);
            }
            assertEquals(0.1f, p.dBg[0], 1e-6f);
            assertEquals(0f, p.dBg[1], 0f);
        }
    }

    @Test
    void emptyRayShowsTheBackground() {
        Problem p = Problem.random(2, 4, 3, 2, 0, 5);
        java.util.Arrays.fill(p.sigma, 0f);
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            p.forward(k);
            for (int r = 0; r < 2; r++) {
                assertEquals(1f, p.bgAlpha[r], 0f);
                assertEquals(0f, p.depth[r], 0f);
                for (int c = 0; c < 3; c++) {
                    assertEquals(p.bg[r * 3 + c], p.merged[r * 3 + c], 0f);
                }
            }
            java.util.Arrays.fill(p.dBg, 0f);
            p.backward(k);
            // alpha = 0 everywhere: S = 0, so dL/dalpha_k = G_k = g.f_k - g.bg + dDepth t_k and dSigma = G_k delta_k.
            for (int r = 0; r < 2; r++) {
                for (int s = 0; s < 4; s++) {
                    int pt = r * 4 + s;
                    double g = -0.0;
                    for (int c = 0; c < 3; c++) {
                        g += p.dMerged[r * 3 + c] * (p.feat[pt * 3 + c] - p.bg[r * 3 + c]);
                    }
                    g += p.dDepth[r] * p.tvals[pt];
                    assertEquals(g * p.delta[pt], p.dSigma[pt], 1e-5);
                    assertEquals(0f, p.dDelta[pt], 0f);            // dDelta = dAlpha * sigma * e = 0
                    for (int c = 0; c < 3; c++) {
                        assertEquals(0f, p.dFeat[pt * 3 + c], 0f);  // w = 0
                    }
                }
                for (int c = 0; c < 3; c++) {
                    assertEquals(p.dMerged[r * 3 + c], p.dBg[r * 3 + c], 1e-6f);
                }
            }
        }
    }

    @Test
    void opaqueFirstSampleHidesEverythingBehind() {
        Problem p = Problem.random(1, 4, 3, 1, 0, 9);
        p.sigma[0] = 1e4f;          // exp(-1e4) underflows: alpha_0 = 1 exactly, T_1 = 1e-10
        p.delta[0] = 1f;
        for (RenderKernels k : new RenderKernels[] {SCALAR, PARALLEL}) {
            p.forward(k);
            assertEquals(1f, p.alpha[0], 0f);
            assertEquals(1e-10f, p.trans[1], 1e-16f);
            assertEquals(0f, p.bgAlpha[0], 0f);
            assertEquals(p.tvals[0], p.depth[0], 1e-6f);
            for (int c = 0; c < 3; c++) {
                assertEquals(p.feat[c], p.merged[c], 1e-6f);
            }
            java.util.Arrays.fill(p.dBg, 0f);
            p.backward(k);
            assertEquals(0f, p.dSigma[0], 0f);         // saturated: d alpha / d sigma = delta exp(-sigma delta) = 0
            for (int s = 1; s < 4; s++) {
                assertTrue(Float.isFinite(p.dSigma[s]) && Math.abs(p.dSigma[s]) < 1e-8, "dSigma behind " + p.dSigma[s]);
            }
            for (int c = 0; c < 3; c++) {
                assertEquals(p.dMerged[c], p.dFeat[c], 0f);
                assertEquals(0f, p.dBg[c], 0f);
            }
        }
    }

    private static GradientChecker.Report gradientCheck(RenderKernels k, int firstPixel) {
        // 6 rays of a chunk that starts at pixel `firstPixel` of a 4-pixel map: pixels repeat, so dBg sums rays.
        Problem p = Problem.random(6, 5, 7, 4, firstPixel, 21);
        GradientChecker gc = new GradientChecker(3).eps(1e-3).tolerance(2e-3, 1e-2)
                .output("merged", p.merged, p.dMerged).output("depth", p.depth, p.dDepth)
                .input("sigma", p.sigma, p.dSigma).input("delta", p.delta, p.dDelta)
                .input("feat", p.feat, p.dFeat).param("bg", p.bg, 0, p.bg.length, p.dBg);
        return gc.check(() -> p.forward(k), () -> p.backward(k));
    }

    @Test
    void finiteDifferencesScalar() {
        GradientChecker.Report r = gradientCheck(SCALAR, 3);
        assertTrue(r.coordinates() > 100, r.toString());
    }

    @Test
    void finiteDifferencesParallel() {
        gradientCheck(PARALLEL, 1);
    }

    @Test
    void parallelMatchesScalar() {
        // 3 images of 5x5 pixels, 9 samples, 37 channels (not a multiple of any vector width), chunk from pixel 7.
        // Measured worst |parallel - scalar| (fma and lane partial sums; JDK 17, 512-bit species, 2 cores):
        // merged 1.2e-7, dFeat 0, dSigma 3.0e-7, dDelta 1.4e-6, dBg 1.5e-8, on values of order 1.
        // Tolerance: 3e-6 absolute (about twice the worst), 1e-6 relative.
        Problem s = Problem.random(70, 9, 37, 25, 7, 33);
        Problem v = Problem.random(70, 9, 37, 25, 7, 33);
        s.forward(SCALAR);
        v.forward(PARALLEL);
        double atol = 3e-6;
        double rtol = 1e-6;
        StringBuilder sb = new StringBuilder();
        sb.append(RenderTestData.assertClose("merged", s.merged, v.merged, atol, rtol)).append(' ');
        RenderTestData.assertSame("alpha", s.alpha, v.alpha);
        RenderTestData.assertSame("trans", s.trans, v.trans);
        RenderTestData.assertSame("bgAlpha", s.bgAlpha, v.bgAlpha);
        RenderTestData.assertSame("depth", s.depth, v.depth);
        s.backward(SCALAR);
        v.backward(PARALLEL);
        sb.append(RenderTestData.assertClose("dFeat", s.dFeat, v.dFeat, atol, rtol)).append(' ');
        sb.append(RenderTestData.assertClose("dSigma", s.dSigma, v.dSigma, atol, rtol)).append(' ');
        sb.append(RenderTestData.assertClose("dDelta", s.dDelta, v.dDelta, atol, rtol)).append(' ');
        sb.append(RenderTestData.assertClose("dBg", s.dBg, v.dBg, atol, rtol));
        System.out.println("composite parity worst errors (merged dFeat dSigma dDelta dBg): " + sb);
    }

    @Test
    void parallelIsDeterministic() {
        Problem a = Problem.random(64, 8, 19, 16, 0, 44);
        Problem b = Problem.random(64, 8, 19, 16, 0, 44);
        try (ParallelRenderKernels two = new ParallelRenderKernels(2)) {
            a.forward(PARALLEL);
            a.backward(PARALLEL);
            b.forward(two);
            b.backward(two);
        }
        RenderTestData.assertSame("merged", a.merged, b.merged);
        RenderTestData.assertSame("dSigma", a.dSigma, b.dSigma);
        RenderTestData.assertSame("dBg", a.dBg, b.dBg);
    }

    @Test
    void badArgumentsNameTheOpAndArgument() {
        Problem p = Problem.random(2, 3, 4, 2, 0, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                SCALAR.compositeForward(p.merged, 0, p.depth, p.bgAlpha, 0, p.alpha, p.trans, 0, p.sigma, 0,
                        new float[5], 0, 4, p.delta, p.tvals, 0, p.bg, 2, 3, 4, 2, 0));
        assertTrue(e.getMessage().contains("compositeForward") && e.getMessage().contains("feat"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () ->
                PARALLEL.compositeForward(p.merged, 0, p.depth, null, 0, p.alpha, p.trans, 0, p.sigma, 0,
                        p.feat, 0, 4, p.delta, p.tvals, 0, p.bg, 2, 3, 4, 2, 0));
        assertTrue(e.getMessage().contains("bgAlpha"), e.getMessage());
    }

    @Test
    void zeroRaysDoNothing() {
        Problem p = Problem.random(1, 2, 3, 1, 0, 2);
        float[] before = p.merged.clone();
        SCALAR.compositeForward(p.merged, 0, p.depth, p.bgAlpha, 0, p.alpha, p.trans, 0, p.sigma, 0, p.feat, 0, 3,
                p.delta, p.tvals, 0, p.bg, 0, 2, 3, 1, 0);
        PARALLEL.compositeForward(p.merged, 0, p.depth, p.bgAlpha, 0, p.alpha, p.trans, 0, p.sigma, 0, p.feat, 0, 3,
                p.delta, p.tvals, 0, p.bg, 0, 2, 3, 1, 0);
        RenderTestData.assertSame("merged", before, p.merged);
    }
}
