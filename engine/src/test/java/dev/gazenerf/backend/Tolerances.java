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
public final class Tolerances {
    /** {@code |got - ref| <= atol + rtol * |ref|}. */
    public record Tolerance(double atol, double rtol) {
        public boolean accepts(float got, float ref) {
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
        // opencl (Aparapi kernels, measured on PoCL 3.1 / LLVM 15, CPU device, JDK 17 and Temurin 25).
        // gemms: the tiled kernel sums k in increasing order like scalar, but the OpenCL compiler contracts
        // the multiply-add into fma. Worst |error| / (1 + |ref|) seen: NT 3.7e-6, NN 3.7e-6, TN 4.2e-6 (worst
        // |error| 1.3e-5); so 8e-6 (1 + |ref|).
        put("opencl", "gemmNT", 8e-6, 8e-6);
        put("opencl", "gemmNN", 8e-6, 8e-6);
        put("opencl", "gemmTN", 8e-6, 8e-6);
        // exp (sigmoid), sin and cos are evaluated in double on the device and rounded to float as scalar
        // does: bitwise equal here (worst seen 0); one float ulp (2^-23 relative) is allowed because another
        // device's double libm may differ in the last double bit and flip a rounding.
        put("opencl", "biasActivation", 0, 1.2e-7);
        put("opencl", "frequencyEncode", 0, 1.2e-7);
        // no transcendental and no multiply feeding an add: the same operations in the same order, worst seen 0.
        put("opencl", "activationBackward", 0, 0);
        put("opencl", "columnSums", 0, 0);
        put("opencl", "copy2d", 0, 0);
        // sums of band-weighted products (weights up to 2^(F-1)) contracted into fma: worst |error| 1.2e-4 where
        // |ref| is about 5, worst |error| / (1 + |ref|) 2.0e-5; so 4e-5 (1 + |ref|).
        put("opencl", "frequencyEncodeBackward", 4e-5, 4e-5);
        // moment updates b m + (1 - b) g contracted into fma: worst |error| 6.0e-8, / (1 + |ref|) 3.7e-8.
        put("opencl", "adam", 1.2e-7, 1.2e-7);

        // nn ops and the NeRF MLP (NnParityTest in dev.gazenerf.nn), keyed "nn.<Op>", forward and backward
        // buffers together. Ops made only of the element-wise methods above are bitwise equal (seen 0). Dense
        // and the MLP inherit the gemms' reordering: worst |error| / (1 + |ref|) seen, vector on AVX-512 with
        // JDK 17: Dense 3.1e-7, NerfMlp 5.3e-7 (paper size and width 24, every gradient); so about twice that.
        put("vector", "nn.Dense", 7e-7, 7e-7);
        put("vector", "nn.ActivationOp", 0, 0);
        put("vector", "nn.FrequencyEncoding", 0, 0);
        put("vector", "nn.Concat", 0, 0);
        put("vector", "nn.RowBroadcast", 0, 0);
        put("vector", "nn.Adam", 0, 0);
        put("vector", "nn.NerfMlp", 1.1e-6, 1.1e-6);
        // opencl on PoCL (CPU device), same cases: Dense 3.1e-7, NerfMlp 5.3e-7, FrequencyEncoding 1.1e-6
        // (the device's sin/cos), Adam 3.7e-8 (the device's sqrt and division), the copies and activations 0.
        // A GPU device needs its own measurement.
        put("opencl", "nn.Dense", 7e-7, 7e-7);
        put("opencl", "nn.ActivationOp", 0, 0);
        put("opencl", "nn.FrequencyEncoding", 2.5e-6, 2.5e-6);
        put("opencl", "nn.Concat", 0, 0);
        put("opencl", "nn.RowBroadcast", 0, 0);
        put("opencl", "nn.Adam", 8e-8, 8e-8);
        put("opencl", "nn.NerfMlp", 1.1e-6, 1.1e-6);

        // render kernels on opencl (OpenClRenderKernelsTest in dev.gazenerf.render), keyed "render.<method of
        // RenderKernels>", every output and gradient of the op together, against ScalarRenderKernels. Measured
        // on PoCL 3.1 / LLVM 15 (CPU device), JDK 17; worst |error| / (1 + |ref|) in each comment, tolerance
        // about twice that. A GPU device needs its own measurement.
        // compositing: exp in double on the device and rounded to float, as scalar does (alpha, T, bgAlpha and
        // dFeat bitwise equal, seen 0); the per-ray channel and sample sums contracted into fma: forward 8.1e-8
        // (merged; depth 6.5e-8), backward 8.2e-7 (dDelta; dSigma 1.8e-7: the contracted sums g . feat_k carried
        // through the suffix recurrence; dBg 7.3e-8: dMerged * bgAlpha contracted into the running sum).
        put("opencl", "render.compositeForward", 1.7e-7, 1.7e-7);
        put("opencl", "render.compositeBackward", 1.7e-6, 1.7e-6);
        // rotation: the three-term dot products contracted into fma: forward 8.6e-8, dIn 1.2e-7; the angle
        // gradient is the scalar bits (exact float products summed in double, blocks added on the host).
        put("opencl", "render.rotateForward", 1.8e-7, 1.8e-7);
        put("opencl", "render.rotateBackward", 2.4e-7, 2.4e-7);
        // max merge, pixel shuffle and the channel-repeat residual: copies, compares and float adds in the
        // scalar order, worst seen 0 (bitwise equal).
        put("opencl", "render.maxForward", 0, 0);
        put("opencl", "render.maxBackward", 0, 0);
        put("opencl", "render.pixelShuffleForward", 0, 0);
        put("opencl", "render.pixelShuffleBackward", 0, 0);
        put("opencl", "render.repeatAddForward", 0, 0);
        put("opencl", "render.repeatAddBackward", 0, 0);
        // bilinear x2: the weight products (0.25, 0.75, ...) contracted into fma: forward 7.6e-8, backward
        // (gather) 1.6e-7.
        put("opencl", "render.upsampleForward", 1.6e-7, 1.6e-7);
        put("opencl", "render.upsampleBackward", 3.3e-7, 3.3e-7);
        // blur: every weight is a power of two over 16, so each product is exact and fma changes nothing:
        // worst seen 0, forward and backward.
        put("opencl", "render.blurForward", 0, 0);
        put("opencl", "render.blurBackward", 0, 0);
        // the whole NeuralRenderer (12 -> 32 pixels, 2 blocks, 2 images) forward and backward: rgb, dIn and
        // every parameter gradient, the opencl gemms included: 5.8e-7.
        put("opencl", "render.NeuralRenderer", 1.2e-6, 1.2e-6);
    }

    private Tolerances() {
    }

    private static void put(String backend, String method, double atol, double rtol) {
        if (TABLE.put(backend + "." + method, new Tolerance(atol, rtol)) != null) {
            throw new IllegalStateException("duplicate tolerance for " + backend + "." + method);
        }
    }

    /** The tolerance of {@code backend} for {@code method}; fails when none was measured. */
    public static Tolerance of(String backend, String method) {
        Tolerance t = TABLE.get(backend + "." + method);
        if (t == null) {
            throw new AssertionError("no tolerance for backend '" + backend + "', method '" + method
                    + "': measure one and add it to Tolerances");
        }
        return t;
    }
}
