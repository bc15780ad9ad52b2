package dev.gazenerf.render;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.tornadovm.TornadoVmBackend;
import dev.gazenerf.backend.tornadovm.TornadoVmRenderKernels;
import dev.gazenerf.backend.tornadovm.TornadoVmRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Every render primitive on the {@code tornadovm} backend ({@link TornadoVmRenderKernels}, what
 * {@link RenderKernels#forBackend} gives that backend) against {@link ScalarRenderKernels}, forward and backward,
 * with the cases of {@link RenderKernelsParityCases} (shared with the OpenCL render test): random inputs and edge sizes (one ray, one sample, empty
 * rays, one pixel, odd widths), operands at offsets, accumulate on and off, outputs that start non-zero.
 * An element passes when {@code |got - ref| <= ATOL + RTOL |ref|}; the worst |error| / (1 + |ref|) of each op is
 * printed at the end (that is how the bounds were measured: TornadoVM 5.2.0-jdk25, PoCL 3.1 CPU device).
 * Every test checks that its kernels were launched on the device (the backend's launch count; the backend
 * refuses to start when TornadoVM's Java fallback is on). Without the TornadoVM runtime the tests skip with
 * the reason, unless {@code -Dgazenerf.tornadovm.required=true}, when they fail.
 */
class TornadoVmRenderKernelsTest extends RenderKernelsParityCases {
    /**
     * Bound for every op: the device fuses multiply-adds and has its own exp; the per-block partials of the
     * rotation's angle gradient are float (double in scalar). Worst |err|/(1+|ref|) seen: see the README.
     */
    static final double ATOL = 2e-6, RTOL = 2e-6;
    /**
     * The whole neural renderer adds the backend's gemm (parameter gradients sum over every pixel of two
     * 32 x 32 images in another rounding): worst |err| 4.4e-6 at |ref| 0.16.
     */
    static final double RENDERER_ATOL = 2e-5, RENDERER_RTOL = 2e-5;
    private static TornadoVmBackend backend;
    private static TornadoVmRenderKernels cl;
    /** Worst |error| / (1 + |ref|) per op and output, for the report. */
    private static final Map<String, Double> WORST = new TreeMap<>();

    @BeforeEach
    void open() {
        String why = TornadoVmRuntime.unavailableReason();
        if (why != null) {
            assertTrue(!Boolean.getBoolean("gazenerf.tornadovm.required"),
                    "TornadoVM is required (gazenerf.tornadovm.required=true) but " + why);
            abort("skipped: " + why);
        }
        if (backend == null) {
            backend = new TornadoVmBackend();
            RenderKernels k = RenderKernels.forBackend(backend);
            cl = assertInstanceOf(TornadoVmRenderKernels.class, k);
        }
    }

    @AfterAll
    static void close() {
        WORST.forEach((op, w) -> System.out.printf("tornadovm render.%s worst |err|/(1+|ref|) %.3g%n", op, w));
        if (cl != null) {
            cl.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /**
     * Fails unless {@code got} matches {@code ref} within the bound (the renderer's for the whole
     * {@code NeuralRenderer}); records the worst error.
     */
    @Override
    void parity(String op, String what, float[] ref, float[] got) {
        boolean renderer = op.equals("NeuralRenderer");
        parity(op, what, ref, got, renderer ? RENDERER_ATOL : ATOL, renderer ? RENDERER_RTOL : RTOL);
    }

    private static void parity(String op, String what, float[] ref, float[] got, double atol, double rtol) {
        assertEquals(ref.length, got.length, op + " " + what + ": lengths");
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs((double) got[i] - ref[i]);
            if (!(err <= atol + rtol * Math.abs(ref[i])) && !(Float.isNaN(ref[i]) && Float.isNaN(got[i]))) {
                fail("tornadovm " + op + " " + what + "[" + i + "]: scalar " + ref[i] + ", tornadovm " + got[i]
                        + " (bound " + atol + " + " + rtol + " |ref|)");
            }
            if (Float.isFinite(ref[i])) {
                worst = Math.max(worst, err / (1 + Math.abs((double) ref[i])));
            }
        }
        WORST.merge(op + " " + what, worst, Math::max);
    }

    @Override
    RenderKernels device() {
        return cl;
    }

    @Override
    Backend deviceBackend() {
        return backend;
    }

    @Override
    long launches() {
        return backend.launches();
    }

    @Override
    String deviceName() {
        return "the TornadoVM device";
    }

    /**
     * Equal values; the sign of a zero result is not kept: TornadoVM compiles OpenCL with -cl-fast-relaxed-math by
     * default ({@code tornado.opencl.compiler.flags}), which lets the compiler ignore it.
     */
    @Override
    void assertMaxSame(float[] ref, float[] got) {
        assertEquals(ref.length, got.length, "max: lengths");
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i] == 0f ? 0f : ref[i], got[i] == 0f ? 0f : got[i], 0f, "max[" + i + "]");
        }
    }
}
