package dev.gazenerf.datasets.h5;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableDataset;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes one subject file in the reference format ({@link SubjectFormat}) with jHDF: images and masks as
 * uint8 (see {@link UnsignedInt8}), the integer indices as uint8, everything else as float64, contiguous and
 * uncompressed (jHDF 0.11.0 writes no chunks or filters; readers do not care).
 *
 * <p>The file is first written to a temporary file in the same folder and then renamed over the target, so
 * a failure never leaves a half-written subject file behind.
 */
public final class SubjectWriter {
    private SubjectWriter() {
    }

    /** Writes {@code data} to {@code file}, atomically replacing any existing file. */
    public static void write(Path file, SubjectData data) {
        if (file == null || data == null) {
            throw new IllegalArgumentException("SubjectWriter.write: file and data must not be null");
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try (WritableHdfFile out = HdfFile.write(tmp)) {
                for (SubjectFormat.Key key : SubjectFormat.KEYS) {
                    Object flat = data.array(key);
                    if (flat == null) {
                        continue;
                    }
                    int[] dims = dims(key, data);
                    Object nested = key.kind() == SubjectFormat.Kind.FLOAT
                            ? nest(flat, double.class, dims)
                            : nest(flat instanceof int[] ints ? toBytes(ints, key) : flat, byte.class, dims);
                    WritableDataset ds = out.putDataset(key.name(), nested);
                    if (key.kind() != SubjectFormat.Kind.FLOAT) {
                        UnsignedInt8.mark(ds);
                    }
                }
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException | RuntimeException e) {
            throw new DatasetFormatException(file, null, "cannot write subject file", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; the message above says why
                }
            }
        }
    }

    private static int[] dims(SubjectFormat.Key key, SubjectData data) {
        int[] row = key.rowShape();
        int[] dims = new int[row.length + 1];
        dims[0] = data.count();
        for (int i = 0; i < row.length; i++) {
            dims[i + 1] = row[i] == SubjectFormat.H ? data.height() : row[i] == SubjectFormat.W ? data.width() : row[i];
        }
        return dims;
    }

    private static byte[] toBytes(int[] values, SubjectFormat.Key key) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > 255) {
                throw new IllegalArgumentException("SubjectWriter: " + key.name() + "[" + i + "] = " + values[i]
                        + " does not fit uint8");
            }
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** Reshapes a flat primitive array into jHDF's nested Java arrays of the given dimensions. */
    static Object nest(Object flat, Class<?> component, int[] dims) {
        Object nested = Array.newInstance(component, dims);
        fill(nested, flat, new int[] {0}, 0, dims);
        return nested;
    }

    private static void fill(Object nested, Object flat, int[] position, int depth, int[] dims) {
        if (depth == dims.length - 1) {
            int n = dims[depth];
            System.arraycopy(flat, position[0], nested, 0, n);
            position[0] += n;
            return;
        }
        for (int i = 0; i < dims[depth]; i++) {
            fill(Array.get(nested, i), flat, position, depth + 1, dims);
        }
    }
}
