package dev.gazenerf.backend;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every {@link Backend} method on every backend of {@link TestBackends#parityBackends()} against
 * {@link ScalarBackend}, case by case ({@link BackendCases#parityCases()}), within {@link Tolerances}.
 * Buffers are compared whole, so writes outside the requested region fail too.
 */
class BackendParityTest {
    private static final Map<String, Backend> BACKENDS = new ConcurrentHashMap<>();
    private static final Backend SCALAR = new ScalarBackend();
    /** Worst |error| and |error| / (1 + |ref|) per backend.method, printed with -Dgazenerf.parity.report=true. */
    private static final Map<String, double[]> WORST = new HashMap<>();

    /** Methods that compute nothing and need no parity case. */
    private static final Set<String> NOT_COMPUTING = Set.of("name", "device", "close");

    static Stream<Arguments> backendsAndCases() {
        List<Arguments> args = new ArrayList<>();
        for (String backend : TestBackends.parityBackends()) {
            for (BackendCases.Case c : BackendCases.parityCases()) {
                args.add(Arguments.of(backend, c));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("backendsAndCases")
    void matchesScalar(String backendName, BackendCases.Case c) {
        Backend backend = BACKENDS.computeIfAbsent(backendName, TestBackends::create);
        Tolerances.Tolerance tol = Tolerances.of(backendName, c.method());
        float[][] ref = c.run().apply(SCALAR);
        float[][] got = c.run().apply(backend);
        assertEquals(ref.length, got.length);
        double worstAbs = 0;
        double worstRel = 0;
        for (int b = 0; b < ref.length; b++) {
            assertEquals(ref[b].length, got[b].length, "buffer " + b + " length");
            for (int i = 0; i < ref[b].length; i++) {
                float r = ref[b][i];
                float g = got[b][i];
                if (!tol.accepts(g, r)) {
                    fail(backendName + " " + c + ": buffer " + b + " element " + i + " is " + g + ", scalar gives " + r
                            + " (|error| " + Math.abs((double) g - r) + " > " + tol + ")");
                }
                double err = Math.abs((double) g - r);
                worstAbs = Math.max(worstAbs, err);
                worstRel = Math.max(worstRel, err / (1 + Math.abs((double) r)));
            }
        }
        synchronized (WORST) {
            double[] w = WORST.computeIfAbsent(backendName + "." + c.method(), x -> new double[2]);
            w[0] = Math.max(w[0], worstAbs);
            w[1] = Math.max(w[1], worstRel);
        }
    }

    /** A Backend method without a parity case would escape testing: fail instead. */
    @Test
    void everyBackendMethodHasAParityCase() {
        Set<String> covered = new TreeSet<>();
        for (BackendCases.Case c : BackendCases.parityCases()) {
            covered.add(c.method());
        }
        Set<String> methods = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && !NOT_COMPUTING.contains(m.getName())) {
                methods.add(m.getName());
            }
        }
        Set<String> missing = new TreeSet<>(methods);
        missing.removeAll(covered);
        assertTrue(missing.isEmpty(), "Backend methods without a parity case in BackendCases: " + missing);
        Set<String> unknown = new TreeSet<>(covered);
        unknown.removeAll(methods);
        assertTrue(unknown.isEmpty(), "parity cases for methods Backend does not have: " + unknown);
    }

    @AfterAll
    static void closeBackendsAndReport() {
        for (Backend b : BACKENDS.values()) {
            b.close();
        }
        BACKENDS.clear();
        if (Boolean.getBoolean("gazenerf.parity.report")) {
            new TreeSet<>(WORST.keySet()).forEach(k -> System.out.printf("parity worst %-34s |err| %.3g  |err|/(1+|ref|) %.3g%n",
                    k, WORST.get(k)[0], WORST.get(k)[1]));
        }
    }
}
