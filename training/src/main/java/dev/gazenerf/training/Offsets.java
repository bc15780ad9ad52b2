package dev.gazenerf.training;

import dev.gazenerf.tensor.ParamLayout;

/**
 * The learned per-training-image offsets of section 3.1, all in one flat buffer so that Adam serves them as
 * groups: {@code iden_offset (N, iden)}, {@code expr_offset (N, expr)}, {@code appea_offset (N, text + illu)},
 * {@code delta_EulurAngles (N, 3)} and {@code delta_Tvecs (N, 3)}, initialized to zero. Names are the
 * reference trainer's checkpoint keys. Row n belongs to training image n (the dataset's global index).
 */
public final class Offsets {
    public static final String IDEN = "iden_offset";
    public static final String EXPR = "expr_offset";
    public static final String APPEA = "appea_offset";
    public static final String EULER = "delta_EulurAngles";
    public static final String TRANSLATION = "delta_Tvecs";

    private final ParamLayout layout = new ParamLayout();
    private final int images;
    private final int iden;
    private final int expr;
    private final int appea;
    /** The values, laid out by {@link #layout()}. */
    public final float[] values;
    /** Their gradients (same layout). */
    public final float[] grads;

    public Offsets(int images, int idenDims, int exprDims, int appearanceDims) {
        if (images < 1) {
            throw new IllegalArgumentException("offsets need at least one training image, got " + images);
        }
        this.images = images;
        this.iden = idenDims;
        this.expr = exprDims;
        this.appea = appearanceDims;
        layout.add(IDEN, images, Math.max(idenDims, 1));
        layout.add(EXPR, images, Math.max(exprDims, 1));
        layout.add(APPEA, images, Math.max(appearanceDims, 1));
        layout.add(EULER, images, 3);
        layout.add(TRANSLATION, images, 3);
        values = new float[layout.size()];
        grads = new float[layout.size()];
    }

    public ParamLayout layout() {
        return layout;
    }

    public int images() {
        return images;
    }

    /** Offset of row {@code image} of the named table. */
    public int row(String name, int image) {
        ParamLayout.Slice s = layout.slice(name);
        return s.offset() + image * s.shape()[1];
    }

    public int idenDims() {
        return iden;
    }

    public int exprDims() {
        return expr;
    }

    public int appearanceDims() {
        return appea;
    }
}
