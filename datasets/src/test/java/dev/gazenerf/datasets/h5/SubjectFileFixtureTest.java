package dev.gazenerf.datasets.h5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads the h5py-written fixtures (datasets/src/test/python/make_h5_fixture.py): LZF-compressed chunked
 * face_patch, deflate-compressed chunked masks, contiguous float64 / float32 / uint8 / int64 keys; chunks of one
 * image each or spatial tiles.
 * Every value is compared with the script's closed formulas.
 */
public class SubjectFileFixtureTest {
    static final int N = 3;
    static final int H = 6;
    static final int W = 5;

    public static Path fixture() throws URISyntaxException {
        return fixture("h5py_fixture.h5");
    }

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(SubjectFileFixtureTest.class.getResource(name).toURI());
    }

    /** The script's fval: key + 0.5 n + sum_k (k + 1) 0.01 v_k over the indices after n. */
    static double fval(int keyId, int n, int... rest) {
        double v = keyId + 0.5 * n;
        for (int k = 0; k < rest.length; k++) {
            v += (k + 1) * 0.01 * rest[k];
        }
        return v;
    }

    /** One image per chunk, v1 B-tree index (as the reference files); and spatial tiles, HDF5 1.10 indexes. */
    @ParameterizedTest
    @ValueSource(strings = {"h5py_fixture.h5", "h5py_fixture_tiled.h5"})
    void readsEveryKeyOfTheH5pyFixture(String name) throws Exception {
        try (SubjectFile f = SubjectFile.open(fixture(name))) {
            assertEquals(N, f.count());
            assertEquals(H, f.height());
            assertEquals(W, f.width());
            byte[] face = new byte[H * W * 3];
            byte[] mask = new byte[H * W];
            for (int n = 0; n < N; n++) {
                f.readRow(SubjectFormat.FACE_PATCH, n, face, 0);
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        for (int c = 0; c < 3; c++) {
                            assertEquals((n * 37 + y * 11 + (x / 3) * 5 + c * 71) % 256, face[(y * W + x) * 3 + c] & 0xff);
                        }
                    }
                }
                f.readRow(SubjectFormat.HEAD_MASK, n, mask, 0);
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        assertEquals((x + y + n) % 3 == 0 ? 255 : 0, mask[y * W + x] & 0xff);
                    }
                }
                f.readRow(SubjectFormat.LEFT_EYE_MASK, n, mask, 0);
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        assertEquals(x < 2 && y == n + 1 ? 255 : 0, mask[y * W + x] & 0xff);
                    }
                }
                f.readRow(SubjectFormat.RIGHT_EYE_MASK, n, mask, 0);
                for (int y = 0; y < H; y++) {
                    for (int x = 0; x < W; x++) {
                        assertEquals(x >= 3 && y == n + 2 ? 255 : 0, mask[y * W + x] & 0xff);
                    }
                }
                double[] lm = f.floatRow(SubjectFormat.FACIAL_LANDMARKS, n);
                for (int p = 0; p < 68; p++) {
                    for (int j = 0; j < 2; j++) {
                        assertEquals(fval(1, n, p, j), lm[p * 2 + j], 1e-12);
                    }
                }
                double[] code = f.floatRow(SubjectFormat.LATENT_CODES, n);
                for (int j = 0; j < 306; j++) {
                    assertEquals(fval(2, n, j), code[j], 1e-12);
                }
                SubjectFormat.Key[] mats = {SubjectFormat.W2C_RMAT, SubjectFormat.C2W_RMAT, SubjectFormat.INMAT,
                    SubjectFormat.INV_INMAT};
                int[] matIds = {3, 5, 7, 8};
                for (int m = 0; m < 4; m++) {
                    double[] r = f.floatRow(mats[m], n);
                    for (int a = 0; a < 3; a++) {
                        for (int b = 0; b < 3; b++) {
                            assertEquals(fval(matIds[m], n, a, b), r[a * 3 + b], 1e-12, mats[m].name());
                        }
                    }
                }
                for (int j = 0; j < 3; j++) {
                    assertEquals(fval(4, n, j), f.floatRow(SubjectFormat.W2C_TVEC, n)[j], 1e-12);
                    assertEquals(fval(6, n, j), f.floatRow(SubjectFormat.C2W_TVEC, n)[j], 1e-12);
                }
                for (int j = 0; j < 2; j++) {
                    assertEquals(fval(9, n, j), f.floatRow(SubjectFormat.PITCHYAW_HEAD, n)[j], 1e-12);
                    // face_head_pose is float32 in the fixture
                    assertEquals((float) fval(10, n, j), f.floatRow(SubjectFormat.FACE_HEAD_POSE, n)[j], 0.0);
                }
                assertEquals(n, f.intValue(SubjectFormat.FRAME_INDEX, n));
            }
            assertEquals(200, f.intValue(SubjectFormat.CAM_INDEX, 0), "uint8 above 127 read unsigned");
            assertEquals(7, f.intValue(SubjectFormat.CAM_INDEX, 1));
            assertEquals(17, f.intValue(SubjectFormat.CAM_INDEX, 2));
            assertTrue(f.has(SubjectFormat.FRAME_INDEX));
            assertFalse(f.has(SubjectFormat.FACE_CENTER));
        }
    }
}
