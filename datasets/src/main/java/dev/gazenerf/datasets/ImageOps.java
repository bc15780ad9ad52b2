package dev.gazenerf.datasets;

/**
 * Image operations of the loader: area resampling (OpenCV's INTER_AREA) and the 3 x 3 erosion of the head
 * mask (cv2.erode with a ones kernel; pixels outside the image are ignored, OpenCV's default for erosion).
 */
public final class ImageOps {
    private ImageOps() {
    }

    /**
     * Resamples an interleaved (h, w, channels) image to (oh, ow, channels).
     * Shrinking (oh &lt;= h and ow &lt;= w) is an exact area average: output pixel (i, j) is the mean of the input
     * over [i h/oh, (i+1) h/oh) x [j w/ow, (j+1) w/ow), partial pixels weighted by their overlap. Growing falls
     * back to bilinear interpolation with pixel centres at +0.5 (as INTER_AREA does). Same size is a copy.
     *
     * @param src (h, w, channels)
     * @param dst (oh, ow, channels), written
     */
    public static void resizeArea(float[] src, int h, int w, int channels, float[] dst, int oh, int ow) {
        if (src == null || dst == null || h < 1 || w < 1 || oh < 1 || ow < 1 || channels < 1
                || src.length < h * w * channels || dst.length < oh * ow * channels) {
            throw new IllegalArgumentException("ImageOps.resizeArea: bad buffers or sizes (" + h + "x" + w + " -> " + oh
                    + "x" + ow + ", channels " + channels + ")");
        }
        if (oh == h && ow == w) {
            System.arraycopy(src, 0, dst, 0, h * w * channels);
            return;
        }
        float[] tmp = new float[h * ow * channels]; // (h, ow, channels)
        resample1d(src, h, w, channels, tmp, ow, true);
        resample1d(tmp, h, ow, channels, dst, oh, false);
    }

    /** Resamples along x (horizontal = true) or y of an (h, w, channels) image. */
    private static void resample1d(float[] src, int h, int w, int channels, float[] dst, int outLen, boolean horizontal) {
        int inLen = horizontal ? w : h;
        int[] first = new int[outLen];
        int[] count = new int[outLen];
        float[][] weights = new float[outLen][];
        weights(inLen, outLen, first, count, weights);
        if (horizontal) {
            for (int y = 0; y < h; y++) {
                for (int i = 0; i < outLen; i++) {
                    for (int c = 0; c < channels; c++) {
                        float s = 0;
                        for (int k = 0; k < count[i]; k++) {
                            s += weights[i][k] * src[(y * w + first[i] + k) * channels + c];
                        }
                        dst[(y * outLen + i) * channels + c] = s;
                    }
                }
            }
        } else {
            int row = w * channels;
            for (int i = 0; i < outLen; i++) {
                for (int x = 0; x < row; x++) {
                    float s = 0;
                    for (int k = 0; k < count[i]; k++) {
                        s += weights[i][k] * src[(first[i] + k) * row + x];
                    }
                    dst[i * row + x] = s;
                }
            }
        }
    }

    private static void weights(int inLen, int outLen, int[] first, int[] count, float[][] weights) {
        if (outLen <= inLen) {
            double scale = (double) inLen / outLen;
            for (int i = 0; i < outLen; i++) {
                double a = i * scale;
                double b = (i + 1) * scale;
                int j0 = (int) Math.floor(a);
                int j1 = Math.min(inLen, (int) Math.ceil(b - 1e-9));
                first[i] = j0;
                count[i] = j1 - j0;
                weights[i] = new float[count[i]];
                for (int j = j0; j < j1; j++) {
                    double overlap = Math.min(b, j + 1) - Math.max(a, j);
                    weights[i][j - j0] = (float) (overlap / scale);
                }
            }
        } else {
            double scale = (double) inLen / outLen;
            for (int i = 0; i < outLen; i++) {
                double src = Math.max(0, (i + 0.5) * scale - 0.5);
                int j0 = Math.min((int) Math.floor(src), inLen - 1);
                double f = src - j0;
                if (j0 + 1 >= inLen) {
                    first[i] = j0;
                    count[i] = 1;
                    weights[i] = new float[] {1};
                } else {
                    first[i] = j0;
                    count[i] = 2;
                    weights[i] = new float[] {(float) (1 - f), (float) f};
                }
            }
        }
    }

    /**
     * Erodes a (h, w) mask with a 3 x 3 ones kernel {@code iterations} times: each pixel becomes the minimum of
     * its neighbourhood inside the image. {@code mask} is updated in place.
     */
    public static void erode3x3(byte[] mask, int h, int w, int iterations) {
        if (mask == null || mask.length < h * w || h < 1 || w < 1 || iterations < 0) {
            throw new IllegalArgumentException("ImageOps.erode3x3: bad mask or sizes (" + h + "x" + w + ")");
        }
        byte[] rows = new byte[h * w]; // (h, w) horizontal 3-minimum
        for (int it = 0; it < iterations; it++) {
            // the 3 x 3 minimum is separable: a horizontal then a vertical 3-minimum, clipped at the border
            for (int y = 0; y < h; y++) {
                int o = y * w;
                for (int x = 0; x < w; x++) {
                    int m = mask[o + x] & 0xff;
                    if (x > 0) {
                        m = Math.min(m, mask[o + x - 1] & 0xff);
                    }
                    if (x < w - 1) {
                        m = Math.min(m, mask[o + x + 1] & 0xff);
                    }
                    rows[o + x] = (byte) m;
                }
            }
            for (int y = 0; y < h; y++) {
                int o = y * w;
                for (int x = 0; x < w; x++) {
                    int m = rows[o + x] & 0xff;
                    if (y > 0) {
                        m = Math.min(m, rows[o - w + x] & 0xff);
                    }
                    if (y < h - 1) {
                        m = Math.min(m, rows[o + w + x] & 0xff);
                    }
                    mask[o + x] = (byte) m;
                }
            }
        }
    }
}
