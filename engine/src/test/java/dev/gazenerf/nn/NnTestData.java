package dev.gazenerf.nn;

import java.util.SplittableRandom;

/** Seeded random buffers for the nn tests. */
final class NnTestData {
    private NnTestData() {
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
}
