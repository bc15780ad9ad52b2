package dev.gazenerf.training;

/**
 * Image-quality metrics of the evaluation (section 5.2 of the reference spec), on RGB images stored
 * channels-last as flat {@code float[]} {@code (height * width * 3)} with values in [0, 1] (data range 1).
 *
 * <ul>
 *   <li>{@link #psnr}: {@code 10 log10(1 / MSE)} over all pixels and channels (infinite for identical images).</li>
 *   <li>{@link #maskedPsnr}: the same over the pixels whose mask is {@code >= 0.5} (the eye-region PSNR).</li>
 *   <li>{@link #ssim}: structural similarity with piq's defaults: 11x11 Gaussian window with sigma 1.5, "valid"
 *       filtering (no padding), K1 = 0.01, K2 = 0.03, the images first average-pooled by
 *       {@code f = max(1, round(min(H, W) / 256))} when f > 1; mean of the per-channel SSIM maps.</li>
 *   <li>{@link #l1}: mean absolute difference.</li>
 * </ul>
 * NaN predictions count as 1 (white), as the reference's benchmark does before measuring.
 */
public final class ImageMetrics {
    private static final int WINDOW = 11;
    private static final double SIGMA = 1.5;
    private static final double C1 = 0.01 * 0.01;
    private static final double C2 = 0.03 * 0.03;

    private ImageMetrics() {
    }

    private static double value(float v) {
        return Float.isNaN(v) ? 1.0 : v;
    }

    private static void checkPair(String op, float[] a, float[] b, int h, int w) {
        if (a == null || b == null) {
            throw new IllegalArgumentException(op + ": image is null");
        }
        if (h <= 0 || w <= 0 || a.length != h * w * 3 || b.length != h * w * 3) {
            throw new IllegalArgumentException(op + ": images must both be " + h + "x" + w + "x3, got "
                    + a.length + " and " + b.length + " floats");
        }
    }

    /** Mean squared error over all pixels and channels. */
    public static double mse(float[] pred, float[] target, int h, int w) {
        checkPair("mse", pred, target, h, w);
        double s = 0;
        for (int i = 0; i < pred.length; i++) {
            double d = value(pred[i]) - target[i];
            s += d * d;
        }
        return s / pred.length;
    }

    /** Mean absolute error over all pixels and channels. */
    public static double l1(float[] pred, float[] target, int h, int w) {
        checkPair("l1", pred, target, h, w);
        double s = 0;
        for (int i = 0; i < pred.length; i++) {
            s += Math.abs(value(pred[i]) - target[i]);
        }
        return s / pred.length;
    }

    /** PSNR in dB with data range 1. */
    public static double psnr(float[] pred, float[] target, int h, int w) {
        return 10 * Math.log10(1.0 / mse(pred, target, h, w));
    }

    /** PSNR over the pixels where {@code mask (h * w) >= 0.5}; NaN when the mask selects nothing. */
    public static double maskedPsnr(float[] pred, float[] target, float[] mask, int h, int w) {
        checkPair("maskedPsnr", pred, target, h, w);
        if (mask == null || mask.length != h * w) {
            throw new IllegalArgumentException("maskedPsnr: mask must have " + h * w + " values");
        }
        double s = 0;
        long n = 0;
        for (int p = 0; p < h * w; p++) {
            if (mask[p] >= 0.5f) {
                for (int c = 0; c < 3; c++) {
                    double d = value(pred[p * 3 + c]) - target[p * 3 + c];
                    s += d * d;
                }
                n += 3;
            }
        }
        return n == 0 ? Double.NaN : 10 * Math.log10(1.0 / (s / n));
    }

    /** SSIM with piq's defaults (see the class comment). Images smaller than the window are an error. */
    public static double ssim(float[] pred, float[] target, int h, int w) {
        checkPair("ssim", pred, target, h, w);
        int f = Math.max(1, (int) Math.round(Math.min(h, w) / 256.0));
        int hh = h / f;
        int ww = w / f;
        if (hh < WINDOW || ww < WINDOW) {
            throw new IllegalArgumentException("ssim: image " + h + "x" + w + " is smaller than the " + WINDOW + "x" + WINDOW + " window");
        }
        double[] g = new double[WINDOW];
        double gs = 0;
        for (int i = 0; i < WINDOW; i++) {
            double x = i - (WINDOW - 1) / 2.0;
            g[i] = Math.exp(-(x * x) / (2 * SIGMA * SIGMA));
            gs += g[i];
        }
        for (int i = 0; i < WINDOW; i++) {
            g[i] /= gs;
        }
        int oh = hh - WINDOW + 1;
        int ow = ww - WINDOW + 1;
        double total = 0;
        double[] x = new double[hh * ww];
        double[] y = new double[hh * ww];
        for (int c = 0; c < 3; c++) {
            pool(pred, x, h, w, f, c);
            pool(target, y, h, w, f, c);
            double[] mx = filter(x, hh, ww, g, false, null);
            double[] my = filter(y, hh, ww, g, false, null);
            double[] sxx = filter(x, hh, ww, g, true, x);
            double[] syy = filter(y, hh, ww, g, true, y);
            double[] sxy = filter(x, hh, ww, g, true, y);
            double sum = 0;
            for (int i = 0; i < oh * ow; i++) {
                double vx = sxx[i] - mx[i] * mx[i];
                double vy = syy[i] - my[i] * my[i];
                double cov = sxy[i] - mx[i] * my[i];
                double cs = (2 * cov + C2) / (vx + vy + C2);
                double lum = (2 * mx[i] * my[i] + C1) / (mx[i] * mx[i] + my[i] * my[i] + C1);
                sum += lum * cs;
            }
            total += sum / (oh * ow);
        }
        return total / 3;
    }

    /** Average-pools channel c by f (floor of the size, as avg_pool2d does) into out (hh * ww). */
    private static void pool(float[] img, double[] out, int h, int w, int f, int c) {
        int hh = h / f;
        int ww = w / f;
        for (int i = 0; i < hh; i++) {
            for (int j = 0; j < ww; j++) {
                double s = 0;
                for (int a = 0; a < f; a++) {
                    for (int b = 0; b < f; b++) {
                        s += value(img[((i * f + a) * w + j * f + b) * 3 + c]);
                    }
                }
                out[i * ww + j] = s / (f * f);
            }
        }
    }

    /** Separable "valid" Gaussian filter of x (or of x*y when product) : (h-10) x (w-10). */
    private static double[] filter(double[] x, int h, int w, double[] g, boolean product, double[] y) {
        int ow = w - WINDOW + 1;
        int oh = h - WINDOW + 1;
        double[] rows = new double[h * ow];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < ow; j++) {
                double s = 0;
                for (int k = 0; k < WINDOW; k++) {
                    int idx = i * w + j + k;
                    s += g[k] * (product ? x[idx] * y[idx] : x[idx]);
                }
                rows[i * ow + j] = s;
            }
        }
        double[] out = new double[oh * ow];
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                double s = 0;
                for (int k = 0; k < WINDOW; k++) {
                    s += g[k] * rows[(i + k) * ow + j];
                }
                out[i * ow + j] = s;
            }
        }
        return out;
    }
}
