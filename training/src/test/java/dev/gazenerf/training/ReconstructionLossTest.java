package dev.gazenerf.training;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconstructionLossTest {
    /** Two pixels, one image: pixel 0 is head skin, pixel 1 is background. Then eye on pixel 0 only in a variant. */
    @Test
    void handComputedTerms() {
        ReconstructionLoss loss = new ReconstructionLoss(LossWeights.reference());
        float[] gt = {0.5f, 0.5f, 0.5f, 1f, 1f, 1f};
        float[] merged = {0.7f, 0.5f, 0.2f, 0.9f, 0.9f, 0.9f};
        float[] face = {0.5f, 0.6f, 0.5f, 0f, 0f, 0f};
        float[] eyes = {0f, 0f, 0f, 0f, 0f, 0f};
        float[] bg = {1f, 1f, 0.5f, 1f, 1f, 1f};
        float[] head = {1, 0};
        float[] noEye = {0, 0};
        float[] dm = new float[6], df = new float[6], de = new float[6], db = new float[6];
        ReconstructionLoss.Result r = loss.forwardBackward(merged, face, eyes, bg, gt, head, noEye, noEye, 1, 2, dm, df, de, db);
        assertEquals((0.2 + 0 + 0.3) / 3, r.terms()[0], 1e-6);       // head L1
        assertEquals(0.1 / 3, r.terms()[1], 1e-6);                   // face L1
        assertEquals(0, r.terms()[2]);                               // eyes: empty mask
        assertEquals(0.01, r.terms()[3], 1e-6);                      // nonhead: (0.9 - 1)^2
        assertEquals(0.25 / 6, r.terms()[4], 1e-6);                  // bg: one channel off by 0.5
        assertTrue(r.emptyMask());
        assertEquals(1f / 3, dm[0], 1e-6);                           // sign(+0.2) / 3
        assertEquals(0f, dm[1]);                                     // |0| has gradient 0
        assertEquals(-1f / 3, dm[2], 1e-6);
        assertEquals(2 * -0.1f / 3, dm[3], 1e-6);                    // nonhead MSE
        assertEquals(1f / 3, df[1], 1e-6);
        assertEquals(2 * -0.5 / 6, db[2], 1e-6);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(7);
        int batch = 2, pixels = 6;
        int n = batch * pixels * 3;
        float[][] imgs = new float[4][];
        for (int k = 0; k < 4; k++) {
            imgs[k] = new float[k == 3 ? pixels * 3 : n];
            for (int i = 0; i < imgs[k].length; i++) {
                imgs[k][i] = (float) rnd.nextDouble();
            }
        }
        float[] gt = new float[n];
        for (int i = 0; i < n; i++) {
            gt[i] = (float) rnd.nextDouble();
        }
        float[] head = new float[batch * pixels], le = new float[batch * pixels], re = new float[batch * pixels];
        for (int i = 0; i < head.length; i++) {
            head[i] = i % 3 == 2 ? 0 : 1;
            le[i] = i % 6 == 0 ? 1 : 0;
            re[i] = i % 6 == 1 ? 0.7f : 0;
        }
        for (boolean l1 : new boolean[]{true, false}) {
            LossWeights w = new LossWeights(l1, 1, 0.5, 2, 1, 1, 0, 0, 0, 0, 0, false, false);
            ReconstructionLoss loss = new ReconstructionLoss(w);
            float[][] grads = {new float[n], new float[n], new float[n], new float[pixels * 3]};
            loss.forwardBackward(imgs[0], imgs[1], imgs[2], imgs[3], gt, head, le, re, batch, pixels,
                    grads[0], grads[1], grads[2], grads[3]);
            float[][] scratch = {new float[n], new float[n], new float[n], new float[pixels * 3]};
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < imgs[k].length; i++) {
                    float keep = imgs[k][i];
                    double h = 1e-3;
                    imgs[k][i] = (float) (keep + h);
                    double up = loss.forwardBackward(imgs[0], imgs[1], imgs[2], imgs[3], gt, head, le, re, batch, pixels,
                            scratch[0], scratch[1], scratch[2], scratch[3]).total();
                    imgs[k][i] = (float) (keep - h);
                    double down = loss.forwardBackward(imgs[0], imgs[1], imgs[2], imgs[3], gt, head, le, re, batch, pixels,
                            scratch[0], scratch[1], scratch[2], scratch[3]).total();
                    imgs[k][i] = keep;
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, grads[k][i], 2e-3, "image " + k + " element " + i + " l1=" + l1);
                }
            }
        }
    }

    @Test
    void penaltyAndSwitches() {
        float[] x = {1f, -2f, 0f, 3f};
        float[] g = new float[4];
        assertEquals(0.001 * (1 + 4) / 2, ReconstructionLoss.meanSquarePenalty(x, 0, 2, 0.001, g), 1e-12);
        assertEquals(2 * 0.001 * -2 / 2, g[1], 1e-9);
        assertEquals(0f, g[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ReconstructionLoss(
                new LossWeights(true, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, true, false)));
        assertTrue(e.getMessage().contains("vgg"), e.getMessage());
        assertFalse(LossWeights.reference().vgg());
    }
}
