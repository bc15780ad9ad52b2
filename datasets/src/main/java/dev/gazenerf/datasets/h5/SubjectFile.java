package dev.gazenerf.datasets.h5;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import io.jhdf.api.dataset.ChunkedDataset;
import io.jhdf.api.dataset.ContiguousDataset;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Read access to one subject file of the reference format ({@link SubjectFormat}), contiguous or chunked,
 * uncompressed, deflate or LZF (whatever jHDF decodes).
 *
 * <p>Opening validates every key (present, dtype, shape, a common N and image size) and loads the small
 * per-row keys (codes, cameras, labels, landmarks) into memory. The image-sized keys stay on disk and are
 * read one image at a time ({@link #readRow}), so a file is never loaded whole. Every error names the file
 * and the key. Reads are synchronized: one file may be shared by threads, one read at a time.
 */
public final class SubjectFile implements AutoCloseable {
    private final Path path;
    private final HdfFile hdf;
    private final int count;
    private final int height;
    private final int width;
    private final Map<String, Dataset> imageSets = new HashMap<>();
    private final Map<String, ByteBuffer> contiguous = new HashMap<>();
    private final Map<String, Long> contiguousAddress = new HashMap<>();
    private final Map<String, double[]> floats = new HashMap<>();
    private final Map<String, int[]> ints = new HashMap<>();

    /** Contiguous image datasets up to this many bytes are memory-mapped whole; larger ones are read per row. */
    static final long DEFAULT_MAP_LIMIT = 1L << 30;

    private SubjectFile(Path path, HdfFile hdf, long mapLimit) {
        this.path = path;
        this.hdf = hdf;
        Dataset face = dataset(SubjectFormat.FACE_PATCH);
        int[] d = face.getDimensions();
        if (d.length != 4 || d[3] != 3 || d[0] < 1) {
            throw new DatasetFormatException(path, SubjectFormat.FACE_PATCH.name(),
                    "expected shape (N, H, W, 3), found " + Arrays.toString(d));
        }
        this.count = d[0];
        this.height = d[1];
        this.width = d[2];
        for (SubjectFormat.Key key : SubjectFormat.KEYS) {
            Dataset ds = key.required() ? dataset(key) : optionalDataset(key);
            if (ds == null) {
                continue;
            }
            checkType(key, ds);
            checkShape(key, ds);
            if (SubjectFormat.IMAGE_KEYS.contains(key)) {
                imageSets.put(key.name(), ds);
                if (ds instanceof ContiguousDataset c) {
                    long bytes = checkContiguous(key, c);
                    if (bytes <= mapLimit) {
                        contiguous.put(key.name(), mapContiguous(key, c, bytes));
                    } else {
                        contiguousAddress.put(key.name(), c.getDataAddress());
                    }
                }
            } else if (key.kind() == SubjectFormat.Kind.FLOAT) {
                floats.put(key.name(), toDoubles(key, flatData(key, ds)));
            } else {
                ints.put(key.name(), toInts(key, flatData(key, ds)));
            }
        }
    }

    /**
     * Opens and validates a subject file.
     *
     * @throws DatasetFormatException naming the file (and key) if the file is missing, unreadable or not
     *                                in the format
     */
    public static SubjectFile open(Path path) {
        return open(path, DEFAULT_MAP_LIMIT);
    }

    /** {@link #open(Path)} with a chosen limit for memory-mapping contiguous image data (tests use 0). */
    static SubjectFile open(Path path, long mapLimit) {
        if (path == null) {
            throw new IllegalArgumentException("SubjectFile.open: path is null");
        }
        if (!Files.isRegularFile(path)) {
            throw new DatasetFormatException(path, null, "no such file");
        }
        checkEndOfFile(path);
        HdfFile hdf;
        try {
            hdf = new HdfFile(path);
        } catch (RuntimeException e) {
            throw new DatasetFormatException(path, null, "not a readable HDF5 file (truncated or corrupt?)", e);
        }
        try {
            return new SubjectFile(path, hdf, mapLimit);
        } catch (RuntimeException e) {
            hdf.close();
            if (e instanceof DatasetFormatException) {
                throw e;
            }
            throw new DatasetFormatException(path, null, "not a readable HDF5 file (truncated or corrupt?)", e);
        }
    }

    /**
     * Compares the end-of-file address in the superblock (HDF5 format spec II.A; offset 40 in version 0,
     * 44 in version 1, 28 in versions 2 and 3, relative to the base address) with the file's size, so a
     * truncated file is reported as such before any key is read. Files with a user block (superblock not at
     * byte 0) are left to the HDF5 reader.
     */
    private static void checkEndOfFile(Path path) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(48).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (head.hasRemaining() && ch.read(head) > 0) {
                // fill what the file has
            }
            byte[] signature = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
            if (head.position() < 8) {
                throw new DatasetFormatException(path, null, "not a readable HDF5 file (only " + size + " bytes)");
            }
            for (int i = 0; i < 8; i++) {
                if (head.get(i) != signature[i]) {
                    return; // a user block or not HDF5: the reader decides
                }
            }
            int version = head.get(8);
            int baseAt = version == 0 ? 24 : version == 1 ? 28 : 12;
            int eofAt = version == 0 ? 40 : version == 1 ? 44 : 28;
            if (head.position() < eofAt + 8 || head.get(version >= 2 ? 9 : 13) != 8) {
                throw new DatasetFormatException(path, null, "not a readable HDF5 file (short or unusual superblock)");
            }
            long end = head.getLong(baseAt) + head.getLong(eofAt);
            if (end > size) {
                throw new DatasetFormatException(path, null, "truncated: the superblock says the file ends at byte "
                        + end + " but it has " + size + " bytes");
            }
        } catch (java.io.IOException e) {
            throw new DatasetFormatException(path, null, "cannot read the file", e);
        }
    }

    public Path path() {
        return path;
    }

    /** N, the number of images. */
    public int count() {
        return count;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Whether an optional key is present. */
    public boolean has(SubjectFormat.Key key) {
        return imageSets.containsKey(key.name()) || floats.containsKey(key.name()) || ints.containsKey(key.name());
    }

    /**
     * Copies one image-sized row (face_patch: H*W*3 BGR bytes; masks: H*W bytes) into {@code dst} at
     * {@code offset}. Bytes are the file's unsigned values (read them with {@code & 0xff}).
     */
    public synchronized void readRow(SubjectFormat.Key key, int index, byte[] dst, int offset) {
        Dataset ds = imageSets.get(key.name());
        if (ds == null) {
            throw new IllegalArgumentException("SubjectFile.readRow: " + key.name() + " is not an image key");
        }
        checkIndex(index);
        int rowSize = key.rowSize(height, width);
        if (dst == null || offset < 0 || offset + rowSize > dst.length) {
            throw new IllegalArgumentException("SubjectFile.readRow: dst too small for " + rowSize + " bytes at "
                    + offset);
        }
        try {
            ByteBuffer mapped = contiguous.get(key.name());
            if (mapped != null) {
                ByteBuffer b = mapped.duplicate();
                b.position(index * rowSize);
                b.get(dst, offset, rowSize);
                return;
            }
            Long address = contiguousAddress.get(key.name());
            if (address != null) {
                ByteBuffer b = hdf.getHdfBackingStorage().readBufferFromAddress(address + (long) index * rowSize, rowSize);
                b.get(dst, offset, rowSize);
                return;
            }
            if (ds instanceof ChunkedDataset c) {
                int[] chunk = c.getChunkDimensions();
                int[] dims = ds.getDimensions();
                boolean wholeRows = true;
                for (int i = 1; i < dims.length; i++) {
                    wholeRows &= chunk[i] == dims[i];
                }
                if (wholeRows) {
                    int first = index / chunk[0] * chunk[0];
                    int[] chunkOffset = new int[dims.length];
                    chunkOffset[0] = first;
                    byte[] bytes = c.getDecompressedChunk(chunkOffset);
                    int start = (index - first) * rowSize;
                    if (bytes.length < start + rowSize) {
                        throw new DatasetFormatException(path, key.name(), "chunk of image " + index + " is short");
                    }
                    System.arraycopy(bytes, start, dst, offset, rowSize);
                    return;
                }
            }
            int[] dims = ds.getDimensions();
            long[] sliceOffset = new long[dims.length];
            sliceOffset[0] = index;
            int[] sliceShape = dims.clone();
            sliceShape[0] = 1;
            int[] values = toInts(key, flatten(ds.getData(sliceOffset, sliceShape)));
            for (int i = 0; i < rowSize; i++) {
                dst[offset + i] = (byte) values[i];
            }
        } catch (DatasetFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DatasetFormatException(path, key.name(), "cannot read image " + index
                    + " (truncated or corrupt?)", e);
        }
    }

    /** Row {@code index} of a float key (length = the key's row size). */
    public double[] floatRow(SubjectFormat.Key key, int index) {
        double[] all = floats.get(key.name());
        if (all == null) {
            throw new IllegalArgumentException("SubjectFile.floatRow: " + key.name() + " is absent or not a float key");
        }
        checkIndex(index);
        int n = key.rowSize(height, width);
        return Arrays.copyOfRange(all, index * n, (index + 1) * n);
    }

    /** The whole flat array of a float key (N x row size); the returned array must not be modified. */
    public double[] floats(SubjectFormat.Key key) {
        double[] all = floats.get(key.name());
        if (all == null) {
            throw new IllegalArgumentException("SubjectFile.floats: " + key.name() + " is absent or not a float key");
        }
        return all;
    }

    /** Value {@code index} of an integer key (cam_index, frame_index). */
    public int intValue(SubjectFormat.Key key, int index) {
        int[] all = ints.get(key.name());
        if (all == null) {
            throw new IllegalArgumentException("SubjectFile.intValue: " + key.name() + " is absent or not an integer key");
        }
        checkIndex(index);
        return all[index];
    }

    /** Reads everything into memory (tests and tools; not for training-sized files). */
    public SubjectData readAll() {
        byte[][] images = new byte[4][];
        for (int k = 0; k < 4; k++) {
            SubjectFormat.Key key = SubjectFormat.IMAGE_KEYS.get(k);
            int rowSize = key.rowSize(height, width);
            images[k] = new byte[count * rowSize];
            for (int i = 0; i < count; i++) {
                readRow(key, i, images[k], i * rowSize);
            }
        }
        return new SubjectData(count, height, width, images[0], images[1], images[2], images[3],
                floats.get("facial_landmarks"), ints.get("cam_index"), ints.get("frame_index"),
                floats.get("latent_codes"), floats.get("w2c_Rmat"), floats.get("w2c_Tvec"), floats.get("c2w_Rmat"),
                floats.get("c2w_Tvec"), floats.get("inmat"), floats.get("inv_inmat"), floats.get("pitchyaw_head"),
                floats.get("face_head_pose"), floats.get("pitchyaw"), floats.get("pitchyaw_3d"),
                floats.get("face_center"));
    }

    @Override
    public void close() {
        hdf.close();
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException(path + ": image index " + index + " outside [0, " + count + ")");
        }
    }

    private Dataset dataset(SubjectFormat.Key key) {
        Dataset ds = optionalDataset(key);
        if (ds == null) {
            throw new DatasetFormatException(path, key.name(), "missing key");
        }
        return ds;
    }

    private Dataset optionalDataset(SubjectFormat.Key key) {
        Node node;
        try {
            node = hdf.getChildren().get(key.name());
        } catch (RuntimeException e) {
            throw new DatasetFormatException(path, key.name(), "cannot read the file's index (truncated or corrupt?)", e);
        }
        if (node == null) {
            return null;
        }
        if (!(node instanceof Dataset ds)) {
            throw new DatasetFormatException(path, key.name(), "is a " + node.getType() + ", not a dataset");
        }
        return ds;
    }

    private void checkType(SubjectFormat.Key key, Dataset ds) {
        DataType t;
        try {
            t = ds.getDataType();
        } catch (RuntimeException e) {
            throw new DatasetFormatException(path, key.name(), "unreadable datatype", e);
        }
        String found = describe(t);
        switch (key.kind()) {
            case UINT8 -> {
                if (!(t instanceof FixedPoint f) || f.getSize() != 1 || f.isSigned()) {
                    throw new DatasetFormatException(path, key.name(), "expected dtype uint8, found " + found);
                }
            }
            case INTEGER -> {
                if (!(t instanceof FixedPoint)) {
                    throw new DatasetFormatException(path, key.name(), "expected an integer dtype, found " + found);
                }
            }
            case FLOAT -> {
                if (!(t instanceof FloatingPoint) || (t.getSize() != 4 && t.getSize() != 8)) {
                    throw new DatasetFormatException(path, key.name(), "expected dtype float64 (or float32), found "
                            + found);
                }
            }
            default -> throw new IllegalStateException(key.kind().toString());
        }
    }

    private static String describe(DataType t) {
        if (t instanceof FixedPoint f) {
            return (f.isSigned() ? "int" : "uint") + 8 * f.getSize();
        }
        if (t instanceof FloatingPoint) {
            return "float" + 8 * t.getSize();
        }
        return t == null ? "null" : t.getClass().getSimpleName() + " of " + t.getSize() + " bytes";
    }

    private void checkShape(SubjectFormat.Key key, Dataset ds) {
        int[] dims = ds.getDimensions();
        int[] row = key.rowShape();
        int[] expected = new int[row.length + 1];
        expected[0] = count;
        for (int i = 0; i < row.length; i++) {
            expected[i + 1] = row[i] == SubjectFormat.H ? height : row[i] == SubjectFormat.W ? width : row[i];
        }
        boolean ok = Arrays.equals(dims, expected);
        // h5py files sometimes store (N,) for per-image scalars; accept it for (N, 1) keys.
        if (!ok && row.length == 1 && row[0] == 1 && dims.length == 1 && dims[0] == count) {
            ok = true;
        }
        if (!ok) {
            throw new DatasetFormatException(path, key.name(), "expected shape " + Arrays.toString(expected)
                    + ", found " + Arrays.toString(dims));
        }
    }

    /** Checks that a contiguous image dataset lies inside the file; returns its size in bytes. */
    private long checkContiguous(SubjectFormat.Key key, ContiguousDataset ds) {
        long needed = (long) count * key.rowSize(height, width);
        try {
            long fileSize = Files.size(path);
            long address = ds.getDataAddress();
            if (address < 0 || address + needed > fileSize) {
                throw new DatasetFormatException(path, key.name(), "data ends at byte " + (address + needed)
                        + " but the file has " + fileSize + " bytes (truncated?)");
            }
            return needed;
        } catch (java.io.IOException e) {
            throw new DatasetFormatException(path, key.name(), "cannot read the file size", e);
        }
    }

    private ByteBuffer mapContiguous(SubjectFormat.Key key, ContiguousDataset ds, long needed) {
        try {
            ByteBuffer b = ds.getBuffer();
            if (b.remaining() < needed) {
                throw new DatasetFormatException(path, key.name(), "holds " + b.remaining() + " bytes, expected " + needed);
            }
            return b;
        } catch (DatasetFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DatasetFormatException(path, key.name(), "cannot map the data (truncated or corrupt?)", e);
        }
    }

    private Object flatData(SubjectFormat.Key key, Dataset ds) {
        try {
            return ds.getDataFlat();
        } catch (RuntimeException e) {
            throw new DatasetFormatException(path, key.name(), "cannot read the data (truncated or corrupt?)", e);
        }
    }

    /** Flattens a (possibly nested) primitive array into a flat primitive array of the same element type. */
    static Object flatten(Object nested) {
        if (!nested.getClass().getComponentType().isArray()) {
            return nested;
        }
        int n = Array.getLength(nested);
        Object[] parts = new Object[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            parts[i] = flatten(Array.get(nested, i));
            total += Array.getLength(parts[i]);
        }
        Class<?> component = n == 0 ? int.class : parts[0].getClass().getComponentType();
        Object flat = Array.newInstance(component, total);
        int at = 0;
        for (Object p : parts) {
            int len = Array.getLength(p);
            System.arraycopy(p, 0, flat, at, len);
            at += len;
        }
        return flat;
    }

    private double[] toDoubles(SubjectFormat.Key key, Object flat) {
        if (flat instanceof double[] d) {
            return d;
        }
        if (flat instanceof float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }
        throw new DatasetFormatException(path, key.name(), "unexpected data type " + flat.getClass().getSimpleName());
    }

    private int[] toInts(SubjectFormat.Key key, Object flat) {
        int n = Array.getLength(flat);
        int[] out = new int[n];
        if (flat instanceof int[] a) {
            return a;
        } else if (flat instanceof short[] a) {
            for (int i = 0; i < n; i++) {
                out[i] = a[i];
            }
        } else if (flat instanceof byte[] a) {
            for (int i = 0; i < n; i++) {
                out[i] = a[i];
            }
        } else if (flat instanceof long[] a) {
            for (int i = 0; i < n; i++) {
                out[i] = Math.toIntExact(a[i]);
            }
        } else {
            throw new DatasetFormatException(path, key.name(), "unexpected data type " + flat.getClass().getSimpleName());
        }
        return out;
    }

}
