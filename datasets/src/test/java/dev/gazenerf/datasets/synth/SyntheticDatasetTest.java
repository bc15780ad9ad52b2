package dev.gazenerf.datasets.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gazenerf.datasets.Splits;
import dev.gazenerf.datasets.h5.SubjectData;
import dev.gazenerf.datasets.h5.SubjectFile;
import dev.gazenerf.datasets.h5.SubjectFormat;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator writes a complete, deterministic dataset whose every key says what was rendered. */
class SyntheticDatasetTest {
    @TempDir
    Path dir;

    @Test
    void generatesFilesSplitAndContactSheetWithExactContent() throws Exception {
        SynthConfig config = SynthConfig.defaults(3, 3, 32, 42);
        int[] calls = {0, 0};
        SynthSummary summary = SyntheticDataset.generate(config, dir, (done, total) -> {
            calls[0]++;
            assertEquals(calls[0], done);
            calls[1] = total;
        });
        assertEquals(9, calls[0]);
        assertEquals(9, calls[1]);
        assertEquals(9, summary.images());
        assertEquals(List.of("subject0000.h5", "subject0001.h5"), summary.trainSubjects());
        assertEquals(List.of("subject0002.h5"), summary.valSubjects());
        assertTrue(Files.isRegularFile(dir.resolve("xgaze_subject0002.h5")));
        Splits splits = Splits.read(dir.resolve("train_test_split.json"));
        assertEquals(List.of("subject0000.h5", "subject0001.h5"), splits.keys(Splits.TRAIN));
        for (String set : new String[] {Splits.VAL, Splits.VAL_GAZE, Splits.TEST, Splits.TEST_SPECIFIC}) {
            assertEquals(List.of("subject0002.h5"), splits.keys(set));
        }
        assertEquals(config, SyntheticDataset.readConfig(dir));
        BufferedImage sheet = ImageIO.read(summary.contactSheet().toFile());
        assertEquals(3 * (32 + 2) + 2, sheet.getWidth());
        assertEquals(3 * (32 + 2) + 2, sheet.getHeight());

        try (SyntheticRenderer renderer = new SyntheticRenderer(1, config.supersampling())) {
            for (int s = 0; s < 3; s++) {
                SubjectParams params = SyntheticDataset.subject(config, s);
                try (SubjectFile f = SubjectFile.open(summary.subjectFiles().get(s))) {
                    assertEquals(3, f.count());
                    assertEquals(32, f.height());
                    SubjectData d = f.readAll();
                    for (int i = 0; i < 3; i++) {
                        ImageSpec spec = SyntheticDataset.imageSpec(config, s, i);
                        // the exact-image call reproduces the stored image and masks bit for bit
                        Rendering img = SyntheticDataset.render(renderer, config, spec);
                        int px = 32 * 32;
                        assertArrayEquals(img.bgrBytes(), slice(d.facePatch(), i * px * 3, px * 3));
                        assertArrayEquals(Rendering.maskBytes(img.head()), slice(d.headMask(), i * px, px));
                        assertArrayEquals(Rendering.maskBytes(img.leftEye()), slice(d.leftEyeMask(), i * px, px));
                        assertArrayEquals(Rendering.maskBytes(img.rightEye()), slice(d.rightEyeMask(), i * px, px));
                        // labels, cameras, codes
                        assertArrayEquals(new double[] {spec.pitch(), spec.yaw()}, f.floatRow(SubjectFormat.PITCHYAW_HEAD, i), 0);
                        assertTrue(Math.abs(spec.pitch()) <= Math.toRadians(40) && Math.abs(spec.yaw()) <= Math.toRadians(50));
                        assertArrayEquals(GazeConvention.headPose(spec.camera()), f.floatRow(SubjectFormat.FACE_HEAD_POSE, i), 0);
                        assertArrayEquals(spec.camera().w2cR(), f.floatRow(SubjectFormat.W2C_RMAT, i), 0);
                        assertArrayEquals(spec.camera().c2wT(), f.floatRow(SubjectFormat.C2W_TVEC, i), 0);
                        assertArrayEquals(new double[] {32 * 1039.36 / 512, 0, 16, 0, 32 * 1039.36 / 512, 16, 0, 0, 1},
                                f.floatRow(SubjectFormat.INMAT, i), 1e-12);
                        assertEquals(spec.cameraIndex(), f.intValue(SubjectFormat.CAM_INDEX, i));
                        assertArrayEquals(SyntheticRenderer.landmarks(params, spec.camera()),
                                f.floatRow(SubjectFormat.FACIAL_LANDMARKS, i), 1e-9);
                        double[] code = f.floatRow(SubjectFormat.LATENT_CODES, i);
                        assertArrayEquals(params.identityCode(), java.util.Arrays.copyOfRange(code, 0, 100), 0);
                        assertArrayEquals(new double[79], java.util.Arrays.copyOfRange(code, 100, 179), 0);
                        assertArrayEquals(params.textureCode(), java.util.Arrays.copyOfRange(code, 179, 279), 0);
                        assertArrayEquals(spec.light().shCode(), java.util.Arrays.copyOfRange(code, 279, 306), 0);
                        for (double c : code) {
                            assertTrue(Math.abs(c) <= 2.5, "code values about unit range: " + c);
                        }
                    }
                }
            }
        }
        // deterministic: the same seed writes the same content
        Path again = dir.resolve("again");
        SyntheticDataset.generate(config.withThreads(1), again, null);
        try (SubjectFile a = SubjectFile.open(summary.subjectFiles().get(1));
                SubjectFile b = SubjectFile.open(again.resolve("xgaze_subject0001.h5"))) {
            SubjectData x = a.readAll();
            SubjectData y = b.readAll();
            assertArrayEquals(x.facePatch(), y.facePatch());
            assertArrayEquals(x.latentCodes(), y.latentCodes(), 0);
            assertArrayEquals(x.c2wRmat(), y.c2wRmat(), 0);
        }
    }

    @Test
    void subjectsDifferVisibly() {
        SynthConfig config = SynthConfig.defaults(2, 1, 48, 3);
        try (SyntheticRenderer r = new SyntheticRenderer(1, 1)) {
            ImageSpec spec = SyntheticDataset.imageSpec(config, 0, 0);
            Rendering a = r.render(SyntheticDataset.subject(config, 0), spec.camera(), spec.light(), 0, 0);
            Rendering b = r.render(SyntheticDataset.subject(config, 1), spec.camera(), spec.light(), 0, 0);
            double diff = 0;
            for (int i = 0; i < a.rgb().length; i++) {
                diff += Math.abs(a.rgb()[i] - b.rgb()[i]);
            }
            assertTrue(diff / a.rgb().length > 0.03, "mean absolute difference between two identities: " + diff / a.rgb().length);
        }
    }

    /**
     * The eye modifiers make larger, darker eyes, the rest of the data unchanged: codes, cameras and gazes are the
     * same (the cameras up to the small shift of the face centre they aim at), the eye masks cover at least (1.5^2) * 0.8 times the pixels, the generated file still holds the exact
     * renders, and the config round-trips (an old config without the modifiers reads with both at 1).
     */
    @Test
    void eyeModifiersEnlargeAndDarkenTheEyesOnly() throws Exception {
        SynthConfig plain = SynthConfig.defaults(2, 4, 64, 5);
        SynthConfig big = plain.withEyes(1.5, 0.5);
        SyntheticDataset.generate(big, dir, null);
        assertEquals(big, SyntheticDataset.readConfig(dir));
        double plainEye = 0;
        double bigEye = 0;
        try (SyntheticRenderer r = new SyntheticRenderer(1, big.supersampling());
                SubjectFile f = SubjectFile.open(dir.resolve("xgaze_subject0000.h5"))) {
            SubjectData d = f.readAll();
            SubjectParams a = SyntheticDataset.subject(plain, 0);
            SubjectParams b = SyntheticDataset.subject(big, 0);
            assertArrayEquals(a.identityCode(), b.identityCode(), 0);
            assertArrayEquals(a.textureCode(), b.textureCode(), 0);
            assertEquals(1.5 * a.get(SubjectParams.P.EYE_RADIUS), b.eyeRadius(), 1e-15);
            for (int i = 0; i < 4; i++) {
                ImageSpec spec = SyntheticDataset.imageSpec(big, 0, i);
                ImageSpec old = SyntheticDataset.imageSpec(plain, 0, i);
                assertEquals(old.pitch(), spec.pitch());
                // the cameras aim at the face centre, which the eye corners (on the larger lids) move a little
                assertArrayEquals(old.camera().w2cR(), spec.camera().w2cR(), 1e-2);
                Rendering x = SyntheticDataset.render(r, plain, old);
                Rendering y = SyntheticDataset.render(r, big, spec);
                int px = 64 * 64;
                assertArrayEquals(y.bgrBytes(), slice(d.facePatch(), i * px * 3, px * 3));
                for (int q = 0; q < px; q++) {
                    plainEye += x.leftEye()[q] + x.rightEye()[q];
                    bigEye += y.leftEye()[q] + y.rightEye()[q];
                }
            }
        }
        assertTrue(bigEye > 1.5 * 1.5 * 0.8 * plainEye, "eye pixels " + plainEye + " -> " + bigEye);
        // a config written before the modifiers existed
        Path json = dir.resolve(SyntheticDataset.CONFIG_FILE);
        String text = Files.readString(json).replaceAll(",\\s*\"eyeScale\"\\s*:\\s*[0-9.]+", "")
                .replaceAll(",\\s*\"irisAlbedo\"\\s*:\\s*[0-9.]+", "");
        assertTrue(!text.contains("eyeScale") && !text.contains("irisAlbedo"), text);
        Files.writeString(json, text);
        assertEquals(big.withEyes(1, 1), SyntheticDataset.readConfig(dir));
    }

    /**
     * The gaze moves the eyes, and only the eyes: two renders of the same image at two gazes differ only on
     * eyeball pixels, and there strongly (eye-region PSNR under 16 dB for a 0.6 rad turn; the demo's criterion,
     * the redirected eyes beating the eyes at the input's gaze, depends on this gap).
     */
    @Test
    void gazeChangesTheEyeRegionAndNothingElse() {
        for (SynthConfig config : new SynthConfig[] {SynthConfig.defaults(1, 1, 64, 7), SynthConfig.defaults(1, 1, 64, 7).withEyes(1.5, 0.5)}) {
            ImageSpec spec = SyntheticDataset.imageSpec(config, 0, 0);
            try (SyntheticRenderer r = new SyntheticRenderer(1, config.supersampling())) {
                Rendering a = r.render(SyntheticDataset.subject(config, 0), spec.camera(), spec.light(), 0, -0.3);
                Rendering b = r.render(SyntheticDataset.subject(config, 0), spec.camera(), spec.light(), 0.1, 0.3);
                double se = 0;
                int n = 0;
                for (int q = 0; q < 64 * 64; q++) {
                    boolean eye = a.leftEye()[q] > 0 || a.rightEye()[q] > 0;
                    assertEquals(a.leftEye()[q], b.leftEye()[q], 0, "the eye masks do not depend on the gaze");
                    assertEquals(a.head()[q], b.head()[q], 0);
                    for (int c = 0; c < 3; c++) {
                        float d = a.rgb()[3 * q + c] - b.rgb()[3 * q + c];
                        if (!eye) {
                            assertEquals(0, d, 0, "pixel " + q + " outside the eyes changed with the gaze");
                        } else if (a.leftEye()[q] >= 0.5f || a.rightEye()[q] >= 0.5f) {
                            se += d * d;
                            n++;
                        }
                    }
                }
                assertTrue(n > 0);
                double psnr = 10 * Math.log10(n / se);
                assertTrue(psnr < 16, "eye-region PSNR between the two gazes: " + psnr + " dB");
            }
        }
    }

    private static byte[] slice(byte[] a, int from, int n) {
        return java.util.Arrays.copyOfRange(a, from, from + n);
    }
}
