package dev.gazenerf.render;

import dev.gazenerf.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vector kernels give the same bits before and after the JIT compiles them. {@code reduceLanes(ADD)} on
 * floats does not: on JDK 25 its C2 code sums the lanes in another order than the code that runs before
 * compilation, so compositing's backward (its dot products) changed bits once C2 had compiled it, and two
 * training runs with the same seed differed. CI runs JDK 17, whose intrinsic sums in lane order; the cold/warm
 * test below is what fails on JDK 25 with {@code reduceLanes} (run the engine tests with the Temurin 25 JDK).
 */
class JitDeterminismTest {

    @Test
    void sumLanesInOrderIsTheSumInLaneOrder() {
        SplittableRandom r = new SplittableRandom(11);
        int maxBits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        for (int bits = 64; bits <= maxBits; bits *= 2) {
            VectorSpecies<Float> s = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
            float[] a = new float[s.length()];
            for (int trial = 0; trial < 2000; trial++) {
                for (int i = 0; i < a.length; i++) {
                    // magnitudes over 8 decades with both signs: a different order gives other bits
                    a[i] = (float) (r.nextDouble(-1, 1) * Math.pow(10, r.nextInt(-4, 5)));
                }
                float expected = a[0];
                for (int i = 1; i < a.length; i++) {
                    expected += a[i];
                }
                float got = VectorKernels.sumLanesInOrder(FloatVector.fromArray(s, a, 0));
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got),
                        bits + "-bit vector, trial " + trial);
            }
        }
    }

    @Test
    void sumLanesInOrderByHand() {
        // 1e8 + 1 - 1e8 + 0.5 ... in lane order: (1e8 + 1) rounds to 1e8, so the 1 is lost; another order keeps it
        VectorSpecies<Float> s = FloatVector.SPECIES_128;
        float got = VectorKernels.sumLanesInOrder(FloatVector.fromArray(s, new float[] {1e8f, 1f, -1e8f, 0.5f}, 0));
        assertEquals(0.5f, got);
    }

    @Test
    void compositeBackwardGivesTheSameBitsColdAndWarm() {
        int rays = 6;
        int samples = 8;
        int channels = 37;  // two full 16-lane vectors and a scalar tail on AVX-512
        int pixels = rays;
        SplittableRandom r = new SplittableRandom(5);
        float[] sigma = fill(r, rays * samples, 0, 3);
        float[] feat = fill(r, rays * samples * channels, -1, 1);
        float[] delta = fill(r, rays * samples, 0.05, 0.15);
        float[] tvals = fill(r, rays * samples, 1, 7);
        float[] bg = fill(r, pixels * channels, -1, 1);
        float[] dMerged = fill(r, rays * channels, -1, 1);
        float[] dDepth = fill(r, rays, -1, 1);
        float[] merged = new float[rays * channels];
        float[] depth = new float[rays];
        float[] bgAlpha = new float[rays];
        float[] alpha = new float[rays * samples];
        float[] trans = new float[rays * samples];
        try (ParallelRenderKernels k = new ParallelRenderKernels(1)) {
            k.compositeForward(merged, 0, depth, bgAlpha, 0, alpha, trans, 0, sigma, 0, feat, 0, channels, delta, tvals,
                    0, bg, rays, samples, channels, pixels, 0);
            float[][] cold = backward(k, rays, samples, channels, pixels, sigma, feat, delta, tvals, bg, dMerged, dDepth,
                    bgAlpha, alpha, trans);
            float[][] warm = null;
            // enough calls for C2 to compile the dot product and the loops around it
            for (int i = 0; i < 6000; i++) {
                warm = backward(k, rays, samples, channels, pixels, sigma, feat, delta, tvals, bg, dMerged, dDepth,
                        bgAlpha, alpha, trans);
            }
            for (int q = 0; q < cold.length; q++) {
                assertArrayEquals(cold[q], warm[q], "output " + q + " (dSigma, dFeat, dDelta, dBg) after JIT compilation");
            }
        }
    }

    private static float[][] backward(ParallelRenderKernels k, int rays, int samples, int channels, int pixels,
                                      float[] sigma, float[] feat, float[] delta, float[] tvals, float[] bg,
                                      float[] dMerged, float[] dDepth, float[] bgAlpha, float[] alpha, float[] trans) {
        float[] dSigma = new float[rays * samples];
        float[] dFeat = new float[rays * samples * channels];
        float[] dDelta = new float[rays * samples];
        float[] dBg = new float[pixels * channels];
        k.compositeBackward(dSigma, 0, dFeat, 0, channels, dDelta, dBg, dMerged, 0, dDepth, bgAlpha, 0, alpha, trans, 0,
                sigma, 0, feat, 0, channels, delta, tvals, 0, bg, rays, samples, channels, pixels, 0);
        return new float[][] {dSigma, dFeat, dDelta, dBg};
    }

    private static float[] fill(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextDouble(lo, hi);
        }
        return a;
    }
}
