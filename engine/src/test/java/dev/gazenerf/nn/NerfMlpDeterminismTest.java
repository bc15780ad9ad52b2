package dev.gazenerf.nn;

import dev.gazenerf.backend.VectorBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The paper-size MLP, forward and backward, on the vector backend with 1 thread and with 2 threads: the same
 * bits (section "Determinism" of the design). 2 x 45 points, so the element-wise ops (over 32,768 elements)
 * and the gemms both split across threads.
 */
class NerfMlpDeterminismTest {

    private static float[][] run(int threads) {
        try (VectorBackend be = new VectorBackend(threads)) {
            NerfMlpTest.Problem pr = new NerfMlpTest.Problem(NerfMlpConfig.paper(), 2, 45, 77);
            NerfMlp.Workspace ws = pr.mlp.newWorkspace(2, 90);
            pr.forward(be, ws, false);
            pr.backward(be, ws, false);
            return new float[][]{pr.sigma, pr.feat, pr.dParams, pr.dPe, pr.dCode, pr.dApp};
        }
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        float[][] one = run(1);
        float[][] two = run(2);
        String[] names = {"sigma", "features", "dParams", "dPe", "dShapeCode", "dAppearance"};
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], two[i], names[i]);
        }
    }
}
