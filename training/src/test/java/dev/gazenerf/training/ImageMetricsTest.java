package dev.gazenerf.training;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageMetricsTest {
    private static float[] constant(int h, int w, float v) {
        float[] a = new float[h * w * 3];
        Arrays.fill(a, v);
        return a;
    }

    @Test
    void psnrOfAConstantOffsetIsHandComputed() {
        // MSE = 0.1^2 = 0.01 -> PSNR = 20 dB
        assertEquals(20.0, ImageMetrics.psnr(constant(4, 5, 0.6f), constant(4, 5, 0.5f), 4, 5), 1e-4);
        assertEquals(0.1, ImageMetrics.l1(constant(4, 5, 0.6f), constant(4, 5, 0.5f), 4, 5), 1e-6);
        assertTrue(Double.isInfinite(ImageMetrics.psnr(constant(2, 2, 0.3f), constant(2, 2, 0.3f), 2, 2)));
    }

    @Test
    void maskedPsnrLooksOnlyInsideTheMask() {
        float[] pred = constant(2, 2, 0.5f);
        float[] target = constant(2, 2, 0.5f);
        pred[0] = pred[1] = pred[2] = 0.4f;          // pixel 0 is off by 0.1
        pred[9] = 0f;                                // pixel 3 is off by a lot, but masked out
        float[] mask = {1, 0, 0, 0};
        assertEquals(20.0, ImageMetrics.maskedPsnr(pred, target, mask, 2, 2), 1e-4);
        assertTrue(Double.isNaN(ImageMetrics.maskedPsnr(pred, target, new float[4], 2, 2)));
    }

    @Test
    void ssimOfConstantImagesIsTheLuminanceTerm() {
        // variances vanish, so SSIM = (2ab + C1) / (a^2 + b^2 + C1), C1 = 1e-4 (and cs = C2/C2 = 1)
        double a = 0.8, b = 0.2, c1 = 1e-4;
        double expected = (2 * a * b + c1) / (a * a + b * b + c1);
        assertEquals(expected, ImageMetrics.ssim(constant(16, 16, 0.8f), constant(16, 16, 0.2f), 16, 16), 1e-6);
    }

    @Test
    void ssimIsOneForIdenticalImagesAndDropsWithNoise() {
        SplittableRandom r = new SplittableRandom(3);
        float[] img = new float[32 * 32 * 3];
        for (int i = 0; i < img.length; i++) {
            img[i] = (float) r.nextDouble();
        }
        assertEquals(1.0, ImageMetrics.ssim(img, img.clone(), 32, 32), 1e-9);
        float[] noisy = img.clone();
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] = Math.min(1f, Math.max(0f, noisy[i] + (float) (0.3 * r.nextGaussian())));
        }
        double s = ImageMetrics.ssim(noisy, img, 32, 32);
        assertTrue(s < 0.9 && s > -1, "ssim " + s);
    }

    @Test
    void badSizesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.ssim(new float[12], new float[12], 2, 2));
        assertTrue(e.getMessage().contains("ssim"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ImageMetrics.psnr(new float[12], new float[11], 2, 2));
        assertTrue(e.getMessage().contains("mse"), e.getMessage());
    }
}
