package dev.gazenerf.training;

import dev.gazenerf.datasets.Sample;
import dev.gazenerf.model.Preset;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a loader sample becomes the model's inputs, and the reference's rule for skipping a batch (section 3.1). */
class BatchInputsTest {
    private static final Preset P = Preset.load("tiny").withOverrides(List.of("outputSize=16", "featmapSize=8"));

    private static Sample sample(float headValue, boolean eyes) {
        int s = 16;
        float[] head = new float[s * s];
        Arrays.fill(head, headValue);
        if (headValue == 0f) {
            head[5] = 1f;
        }
        float[] left = new float[s * s];
        float[] right = new float[s * s];
        if (eyes) {
            left[40] = 1f;
        }
        float[] code = new float[306];
        for (int i = 0; i < 306; i++) {
            code[i] = i;
        }
        float[] k = {40f, 0, 8f, 0, 40f, 8f, 0, 0, 1};
        return new Sample("subject0000.h5", 0, 0, s, new float[3 * s * s], head, left, right, code,
                new float[9], new float[3], new float[]{1, 0, 0, 0, -1, 0, 0, 0, -1}, new float[]{0, 0, 6.2f},
                k, new float[9], new float[]{0.1f, -0.2f}, new float[2], new float[136], 0);
    }

    @Test
    void skipRuleFollowsTheReference() {
        BatchInputs b = new BatchInputs(P, 3);
        Offsets o = new Offsets(3, P.idenDims(), P.exprDims(), P.appearanceDims());
        b.set(0, sample(0f, true), o, 0);      // head mask varies, an eye mask varies: usable
        b.set(1, sample(1f, true), o, 1);      // constant head mask: skipped
        b.set(2, sample(0f, false), o, 2);     // both eye masks constant: skipped
        assertTrue(b.usable(0));
        assertFalse(b.usable(1));
        assertFalse(b.usable(2));
    }

    @Test
    void codesOffsetsAndIntrinsicsAreAssembledAsTheReference() {
        BatchInputs b = new BatchInputs(P, 1);
        Offsets o = new Offsets(2, P.idenDims(), P.exprDims(), P.appearanceDims());
        o.values[o.row(Offsets.IDEN, 1) + 3] = 0.5f;
        o.values[o.row(Offsets.APPEA, 1) + P.textDims()] = -1f;   // first illumination coefficient
        o.values[o.row(Offsets.EULER, 1) + 2] = 0.25f;
        b.set(0, sample(0f, true), o, 1);
        assertEquals(3f + 0.5f, b.shape[3]);                      // iden[3] + offset
        assertEquals(100f + 7f, b.shape[P.idenDims() + 7]);       // expr = code[100:179]
        assertEquals(179f, b.appearance[0]);                      // text = code[179:279]
        assertEquals(279f - 1f, b.appearance[P.textDims()]);      // illu = code[279:306] + offset
        assertEquals(0.25f, b.euler[2]);
        assertArrayEquals(new float[]{0.1f, -0.2f}, Arrays.copyOf(b.gaze, 2));
        // K at 16 px -> 8 x 8 feature map: f = 20, c = 4; K^-1 = [1/f, 0, -c/f; 0, 1/f, -c/f; 0, 0, 1]
        assertArrayEquals(new float[]{0.05f, 0, -0.2f, 0, 0.05f, -0.2f, 0, 0, 1}, Arrays.copyOf(b.invIntrinsics, 9), 1e-7f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BatchInputs(Preset.load("tiny"), 1).set(0, sample(0f, true), o, 0));
        assertTrue(e.getMessage().contains("16 px"), e.getMessage());
    }
}
