package dev.gazenerf.datasets.synth;

import dev.gazenerf.datasets.ImageOps;
import dev.gazenerf.datasets.h5.DatasetFormatException;
import dev.gazenerf.datasets.h5.SubjectData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG grid of a dataset for people to look at: one row per subject (up to {@code maxRows}), its first
 * images (up to {@code maxColumns}) as area-downsampled tiles of at most {@code tile} pixels.
 */
public final class ContactSheet {
    private final int maxRows;
    private final int maxColumns;
    private final int tile;
    private final List<int[][]> rows = new ArrayList<>(); // per row: per tile ARGB pixels

    public ContactSheet(int maxRows, int maxColumns, int tile) {
        if (maxRows < 1 || maxColumns < 1 || tile < 8) {
            throw new IllegalArgumentException("ContactSheet: rows, columns >= 1 and tile >= 8");
        }
        this.maxRows = maxRows;
        this.maxColumns = maxColumns;
        this.tile = tile;
    }

    /** The tile size used for images of {@code size} pixels: the image size, at most {@code tile}. */
    public int tileFor(int size) {
        return Math.min(size, tile);
    }

    /** Adds a subject's first images as a row (ignored once the sheet has {@code maxRows} rows). */
    public void addRow(SubjectData data) {
        if (rows.size() >= maxRows) {
            return;
        }
        int h = data.height();
        int w = data.width();
        int t = tileFor(Math.max(h, w));
        int n = Math.min(maxColumns, data.count());
        int[][] tiles = new int[n][];
        float[] rgb = new float[h * w * 3]; // (h, w, 3)
        float[] small = new float[t * t * 3]; // (t, t, 3)
        for (int i = 0; i < n; i++) {
            int base = i * h * w * 3;
            for (int p = 0; p < h * w; p++) {
                for (int c = 0; c < 3; c++) {
                    rgb[3 * p + c] = (data.facePatch()[base + 3 * p + 2 - c] & 0xff) / 255f;
                }
            }
            ImageOps.resizeArea(rgb, h, w, 3, small, t, t);
            int[] argb = new int[t * t];
            for (int p = 0; p < t * t; p++) {
                int r = Math.round(small[3 * p] * 255);
                int g = Math.round(small[3 * p + 1] * 255);
                int b = Math.round(small[3 * p + 2] * 255);
                argb[p] = 0xff000000 | (r << 16) | (g << 8) | b;
            }
            tiles[i] = argb;
        }
        rows.add(tiles);
    }

    /** Writes the sheet as PNG (temporary file, then rename). */
    public void write(Path png) {
        int columns = 0;
        int t = 0;
        for (int[][] r : rows) {
            columns = Math.max(columns, r.length);
            for (int[] tl : r) {
                t = Math.max(t, (int) Math.round(Math.sqrt(tl.length)));
            }
        }
        if (rows.isEmpty() || columns == 0) {
            throw new IllegalStateException("ContactSheet.write: no images added");
        }
        int gap = 2;
        BufferedImage img = new BufferedImage(columns * (t + gap) + gap, rows.size() * (t + gap) + gap,
                BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, 0x404040);
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            int[][] tiles = rows.get(r);
            for (int c = 0; c < tiles.length; c++) {
                int s = (int) Math.round(Math.sqrt(tiles[c].length));
                img.setRGB(gap + c * (t + gap), gap + r * (t + gap), s, s, tiles[c], 0, s);
            }
        }
        try {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + png.getFileName(), ".tmp");
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer");
            }
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DatasetFormatException(png, null, "cannot write the contact sheet", e);
        }
    }
}
