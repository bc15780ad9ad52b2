package dev.gazenerf.render;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.backend.TestBackends;
import dev.gazenerf.backend.Tolerances;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every render primitive on the {@code opencl} backend against {@link ScalarRenderKernels} (the cases are
 * {@link RenderKernelsParityCases}, shared with the TornadoVM test), forward and
 * backward, with random inputs and edge sizes (one ray, one sample, an empty ray with sigma 0, one pixel,
 * odd widths), accumulate on and off, outputs that start non-zero, and the whole {@link NeuralRenderer} on a
 * tiny config. Each op's tolerance is {@code Tolerances.of("opencl", "render.<op>")} (an element passes when
 * {@code |got - ref| <= atol + rtol |ref|}); run with {@code -Dgazenerf.test.jvm=-Dgazenerf.parity.report=true}
 * to print the worst |error| / (1 + |ref|) of each op. Every test checks that its kernels ran on the device
 * (the backend's count of launches it verified with {@link OpenClBackend#execute}). Without a device the
 * tests skip with the reason, unless {@code -Dgazenerf.opencl.required=true}, when they fail.
 */
class OpenClRenderKernelsTest extends RenderKernelsParityCases {
    private static OpenClBackend backend;
    private static OpenClRenderKernels cl;
    /** Worst |error| / (1 + |ref|) per op and output, for the report. */
    private static final Map<String, Double> WORST = new TreeMap<>();

    @BeforeAll
    static void open() {
        backend = (OpenClBackend) TestBackends.create("opencl");
        RenderKernels k = RenderKernels.forBackend(backend);
        cl = assertInstanceOf(OpenClRenderKernels.class, k);
    }

    @AfterAll
    static void close() {
        if (Boolean.getBoolean("gazenerf.parity.report")) {
            WORST.forEach((op, w) -> System.out.printf("opencl render.%s worst |err|/(1+|ref|) %.3g%n", op, w));
        }
        if (cl != null) {
            cl.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** Fails unless {@code got} matches {@code ref} within the op's measured tolerance; records the worst error. */
    @Override
    void parity(String op, String what, float[] ref, float[] got) {
        Tolerances.Tolerance t = Tolerances.of("opencl", "render." + op);
        assertEquals(ref.length, got.length, op + " " + what + ": lengths");
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            if (!t.accepts(got[i], ref[i])) {
                fail("opencl " + op + " " + what + "[" + i + "]: scalar " + ref[i] + ", opencl " + got[i]
                        + " (tolerance " + t + ")");
            }
            if (Float.isFinite(ref[i])) {
                worst = Math.max(worst, Math.abs((double) got[i] - ref[i]) / (1 + Math.abs((double) ref[i])));
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

    /** Launches the backend verified as run on the device ({@link OpenClBackend#execute}). */
    @Override
    long launches() {
        return backend.launches();
    }

    @Override
    String deviceName() {
        return "the OpenCL device (verified)";
    }
}
