package dev.gazenerf.backend;

import java.util.HashMap;
import java.util.Map;

/**
 * The one place where the parity tolerances live: per backend and per {@link Backend} method, an element
 * passes when {@code |got - ref| <= atol + rtol * |ref|}, ref being {@link ScalarBackend}'s result on the
 * inputs of {@link BackendCases} (uniform in [-1, 1) unless a case says otherwise; gemm k up to 1,700).
 *
 * <p>Each value is about twice the worst error measured by {@code BackendParityTest} (run it with
 * {@code -Dgazenerf.test.jvm=-Dgazenerf.parity.report=true} to print the worst |error| and the worst
 * |error| / (1 + |ref|) of every backend and method); the comment beside each says what was seen.
 * Never widen a tolerance to make a run pass without measuring why.
 *
 * <p>Adding a backend is one {@code put} line per method. A backend or method without an entry fails the
 * parity test (there is no default).
 */
final class Tolerances {
    /** {@code |got - ref| <= atol + rtol * |ref|}. */
    record Tolerance(double atol, double rtol) {
        boolean accepts(float got, float ref) {
            if (Float.isNaN(ref) || Float.isNaN(got)) {
                return Float.isNaN(ref) && Float.isNaN(got);
            }
            if (Float.isInfinite(ref) || Float.isInfinite(got)) {
                return got == ref;
            }
            return Math.abs((double) got - ref) <= atol + rtol * Math.abs((double) ref);
        }
    }

    private static final Map<String, Tolerance> TABLE = new HashMap<>();

    static {
        // vector (Java Vector API; measured with 2 threads on JDK 17 at 512 bits (16 floats), and at 256 and
        // 128 bits through VectorParityMain, which prints the same figures).
        // gemms: fused multiply-add and k summed in blocks of 384 (each block's fma chain, then the blocks in
        // order) instead of scalar's separately rounded products summed one by one (scalar's own rounding
        // error is of the same size). Worst |error| / (1 + |ref|) seen, the same at all three widths:
        // NT 1.77e-5, NN 1.56e-5, TN 1.12e-5, at k = 1,700 (worst |error| 8.4e-5, where |ref| is about 9);
        // so 4e-5 (1 + |ref|).
        put("vector", "gemmNT", 4e-5, 4e-5);
        put("vector", "gemmNN", 4e-5, 4e-5);
        put("vector", "gemmTN", 4e-5, 4e-5);
        // element-wise ops: the same float operations in the same order as scalar (no fma; sums in row
        // order; sigmoid, sin and cos through the same scalar helpers): bitwise equal, worst seen 0.
        put("vector", "biasActivation", 0, 0);
        put("vector", "activationBackward", 0, 0);
        put("vector", "columnSums", 0, 0);
        put("vector", "copy2d", 0, 0);
        put("vector", "frequencyEncode", 0, 0);
        put("vector", "frequencyEncodeBackward", 0, 0);
        put("vector", "adam", 0, 0);
    }

    private Tolerances() {
    }

    private static void put(String backend, String method, double atol, double rtol) {
        if (TABLE.put(backend + "." + method, new Tolerance(atol, rtol)) != null) {
            throw new IllegalStateException("duplicate tolerance for " + backend + "." + method);
        }
    }

    /** The tolerance of {@code backend} for {@code method}; fails when none was measured. */
    static Tolerance of(String backend, String method) {
        Tolerance t = TABLE.get(backend + "." + method);
        if (t == null) {
            throw new AssertionError("no tolerance for backend '" + backend + "', method '" + method
                    + "': measure one and add it to Tolerances");
        }
        return t;
    }
}
