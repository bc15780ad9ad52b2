package dev.gazenerf.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gazenerf.datasets.h5.DatasetFormatException;
import dev.gazenerf.datasets.h5.SubjectData;
import dev.gazenerf.datasets.h5.SubjectWriter;
import dev.gazenerf.datasets.h5.TestSubjects;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader's semantics of reference section 1.1 and its resolution handling. */
class GazeDatasetTest {
    @TempDir
    Path dir;

    /** A subject of n images of 8 x 8 with a head mask square at [2, 6) and one eye pixel. */
    static SubjectData subject(int n, long seed) {
        SubjectData r = TestSubjects.random(n, 8, 8, seed);
        byte[] head = new byte[n * 64];
        byte[] eye = new byte[n * 64];
        double[] k = new double[n * 9];
        double[] kInv = new double[n * 9];
        for (int i = 0; i < n; i++) {
            for (int y = 1; y < 7; y++) {
                for (int x = 1; x < 7; x++) {
                    head[i * 64 + y * 8 + x] = (byte) 255;
                }
            }
            eye[i * 64 + 2 * 8 + 2] = (byte) 255;
            double f = 16.24;
            double c = 4;
            System.arraycopy(new double[] {f, 0, c, 0, f, c, 0, 0, 1}, 0, k, 9 * i, 9);
            System.arraycopy(new double[] {1 / f, 0, -c / f, 0, 1 / f, -c / f, 0, 0, 1}, 0, kInv, 9 * i, 9);
        }
        return new SubjectData(n, 8, 8, r.facePatch(), head, eye, r.rightEyeMask(), r.facialLandmarks(), r.camIndex(),
                r.frameIndex(), r.latentCodes(), r.w2cRmat(), r.w2cTvec(), r.c2wRmat(), r.c2wTvec(), k, kInv,
                r.pitchyawHead(), r.faceHeadPose(), null, null, null);
    }

    private Path write(String name, SubjectData d) {
        Path p = dir.resolve(name);
        SubjectWriter.write(p, d);
        return p;
    }

    @Test
    void itemsFollowTheReferenceLoader() {
        SubjectData d = subject(3, 1);
        try (GazeDataset ds = GazeDataset.open(List.of(write("xgaze_subject0000.h5", d)), null, LoaderOptions.defaults())) {
            assertEquals(3, ds.size());
            Sample s = ds.get(2);
            assertEquals(8, s.size());
            // image: BGR bytes -> RGB floats in [0, 1], (3, H, W)
            for (int p = 0; p < 64; p++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals((d.facePatch()[2 * 192 + 3 * p + 2 - c] & 0xff) / 255f, s.image()[c * 64 + p], 0f);
                }
            }
            // head mask: the 6 x 6 square at [1, 7) eroded twice -> the 2 x 2 square at [3, 5)
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    assertEquals(y >= 3 && y < 5 && x >= 3 && x < 5 ? 1f : 0f, s.headMask()[y * 8 + x], "head " + x + "," + y);
                }
            }
            // eye mask not eroded: the single pixel survives
            assertEquals(1f, s.leftEyeMask()[2 * 8 + 2]);
            for (int p = 0; p < 64; p++) {
                assertEquals((d.rightEyeMask()[2 * 64 + p] & 0xff) / 255f >= 0.5f ? 1f : 0f, s.rightEyeMask()[p]);
            }
            // code: iden/expr/text from row 0, illumination from row 2
            for (int i = 0; i < 306; i++) {
                double expected = i < 279 ? d.latentCodes()[i] : d.latentCodes()[2 * 306 + i];
                assertEquals((float) expected, s.code()[i], 0f, "code[" + i + "]");
            }
            assertArrayEquals(floats(d.pitchyawHead(), 4, 2), s.gaze());
            assertArrayEquals(floats(d.faceHeadPose(), 4, 2), s.headPose());
            assertArrayEquals(floats(d.c2wRmat(), 18, 9), s.c2wR());
            assertArrayEquals(floats(d.c2wTvec(), 6, 3), s.c2wT());
            assertArrayEquals(floats(d.w2cRmat(), 18, 9), s.w2cR());
            assertArrayEquals(floats(d.w2cTvec(), 6, 3), s.w2cT());
            assertArrayEquals(floats(d.inmat(), 18, 9), s.intrinsics());
            assertArrayEquals(floats(d.facialLandmarks(), 272, 136), s.landmarks());
            assertEquals(d.camIndex()[2], s.camIndex());
        }
    }

    @Test
    void theFixedExpressionSwitchReplacesTheExpressionPart() {
        ExpressionCode fixed = ExpressionCode.shipped();
        assertTrue(fixed.source().contains("tensor.pt"), fixed.source());
        // the reference file's statistics (section 1.5): mean ~0.003, range [-0.66, 0.62]
        float min = 1;
        float max = -1;
        double mean = 0;
        for (float v : fixed.values()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            mean += v / 79.0;
        }
        assertEquals(-0.6595f, min, 1e-4f);
        assertEquals(0.6194f, max, 1e-4f);
        assertEquals(0.0026, mean, 1e-4);
        SubjectData d = subject(2, 2);
        try (GazeDataset ds = GazeDataset.open(List.of(write("s.h5", d)), null,
                LoaderOptions.defaults().withFixedExpression(fixed))) {
            Sample s = ds.get(1);
            for (int i = 0; i < 306; i++) {
                float expected = i >= 100 && i < 179 ? fixed.values()[i - 100]
                        : (float) (i < 279 ? d.latentCodes()[i] : d.latentCodes()[306 + i]);
                assertEquals(expected, s.code()[i], 0f, "code[" + i + "]");
            }
        }
    }

    @Test
    void resamplingScalesImagesMasksIntrinsicsAndLandmarks() {
        SubjectData d = subject(1, 3);
        try (GazeDataset ds = GazeDataset.open(List.of(write("s.h5", d)), null, LoaderOptions.defaults().withOutputSize(4))) {
            Sample s = ds.get(0);
            assertEquals(4, s.size());
            assertEquals(3 * 16, s.image().length);
            // output pixel (1, 2) = mean of input rows 2-3, columns 4-5 (R = byte 2 of BGR)
            float sum = 0;
            for (int y = 2; y < 4; y++) {
                for (int x = 4; x < 6; x++) {
                    sum += (d.facePatch()[(y * 8 + x) * 3 + 2] & 0xff) / 255f;
                }
            }
            assertEquals(sum / 4, s.image()[1 * 4 + 2], 1e-6f);
            // eroded head square [3, 5) covers a whole output pixel (1, 1) .. (2, 2)? It covers quarter pixels:
            // output (1, 1) = mean of input [2, 4) x [2, 4) = 1/4 -> 0; nothing reaches 0.5
            float headSum = 0;
            for (float v : s.headMask()) {
                headSum += v;
            }
            assertEquals(0f, headSum);
            // K rows 0 and 1 halved; K^-1 consistent
            float[] k = s.intrinsics();
            assertArrayEquals(new float[] {8.12f, 0, 2, 0, 8.12f, 2, 0, 0, 1}, k, 1e-5f);
            float[] ki = s.invIntrinsics();
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    float v = 0;
                    for (int m = 0; m < 3; m++) {
                        v += k[3 * i + m] * ki[3 * m + j];
                    }
                    assertEquals(i == j ? 1f : 0f, v, 1e-6f);
                }
            }
            for (int i = 0; i < 136; i++) {
                assertEquals((float) (d.facialLandmarks()[i] * 0.5), s.landmarks()[i], 1e-6f);
            }
        }
    }

    @Test
    void splitsSelectSubjectsByKeyWithThePrefix() {
        write("mpii_subject0000.h5", subject(2, 4));
        write("mpii_subject0001.h5", subject(3, 5));
        new Splits(Map.of("train", List.of("subject0001.h5"), "val", List.of("subject0000.h5", "subject0001.h5")))
                .write(dir.resolve(Splits.FILE_NAME));
        LoaderOptions mpii = LoaderOptions.defaults().withPrefix(Splits.Prefix.parse("mpii"));
        try (GazeDataset train = GazeDataset.open(dir, "train", mpii); GazeDataset val = GazeDataset.open(dir, "val", mpii)) {
            assertEquals(3, train.size());
            assertEquals("subject0001.h5", train.get(0).subject());
            assertEquals(5, val.size());
            assertEquals(1, val.get(2).subjectIndex());
            assertEquals(0, val.get(2).imageIndex());
            assertEquals(val.index(1, 0), 2);
        }
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> GazeDataset.open(dir, "train", LoaderOptions.defaults()));
        assertTrue(e.getMessage().contains("xgaze_subject0001.h5"), e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> GazeDataset.open(dir, "test", mpii));
        assertTrue(missing.getMessage().contains("'test'"), missing.getMessage());
    }

    private static float[] floats(double[] d, int from, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) d[from + i];
        }
        return f;
    }
}
