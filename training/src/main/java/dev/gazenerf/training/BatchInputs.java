package dev.gazenerf.training;

import dev.gazenerf.datasets.Sample;
import dev.gazenerf.model.Preset;

/**
 * The model's per-image inputs for a batch, filled from loader {@link Sample}s into preallocated buffers
 * (section 3.1 of the reference spec):
 * shape = [iden + iden_offset, expr + expr_offset], appearance = [text, illu] + appea_offset, gaze = the label,
 * camera = the file's camera-to-world with the learned deltas applied by the model, K^-1 of the feature-map
 * grid (the file's intrinsics with rows 0-1 scaled by featmap/size, inverted as the reference does), and the
 * ground truth image and masks channels-last at the output size.
 */
public final class BatchInputs {
    private final Preset preset;
    private final int capacity;
    int images;
    /** (B, 9) K^-1 on the feature-map grid. */
    public final float[] invIntrinsics;
    /** (B, 9) camera-to-world rotation; (B, 3) translation. */
    public final float[] rotation;
    public final float[] translation;
    /** (B, 3) camera Euler deltas and translation deltas (from the offsets). */
    public final float[] euler;
    public final float[] dTranslation;
    /** (B, iden + expr) and (B, text + illu). */
    public final float[] shape;
    public final float[] appearance;
    /** (B, 2) pitch, yaw. */
    public final float[] gaze;
    /** (B, O*O, 3) ground truth, channels-last. */
    public final float[] target;
    /** (B, O*O) masks in [0, 1]. */
    public final float[] headMask;
    public final float[] leftEye;
    public final float[] rightEye;
    /** Offset-table row of each image, -1 when the image has no offsets (held-out data). */
    public final int[] rows;

    public BatchInputs(Preset preset, int capacity) {
        this.preset = preset;
        this.capacity = capacity;
        int o = preset.outputSize();
        invIntrinsics = new float[capacity * 9];
        rotation = new float[capacity * 9];
        translation = new float[capacity * 3];
        euler = new float[capacity * 3];
        dTranslation = new float[capacity * 3];
        shape = new float[capacity * (preset.idenDims() + preset.exprDims())];
        appearance = new float[capacity * preset.appearanceDims()];
        gaze = new float[capacity * 2];
        target = new float[capacity * o * o * 3];
        headMask = new float[capacity * o * o];
        leftEye = new float[capacity * o * o];
        rightEye = new float[capacity * o * o];
        rows = new int[capacity];
    }

    public int images() {
        return images;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Fills slot {@code n} from a sample; {@code row} is its offset-table row (or -1: zero offsets).
     * The sample must be at the preset's output size.
     */
    public void set(int n, Sample s, Offsets offsets, int row) {
        int o = preset.outputSize();
        if (s.size() != o) {
            throw new IllegalArgumentException("sample " + s.subject() + "#" + s.imageIndex() + " is " + s.size()
                    + " px, the preset renders " + o + " px: open the data with the preset's output size");
        }
        if (n < 0 || n >= capacity) {
            throw new IllegalArgumentException("batch slot " + n + " outside [0, " + capacity + ")");
        }
        rows[n] = row;
        // K at the output size -> feature-map grid: rows 0-1 scaled by F/O, then the reference's closed-form inverse.
        float scale = (float) preset.featmapSize() / o;
        float[] k = s.intrinsics();
        float fx = k[0] * scale;
        float fy = k[4] * scale;
        float cx = k[2] * scale;
        float cy = k[5] * scale;
        float[] inv = {1f / fx, 0f, -(cx / fx), 0f, 1f / fy, -(cy / fy), 0f, 0f, 1f};
        System.arraycopy(inv, 0, invIntrinsics, n * 9, 9);
        System.arraycopy(s.c2wR(), 0, rotation, n * 9, 9);
        System.arraycopy(s.c2wT(), 0, translation, n * 3, 3);
        int iden = preset.idenDims();
        int expr = preset.exprDims();
        int text = preset.textDims();
        int illu = preset.illuDims();
        float[] code = s.code();
        int sd = iden + expr;
        for (int i = 0; i < iden; i++) {
            shape[n * sd + i] = code[i] + (row < 0 ? 0f : offsets.values[offsets.row(Offsets.IDEN, row) + i]);
        }
        for (int i = 0; i < expr; i++) {
            shape[n * sd + iden + i] = code[100 + i] + (row < 0 ? 0f : offsets.values[offsets.row(Offsets.EXPR, row) + i]);
        }
        int ad = text + illu;
        for (int i = 0; i < ad; i++) {
            float base = i < text ? code[179 + i] : code[279 + (i - text)];
            appearance[n * ad + i] = base + (row < 0 ? 0f : offsets.values[offsets.row(Offsets.APPEA, row) + i]);
        }
        for (int i = 0; i < 3; i++) {
            euler[n * 3 + i] = row < 0 ? 0f : offsets.values[offsets.row(Offsets.EULER, row) + i];
            dTranslation[n * 3 + i] = row < 0 ? 0f : offsets.values[offsets.row(Offsets.TRANSLATION, row) + i];
        }
        gaze[n * 2] = s.gaze()[0];
        gaze[n * 2 + 1] = s.gaze()[1];
        int px = o * o;
        float[] img = s.image(); // (3, O, O)
        for (int p = 0; p < px; p++) {
            for (int c = 0; c < 3; c++) {
                target[(n * px + p) * 3 + c] = img[c * px + p];
            }
        }
        System.arraycopy(s.headMask(), 0, headMask, n * px, px);
        System.arraycopy(s.leftEyeMask(), 0, leftEye, n * px, px);
        System.arraycopy(s.rightEyeMask(), 0, rightEye, n * px, px);
    }

    /** Sets the number of filled slots. */
    public void setImages(int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("batch of " + n + " images outside [0, " + capacity + "]");
        }
        images = n;
    }

    /**
     * Whether slot n is usable for training: the reference skips a batch if a sample's head mask is constant
     * or both of its eye masks are constant (section 3.1).
     */
    public boolean usable(int n) {
        int px = preset.outputSize() * preset.outputSize();
        return !constant(headMask, n * px, px) && !(constant(leftEye, n * px, px) && constant(rightEye, n * px, px));
    }

    private static boolean constant(float[] m, int off, int n) {
        for (int i = off + 1; i < off + n; i++) {
            if (m[i] != m[off]) {
                return false;
            }
        }
        return true;
    }
}
