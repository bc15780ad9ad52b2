package dev.gazenerf.datasets.h5;

import java.util.SplittableRandom;

/** Small random subject files for tests. */
public final class TestSubjects {
    private TestSubjects() {
    }

    /** A subject with every key (optional ones too), random contents covering 0..255 in the byte keys. */
    public static SubjectData random(int n, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return new SubjectData(n, h, w, bytes(r, n * h * w * 3), bytes(r, n * h * w), bytes(r, n * h * w),
                bytes(r, n * h * w), doubles(r, n * 136), ints(r, n), ints(r, n), doubles(r, n * 306),
                doubles(r, n * 9), doubles(r, n * 3), doubles(r, n * 9), doubles(r, n * 3), doubles(r, n * 9),
                doubles(r, n * 9), doubles(r, n * 2), doubles(r, n * 2), doubles(r, n * 2), doubles(r, n * 3),
                doubles(r, n * 3));
    }

    static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i < 256 ? i : r.nextInt(256));
        }
        return b;
    }

    static int[] ints(SplittableRandom r, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i == 0 ? 255 : r.nextInt(256);
        }
        return a;
    }

    static double[] doubles(SplittableRandom r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextDouble(-10, 10);
        }
        return a;
    }
}
