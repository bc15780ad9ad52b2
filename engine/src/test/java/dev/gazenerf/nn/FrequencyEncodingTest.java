package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The positional encoding of section 2.3: hand-computed values, finite differences at F = 10, checks. */
class FrequencyEncodingTest {
    private final Backend be = new ScalarBackend();

    @Test
    void paperWidthIs63() {
        assertEquals(63, new FrequencyEncoding(10).width());
    }

    @Test
    void handComputedTwoBands() {
        FrequencyEncoding enc = new FrequencyEncoding(2);
        float[] xyz = {0f, 0.5f, -1f};
        float[] out = new float[15];
        enc.forward(be, out, 0, 15, xyz, 0, 1);
        assertArrayEquals(new float[]{
                0f, 0.5f, -1f,
                0f, 0.47942554f, -0.84147098f,     // sin(x)
                1f, 0.87758256f, 0.54030231f,      // cos(x)
                0f, 0.84147098f, -0.90929743f,     // sin(2x)
                1f, 0.54030231f, -0.41614684f},    // cos(2x)
                out, 1e-7f);
        float[] dOut = new float[15];
        java.util.Arrays.fill(dOut, 1f);
        float[] dXyz = {100f, 100f, 100f};
        enc.backward(be, dXyz, 0, true, dOut, 0, 15, xyz, 0, 1);
        // 1 + (cos x - sin x) + 2 (cos 2x - sin 2x), added to 100
        assertArrayEquals(new float[]{104f, 100.79581968f, 103.36807447f}, dXyz, 2e-5f);
    }

    @Test
    void finiteDifferencesPaperBands() {
        FrequencyEncoding enc = new FrequencyEncoding(10);
        int points = 4;
        int ldo = 70;
        float[] xyz = NnTestData.uniform(points * 3, 7, -1.5, 1.5);
        float[] dXyz = new float[xyz.length];
        float[] out = new float[points * ldo];
        float[] dOut = new float[points * ldo];
        GradientChecker gc = new GradientChecker(3).input("xyz", xyz, dXyz).eps(1e-4).tolerance(2e-2, 2e-3);
        for (int p = 0; p < points; p++) {
            gc.output("encoding " + p, out, p * ldo, 63, dOut, p * ldo);
        }
        gc.check(() -> enc.forward(be, out, 0, ldo, xyz, 0, points),
                () -> enc.backward(be, dXyz, 0, false, dOut, 0, ldo, xyz, 0, points));
    }

    @Test
    void badArgumentsNameOpAndArgument() {
        FrequencyEncoding enc = new FrequencyEncoding(10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> enc.forward(be, new float[62], 0, 63, new float[3], 0, 1));
        assertTrue(e.getMessage().contains("FrequencyEncoding.forward") && e.getMessage().contains("'out'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> enc.backward(be, null, 0, false, new float[63], 0, 63, new float[3], 0, 1));
        assertTrue(e.getMessage().contains("FrequencyEncoding.backward") && e.getMessage().contains("'dXyz'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new FrequencyEncoding(-1));
        assertTrue(e.getMessage().contains("FrequencyEncoding") && e.getMessage().contains("'frequencies'"), e.getMessage());
    }
}
