package dev.gazenerf.tools;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** PNG output of channels-last RGB images in [0, 1], written atomically, and simple grids of them. */
final class Png {
    private Png() {
    }

    /** Writes {@code rgb (h, w, 3)} to {@code file} (values clamped to [0, 1]; NaN shows as white). */
    static void write(Path file, float[] rgb, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = (y * w + x) * 3;
                img.setRGB(x, y, (byte255(rgb[p]) << 16) | (byte255(rgb[p + 1]) << 8) | byte255(rgb[p + 2]));
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available for " + file);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static int byte255(float v) {
        if (Float.isNaN(v)) {
            return 255;
        }
        return Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
    }

    /** Tiles equally sized images {@code (h, w, 3)} row by row, {@code cols} per row, with a 2-pixel white gap. */
    static float[] grid(List<float[]> images, int w, int h, int cols, int[] outSize) {
        int rows = (images.size() + cols - 1) / cols;
        int gap = 2;
        int gw = cols * w + (cols - 1) * gap;
        int gh = rows * h + (rows - 1) * gap;
        float[] out = new float[gw * gh * 3];
        java.util.Arrays.fill(out, 1f);
        for (int i = 0; i < images.size(); i++) {
            int ox = (i % cols) * (w + gap);
            int oy = (i / cols) * (h + gap);
            float[] src = images.get(i);
            for (int y = 0; y < h; y++) {
                System.arraycopy(src, y * w * 3, out, ((oy + y) * gw + ox) * 3, w * 3);
            }
        }
        outSize[0] = gw;
        outSize[1] = gh;
        return out;
    }
}
