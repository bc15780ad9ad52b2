package dev.gazenerf.datasets.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.datasets.h5.DatasetFormatException;
import dev.gazenerf.datasets.h5.SubjectData;
import dev.gazenerf.datasets.h5.SubjectFormat;
import dev.gazenerf.datasets.h5.SubjectWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The synthetic ground-truth gaze dataset: procedural subjects ({@link SubjectParams}) rendered exactly
 * ({@link SyntheticRenderer}) from an ETH-XGaze-like rig ({@link Rig}) at sampled gazes and lights, written in
 * the reference's HDF5 format with everything it holds.
 *
 * <p>Per image (all deterministic from the seed, subject and image number; see {@link #imageSpec}):
 * a rig camera (uniform over the 18) with its direction jittered, a gaze (pitch, yaw) uniform over the
 * configured ranges in the head frame, and a directional light (azimuth +-60, elevation -10..55 degrees,
 * intensity 0.45..0.75, small tint) plus ambient 0.3..0.5.
 *
 * <p>Per file: face_patch (BGR), head / left / right eye masks (255 where at least half a pixel is covered),
 * the 68 landmarks projected from fixed head points, cameras (w2c, c2w, K, K^-1), the 306 code
 * (iden = shape parameters, expr = 0, text = colours and texture, illu = SH of the light, {@link Light#shCode}),
 * pitchyaw_head = the gaze label (exactly the eyeballs' direction), face_head_pose, cam_index, frame_index
 * (the image number mod 256).
 */
public final class SyntheticDataset {
    private SyntheticDataset() {
    }

    /**
     * The config of a generated dataset, written beside it so that evaluation can re-render exact targets
     * ({@link #readConfig}); real datasets have no such file.
     */
    public static final String CONFIG_FILE = "synth_config.json";

    /** Progress of {@link #generate}: called after each image. */
    @FunctionalInterface
    public interface Progress {
        void update(int imagesDone, int imagesTotal);
    }

    /** The parameters of subject {@code subject}, with the config's eye modifiers. */
    public static SubjectParams subject(SynthConfig config, int subject) {
        return SubjectParams.sample(config.seed(), subject).withEyes(config.eyeScale(), config.irisAlbedo());
    }

    /** The camera, light and gaze of image {@code index} of subject {@code subject}. */
    public static ImageSpec imageSpec(SynthConfig config, int subject, int index) {
        SubjectParams params = subject(config, subject);
        SplittableRandom r = new SplittableRandom(Seeds.mix(config.seed(), subject, index));
        int cam = r.nextInt(Rig.CAMERAS);
        double jitter = Math.toRadians(config.cameraJitterDegrees());
        double dYaw = jitter > 0 ? r.nextDouble(-jitter, jitter) : 0;
        double dEl = jitter > 0 ? r.nextDouble(-jitter, jitter) : 0;
        Camera camera = Rig.camera(cam, dYaw, dEl, SyntheticRenderer.faceCentre(params), config.size());
        double maxPitch = Math.toRadians(config.maxPitchDegrees());
        double maxYaw = Math.toRadians(config.maxYawDegrees());
        double pitch = maxPitch > 0 ? r.nextDouble(-maxPitch, maxPitch) : 0;
        double yaw = maxYaw > 0 ? r.nextDouble(-maxYaw, maxYaw) : 0;
        double az = Math.toRadians(r.nextDouble(-60, 60));
        double el = Math.toRadians(r.nextDouble(-10, 55));
        double[] dir = {Math.cos(el) * Math.sin(az), Math.sin(el), Math.cos(el) * Math.cos(az)};
        double intensity = r.nextDouble(0.45, 0.75);
        double[] colour = new double[3];
        for (int c = 0; c < 3; c++) {
            colour[c] = intensity * (1 + r.nextDouble(-0.06, 0.06));
        }
        double amb = r.nextDouble(0.3, 0.5);
        double[] ambient = new double[3];
        for (int c = 0; c < 3; c++) {
            ambient[c] = amb * (1 + r.nextDouble(-0.03, 0.03));
        }
        return new ImageSpec(subject, index, cam, camera, new Light(dir, colour, ambient), pitch, yaw);
    }

    /** The 306-value code: iden | expr (zeros) | text | illu. */
    public static double[] code(SubjectParams params, Light light) {
        double[] code = new double[SubjectFormat.CODE_SIZE];
        System.arraycopy(params.identityCode(), 0, code, 0, SubjectFormat.IDEN);
        System.arraycopy(params.textureCode(), 0, code, SubjectFormat.TEXT_OFFSET, SubjectFormat.TEXT);
        System.arraycopy(light.shCode(), 0, code, SubjectFormat.ILLU_OFFSET, SubjectFormat.ILLU);
        return code;
    }

    /** Renders the exact image of one image spec (the evaluation ground truth). */
    public static Rendering render(SyntheticRenderer renderer, SynthConfig config, ImageSpec spec) {
        return renderer.render(subject(config, spec.subject()), spec.camera(), spec.light(), spec.pitch(), spec.yaw());
    }

    /** Renders all images of one subject into the format's arrays; {@code afterImage} may be null. */
    public static SubjectData renderSubject(SynthConfig config, int subject, SyntheticRenderer renderer,
            Runnable afterImage) {
        int n = config.imagesPerSubject();
        int s = config.size();
        int px = s * s;
        SubjectParams params = subject(config, subject);
        double[] lm3 = SyntheticRenderer.landmarks3d(params);
        byte[] face = new byte[n * px * 3];
        byte[] head = new byte[n * px];
        byte[] left = new byte[n * px];
        byte[] right = new byte[n * px];
        double[] landmarks = new double[n * 136];
        int[] cams = new int[n];
        int[] frames = new int[n];
        double[] codes = new double[n * 306];
        double[] w2cR = new double[n * 9];
        double[] w2cT = new double[n * 3];
        double[] c2wR = new double[n * 9];
        double[] c2wT = new double[n * 3];
        double[] k = new double[n * 9];
        double[] kInv = new double[n * 9];
        double[] gaze = new double[n * 2];
        double[] pose = new double[n * 2];
        double[] uv = new double[2];
        for (int i = 0; i < n; i++) {
            ImageSpec spec = imageSpec(config, subject, i);
            Camera cam = spec.camera();
            Rendering img = renderer.render(params, cam, spec.light(), spec.pitch(), spec.yaw());
            System.arraycopy(img.bgrBytes(), 0, face, i * px * 3, px * 3);
            System.arraycopy(Rendering.maskBytes(img.head()), 0, head, i * px, px);
            System.arraycopy(Rendering.maskBytes(img.leftEye()), 0, left, i * px, px);
            System.arraycopy(Rendering.maskBytes(img.rightEye()), 0, right, i * px, px);
            for (int j = 0; j < 68; j++) {
                cam.project(lm3[3 * j], lm3[3 * j + 1], lm3[3 * j + 2], uv);
                landmarks[i * 136 + 2 * j] = uv[0];
                landmarks[i * 136 + 2 * j + 1] = uv[1];
            }
            cams[i] = spec.cameraIndex();
            frames[i] = i % 256;
            System.arraycopy(code(params, spec.light()), 0, codes, i * 306, 306);
            System.arraycopy(cam.w2cR(), 0, w2cR, i * 9, 9);
            System.arraycopy(cam.w2cT(), 0, w2cT, i * 3, 3);
            System.arraycopy(cam.c2wR(), 0, c2wR, i * 9, 9);
            System.arraycopy(cam.c2wT(), 0, c2wT, i * 3, 3);
            System.arraycopy(cam.intrinsics(), 0, k, i * 9, 9);
            System.arraycopy(cam.inverseIntrinsics(), 0, kInv, i * 9, 9);
            gaze[2 * i] = spec.pitch();
            gaze[2 * i + 1] = spec.yaw();
            double[] hp = GazeConvention.headPose(cam);
            pose[2 * i] = hp[0];
            pose[2 * i + 1] = hp[1];
            if (afterImage != null) {
                afterImage.run();
            }
        }
        return new SubjectData(n, s, s, face, head, left, right, landmarks, cams, frames, codes, w2cR, w2cT, c2wR, c2wT,
                k, kInv, gaze, pose, null, null, null);
    }

    /** Writes a config as JSON (temporary file, then rename). */
    static void writeConfig(SynthConfig config, Path json) {
        try {
            Path tmp = Files.createTempFile(json.toAbsolutePath().getParent(), "." + json.getFileName(), ".tmp");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), config);
            Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DatasetFormatException(json, null, "cannot write", e);
        }
    }

    /**
     * The config of the synthetic dataset in {@code dir} ({@link #CONFIG_FILE}); a config written before the eye
     * modifiers existed (no {@code eyeScale} / {@code irisAlbedo}) reads with both at 1, the eyes it was made with.
     */
    public static SynthConfig readConfig(Path dir) {
        Path json = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(json)) {
            throw new DatasetFormatException(json, null, "no such file (not a synthetic dataset?)");
        }
        try {
            ObjectMapper m = new ObjectMapper();
            JsonNode tree = m.readTree(json.toFile());
            if (tree instanceof ObjectNode o) {
                if (!o.has("eyeScale")) {
                    o.put("eyeScale", 1.0);
                }
                if (!o.has("irisAlbedo")) {
                    o.put("irisAlbedo", 1.0);
                }
            }
            return m.treeToValue(tree, SynthConfig.class);
        } catch (IOException | RuntimeException e) {
            throw new DatasetFormatException(json, null, "not a synthetic dataset config", e);
        }
    }

    /**
     * Generates the dataset into {@code dir}: {@code <prefix>subjectNNNN.h5} per subject,
     * {@code train_test_split.json} (the last {@link SynthConfig#heldOut()} subjects in val, val_gaze, test and
     * test_specific, the others in train), {@code contact_sheet.png} and {@link #CONFIG_FILE}.
     *
     * @param progress called after each image; may be null
     */
    public static SynthSummary generate(SynthConfig config, Path dir, Progress progress) {
        if (config == null || dir == null) {
            throw new IllegalArgumentException("SyntheticDataset.generate: config and dir must not be null");
        }
        long start = System.nanoTime();
        int total = config.subjects() * config.imagesPerSubject();
        int[] done = {0};
        List<Path> files = new ArrayList<>();
        List<String> train = new ArrayList<>();
        List<String> val = new ArrayList<>();
        int held = config.heldOut();
        ContactSheet sheet = new ContactSheet(8, 8, 128);
        try (SyntheticRenderer renderer = new SyntheticRenderer(config.threads(), config.supersampling())) {
            for (int s = 0; s < config.subjects(); s++) {
                SubjectData data = renderSubject(config, s, renderer, () -> {
                    done[0]++;
                    if (progress != null) {
                        progress.update(done[0], total);
                    }
                });
                String key = Splits.key(s);
                Path file = Splits.file(dir, config.prefix(), key);
                SubjectWriter.write(file, data);
                files.add(file);
                sheet.addRow(data);
                if (s >= config.subjects() - held) {
                    val.add(key);
                } else {
                    train.add(key);
                }
            }
        }
        if (val.isEmpty()) {
            val.addAll(train);
        }
        Map<String, List<String>> sets = new LinkedHashMap<>();
        sets.put(Splits.TRAIN, train);
        sets.put(Splits.VAL, val);
        sets.put(Splits.VAL_GAZE, val);
        sets.put(Splits.TEST, val);
        sets.put(Splits.TEST_SPECIFIC, val);
        Path split = dir.resolve(Splits.FILE_NAME);
        new Splits(sets).write(split);
        Path png = dir.resolve("contact_sheet.png");
        sheet.write(png);
        writeConfig(config, dir.resolve(CONFIG_FILE));
        double seconds = (System.nanoTime() - start) / 1e9;
        return new SynthSummary(dir, List.copyOf(files), split, png, config.subjects(), total, config.size(),
                config.seed(), List.copyOf(train), List.copyOf(val), seconds);
    }
}
