package dev.gazenerf.backend.opencl.step;

import java.util.List;
import java.util.Random;

import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.backend.TestBackends;
import dev.gazenerf.kernel.Activation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device-resident arena on the OpenCL device: a chain of launches (gemm, bias + activation, a two-stage
 * reduction) with one upload and one download gives the scalar result, the launches read what the previous
 * launch left on the device, every op family matches the scalar specification, and bad
 * arguments name the op. Skips without an OpenCL device unless {@code -Dgazenerf.opencl.required=true}.
 *
 * <p>Observed on PoCL (CPU device): Aparapi creates its buffers over the host arrays and PoCL's CPU device
 * works in that memory, so the host copy shows device writes and the device sees host writes made after a
 * {@code put}. Residency therefore cannot be witnessed through the host arrays here; the tests count transfers
 * (every host copy goes through the arena) and check results. On a discrete GPU the buffers are device memory.
 */
class DeviceArenaTest {
    /** gemm chains: relative to sum |a b| as in OpenClBackendTest (worst measured 1.9e-7 on PoCL 3.1). */
    private static final float REL = 4e-7f;

    private static OpenClBackend openCl() {
        return (OpenClBackend) TestBackends.create("opencl");
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2f - 1f;
        }
        return a;
    }

    @Test
    void threeLaunchesOnePutOneGetMatchScalar() {
        int m = 37;
        int n = 29;
        int k = 45;
        Random r = new Random(1);
        float[] a = random(r, m * k); // (m, k)
        float[] b = random(r, n * k); // (n, k)
        float[] bias = random(r, n);
        // host specification
        ScalarBackend sc = new ScalarBackend();
        float[] c = new float[m * n]; // (m, n)
        sc.gemmNT(m, n, k, a, 0, k, b, 0, k, c, 0, n, false);
        sc.biasActivation(c, 0, n, m, n, bias, 0, n, m, Activation.RELU);
        float[] colSums = new float[n];
        sc.columnSums(colSums, 0, c, 0, n, m, n, m, false);

        try (OpenClBackend be = openCl()) {
            int aOff = 0;
            int bOff = aOff + m * k;
            int biasOff = bOff + n * k;
            int cOff = biasOff + n;
            int sOff = cOff + m * n;
            try (DeviceArena arena = new DeviceArena(be, sOff + n, 1, n, 1)) {
                float[] heap = arena.heap();
                System.arraycopy(a, 0, heap, aOff, a.length);
                System.arraycopy(b, 0, heap, bOff, b.length);
                System.arraycopy(bias, 0, heap, biasOff, n);
                List<Launch> program = List.of(
                        arena.gemm(StepKernel.NT, m, n, k, aOff, k, bOff, k, cOff, n, false),
                        arena.biasActivation(cOff, n, m, n, biasOff, n, m, Activation.RELU),
                        arena.columnSums(sOff, cOff, n, m, n, m, false),
                        arena.copyOut(0, n, sOff, n, 1, n));
                arena.putHeap();
                long before = be.launches();
                arena.run(program, 0);
                arena.getOut();
                assertEquals(4, be.launches() - before, "every launch verified as run on the OpenCL device");
                assertEquals(1, arena.uploads());
                assertEquals(1, arena.downloads());
                assertEquals(4, arena.launches());
                for (int j = 0; j < n; j++) {
                    float scale = 0f;
                    for (int i = 0; i < m; i++) {
                        for (int p = 0; p < k; p++) {
                            scale += Math.abs(a[i * k + p] * b[j * k + p]);
                        }
                    }
                    assertEquals(colSums[j], arena.out()[j], REL * scale + 1e-6f, "column " + j);
                }
            }
        }
    }

    @Test
    void everyOpMatchesScalar() {
        Random r = new Random(2);
        ScalarBackend sc = new ScalarBackend();
        int m = 19;
        int n = 23;
        int k = 70;
        float[] a = random(r, k * m); // (k, m) for TN, reused as (m, k)
        float[] b = random(r, k * n); // (k, n)
        float[] y = random(r, m * n);
        float[] dy = random(r, m * n);
        float[] p = random(r, 50);
        float[] g = random(r, 50);
        float[] target = random(r, m * n);
        try (OpenClBackend be = openCl()) {
            int aOff = 0;
            int bOff = aOff + a.length;
            int c1 = bOff + b.length;     // TN result (m, n)
            int c2 = c1 + m * n;          // NN result (m, n) = A(m,k) B(k,n)
            int yOff = c2 + m * n;        // y (m, n), sigmoid applied in place
            int dyOff = yOff + m * n;     // dy (m, n)
            int dxOff = dyOff + m * n;    // dx (m, n)
            int pOff = dxOff + m * n;     // adam params (50)
            int gOff = pOff + 50;
            int mOff = gOff + 50;
            int vOff = mOff + 50;
            int tOff = vOff + 50;         // target (m*n)
            int gradOff = tOff + m * n;
            int errOff = gradOff + m * n;
            int cpOff = errOff + m * n;   // copy + fill target
            int size = cpOff + m * n;
            try (DeviceArena arena = new DeviceArena(be, size, m * n, 1, size)) {
                float[] h = arena.heap();
                System.arraycopy(a, 0, h, aOff, a.length);
                System.arraycopy(b, 0, h, bOff, b.length);
                System.arraycopy(y, 0, h, yOff, y.length);
                System.arraycopy(p, 0, h, pOff, 50);
                System.arraycopy(g, 0, h, gOff, 50);
                System.arraycopy(target, 0, arena.in(), 0, m * n);
                arena.putHeap();
                arena.putIn();
                arena.run(List.of(
                        arena.gemm(StepKernel.TN, m, n, k, aOff, m, bOff, n, c1, n, false),
                        arena.gemm(StepKernel.NN, m, n, k, aOff, k, bOff, n, c2, n, false),
                        arena.biasActivation(yOff, n, m, n, -1, 0, m, Activation.SIGMOID),
                        arena.copyIn(dyOff, n, 0, n, m, n),
                        arena.activationBackward(dxOff, n, dyOff, n, yOff, n, m, n, Activation.SIGMOID),
                        arena.adam(pOff, gOff, mOff, vOff, 50, 1e-2f, 0.9f, 0.999f, 1e-8f),
                        arena.copyIn(tOff, n, 0, n, m, n),
                        arena.squaredError(gradOff, errOff, yOff, tOff, m * n, 0.5f),
                        arena.copy(cpOff, n, yOff, n, m, n, false),
                        arena.copy(cpOff, n, yOff, n, m, n, true),
                        arena.copySnap(0, size, 0, size, 1, size)), 1);
                arena.getSnap();
                float[] s = arena.snap();
                float[] e1 = new float[m * n];
                sc.gemmTN(m, n, k, a, 0, m, b, 0, n, e1, 0, n, false);
                float[] e2 = new float[m * n];
                sc.gemmNN(m, n, k, a, 0, k, b, 0, n, e2, 0, n, false);
                float[] ey = y.clone();
                sc.biasActivation(ey, 0, n, m, n, null, 0, 0, m, Activation.SIGMOID);
                float[] edx = new float[m * n];
                sc.activationBackward(edx, 0, n, target, 0, n, ey, 0, n, m, n, Activation.SIGMOID);
                float[] ep = p.clone();
                sc.adam(ep, g, new float[50], new float[50], 0, 50, 1e-2f, 0.9f, 0.999f, 1e-8f, 1);
                for (int i = 0; i < m * n; i++) {
                    assertEquals(e1[i], s[c1 + i], 2e-5f, "gemmTN " + i);
                    assertEquals(e2[i], s[c2 + i], 2e-5f, "gemmNN " + i);
                    assertEquals(ey[i], s[yOff + i], 1.2e-7f * Math.abs(ey[i]) + 1e-7f, "sigmoid " + i);
                    assertEquals(edx[i], s[dxOff + i], 1e-7f, "activationBackward " + i);
                    float diff = ey[i] - target[i];
                    assertEquals(0.5f * diff, s[gradOff + i], 1e-7f, "squaredError grad " + i);
                    assertEquals(0.25f * diff * diff, s[errOff + i], 1e-6f, "squaredError err " + i);
                    assertEquals(2f * s[yOff + i], s[cpOff + i], 0f, "copy accumulate " + i);
                }
                for (int i = 0; i < 50; i++) {
                    assertEquals(ep[i], s[pOff + i], 1e-7f, "adam " + i);
                }
                assertEquals(2, arena.uploads());
                assertEquals(1, arena.downloads());
            }
        }
    }

    @Test
    void fusedBiasActivationEqualsTheTwoOps() {
        Random r = new Random(3);
        int m = 41;
        int n = 18;
        int k = 33;
        int rowsPerBias = 20; // 3 bias rows, the last group short
        float[] a = random(r, m * k);       // (m, k)
        float[] b = random(r, n * k);       // (n, k)
        float[] c0 = random(r, m * n);      // (m, n) accumulated into
        float[] bias = random(r, 3 * n);    // (3, n)
        ScalarBackend sc = new ScalarBackend();
        for (Activation act : new Activation[] {Activation.RELU, Activation.SIGMOID, Activation.NONE}) {
            float[] expected = c0.clone();
            sc.gemmNT(m, n, k, a, 0, k, b, 0, k, expected, 0, n, true);
            sc.biasActivation(expected, 0, n, m, n, bias, 0, n, rowsPerBias, act);
            try (OpenClBackend be = openCl()) {
                int aOff = 0;
                int bOff = a.length;
                int cOff = bOff + b.length;
                int biasOff = cOff + m * n;
                try (DeviceArena arena = new DeviceArena(be, biasOff + bias.length, 1, 1, m * n)) {
                    float[] h = arena.heap();
                    System.arraycopy(a, 0, h, aOff, a.length);
                    System.arraycopy(b, 0, h, bOff, b.length);
                    System.arraycopy(c0, 0, h, cOff, c0.length);
                    System.arraycopy(bias, 0, h, biasOff, bias.length);
                    arena.putHeap();
                    arena.run(List.of(
                            arena.gemmBiasActivation(StepKernel.NT, m, n, k, aOff, k, bOff, k, cOff, n, true, biasOff, n,
                                    rowsPerBias, act),
                            arena.copySnap(0, n, cOff, n, m, n)), 0);
                    arena.getSnap();
                    for (int i = 0; i < m * n; i++) {
                        // the product's float error (as OpenClBackendTest's gemm bound, |sum| <= k) before the activation
                        assertEquals(expected[i], arena.snap()[i], 2e-5f, act + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void splitKProductsMatchScalar() {
        Random r = new Random(4);
        int m = 37;
        int n = 29;
        int k = 1000;
        float[] a = random(r, k * m);  // (k, m)
        float[] b = random(r, k * n);  // (k, n)
        float[] c0 = random(r, m * n); // (m, n)
        float[] expected = c0.clone();
        new ScalarBackend().gemmTN(m, n, k, a, 0, m, b, 0, n, expected, 0, n, true);
        try (OpenClBackend be = openCl()) {
            int aOff = 0;
            int bOff = a.length;
            int cOff = bOff + b.length;
            int size = cOff + m * n;
            try (DeviceArena arena = new DeviceArena(be, size, 1, 1, m * n, 1, 8 * m * n)) {
                for (int splits = 1; splits <= 5; splits++) {
                    float[] h = arena.heap();
                    System.arraycopy(a, 0, h, aOff, a.length);
                    System.arraycopy(b, 0, h, bOff, b.length);
                    System.arraycopy(c0, 0, h, cOff, c0.length);
                    arena.putHeap();
                    Launch l = arena.gemmSplit(StepKernel.TN, m, n, k, aOff, m, bOff, n, cOff, n, true, splits);
                    assertEquals(splits == 1 ? 1 : 2, l.kernelLaunches());
                    arena.run(List.of(l, arena.copySnap(0, n, cOff, n, m, n)), 0);
                    arena.getSnap();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float scale = Math.abs(c0[i * n + j]);
                            for (int p = 0; p < k; p++) {
                                scale += Math.abs(a[p * m + i] * b[p * n + j]);
                            }
                            assertEquals(expected[i * n + j], arena.snap()[i * n + j], REL * scale,
                                    "splits " + splits + " element " + i + "," + j);
                        }
                    }
                }
                // a deep, narrow weight-gradient product is split automatically; the split scratch bounds it
                Launch auto = arena.gemm(StepKernel.TN, 8, 8, 1000, aOff, 8, bOff, 8, cOff, 8, false);
                assertEquals(2, auto.kernelLaunches(), "an 8 x 8 product over k = 1000 is split");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> arena.gemmSplit(StepKernel.TN, m, n, k, aOff, m, bOff, n, cOff, n, true, 9));
                assertTrue(e.getMessage().contains("gemmSplit") && e.getMessage().contains("splits"), e.getMessage());
            }
        }
    }

    @Test
    void aLaunchThatCannotRunOnTheDeviceIsAnError() {
        OpenClBackend be = openCl();
        DeviceArena arena = new DeviceArena(be, 16, 1, 1, 1);
        Launch fill = arena.fill(0, 16, 1f);
        arena.putHeap();
        arena.run(fill, 0);
        be.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> arena.run(fill, 0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(1, arena.launches(), "the failed launch is not counted");
        arena.close();
    }

    @Test
    void badArgumentsNameTheOp() {
        try (OpenClBackend be = openCl(); DeviceArena arena = new DeviceArena(be, 100, 1, 1, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> arena.gemm(StepKernel.NT, 10, 10, 10, 0, 10, 0, 10, 50, 10, false));
            assertTrue(e.getMessage().contains("gemmNT") && e.getMessage().contains("'c'"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> arena.copyIn(0, 1, 0, 1, 2, 1));
            assertTrue(e.getMessage().contains("copyIn") && e.getMessage().contains("'src'"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> arena.fill(90, 20, 0f));
            assertTrue(e.getMessage().contains("fill"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new DeviceArena(be, 0, 1, 1, 1));
            assertTrue(e.getMessage().contains("heapFloats"), e.getMessage());
        }
    }

    /** A heap over 2 GiB (Aparapi's limit per buffer) is refused before anything is allocated, naming the limit. */
    @Test
    void aHeapOverTwoGibIsRefusedClearly() {
        try (OpenClBackend be = openCl()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DeviceArena(be, (int) DeviceArena.MAX_BUFFER_FLOATS + 1, 1, 1, 1));
            assertTrue(e.getMessage().contains("2 GiB") && e.getMessage().contains("smaller batch"), e.getMessage());
        }
    }
}
