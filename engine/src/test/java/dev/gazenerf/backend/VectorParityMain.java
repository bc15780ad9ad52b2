package dev.gazenerf.backend;

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
        try (VectorBackend vector = new VectorBackend(2)) {
            System.out.println(vector.device());
            for (BackendCases.Case c : BackendCases.parityCases()) {
                Tolerances.Tolerance tol = Tolerances.of("vector", c.method());
                float[][] ref = c.run().apply(scalar);
                float[][] got = c.run().apply(vector);
                for (int b = 0; b < ref.length; b++) {
                    for (int i = 0; i < ref[b].length; i++) {
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
        System.out.println(cases + " cases agree with scalar");
    }
}
