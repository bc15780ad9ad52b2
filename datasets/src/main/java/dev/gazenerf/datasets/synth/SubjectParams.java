package dev.gazenerf.datasets.synth;

import dev.gazenerf.datasets.h5.SubjectFormat;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The parameters of one procedural subject: head shape (cranium and jaw), eye geometry, face features, colours and texture.
 * All lengths are in world units of the head frame (about 74 mm each; the head is about 1.9 wide), see
 * {@link SyntheticRenderer} for the geometry they drive.
 *
 * <p>Each parameter has a range; {@link #sample} draws it uniformly (colours from palettes), and
 * {@link #identityCode} / {@link #textureCode} write the parameters, mapped linearly to [-1, 1], into the
 * iden (100) and text (100) slots of the 306-value code. Unused slots are 0.
 *
 * <p>Two dataset-wide eye modifiers ({@link #withEyes}, from {@link SynthConfig#eyeScale()} and
 * {@link SynthConfig#irisAlbedo()}) scale the eyeball radius and the iris colour of every subject. They are not
 * part of the code (the same for all subjects of a dataset) and default to 1, the original eyes.
 */
public final class SubjectParams {
    /** A named parameter, its range, and which part of the code it belongs to. */
    public enum P {
        HEAD_RX(0.92, 1.05, true), HEAD_RY(1.06, 1.20, true), HEAD_RZ(1.06, 1.20, true),
        JAW_RX(0.62, 0.80, true), JAW_RY(0.50, 0.66, true), JAW_RZ(0.74, 0.88, true), JAW_Y(-0.62, -0.45, true),
        JAW_Z(0.02, 0.16, true),
        EYE_X(0.33, 0.39, true), EYE_Y(0.16, 0.25, true), EYE_RADIUS(0.16, 0.19, true),
        IRIS_ANGLE(0.50, 0.60, true), PUPIL_ANGLE(0.15, 0.24, true),
        APERTURE_HALF_WIDTH(0.95, 1.10, true), APERTURE_UP(0.34, 0.46, true), APERTURE_DOWN(0.26, 0.36, true),
        APERTURE_TILT(-0.06, 0.10, true),
        NOSE_Y(-0.22, -0.10, true), NOSE_RX(0.10, 0.15, true), NOSE_RY(0.22, 0.30, true), NOSE_RZ(0.16, 0.24, true),
        MOUTH_Y(-0.62, -0.50, true), MOUTH_HALF_WIDTH(0.20, 0.30, true), MOUTH_HALF_HEIGHT(0.035, 0.07, true),
        BROW_HEIGHT(0.19, 0.27, true), BROW_HALF_WIDTH(0.17, 0.24, true), BROW_THICKNESS(0.025, 0.055, true),
        BROW_ARCH(0.0, 0.06, true), HAIRLINE(-0.05, 0.15, true),
        SKIN_R(0.40, 0.98, false), SKIN_G(0.26, 0.82, false), SKIN_B(0.18, 0.74, false),
        HAIR_R(0.02, 0.75, false), HAIR_G(0.02, 0.60, false), HAIR_B(0.02, 0.45, false),
        IRIS_R(0.05, 0.60, false), IRIS_G(0.05, 0.60, false), IRIS_B(0.02, 0.75, false),
        LIP_R(0.45, 0.90, false), LIP_G(0.15, 0.55, false), LIP_B(0.15, 0.55, false),
        BROW_DARKNESS(0.45, 0.90, false), TEXTURE_AMPLITUDE(0.03, 0.09, false),
        TEX0_X(-1, 1, false), TEX0_Y(-1, 1, false), TEX0_Z(-1, 1, false), TEX0_FREQ(2, 5, false), TEX0_PHASE(0, 6.2832, false),
        TEX1_X(-1, 1, false), TEX1_Y(-1, 1, false), TEX1_Z(-1, 1, false), TEX1_FREQ(2, 5, false), TEX1_PHASE(0, 6.2832, false),
        TEX2_X(-1, 1, false), TEX2_Y(-1, 1, false), TEX2_Z(-1, 1, false), TEX2_FREQ(2, 5, false), TEX2_PHASE(0, 6.2832, false);

        final double lo;
        final double hi;
        final boolean identity;

        P(double lo, double hi, boolean identity) {
            this.lo = lo;
            this.hi = hi;
            this.identity = identity;
        }
    }

    private static final double[][] SKIN = {{0.96, 0.80, 0.70}, {0.88, 0.68, 0.55}, {0.76, 0.56, 0.42},
        {0.60, 0.42, 0.30}, {0.45, 0.30, 0.22}};
    private static final double[][] HAIR = {{0.05, 0.04, 0.03}, {0.22, 0.13, 0.07}, {0.45, 0.30, 0.16},
        {0.70, 0.55, 0.35}, {0.50, 0.18, 0.08}, {0.55, 0.55, 0.55}};
    private static final double[][] IRIS = {{0.30, 0.17, 0.07}, {0.20, 0.35, 0.55}, {0.25, 0.40, 0.22},
        {0.42, 0.45, 0.48}, {0.12, 0.07, 0.04}};

    private final double[] values;
    private final double eyeScale;
    private final double irisAlbedo;

    private SubjectParams(double[] values, double eyeScale, double irisAlbedo) {
        this.values = values;
        this.eyeScale = eyeScale;
        this.irisAlbedo = irisAlbedo;
    }

    private SubjectParams(double[] values) {
        this(values, 1, 1);
    }

    /**
     * A copy with the eye modifiers: the eyeball radius (and with it the lids, the socket and the aperture, which
     * are relative to it) multiplied by {@code eyeScale}, the iris colour by {@code irisAlbedo}.
     */
    public SubjectParams withEyes(double eyeScale, double irisAlbedo) {
        if (!(eyeScale >= 0.5 && eyeScale <= 2) || !(irisAlbedo > 0 && irisAlbedo <= 1)) {
            throw new IllegalArgumentException("SubjectParams.withEyes: eye scale must be in [0.5, 2] and iris albedo in (0, 1], got "
                    + eyeScale + ", " + irisAlbedo);
        }
        return new SubjectParams(values, eyeScale, irisAlbedo);
    }

    /** The eyeball radius the renderer uses: {@link P#EYE_RADIUS} times the eye scale. */
    public double eyeRadius() {
        return values[P.EYE_RADIUS.ordinal()] * eyeScale;
    }

    /** The eye modifiers of {@link #withEyes}. */
    public double eyeScale() {
        return eyeScale;
    }

    public double irisAlbedo() {
        return irisAlbedo;
    }

    /** Parameters given explicitly (one value per {@link P}, in declaration order). */
    public static SubjectParams of(double[] values) {
        if (values == null || values.length != P.values().length) {
            throw new IllegalArgumentException("SubjectParams.of: need " + P.values().length + " values");
        }
        return new SubjectParams(values.clone());
    }

    /** Deterministic parameters of subject {@code subject} of a dataset with this seed. */
    public static SubjectParams sample(long seed, int subject) {
        SplittableRandom r = new SplittableRandom(Seeds.mix(seed, subject, -1));
        double[] v = new double[P.values().length];
        for (P p : P.values()) {
            v[p.ordinal()] = r.nextDouble(p.lo, p.hi);
        }
        mixPalette(v, P.SKIN_R, SKIN, r, 0.05);
        mixPalette(v, P.HAIR_R, HAIR, r, 0.04);
        mixPalette(v, P.IRIS_R, IRIS, r, 0.05);
        return new SubjectParams(v);
    }

    private static void mixPalette(double[] v, P first, double[][] palette, SplittableRandom r, double jitter) {
        double t = r.nextDouble() * (palette.length - 1);
        int i = Math.min((int) t, palette.length - 2);
        double f = t - i;
        for (int c = 0; c < 3; c++) {
            P p = P.values()[first.ordinal() + c];
            double x = palette[i][c] * (1 - f) + palette[i + 1][c] * f + r.nextDouble(-jitter, jitter);
            v[p.ordinal()] = Math.max(p.lo, Math.min(p.hi, x));
        }
    }

    public double get(P p) {
        return values[p.ordinal()];
    }

    /** All values in {@link P} order (a copy). */
    public double[] values() {
        return values.clone();
    }

    private double unit(P p) {
        return 2 * (values[p.ordinal()] - p.lo) / (p.hi - p.lo) - 1;
    }

    /** The iden part of the code (100 values): the shape parameters in [-1, 1], then zeros. */
    public double[] identityCode() {
        return code(true, SubjectFormat.IDEN);
    }

    /** The text part of the code (100 values): colour and texture parameters in [-1, 1], then zeros. */
    public double[] textureCode() {
        return code(false, SubjectFormat.TEXT);
    }

    private double[] code(boolean identity, int size) {
        double[] c = new double[size];
        int k = 0;
        for (P p : P.values()) {
            if (p.identity == identity) {
                c[k++] = unit(p);
            }
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SubjectParams s && Arrays.equals(values, s.values) && eyeScale == s.eyeScale
                && irisAlbedo == s.irisAlbedo;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(values) + Double.hashCode(eyeScale) * 7 + Double.hashCode(irisAlbedo);
    }
}
