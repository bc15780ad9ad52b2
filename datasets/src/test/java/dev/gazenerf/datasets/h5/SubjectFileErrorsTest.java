package dev.gazenerf.datasets.h5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableDataset;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input gives a DatasetFormatException naming the file and, where there is one, the key. */
class SubjectFileErrorsTest {
    @TempDir
    Path dir;

    /** Writes the datasets of a valid subject, with {@code replaced} swapped in (null value = left out). */
    private Path writeWith(String name, String replacedKey, Object replacement, boolean unsignedReplacement) {
        SubjectData d = TestSubjects.random(2, 4, 4, 5);
        Path file = dir.resolve(name);
        try (WritableHdfFile out = HdfFile.write(file)) {
            for (SubjectFormat.Key key : SubjectFormat.KEYS) {
                Object nested;
                boolean unsigned = key.kind() != SubjectFormat.Kind.FLOAT;
                if (key.name().equals(replacedKey)) {
                    if (replacement == null) {
                        continue;
                    }
                    nested = replacement;
                    unsigned = unsignedReplacement;
                } else {
                    int[] row = key.rowShape();
                    int[] dims = new int[row.length + 1];
                    dims[0] = 2;
                    for (int i = 0; i < row.length; i++) {
                        dims[i + 1] = row[i] < 0 ? 4 : row[i];
                    }
                    Object flat = d.array(key);
                    if (flat instanceof int[] ints) {
                        byte[] b = new byte[ints.length];
                        for (int i = 0; i < b.length; i++) {
                            b[i] = (byte) ints[i];
                        }
                        flat = b;
                    }
                    nested = SubjectWriter.nest(flat, key.kind() == SubjectFormat.Kind.FLOAT ? double.class : byte.class,
                            dims);
                }
                WritableDataset ds = out.putDataset(key.name(), nested);
                if (unsigned) {
                    UnsignedInt8.mark(ds);
                }
            }
        }
        return file;
    }

    private static DatasetFormatException openFails(Path file) {
        return assertThrows(DatasetFormatException.class, () -> {
            try (SubjectFile f = SubjectFile.open(file)) {
                f.readAll();
            }
        });
    }

    private static void assertNames(DatasetFormatException e, Path file, String key, String problem) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), "names the file: " + m);
        if (key != null) {
            assertTrue(m.contains("'" + key + "'"), "names the key: " + m);
            assertEquals(key, e.key());
        }
        assertTrue(m.contains(problem), "says '" + problem + "': " + m);
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("xgaze_subject9999.h5");
        assertNames(openFails(file), file, null, "no such file");
    }

    @Test
    void missingKey() {
        Path file = writeWith("missing.h5", "latent_codes", null, false);
        assertNames(openFails(file), file, "latent_codes", "missing key");
    }

    @Test
    void wrongShape() {
        Path file = writeWith("shape.h5", "latent_codes", new double[2][305], false);
        assertNames(openFails(file), file, "latent_codes", "expected shape [2, 306], found [2, 305]");
        Path rows = writeWith("rows.h5", "pitchyaw_head", new double[3][2], false);
        assertNames(openFails(rows), rows, "pitchyaw_head", "expected shape [2, 2], found [3, 2]");
    }

    @Test
    void wrongDtype() {
        Path signed = writeWith("signed.h5", "head_mask", new byte[2][4][4], false);
        assertNames(openFails(signed), signed, "head_mask", "expected dtype uint8, found int8");
        Path ints = writeWith("ints.h5", "c2w_Tvec", new int[2][3], false);
        assertNames(openFails(ints), ints, "c2w_Tvec", "expected dtype float64 (or float32), found int32");
        Path floats = writeWith("floats.h5", "cam_index", new double[2][1], false);
        assertNames(openFails(floats), floats, "cam_index", "expected an integer dtype, found float64");
    }

    @Test
    void notAnHdf5File() throws Exception {
        Path file = dir.resolve("text.h5");
        Files.writeString(file, "this is not HDF5\n".repeat(100), StandardCharsets.UTF_8);
        assertNames(openFails(file), file, null, "not a readable HDF5 file");
    }

    @Test
    void truncatedFilesFailNamingTheFileAtEveryCut() throws Exception {
        Path good = dir.resolve("good.h5");
        SubjectWriter.write(good, TestSubjects.random(2, 16, 16, 6));
        byte[] bytes = Files.readAllBytes(good);
        for (int cut : new int[] {bytes.length / 10, bytes.length / 3, bytes.length / 2, bytes.length * 9 / 10,
            bytes.length - 1}) {
            Path t = dir.resolve("truncated" + cut + ".h5");
            Files.write(t, java.util.Arrays.copyOf(bytes, cut));
            DatasetFormatException e = openFails(t);
            assertNames(e, t, null, "truncated");
        }
    }

    /** Overwrites the stored (compressed) bytes of one chunk, found by searching the file for them. */
    private static Path corruptChunk(Path source, Path target, String key, int image) throws Exception {
        Files.copy(source, target);
        byte[] raw;
        try (HdfFile hdf = new HdfFile(source)) {
            io.jhdf.api.dataset.ChunkedDataset ds = (io.jhdf.api.dataset.ChunkedDataset) hdf.getDatasetByPath(key);
            int[] offset = new int[ds.getDimensions().length];
            offset[0] = image;
            java.nio.ByteBuffer b = ds.getRawChunkBuffer(offset);
            raw = new byte[b.remaining()];
            b.get(raw);
        }
        byte[] bytes = Files.readAllBytes(target);
        int at = -1;
        for (int i = 0; i + raw.length <= bytes.length && at < 0; i++) {
            if (java.util.Arrays.equals(bytes, i, i + raw.length, raw, 0, raw.length)) {
                at = i;
            }
        }
        assertTrue(at > 0, "chunk found in the file");
        for (int i = 0; i < raw.length; i++) {
            bytes[at + i] = (byte) 0xff;
        }
        Files.write(target, bytes);
        return target;
    }

    @Test
    void corruptCompressedChunksFailNamingTheFileAndKey() throws Exception {
        Path fixture = SubjectFileFixtureTest.fixture();
        Path deflate = corruptChunk(fixture, dir.resolve("deflate.h5"), "head_mask", 1);
        try (SubjectFile f = SubjectFile.open(deflate)) {
            byte[] row = new byte[30];
            f.readRow(SubjectFormat.HEAD_MASK, 0, row, 0);
            DatasetFormatException e = assertThrows(DatasetFormatException.class,
                    () -> f.readRow(SubjectFormat.HEAD_MASK, 1, row, 0));
            assertNames(e, deflate, "head_mask", "cannot read image 1");
        }
        Path lzf = corruptChunk(fixture, dir.resolve("lzf.h5"), "face_patch", 2);
        try (SubjectFile f = SubjectFile.open(lzf)) {
            byte[] row = new byte[90];
            DatasetFormatException e = assertThrows(DatasetFormatException.class,
                    () -> f.readRow(SubjectFormat.FACE_PATCH, 2, row, 0));
            assertNames(e, lzf, "face_patch", "image 2");
        }
    }

    @Test
    void corruptBytesFailNamingTheFile() throws Exception {
        Path file = dir.resolve("corrupt.h5");
        SubjectWriter.write(file, TestSubjects.random(2, 8, 8, 7));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            // Overwrite the root group's object header region just after the superblock.
            raf.seek(48);
            raf.write(new byte[64]);
        }
        assertNames(openFails(file), file, null, "");
    }
}
