package dev.gazenerf.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Area resampling and erosion with hand-computed cases. */
class ImageOpsTest {
    @Test
    void areaShrinkByTwoAveragesBlocks() {
        float[] src = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}; // (4, 4, 1)
        float[] dst = new float[4];
        ImageOps.resizeArea(src, 4, 4, 1, dst, 2, 2);
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, dst, 1e-6f);
    }

    @Test
    void areaShrinkByAFractionWeightsPartialPixels() {
        // 5 -> 3: output 0 covers [0, 5/3): pixel 0 whole and 2/3 of pixel 1 -> weights 0.6, 0.4
        float[] src = {10, 20, 30, 40, 50}; // (1, 5, 1)
        float[] dst = new float[3];
        ImageOps.resizeArea(src, 1, 5, 1, dst, 1, 3);
        assertEquals(0.6f * 10 + 0.4f * 20, dst[0], 1e-4f);
        // output 1 covers [5/3, 10/3): 1/3 of pixel 1, pixel 2, 1/3 of pixel 3 -> 0.2, 0.6, 0.2
        assertEquals(0.2f * 20 + 0.6f * 30 + 0.2f * 40, dst[1], 1e-4f);
        assertEquals(0.4f * 40 + 0.6f * 50, dst[2], 1e-4f);
    }

    @Test
    void channelsStayInterleavedAndSameSizeCopies() {
        float[] src = {1, 10, 3, 30, 5, 50, 7, 70}; // (2, 2, 2)
        float[] dst = new float[2];
        ImageOps.resizeArea(src, 2, 2, 2, dst, 1, 1);
        assertArrayEquals(new float[] {4, 40}, dst, 1e-6f);
        float[] same = new float[8];
        ImageOps.resizeArea(src, 2, 2, 2, same, 2, 2);
        assertArrayEquals(src, same);
    }

    @Test
    void growingIsBilinear() {
        float[] src = {0, 8}; // (1, 2, 1)
        float[] dst = new float[4];
        ImageOps.resizeArea(src, 1, 2, 1, dst, 1, 4);
        // centres at (i + 0.5) / 2 - 0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped to the last pixel)
        assertArrayEquals(new float[] {0, 2, 6, 8}, dst, 1e-6f);
    }

    @Test
    void erosionTwiceShrinksASquareByTwoAndIgnoresTheBorder() {
        int n = 9;
        byte[] m = new byte[n * n];
        for (int y = 2; y <= 6; y++) {
            for (int x = 2; x <= 6; x++) {
                m[y * n + x] = (byte) 255;
            }
        }
        ImageOps.erode3x3(m, n, n, 2);
        for (int i = 0; i < n * n; i++) {
            assertEquals(i == 4 * n + 4 ? 255 : 0, m[i] & 0xff, "pixel " + i);
        }
        byte[] full = new byte[16];
        java.util.Arrays.fill(full, (byte) 255);
        ImageOps.erode3x3(full, 4, 4, 2);
        for (byte b : full) {
            assertEquals(255, b & 0xff, "outside the image does not erode (cv2 default)");
        }
    }

    @Test
    void separableErosionEqualsTheBruteForceNeighbourhoodMinimum() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        for (int trial = 0; trial < 20; trial++) {
            int h = 1 + r.nextInt(12);
            int w = 1 + r.nextInt(12);
            byte[] m = new byte[h * w];
            for (int i = 0; i < m.length; i++) {
                m[i] = r.nextInt(5) == 0 ? 0 : (byte) 255;
            }
            byte[] expected = m.clone();
            for (int it = 0; it < 2; it++) {
                byte[] src = expected.clone();
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int min = 255;
                        for (int dy = -1; dy <= 1; dy++) {
                            for (int dx = -1; dx <= 1; dx++) {
                                int yy = y + dy;
                                int xx = x + dx;
                                if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                                    min = Math.min(min, src[yy * w + xx] & 0xff);
                                }
                            }
                        }
                        expected[y * w + x] = (byte) min;
                    }
                }
            }
            ImageOps.erode3x3(m, h, w, 2);
            assertArrayEquals(expected, m, h + "x" + w);
        }
    }

    @Test
    void badArgumentsNameTheOp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageOps.resizeArea(new float[3], 2, 2, 1, new float[1], 1, 1));
        assertEquals(true, e.getMessage().startsWith("ImageOps.resizeArea"));
    }
}
