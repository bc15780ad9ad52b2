package dev.gazenerf.datasets.h5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jhdf.HdfFile;
import io.jhdf.object.datatype.FixedPoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trip of every key through SubjectWriter and SubjectFile, in Java. */
class SubjectWriterTest {
    @TempDir
    Path dir;

    static void assertSameContent(SubjectData a, SubjectData b) {
        assertEquals(a.count(), b.count());
        assertEquals(a.height(), b.height());
        assertEquals(a.width(), b.width());
        for (SubjectFormat.Key key : SubjectFormat.KEYS) {
            Object x = a.array(key);
            Object y = b.array(key);
            if (x == null) {
                assertNull(y, key.name());
            } else if (x instanceof byte[] bx) {
                assertArrayEquals(bx, (byte[]) y, key.name());
            } else if (x instanceof int[] ix) {
                assertArrayEquals(ix, (int[]) y, key.name());
            } else {
                assertArrayEquals((double[]) x, (double[]) y, 0.0, key.name());
            }
        }
    }

    @Test
    void everyKeyRoundTripsExactly() {
        SubjectData data = TestSubjects.random(3, 7, 5, 11);
        Path file = dir.resolve("xgaze_subject0001.h5");
        SubjectWriter.write(file, data);
        try (SubjectFile f = SubjectFile.open(file)) {
            assertSameContent(data, f.readAll());
        }
    }

    @Test
    void largeContiguousImagesAreReadPerRowWithTheSameBytes() {
        SubjectData data = TestSubjects.random(3, 6, 7, 14);
        Path file = dir.resolve("rows.h5");
        SubjectWriter.write(file, data);
        try (SubjectFile f = SubjectFile.open(file, 0)) {
            assertSameContent(data, f.readAll());
        }
    }

    @Test
    void optionalKeysMayBeAbsent() {
        SubjectData full = TestSubjects.random(2, 4, 6, 12);
        SubjectData data = new SubjectData(2, 4, 6, full.facePatch(), full.headMask(), full.leftEyeMask(),
                full.rightEyeMask(), full.facialLandmarks(), full.camIndex(), null, full.latentCodes(),
                full.w2cRmat(), full.w2cTvec(), full.c2wRmat(), full.c2wTvec(), full.inmat(), full.invInmat(),
                full.pitchyawHead(), full.faceHeadPose(), null, null, null);
        Path file = dir.resolve("s.h5");
        SubjectWriter.write(file, data);
        try (SubjectFile f = SubjectFile.open(file)) {
            assertFalse(f.has(SubjectFormat.FRAME_INDEX));
            assertFalse(f.has(SubjectFormat.PITCHYAW_3D));
            assertSameContent(data, f.readAll());
        }
    }

    @Test
    void byteKeysAreWrittenUnsigned() {
        Path file = dir.resolve("u.h5");
        SubjectWriter.write(file, TestSubjects.random(1, 2, 2, 13));
        try (HdfFile hdf = new HdfFile(file)) {
            for (String key : new String[] {"face_patch", "head_mask", "left_eye_mask", "right_eye_mask", "cam_index",
                "frame_index"}) {
                FixedPoint t = (FixedPoint) hdf.getDatasetByPath(key).getDataType();
                assertFalse(t.isSigned(), key);
                assertEquals(1, t.getSize(), key);
            }
        }
    }

    @Test
    void writingIsAtomicAndLeavesNoTemporaryFiles() throws Exception {
        Path file = dir.resolve("a.h5");
        SubjectData first = TestSubjects.random(1, 3, 3, 1);
        SubjectWriter.write(file, first);
        SubjectData bad = TestSubjects.random(1, 3, 3, 2);
        int[] cams = bad.camIndex();
        cams[0] = 300; // does not fit uint8: the write fails half-way, after several datasets were put
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> SubjectWriter.write(file, bad));
        assertTrue(e.getMessage().contains("a.h5"), e.getMessage());
        try (SubjectFile f = SubjectFile.open(file)) {
            assertSameContent(first, f.readAll());
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the committed file remains");
        }
    }
}
