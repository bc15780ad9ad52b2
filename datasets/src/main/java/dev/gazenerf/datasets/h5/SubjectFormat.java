package dev.gazenerf.datasets.h5;

import java.util.List;

/**
 * The keys of GazeNeRF's preprocessed per-subject HDF5 file (reference section 1.1), with their element
 * types and shapes. N is the number of images in the file, H x W the image size (512 x 512 in the
 * reference files, any size in synthetic ones).
 *
 * <pre>
 * face_patch                  (N, H, W, 3) uint8  BGR
 * head_mask, left_eye_mask,
 * right_eye_mask              (N, H, W)    uint8  {0, 255}
 * facial_landmarks            (N, 68, 2)   float  pixel coordinates of the H x W image
 * cam_index                   (N, 1)       uint8  (any integer type is accepted on reading)
 * latent_codes                (N, 306)     float  iden 100 | expr 79 | text 100 | illu 27
 * w2c_Rmat, c2w_Rmat,
 * inmat, inv_inmat            (N, 3, 3)    float
 * w2c_Tvec, c2w_Tvec          (N, 3)       float
 * pitchyaw_head               (N, 2)       float  gaze label (pitch, yaw), radians, head frame (section 1.4)
 * face_head_pose              (N, 2)       float  normalized head pose (pitch, yaw), radians
 * optional: frame_index (N, 1) integer; pitchyaw (N, 2), pitchyaw_3d (N, 3), face_center (N, 3) float
 * </pre>
 * "float" is float64 in the reference files; float32 is accepted on reading.
 */
public final class SubjectFormat {
    private SubjectFormat() {
    }

    /** Element kinds of the format. */
    public enum Kind {
        /** Unsigned 8-bit integer (images and masks). */
        UINT8,
        /** Any fixed-point integer. */
        INTEGER,
        /** float32 or float64 (written as float64). */
        FLOAT
    }

    /**
     * One key of the format: its element kind and the shape of one row (the leading N is implied);
     * -1 marks an image dimension (H or W) that must agree across keys.
     */
    public record Key(String name, Kind kind, int[] rowShape, boolean required) {
        public int rowSize(int height, int width) {
            int n = 1;
            for (int d : rowShape) {
                n *= d == H ? height : d == W ? width : d;
            }
            return n;
        }
    }

    /** Placeholder for the image height in a row shape. */
    public static final int H = -1;
    /** Placeholder for the image width in a row shape. */
    public static final int W = -2;

    public static final int LANDMARKS = 68;
    public static final int CODE_SIZE = 306;
    public static final int IDEN = 100;
    public static final int EXPR = 79;
    public static final int TEXT = 100;
    public static final int ILLU = 27;
    /** Offset of the expression part of the code. */
    public static final int EXPR_OFFSET = IDEN;
    /** Offset of the texture part of the code. */
    public static final int TEXT_OFFSET = IDEN + EXPR;
    /** Offset of the illumination part of the code (279). */
    public static final int ILLU_OFFSET = IDEN + EXPR + TEXT;

    public static final Key FACE_PATCH = new Key("face_patch", Kind.UINT8, new int[] {H, W, 3}, true);
    public static final Key HEAD_MASK = new Key("head_mask", Kind.UINT8, new int[] {H, W}, true);
    public static final Key LEFT_EYE_MASK = new Key("left_eye_mask", Kind.UINT8, new int[] {H, W}, true);
    public static final Key RIGHT_EYE_MASK = new Key("right_eye_mask", Kind.UINT8, new int[] {H, W}, true);
    public static final Key FACIAL_LANDMARKS = new Key("facial_landmarks", Kind.FLOAT, new int[] {LANDMARKS, 2}, true);
    public static final Key CAM_INDEX = new Key("cam_index", Kind.INTEGER, new int[] {1}, true);
    public static final Key FRAME_INDEX = new Key("frame_index", Kind.INTEGER, new int[] {1}, false);
    public static final Key LATENT_CODES = new Key("latent_codes", Kind.FLOAT, new int[] {CODE_SIZE}, true);
    public static final Key W2C_RMAT = new Key("w2c_Rmat", Kind.FLOAT, new int[] {3, 3}, true);
    public static final Key W2C_TVEC = new Key("w2c_Tvec", Kind.FLOAT, new int[] {3}, true);
    public static final Key C2W_RMAT = new Key("c2w_Rmat", Kind.FLOAT, new int[] {3, 3}, true);
    public static final Key C2W_TVEC = new Key("c2w_Tvec", Kind.FLOAT, new int[] {3}, true);
    public static final Key INMAT = new Key("inmat", Kind.FLOAT, new int[] {3, 3}, true);
    public static final Key INV_INMAT = new Key("inv_inmat", Kind.FLOAT, new int[] {3, 3}, true);
    public static final Key PITCHYAW_HEAD = new Key("pitchyaw_head", Kind.FLOAT, new int[] {2}, true);
    public static final Key FACE_HEAD_POSE = new Key("face_head_pose", Kind.FLOAT, new int[] {2}, true);
    public static final Key PITCHYAW = new Key("pitchyaw", Kind.FLOAT, new int[] {2}, false);
    public static final Key PITCHYAW_3D = new Key("pitchyaw_3d", Kind.FLOAT, new int[] {3}, false);
    public static final Key FACE_CENTER = new Key("face_center", Kind.FLOAT, new int[] {3}, false);

    /** Every key, in the order we write them. */
    public static final List<Key> KEYS = List.of(FACE_PATCH, HEAD_MASK, LEFT_EYE_MASK, RIGHT_EYE_MASK,
            FACIAL_LANDMARKS, CAM_INDEX, FRAME_INDEX, LATENT_CODES, W2C_RMAT, W2C_TVEC, C2W_RMAT, C2W_TVEC,
            INMAT, INV_INMAT, PITCHYAW_HEAD, FACE_HEAD_POSE, PITCHYAW, PITCHYAW_3D, FACE_CENTER);

    /** The image-sized uint8 keys (read per image, never whole). */
    public static final List<Key> IMAGE_KEYS = List.of(FACE_PATCH, HEAD_MASK, LEFT_EYE_MASK, RIGHT_EYE_MASK);

    /** The key with this name, or null. */
    public static Key byName(String name) {
        for (Key k : KEYS) {
            if (k.name().equals(name)) {
                return k;
            }
        }
        return null;
    }
}
