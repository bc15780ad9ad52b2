package dev.gazenerf.backend;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The backends tests run against scalar. {@code opencl} joins when an OpenCL device is present; when the
 * system property {@code gazenerf.opencl.required=true} is set (CI does), a missing device is a failure,
 * not a skip.
 */
public final class TestBackends {
    private TestBackends() {
    }

    /** Whether CI demands the OpenCL device. */
    public static boolean openClRequired() {
        return Boolean.getBoolean("gazenerf.opencl.required");
    }

    /** Names of the backends to compare against scalar in parity tests. */
    public static List<String> parityBackends() {
        List<String> names = new ArrayList<>();
        names.add("vector");
        names.add("opencl");
        return names;
    }

    /**
     * Creates the named backend for a test. For {@code opencl} without a device: fails when required,
     * otherwise aborts the test (a skip with the reason).
     */
    public static Backend create(String name) {
        if (name.equals("opencl")) {
            String why = Backends.openClUnavailableReason();
            if (why != null) {
                assertTrue(!openClRequired(), "OpenCL is required (gazenerf.opencl.required=true) but " + why);
                abort("skipped: " + why);
            }
        }
        return Backends.create(name);
    }
}
