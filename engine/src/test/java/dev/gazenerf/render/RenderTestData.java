package dev.gazenerf.render;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Seeded buffers, layout conversions and measured-tolerance comparisons for the render tests. */
final class RenderTestData {
    private RenderTestData() {
    }

    /** n floats uniform in [lo, hi) from {@code seed}. */
    static float[] uniform(int n, long seed, double lo, double hi) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        return a;
    }

    /** PyTorch (N, C, H, W) to channels-last (N, H, W, C). */
    static float[] nchwToNhwc(float[] x, int n, int c, int h, int w) {
        float[] y = new float[x.length];
        for (int b = 0; b < n; b++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < h * w; i++) {
                    y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
                }
            }
        }
        return y;
    }

    /** Fails unless {@code |a - b| <= atol + rtol |b|} everywhere; returns the worst {@code |a - b|}. */
    static double assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": lengths " + expected.length + " and " + actual.length);
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (!Double.isFinite(a)) {
                fail(what + "[" + i + "] is " + a);
            }
            double err = Math.abs(a - e);
            worst = Math.max(worst, err);
            if (err > atol + rtol * Math.abs(e)) {
                assertEquals(e, a, atol + rtol * Math.abs(e), what + "[" + i + "]");
            }
        }
        return worst;
    }

    /** Bitwise equality of two buffers. */
    static void assertSame(String what, float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + "[" + i + "]: expected " + expected[i] + " bit for bit, got " + actual[i]);
            }
        }
    }
}
