package dev.gazenerf.datasets.synth;

/**
 * One rendered image with its exact masks.
 *
 * @param width     W
 * @param height    H
 * @param rgb       (H, W, 3) RGB in [0, 1], row-major
 * @param head      (H, W) fraction of each pixel's sub-samples that hit the head (any part of it)
 * @param leftEye   (H, W) fraction that hit the visible eyeball on the image left (world x &lt; 0)
 * @param rightEye  (H, W) fraction that hit the visible eyeball on the image right (world x &gt; 0)
 */
public record Rendering(int width, int height, float[] rgb, float[] head, float[] leftEye, float[] rightEye) {

    /** The image as the format's BGR bytes (H, W, 3), rounded to nearest. */
    public byte[] bgrBytes() {
        byte[] b = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++) {
            for (int c = 0; c < 3; c++) {
                b[3 * p + c] = (byte) Math.round(255f * Math.max(0f, Math.min(1f, rgb[3 * p + 2 - c])));
            }
        }
        return b;
    }

    /** A coverage map as the format's mask bytes: 255 where at least half the pixel is covered, else 0. */
    public static byte[] maskBytes(float[] coverage) {
        byte[] b = new byte[coverage.length];
        for (int i = 0; i < coverage.length; i++) {
            b[i] = coverage[i] >= 0.5f ? (byte) 255 : 0;
        }
        return b;
    }
}
