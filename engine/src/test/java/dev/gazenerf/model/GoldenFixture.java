package dev.gazenerf.model;

import dev.gazenerf.io.SafeTensors;
import dev.gazenerf.tensor.ParamLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The golden fixture of {@link GazeNerfModelGoldenTest}: a small GazeNeRF (the {@link #config()} below) with
 * PyTorch-style random parameters and inputs, written in the format of {@code tools/golden/gazenerf_reference.py}
 * (reference names, NCHW images). Regenerate with {@code engine/src/test/resources/dev/gazenerf/model/make_golden.sh}.
 */
public final class GoldenFixture {
    static final int IMAGES = 2;

    private GoldenFixture() {
    }

    /** 4x4 rays, 6 samples, 2 frequencies, width 16, 8 layers (skip after 4), 9 channels, 16x16 output (2 blocks). */
    static Preset config() {
        return new Preset("golden", 4, 6, 2, 16, 8, 9, 16, 4, 3, 2, 2, 1, 2, 2.5f, -3.5f, false, false, 8);
    }

    /** The config as the reference script's JSON metadata. */
    static String configJson(Preset p) {
        return "{\"featmap_size\": " + p.featmapSize() + ", \"samples\": " + p.samples() + ", \"frequencies\": "
                + p.frequencies() + ", \"depth_near\": " + p.depthNear() + ", \"depth_far\": " + p.depthFar()
                + ", \"feature_channels\": " + p.featureChannels() + ", \"output_size\": " + p.outputSize()
                + ", \"min_renderer_channels\": " + p.minRendererChannels() + ", \"pixel_centres\": "
                + p.pixelCentres() + ", \"gaze_free_face\": " + p.gazeFreeFace() + ", \"mlp_layers\": "
                + p.mlpLayers() + "}";
    }

    /** Every parameter under its reference name, as slices of the model's three buffers. */
    static Map<String, SafeTensors.Tensor> parameters(GazeNerfModel m, GazeNerfModel.Parameters p) {
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        add(t, GazeNerfModel.EYES + ".", m.eyeMlp().layout(), p.eyes);
        add(t, GazeNerfModel.FACE + ".", m.faceMlp().layout(), p.face);
        add(t, GazeNerfModel.RENDERER + ".", m.rendererLayout(), p.renderer);
        return t;
    }

    private static void add(Map<String, SafeTensors.Tensor> t, String prefix, ParamLayout layout, float[] values) {
        for (ParamLayout.Slice s : layout.slices()) {
            t.put(prefix + s.name(), new SafeTensors.Tensor(s.shape(), values, s.offset()));
        }
    }

    static float[] uniform(SplittableRandom rng, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        return a;
    }

    /** Writes the inputs file: {@code GoldenFixture OUT.safetensors}. */
    public static void main(String[] args) throws IOException {
        Preset cfg = config();
        GazeNerfModel m = new GazeNerfModel(cfg);
        GazeNerfModel.Parameters p = m.newParameters(2023);
        SplittableRandom rng = new SplittableRandom(7);
        // a background map that is not all ones, so its gradient and its use are visible
        float[] bg = uniform(rng, m.renderer().backgroundParameterCount(), 0.5, 1.5);
        System.arraycopy(bg, 0, p.renderer, m.renderer().backgroundOffset(), bg.length);
        Map<String, SafeTensors.Tensor> t = parameters(m, p);
        int b = IMAGES;
        t.put("input.shape_code", SafeTensors.Tensor.of(uniform(rng, b * m.shapeDims(), -0.5, 0.5), b, m.shapeDims()));
        t.put("input.appea_code", SafeTensors.Tensor.of(uniform(rng, b * cfg.appearanceDims(), -0.5, 0.5), b,
                cfg.appearanceDims()));
        t.put("input.gaze", SafeTensors.Tensor.of(new float[] {0.2f, -0.3f, -0.1f, 0.4f}, b, 2));
        float[] rot = new float[b * 9];
        float[] invK = new float[b * 9];
        for (int n = 0; n < b; n++) {
            float[] r = {1, 0, 0, 0, -1, 0, 0, 0, -1};       // looking down -z
            System.arraycopy(r, 0, rot, 9 * n, 9);
            float f = 4f + n;
            float[] k = {1 / f, 0, -1.5f / f, 0, 1 / f, -1.5f / f, 0, 0, 1};
            System.arraycopy(k, 0, invK, 9 * n, 9);
        }
        t.put("input.c2w_R", SafeTensors.Tensor.of(rot, b, 3, 3));
        t.put("input.c2w_T", SafeTensors.Tensor.of(new float[] {0.1f, -0.1f, 5f, -0.2f, 0.05f, 4.8f}, b, 3));
        t.put("input.inv_inmat", SafeTensors.Tensor.of(invK, b, 3, 3));
        t.put("input.delta_euler", SafeTensors.Tensor.of(new float[] {0.02f, -0.01f, 0.03f, -0.02f, 0.01f, 0f}, b, 3));
        t.put("input.delta_T", SafeTensors.Tensor.of(new float[] {0.01f, 0.02f, -0.05f, 0f, -0.01f, 0.02f}, b, 3));
        int o = cfg.outputSize();
        t.put("proj.merge_img", SafeTensors.Tensor.of(uniform(rng, b * 3 * o * o, -1, 1), b, 3, o, o));
        t.put("proj.merge_img_face", SafeTensors.Tensor.of(uniform(rng, b * 3 * o * o, -1, 1), b, 3, o, o));
        t.put("proj.merge_img_eyes", SafeTensors.Tensor.of(uniform(rng, b * 3 * o * o, -1, 1), b, 3, o, o));
        t.put("proj.bg_img", SafeTensors.Tensor.of(uniform(rng, 3 * o * o, -1, 1), 1, 3, o, o));
        SafeTensors.write(Path.of(args[0]), t, Map.of("config", configJson(cfg)));
    }
}
