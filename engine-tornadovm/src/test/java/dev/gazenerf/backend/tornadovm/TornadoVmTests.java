package dev.gazenerf.backend.tornadovm;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * Test gate for the TornadoVM runtime: without it (no TornadoVM argfile on the test JVM) the tests skip with
 * the reason, unless {@code -Dgazenerf.tornadovm.required=true}, when they fail. Also the comparison used by
 * every parity test: {@code |got - want| <= atol + rtol * |want|}, reporting the worst element.
 */
final class TornadoVmTests {
    private TornadoVmTests() {
    }

    /** Whether the runtime is demanded (a missing one then fails instead of skipping). */
    static boolean required() {
        return Boolean.getBoolean("gazenerf.tornadovm.required");
    }

    /** Aborts (skips) or fails the calling test when the runtime is not present. */
    static void requireRuntime() {
        String why = TornadoVmRuntime.unavailableReason();
        if (why != null) {
            assertTrue(!required(), "TornadoVM is required (gazenerf.tornadovm.required=true) but " + why);
            abort("skipped: " + why);
        }
    }

    /**
     * Asserts {@code |got[i] - want[i]| <= atol + rtol * |want[i]|} for every i and returns the worst ratio of
     * the error to that bound (printed by the tests, which is how the tolerances were measured).
     */
    static double assertClose(String what, float[] want, float[] got, double atol, double rtol) {
        assertTrue(want.length == got.length, what + ": lengths differ");
        double worst = 0;
        double worstAbs = 0;
        for (int i = 0; i < want.length; i++) {
            if (!Float.isFinite(got[i])) {
                fail(what + ": element " + i + " is " + got[i] + ", expected " + want[i]);
            }
            double err = Math.abs((double) got[i] - want[i]);
            double bound = atol + rtol * Math.abs(want[i]);
            worst = Math.max(worst, err / bound);
            worstAbs = Math.max(worstAbs, err);
            if (err > bound) {
                fail(what + ": element " + i + " is " + got[i] + ", expected " + want[i] + " (error " + err + " > " + bound + ")");
            }
        }
        System.out.printf("tornadovm parity %-40s worst |err| %.3e, worst err/bound %.3f%n", what, worstAbs, worst);
        return worst;
    }
}
