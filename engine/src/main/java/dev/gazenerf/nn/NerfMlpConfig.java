package dev.gazenerf.nn;

/**
 * The shape of one NeRF MLP (section 2.4; the reference's {@code MLPforNeRF}). Paper values:
 * {@link #paper()}; smaller presets may shrink any of them.
 *
 * @param encodedWidth    channels of the encoded point (63 = 3 + 6 * 10, section 2.3)
 * @param idenWidth       identity code (100)
 * @param exprWidth       expression code (79)
 * @param gazeWidth       gaze (pitch, yaw) (2)
 * @param appearanceWidth appearance code = texture 100 + illumination 27 (127)
 * @param width           hidden width of the trunk and of RGB_layer_0 (384); RGB_layer_1 is {@code width / 2}
 * @param layers          trunk layers FeaExt_module_0 .. layers-1 (8)
 * @param skip            the trunk layer after whose ReLU the input is concatenated again (4 = layers / 2),
 *                        so layer {@code skip + 1} reads {@code [input, h]}
 * @param featureChannels output feature channels of RGB_layer_2 (258)
 */
public record NerfMlpConfig(int encodedWidth, int idenWidth, int exprWidth, int gazeWidth, int appearanceWidth,
                            int width, int layers, int skip, int featureChannels) {

    public NerfMlpConfig {
        positive("encodedWidth", encodedWidth);
        notNegative("idenWidth", idenWidth);
        notNegative("exprWidth", exprWidth);
        notNegative("gazeWidth", gazeWidth);
        notNegative("appearanceWidth", appearanceWidth);
        positive("featureChannels", featureChannels);
        if (width < 2) {
            throw new IllegalArgumentException("NerfMlpConfig: width must be at least 2, got " + width);
        }
        if (layers < 2) {
            throw new IllegalArgumentException("NerfMlpConfig: layers must be at least 2, got " + layers);
        }
        if (skip < 0 || skip > layers - 2) {
            throw new IllegalArgumentException("NerfMlpConfig: skip must be in [0, " + (layers - 2) + "], got " + skip);
        }
    }

    /** The reference's MLP: 63, 100, 79, 2, 127, width 384, 8 layers, skip after layer 4, 258 features. */
    public static NerfMlpConfig paper() {
        return new NerfMlpConfig(63, 100, 79, 2, 127, 384, 8, 4, 258);
    }

    /** The per-image shape code {@code [iden, expr, pitch, yaw]}: 181 in the paper. */
    public int shapeCodeWidth() {
        return idenWidth + exprWidth + gazeWidth;
    }

    /** The per-point input {@code [PE, iden, expr, pitch, yaw]}: 244 in the paper. */
    public int inputWidth() {
        return encodedWidth + shapeCodeWidth();
    }

    /** Output width of RGB_layer_1: {@code width / 2} (192). */
    public int rgbHiddenWidth() {
        return width / 2;
    }

    /** The index of the trunk layer that reads {@code [input, h]}: {@code skip + 1} (5). */
    public int skipLayer() {
        return skip + 1;
    }

    /** Multiply-adds per point with the codes concatenated to every point (1,515,072 in the paper, section 7). */
    public long macsPerPointPlain() {
        long w = width;
        long h = rgbHiddenWidth();
        return inputWidth() * w + (layers - 2) * w * w + (inputWidth() + w) * w + w + w * w
                + (w + appearanceWidth) * h + h * featureChannels;
    }

    /** Multiply-adds per point when the code products are hoisted per image (1,351,680 in the paper, section 7). */
    public long macsPerPointHoisted() {
        return macsPerPointPlain() - 2L * shapeCodeWidth() * width - (long) appearanceWidth * rgbHiddenWidth();
    }

    /**
     * Multiply-adds per point of {@link NerfMlp#forward} as it runs: hoisted, and RGB_layer_0 folded into RGB_layer_1
     * (no per-point W x W product; 1,204,224 in the paper). Per call it adds {@link #foldMacsPerCall()}.
     */
    public long macsPerPointFolded() {
        return macsPerPointHoisted() - (long) width * width;
    }

    /** Multiply-adds per forward call for the fold: {@code Wr1[:, :W] Wr0} and {@code Wr1[:, :W] br0}. */
    public long foldMacsPerCall() {
        long w = width;
        long h = rgbHiddenWidth();
        return h * w * w + h * w;
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("NerfMlpConfig: " + name + " must be positive, got " + v);
        }
    }

    private static void notNegative(String name, int v) {
        if (v < 0) {
            throw new IllegalArgumentException("NerfMlpConfig: " + name + " must not be negative, got " + v);
        }
    }
}
