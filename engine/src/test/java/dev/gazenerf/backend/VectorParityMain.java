package dev.gazenerf.backend;

import java.util.Map;
import java.util.TreeMap;

/**
 * Runs every parity case of {@link BackendCases} on {@code vector} against {@code scalar} in this JVM and
 * exits with 1 on the first disagreement beyond {@link Tolerances}. Used by {@code VectorBackendTest} to
 * check other vector widths ({@code -Dgazenerf.vector.bits=256}), which are fixed per JVM.
 */
public final class VectorParityMain {
    private VectorParityMain() {
    }

    public static void main(String[] args) {
        Backend scalar = new ScalarBackend();
        int cases = 0;
        Map<String, double[]> worst = new TreeMap<>();
        try (VectorBackend vector = new VectorBackend(2)) {
            System.out.println(vector.device());
            for (BackendCases.Case c : BackendCases.parityCases()) {
                Tolerances.Tolerance tol = Tolerances.of("vector", c.method());
                float[][] ref = c.run().apply(scalar);
                float[][] got = c.run().apply(vector);
                double[] w = worst.computeIfAbsent(c.method(), x -> new double[1]);
                for (int b = 0; b < ref.length; b++) {
                    for (int i = 0; i < ref[b].length; i++) {
                        w[0] = Math.max(w[0], Math.abs((double) got[b][i] - ref[b][i]) / (1 + Math.abs((double) ref[b][i])));
                        if (!tol.accepts(got[b][i], ref[b][i])) {
                            System.out.println("FAIL " + c + ": buffer " + b + " element " + i + " is " + got[b][i]
                                    + ", scalar gives " + ref[b][i]);
                            System.exit(1);
                        }
                    }
                }
                cases++;
            }
        }
        worst.forEach((method, w) -> System.out.printf("worst |err|/(1+|ref|) %-24s %.3g%n", method, w[0]));
        System.out.println(cases + " cases agree with scalar");
    }
}
