package dev.gazenerf.datasets;

import dev.gazenerf.datasets.h5.DatasetFormatException;
import dev.gazenerf.datasets.h5.SubjectFile;
import dev.gazenerf.datasets.h5.SubjectFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of subject files read as the reference loader does ({@code datasets/eth_xgaze.py}, section 1.1):
 * index i runs over every row of every subject in order (subject 0's rows, then subject 1's, ...), and
 * {@link #get} returns a {@link Sample}. Files stay open; images are read one at a time, never a whole file.
 *
 * <p>Per item: the face patch flipped from BGR to RGB and scaled to [0, 1]; the head mask eroded (3 x 3 ones,
 * two iterations, at file resolution) and the eye masks as they are, all as {0, 1}; {@code code} = row 0's
 * latent_codes[0:279] with [279:306] (illumination) from the row itself, the expression part optionally replaced
 * by the fixed code; the camera matrices; {@code pitchyaw_head} as the gaze and {@code face_head_pose} as the
 * head pose. With an output size different from the file's, see {@link LoaderOptions#outputSize()}.
 *
 * <p>{@link #get} is thread-safe (each file serializes its reads).
 */
public final class GazeDataset implements AutoCloseable {
    private final List<SubjectFile> files;
    private final List<String> keys;
    private final int[] starts; // (subjects + 1) cumulative row counts
    private final LoaderOptions options;

    private GazeDataset(List<SubjectFile> files, List<String> keys, LoaderOptions options) {
        this.files = files;
        this.keys = keys;
        this.options = options;
        starts = new int[files.size() + 1];
        for (int s = 0; s < files.size(); s++) {
            starts[s + 1] = starts[s] + files.get(s).count();
        }
    }

    /**
     * Opens the subjects of one set of {@code dir/train_test_split.json}, each file being
     * {@code dir/<prefix><key>}.
     */
    public static GazeDataset open(Path dir, String set, LoaderOptions options) {
        Splits splits = Splits.read(dir.resolve(Splits.FILE_NAME));
        List<String> keys = splits.keys(set);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("split '" + set + "' of " + dir.resolve(Splits.FILE_NAME) + " is empty");
        }
        List<Path> paths = new ArrayList<>();
        for (String k : keys) {
            paths.add(Splits.file(dir, options.prefix(), k));
        }
        return open(paths, keys, options);
    }

    /** Opens the given subject files; {@code keys} name them in samples (null = the file names). */
    public static GazeDataset open(List<Path> paths, List<String> keys, LoaderOptions options) {
        if (paths == null || paths.isEmpty() || options == null) {
            throw new IllegalArgumentException("GazeDataset.open: need at least one file and options");
        }
        List<SubjectFile> files = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try {
            for (int i = 0; i < paths.size(); i++) {
                files.add(SubjectFile.open(paths.get(i)));
                names.add(keys == null ? paths.get(i).getFileName().toString() : keys.get(i));
            }
        } catch (RuntimeException e) {
            files.forEach(SubjectFile::close);
            throw e;
        }
        return new GazeDataset(List.copyOf(files), List.copyOf(names), options);
    }

    /** Total rows over all subjects. */
    public int size() {
        return starts[starts.length - 1];
    }

    public int subjects() {
        return files.size();
    }

    public String subjectKey(int subject) {
        return keys.get(subject);
    }

    /** Rows of one subject. */
    public int count(int subject) {
        return files.get(subject).count();
    }

    /** The global index of row {@code image} of subject {@code subject}. */
    public int index(int subject, int image) {
        if (image < 0 || image >= count(subject)) {
            throw new IndexOutOfBoundsException("image " + image + " of subject " + subject);
        }
        return starts[subject] + image;
    }

    /** The output size S of the samples of subject {@code subject}. */
    public int outputSize(int subject) {
        SubjectFile f = files.get(subject);
        return options.outputSize() > 0 ? options.outputSize() : Math.max(f.height(), f.width());
    }

    public LoaderOptions options() {
        return options;
    }

    /** Item {@code index} (0 &lt;= index &lt; size()). */
    public Sample get(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("GazeDataset: index " + index + " outside [0, " + size() + ")");
        }
        int s = 0;
        while (starts[s + 1] <= index) {
            s++;
        }
        return read(s, index - starts[s]);
    }

    private Sample read(int subject, int row) {
        SubjectFile f = files.get(subject);
        int h = f.height();
        int w = f.width();
        int oh = options.outputSize() > 0 ? options.outputSize() : h;
        int ow = options.outputSize() > 0 ? options.outputSize() : w;
        if (oh != ow) {
            throw new DatasetFormatException(f.path(), SubjectFormat.FACE_PATCH.name(),
                    "images are " + h + "x" + w + "; samples are square, so give an output size");
        }
        byte[] bytes = new byte[h * w * 3];
        f.readRow(SubjectFormat.FACE_PATCH, row, bytes, 0);
        float[] image = new float[3 * oh * ow]; // (3, oh, ow)
        if (oh == h && ow == w) {
            int plane = h * w;
            for (int p = 0; p < plane; p++) {
                image[p] = (bytes[3 * p + 2] & 0xff) / 255f;
                image[plane + p] = (bytes[3 * p + 1] & 0xff) / 255f;
                image[2 * plane + p] = (bytes[3 * p] & 0xff) / 255f;
            }
        } else {
            float[] rgb = new float[h * w * 3]; // (h, w, 3) RGB
            for (int p = 0; p < h * w; p++) {
                rgb[3 * p] = (bytes[3 * p + 2] & 0xff) / 255f;
                rgb[3 * p + 1] = (bytes[3 * p + 1] & 0xff) / 255f;
                rgb[3 * p + 2] = (bytes[3 * p] & 0xff) / 255f;
            }
            float[] resized = new float[oh * ow * 3]; // (oh, ow, 3)
            ImageOps.resizeArea(rgb, h, w, 3, resized, oh, ow);
            for (int p = 0; p < oh * ow; p++) {
                for (int c = 0; c < 3; c++) {
                    image[c * oh * ow + p] = resized[3 * p + c];
                }
            }
        }
        float[] head = mask(f, SubjectFormat.HEAD_MASK, row, true, oh, ow);
        float[] left = mask(f, SubjectFormat.LEFT_EYE_MASK, row, false, oh, ow);
        float[] right = mask(f, SubjectFormat.RIGHT_EYE_MASK, row, false, oh, ow);

        double[] code0 = f.floatRow(SubjectFormat.LATENT_CODES, 0);
        double[] codeRow = f.floatRow(SubjectFormat.LATENT_CODES, row);
        float[] code = new float[SubjectFormat.CODE_SIZE];
        for (int i = 0; i < SubjectFormat.CODE_SIZE; i++) {
            code[i] = (float) (i < SubjectFormat.ILLU_OFFSET ? code0[i] : codeRow[i]);
        }
        if (options.fixedExpression() != null) {
            System.arraycopy(options.fixedExpression().values(), 0, code, SubjectFormat.EXPR_OFFSET, SubjectFormat.EXPR);
        }
        double sx = (double) ow / w;
        double sy = (double) oh / h;
        double[] k = f.floatRow(SubjectFormat.INMAT, row);
        for (int j = 0; j < 3; j++) {
            k[j] *= sx;
            k[3 + j] *= sy;
        }
        // K' = S K with S = diag(sx, sy, 1), so K'^-1 = K^-1 S^-1: columns 0 and 1 of the file's K^-1 divided
        double[] kInv = f.floatRow(SubjectFormat.INV_INMAT, row);
        for (int i = 0; i < 3; i++) {
            kInv[3 * i] /= sx;
            kInv[3 * i + 1] /= sy;
        }
        double[] lm = f.floatRow(SubjectFormat.FACIAL_LANDMARKS, row);
        for (int i = 0; i < lm.length; i += 2) {
            lm[i] *= sx;
            lm[i + 1] *= sy;
        }
        return new Sample(keys.get(subject), subject, row, oh, image, head, left, right, code,
                floats(f.floatRow(SubjectFormat.W2C_RMAT, row)), floats(f.floatRow(SubjectFormat.W2C_TVEC, row)),
                floats(f.floatRow(SubjectFormat.C2W_RMAT, row)), floats(f.floatRow(SubjectFormat.C2W_TVEC, row)),
                floats(k), floats(kInv),
                floats(f.floatRow(SubjectFormat.PITCHYAW_HEAD, row)), floats(f.floatRow(SubjectFormat.FACE_HEAD_POSE, row)),
                floats(lm), f.intValue(SubjectFormat.CAM_INDEX, row));
    }

    private static float[] mask(SubjectFile f, SubjectFormat.Key key, int row, boolean erode, int oh, int ow) {
        int h = f.height();
        int w = f.width();
        byte[] m = new byte[h * w];
        f.readRow(key, row, m, 0);
        if (erode) {
            ImageOps.erode3x3(m, h, w, 2);
        }
        float[] out = new float[oh * ow];
        if (oh == h && ow == w) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (m[i] & 0xff) >= 128 ? 1f : 0f; // v / 255 >= 0.5
            }
            return out;
        }
        float[] v = new float[h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = (m[i] & 0xff) / 255f;
        }
        ImageOps.resizeArea(v, h, w, 1, out, oh, ow);
        for (int i = 0; i < out.length; i++) {
            out[i] = out[i] >= 0.5f ? 1f : 0f;
        }
        return out;
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(SubjectFile::close);
    }
}
