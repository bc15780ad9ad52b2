package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Channel concatenation and the per-group row broadcast: hand-computed cases, finite differences, checks. */
class ConcatTest {
    private final Backend be = new ScalarBackend();

    @Test
    void handComputedConcat() {
        Concat c = new Concat(1, 2);
        float[] a = {1, 2};                 // (2, 1)
        float[] b = {3, 4, 5, 6};           // (2, 2)
        float[] out = new float[6];
        c.forward(be, out, 0, 3, a, 0, 1, b, 0, 2, 2);
        assertArrayEquals(new float[]{1, 3, 4, 2, 5, 6}, out);
        float[] dOut = {1, 2, 3, 4, 5, 6};
        float[] dA = {10, 10};
        float[] dB = new float[4];
        c.backward(be, dA, 0, 1, dB, 0, 2, true, dOut, 0, 3, 2);
        assertArrayEquals(new float[]{11, 14}, dA);
        assertArrayEquals(new float[]{2, 3, 5, 6}, dB);
    }

    @Test
    void handComputedBroadcast() {
        RowBroadcast rb = new RowBroadcast();
        float[] src = {1, 2, 3, 4};         // (2 groups, 2)
        float[] out = new float[6 * 3];     // (6, 2) in a buffer with ld 3
        rb.forward(be, out, 1, 3, src, 0, 2, 2, 3, 2);
        assertArrayEquals(new float[]{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 3, 4, 0, 3, 4, 0, 3, 4}, out);
        float[] dOut = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // (6, 2)
        float[] dSrc = {1, 1, 1, 1};
        rb.backward(be, dSrc, 0, true, dOut, 0, 2, 2, 3, 2);
        assertArrayEquals(new float[]{1 + 1 + 3 + 5, 1 + 2 + 4 + 6, 1 + 7 + 9 + 11, 1 + 8 + 10 + 12}, dSrc);
        rb.backward(be, dSrc, 0, false, dOut, 0, 2, 2, 3, 2);
        assertArrayEquals(new float[]{9, 12, 27, 30}, dSrc);
    }

    @Test
    void finiteDifferences() {
        Concat c = new Concat(3, 2);
        int rows = 4;
        float[] a = NnTestData.uniform(rows * 3, 1, -1, 1);
        float[] b = NnTestData.uniform(rows * 2, 2, -1, 1);
        float[] dA = new float[a.length];
        float[] dB = new float[b.length];
        float[] out = new float[rows * 5];
        float[] dOut = new float[rows * 5];
        new GradientChecker(1).input("a", a, dA).input("b", b, dB).output("out", out, dOut)
                .tolerance(1e-5, 1e-5)
                .check(() -> c.forward(be, out, 0, 5, a, 0, 3, b, 0, 2, rows),
                        () -> c.backward(be, dA, 0, 3, dB, 0, 2, false, dOut, 0, 5, rows));

        RowBroadcast rb = new RowBroadcast();
        float[] src = NnTestData.uniform(3 * 4, 3, -1, 1);
        float[] dSrc = new float[src.length];
        float[] big = new float[3 * 5 * 4];
        float[] dBig = new float[big.length];
        new GradientChecker(2).input("src", src, dSrc).output("broadcast", big, dBig)
                .tolerance(1e-5, 1e-5)
                .check(() -> rb.forward(be, big, 0, 4, src, 0, 4, 3, 5, 4),
                        () -> rb.backward(be, dSrc, 0, false, dBig, 0, 4, 3, 5, 4));
    }

    @Test
    void badArgumentsNameOpAndArgument() {
        Concat c = new Concat(1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.forward(be, new float[6], 0, 2, new float[2], 0, 1, new float[4], 0, 2, 2));
        assertTrue(e.getMessage().contains("Concat.forward") && e.getMessage().contains("'out'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> c.backward(be, new float[2], 0, 1, null, 0, 2, false, null, 0, 3, 2));
        assertTrue(e.getMessage().contains("Concat.backward") && e.getMessage().contains("'dOut'"), e.getMessage());
        RowBroadcast rb = new RowBroadcast();
        e = assertThrows(IllegalArgumentException.class,
                () -> rb.forward(be, new float[5], 0, 1, new float[2], 0, 1, 2, 3, 1));
        assertTrue(e.getMessage().contains("RowBroadcast.forward") && e.getMessage().contains("'out'"), e.getMessage());
    }
}
