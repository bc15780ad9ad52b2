package dev.gazenerf.bench;

import java.util.SplittableRandom;

/** Inputs and the before-timing checks shared by the benchmarks. */
final class BenchData {
    private BenchData() {
    }

    /** {@code n} values uniform in [lo, hi), from {@code seed}. */
    static float[] uniform(int n, long seed, double lo, double hi) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        return a;
    }

    /**
     * Throws when any {@code got[t][i]} differs from {@code ref[t][i]} by more than
     * {@code tol * max_i |ref[t][i]| + 1e-7}: an error relative to the tensor's scale, so gradients summed over
     * many pixels and tiny entries next to them are judged alike. Prints the worst relative error per tensor.
     */
    static void compare(String who, String[] names, float[][] ref, float[][] got, double tol) {
        StringBuilder seen = new StringBuilder("# " + who + " vs scalar, worst error / max|ref|:");
        for (int t = 0; t < ref.length; t++) {
            if (ref[t].length != got[t].length) {
                throw new IllegalStateException(who + ": " + names[t] + " has " + got[t].length + " values, scalar "
                        + ref[t].length);
            }
            double scale = 0;
            for (float v : ref[t]) {
                scale = Math.max(scale, Math.abs(v));
            }
            double worst = 0;
            for (int i = 0; i < ref[t].length; i++) {
                double err = Math.abs((double) got[t][i] - ref[t][i]);
                if (!(err <= tol * scale + 1e-7)) {
                    throw new IllegalStateException(who + " disagrees with scalar on " + names[t] + "[" + i + "]: "
                            + got[t][i] + " vs " + ref[t][i] + " (max |ref| " + scale + ")");
                }
                worst = Math.max(worst, err);
            }
            seen.append(' ').append(names[t]).append(' ').append(String.format("%.1e", worst / Math.max(scale, 1e-30)));
        }
        System.out.println(seen);
    }

    /**
     * Heap in use after a full collection, in MiB: with every buffer preallocated and nothing allocated per
     * step, this is the peak the step needs (plus JMH's own few MiB).
     */
    static long usedHeapMiB() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        System.gc();
        return (rt.totalMemory() - rt.freeMemory()) >> 20;
    }
}
