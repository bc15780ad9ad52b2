package dev.gazenerf.render;

import dev.gazenerf.backend.Checks;

/**
 * Argument checks of the render kernels, shared by every implementation and run once per public call.
 * A failure throws {@link IllegalArgumentException} naming the op and the argument. Public so that the render
 * kernels of the optional module {@code engine-tornadovm} check their arguments exactly as these do.
 */
public final class RenderChecks {
    private RenderChecks() {
    }

    /** Compositing's shared arguments; for a backward op, merged and depth are dMerged and dDepth. */
    public static void composite(String op, float[] merged, int mergedOff, float[] depth, float[] bgAlpha, int rayOff,
                          float[] alpha, float[] trans, int cacheOff, float[] sigma, int sigmaOff,
                          float[] feat, int featOff, int ldf, float[] delta, float[] tvals, int sampleOff, float[] bg,
                          int rays, int samples, int channels, int pixels, int firstPixel) {
        Checks.size(op, "rays", rays);
        Checks.positive(op, "samples", samples);
        Checks.positive(op, "channels", channels);
        Checks.positive(op, "pixels", pixels);
        if (firstPixel < 0 || firstPixel >= pixels) {
            throw new IllegalArgumentException(op + ": firstPixel " + firstPixel + " is outside [0, " + pixels + ")");
        }
        int points = rays * samples;
        boolean backward = op.endsWith("Backward");
        Checks.matrix(op, backward ? "dMerged" : "merged", merged, mergedOff, channels, rays, channels);
        if (depth != null) {
            Checks.vector(op, backward ? "dDepth" : "depth", depth, rayOff, rays);
        }
        Checks.vector(op, "bgAlpha", bgAlpha, rayOff, rays);
        Checks.vector(op, "alpha", alpha, cacheOff, points);
        Checks.vector(op, "trans", trans, cacheOff, points);
        Checks.vector(op, "sigma", sigma, sigmaOff, points);
        Checks.matrix(op, "feat", feat, featOff, ldf, points, channels);
        Checks.vector(op, "delta", delta, sampleOff, points);
        Checks.vector(op, "tvals", tvals, sampleOff, points);
        Checks.matrix(op, "bg", bg, 0, channels, pixels, channels);
    }

    public static void rotate(String op, float[] out, float[] in, float[] angles, int images, int pixels, int channels) {
        Checks.size(op, "images", images);
        Checks.size(op, "pixels", pixels);
        Checks.positive(op, "channels", channels);
        if (channels % 3 != 0) {
            throw new IllegalArgumentException(op + ": channels " + channels + " is not a multiple of 3");
        }
        Checks.matrix(op, "out", out, 0, channels, images * pixels, channels);
        Checks.matrix(op, "in", in, 0, channels, images * pixels, channels);
        Checks.vector(op, "angles", angles, 0, images * 2);
    }

    public static void elementwise(String op, int n, String[] names, float[]... arrays) {
        Checks.size(op, "n", n);
        for (int i = 0; i < arrays.length; i++) {
            Checks.vector(op, names[i], arrays[i], 0, n);
        }
    }

    /** Checks a channels-last map {@code (images, height, width, channels)} at offset 0. */
    public static void map(String op, String arg, float[] buf, int images, int height, int width, int channels) {
        Checks.size(op, "images", images);
        Checks.positive(op, "height", height);
        Checks.positive(op, "width", width);
        Checks.positive(op, "channels", channels);
        Checks.matrix(op, arg, buf, 0, channels, images * height * width, channels);
    }

    public static void blurSize(String op, int height, int width) {
        if (height < 2 || width < 2) {
            throw new IllegalArgumentException(op + ": the reflect border needs height and width >= 2, got "
                    + height + " x " + width);
        }
    }
}
