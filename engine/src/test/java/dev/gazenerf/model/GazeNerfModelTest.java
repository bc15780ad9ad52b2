package dev.gazenerf.model;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.nn.GradientChecker;
import dev.gazenerf.render.ParallelRenderKernels;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.ScalarRenderKernels;
import dev.gazenerf.tensor.ParamLayout;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The whole GazeNeRF network: parameter counts, end-to-end finite differences, chunking and kernel parity. */
class GazeNerfModelTest {
    private final Backend be = new ScalarBackend();

    /** 4x4 rays, 4 samples, 2 frequencies, width 8, 4 layers, 6 channels, 8x8 output, tiny codes. */
    static Preset micro(int rayChunk, boolean gazeFreeFace) {
        return micro(rayChunk, gazeFreeFace, 6);
    }

    static Preset micro(int rayChunk, boolean gazeFreeFace, int channels) {
        return new Preset("micro", 4, 4, 2, 8, 4, channels, 8, 2, 3, 2, 2, 1, 2, 2.5f, -3.5f, false, gazeFreeFace,
                rayChunk);
    }

    /** The inputs of a batch of two images. */
    static final class Batch {
        final float[] invK = new float[18];
        final float[] rot = new float[18];
        final float[] trans = {0.1f, -0.1f, 5f, -0.2f, 0.05f, 4.8f};
        final float[] euler = {0.02f, -0.01f, 0.03f, -0.02f, 0.01f, 0.0f};
        final float[] dT = {0.01f, 0.02f, -0.05f, 0f, -0.01f, 0.02f};
        final float[] shape;
        final float[] appearance;
        final float[] gaze = {0.2f, -0.3f, -0.1f, 0.4f};

        Batch(GazeNerfModel m) {
            for (int n = 0; n < 2; n++) {
                float f = 4f;
                float[] k = {1 / f, 0, -1.5f / f, 0, 1 / f, -1.5f / f, 0, 0, 1};
                System.arraycopy(k, 0, invK, 9 * n, 9);
                float[] r = {1, 0, 0, 0, -1, 0, 0, 0, -1};
                System.arraycopy(r, 0, rot, 9 * n, 9);
            }
            SplittableRandom rng = new SplittableRandom(3);
            shape = new float[2 * m.shapeDims()];
            appearance = new float[2 * m.preset().appearanceDims()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = (float) (rng.nextDouble() - 0.5);
            }
            for (int i = 0; i < appearance.length; i++) {
                appearance[i] = (float) (rng.nextDouble() - 0.5);
            }
        }
    }

    @Test
    void paperPresetHasTheReferenceParameterCount() {
        GazeNerfModel m = new GazeNerfModel(Preset.load("paper"));
        assertEquals(1_518_979, m.faceMlp().parameterCount());
        assertEquals(1_518_979, m.eyeMlp().parameterCount());
        assertEquals(920_988 + 1_056_768, m.rendererLayout().size());
        assertEquals(5_015_714L, m.parameterCount());
    }

    @Test
    void tinyPresetStepRunsOnTheVectorBackend() {
        // The built-in tiny preset (16x16 rays, 24 samples, width 64, 48 channels, 64x64 output): one training
        // step end to end, images in (0, 1), every gradient finite and every network receiving some gradient.
        Preset tiny = Preset.load("tiny");
        GazeNerfModel m = new GazeNerfModel(tiny);
        GazeNerfModel.Parameters p = m.newParameters(1);
        GazeNerfModel.Parameters g = m.newZeroParameters();
        GazeNerfModel.Workspace ws = m.newWorkspace(1);
        float f = 16f;
        float[] invK = {1 / f, 0, -7.5f / f, 0, 1 / f, -7.5f / f, 0, 0, 1};
        float[] rot = {1, 0, 0, 0, -1, 0, 0, 0, -1};
        float[] shape = new float[m.shapeDims()];
        float[] app = new float[tiny.appearanceDims()];
        float[] gaze = {0.1f, -0.2f};
        int img = tiny.outputSize() * tiny.outputSize() * 3;
        float[] dImg = new float[img];
        java.util.Arrays.fill(dImg, 1f / img);
        float[] dGaze = new float[2];
        float[] dEuler = new float[3];
        try (Backend vector = dev.gazenerf.backend.Backends.create("vector");
             RenderKernels rk = RenderKernels.forBackend(vector)) {
            m.forward(vector, rk, ws, p, invK, rot, new float[] {0, 0, 5}, new float[3], new float[3], shape, app,
                    gaze, 1, true, 3);
            m.backward(vector, rk, ws, p, g, dImg, dImg, dImg, dImg, null, null, dGaze, dEuler, null);
        }
        for (float v : ws.mergeImage()) {
            assertTrue(v > 0f && v < 1f, "pixel " + v);
        }
        for (float[] grads : new float[][] {g.face, g.eyes, g.renderer, dGaze, dEuler}) {
            boolean some = false;
            for (float v : grads) {
                assertTrue(Float.isFinite(v));
                some |= v != 0f;
            }
            assertTrue(some, "a gradient buffer stayed zero");
        }
    }

    @Test
    void forwardGivesFourImagesInTheUnitInterval() {
        GazeNerfModel m = new GazeNerfModel(micro(16, false));
        GazeNerfModel.Parameters p = m.newParameters(1);
        GazeNerfModel.Workspace ws = m.newWorkspace(2);
        Batch b = new Batch(m);
        try (RenderKernels rk = new ScalarRenderKernels()) {
            m.forward(be, rk, ws, p, b.invK, b.rot, b.trans, b.euler, b.dT, b.shape, b.appearance, b.gaze, 2, false, 0);
        }
        for (float[] img : new float[][] {ws.mergeImage(), ws.faceImage(), ws.eyesImage(), ws.backgroundImage()}) {
            for (float v : img) {
                assertTrue(v > 0f && v < 1f, "pixel " + v);
            }
        }
        assertEquals(2 * 8 * 8 * 3, ws.mergeImage().length);
    }

    private static void runStep(GazeNerfModel m, Backend be, RenderKernels rk, GazeNerfModel.Workspace ws,
                                GazeNerfModel.Parameters p, GazeNerfModel.Parameters g, Batch b, float[][] dImg,
                                float[] dShape, float[] dApp, float[] dGaze, float[] dEuler, float[] dTrans) {
        m.forward(be, rk, ws, p, b.invK, b.rot, b.trans, b.euler, b.dT, b.shape, b.appearance, b.gaze, 2, true, 11);
        m.backward(be, rk, ws, p, g, dImg[0], dImg[1], dImg[2], dImg[3], dShape, dApp, dGaze, dEuler, dTrans);
    }

    @Test
    void chunkingChangesNoImageBitAndOnlyTheRoundingOfGradients() {
        float[][] results = new float[2][];
        float[][] images = new float[2][];
        for (int k = 0; k < 2; k++) {
            GazeNerfModel m = new GazeNerfModel(micro(k == 0 ? 16 : 3, false));   // 3 does not divide 16 rays
            GazeNerfModel.Parameters p = m.newParameters(4);
            GazeNerfModel.Parameters g = m.newZeroParameters();
            GazeNerfModel.Workspace ws = m.newWorkspace(2);
            Batch b = new Batch(m);
            float[][] dImg = dImages(5);
            float[] dShape = new float[b.shape.length];
            float[] dGaze = new float[4];
            float[] dEuler = new float[6];
            try (RenderKernels rk = new ScalarRenderKernels()) {
                runStep(m, be, rk, ws, p, g, b, dImg, dShape, null, dGaze, dEuler, null);
            }
            images[k] = concat(ws.mergeImage(), ws.faceImage(), ws.eyesImage(), ws.backgroundImage());
            results[k] = concat(g.face, g.eyes, g.renderer, dShape, dGaze, dEuler);
        }
        // Forward: every point's MLP row and every ray are computed alone, so chunking changes no bit.
        for (int i = 0; i < images[0].length; i++) {
            if (Float.floatToIntBits(images[0][i]) != Float.floatToIntBits(images[1][i])) {
                fail("chunked image differs at " + i + ": " + images[0][i] + " vs " + images[1][i]);
            }
        }
        // Backward: parameter and code gradients are sums over points, added chunk by chunk, so only the
        // rounding order changes. Measured worst difference 4.8e-7 (gradients up to ~10); tolerance 1e-6 + 1e-5 relative.
        double worst = 0;
        for (int i = 0; i < results[0].length; i++) {
            double err = Math.abs(results[0][i] - results[1][i]);
            worst = Math.max(worst, err);
            if (err > 1e-6 + 1e-5 * Math.abs(results[0][i])) {
                fail("chunked gradient differs at " + i + ": " + results[0][i] + " vs " + results[1][i]);
            }
        }
        System.out.println("chunked vs whole-image gradients: worst difference " + worst);
    }

    @Test
    void keptMlpCachesGiveTheSameBitsAsRecomputation() {
        // Backward either keeps every chunk's MLP caches from forward or recomputes the chunk's MLP forward; the
        // recomputation is bit-identical, so images and every gradient must agree bit for bit. Rays chunked by 3
        // (16 rays: a partial last chunk), 2 images, every backend.
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of("scalar"));
        names.addAll(dev.gazenerf.backend.TestBackends.parityBackends());
        for (String name : names) {
            float[][] results = new float[2][];
            for (int k = 0; k < 2; k++) {
                GazeNerfModel m = new GazeNerfModel(micro(3, false));
                GazeNerfModel.Parameters p = m.newParameters(4);
                GazeNerfModel.Parameters g = m.newZeroParameters();
                GazeNerfModel.Workspace ws = m.newWorkspace(2, k == 0);
                Batch b = new Batch(m);
                float[] dShape = new float[b.shape.length];
                float[] dApp = new float[b.appearance.length];
                float[] dGaze = new float[4];
                float[] dEuler = new float[6];
                float[] dTrans = new float[6];
                try (Backend backend = name.equals("scalar") ? new ScalarBackend()
                        : dev.gazenerf.backend.TestBackends.create(name);
                     RenderKernels rk = RenderKernels.forBackend(backend)) {
                    runStep(m, backend, rk, ws, p, g, b, dImages(5), dShape, dApp, dGaze, dEuler, dTrans);
                }
                results[k] = concat(ws.mergeImage(), ws.faceImage(), ws.eyesImage(), ws.backgroundImage(), g.face,
                        g.eyes, g.renderer, dShape, dApp, dGaze, dEuler, dTrans);
            }
            for (int i = 0; i < results[0].length; i++) {
                if (Float.floatToIntBits(results[0][i]) != Float.floatToIntBits(results[1][i])) {
                    fail(name + ": kept vs recomputed differ at " + i + ": " + results[0][i] + " vs "
                            + results[1][i]);
                }
            }
        }
    }

    @Test
    void parallelKernelsMatchScalar() {
        // 39 feature channels: wider than a 512-bit vector, so the vectorized compositing runs (with a tail).
        // Measured worst |parallel - scalar| over the images and every gradient: 7.2e-7
        // (JDK 17, 512-bit species); tolerance 1.5e-6 absolute + 1e-6 relative.
        float[][] results = new float[2][];
        for (int k = 0; k < 2; k++) {
            GazeNerfModel m = new GazeNerfModel(micro(5, false, 39));
            GazeNerfModel.Parameters p = m.newParameters(4);
            GazeNerfModel.Parameters g = m.newZeroParameters();
            GazeNerfModel.Workspace ws = m.newWorkspace(2);
            Batch b = new Batch(m);
            float[] dShape = new float[b.shape.length];
            float[] dApp = new float[b.appearance.length];
            float[] dGaze = new float[4];
            float[] dEuler = new float[6];
            float[] dTrans = new float[6];
            try (RenderKernels rk = k == 0 ? new ScalarRenderKernels() : new ParallelRenderKernels(3)) {
                runStep(m, be, rk, ws, p, g, b, dImages(6), dShape, dApp, dGaze, dEuler, dTrans);
            }
            results[k] = concat(ws.mergeImage(), ws.faceImage(), ws.eyesImage(), ws.backgroundImage(),
                    g.face, g.eyes, g.renderer, dShape, dApp, dGaze, dEuler, dTrans);
        }
        double worst = 0;
        for (int i = 0; i < results[0].length; i++) {
            double err = Math.abs(results[0][i] - results[1][i]);
            worst = Math.max(worst, err);
            if (err > 1.5e-6 + 1e-6 * Math.abs(results[0][i])) {
                fail("parallel differs at " + i + ": " + results[0][i] + " vs " + results[1][i]);
            }
        }
        System.out.println("GazeNerfModel parallel vs scalar worst error " + worst);
    }

    /**
     * Moves the parameters into the smooth regime of every ReLU and LeakyReLU: MLP biases +3 and weights
     * x0.3, renderer LeakyReLU-layer biases +4 and weights x0.5, so no activation input sits within a
     * finite-difference step of its kink (with PyTorch's random init hundreds of points do, and central
     * differences straddling kinks are off by several percent).
     */
    static void smooth(GazeNerfModel m, GazeNerfModel.Parameters p) {
        for (int k = 0; k < 2; k++) {
            ParamLayout layout = k == 0 ? m.faceMlp().layout() : m.eyeMlp().layout();
            float[] v = k == 0 ? p.face : p.eyes;
            for (ParamLayout.Slice s : layout.slices()) {
                for (int i = 0; i < s.size(); i++) {
                    if (s.name().endsWith(".bias")) {
                        v[s.offset() + i] += 3f;
                    } else {
                        v[s.offset() + i] *= 0.3f;
                    }
                }
            }
        }
        for (ParamLayout.Slice s : m.rendererLayout().slices()) {
            if (s.name().startsWith("feat_2_rgb_list") || s.name().equals("bg_featmap")) {
                continue;
            }
            for (int i = 0; i < s.size(); i++) {
                if (s.name().endsWith(".bias")) {
                    p.renderer[s.offset() + i] += 4f;
                } else {
                    p.renderer[s.offset() + i] *= 0.5f;
                }
            }
        }
    }

    /**
     * The whole step on another backend with the kernels it selects ({@code vector}: blocked Vector API gemms
     * and {@link ParallelRenderKernels}; {@code opencl}: the device's gemms and {@code OpenClRenderKernels}),
     * against scalar + {@link ScalarRenderKernels}. Measured worst |diff| / (1 + |scalar|) over the four images
     * and every gradient: vector 7.2e-7 (JDK 17, 512-bit species), opencl 6.4e-7 (PoCL 3.1, CPU device).
     * Tolerance 1.5e-6. Without an OpenCL device the opencl case skips with the reason (fails in CI).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"vector", "opencl"})
    void otherBackendsMatchScalar(String name) {
        float[][] results = new float[2][];
        for (int k = 0; k < 2; k++) {
            GazeNerfModel m = new GazeNerfModel(micro(5, false, 39));
            GazeNerfModel.Parameters p = m.newParameters(4);
            GazeNerfModel.Parameters g = m.newZeroParameters();
            GazeNerfModel.Workspace ws = m.newWorkspace(2);
            Batch b = new Batch(m);
            float[] dShape = new float[b.shape.length];
            float[] dApp = new float[b.appearance.length];
            float[] dGaze = new float[4];
            float[] dEuler = new float[6];
            float[] dTrans = new float[6];
            try (Backend backend = k == 0 ? new ScalarBackend() : dev.gazenerf.backend.TestBackends.create(name);
                 RenderKernels rk = RenderKernels.forBackend(backend)) {
                runStep(m, backend, rk, ws, p, g, b, dImages(6), dShape, dApp, dGaze, dEuler, dTrans);
            }
            results[k] = concat(ws.mergeImage(), ws.faceImage(), ws.eyesImage(), ws.backgroundImage(),
                    g.face, g.eyes, g.renderer, dShape, dApp, dGaze, dEuler, dTrans);
        }
        double worst = 0;
        for (int i = 0; i < results[0].length; i++) {
            double err = Math.abs(results[0][i] - results[1][i]);
            worst = Math.max(worst, err / (1 + Math.abs(results[0][i])));
        }
        System.out.println("GazeNerfModel " + name + " vs scalar worst error " + worst);
        assertTrue(worst < 1.5e-6, "worst |" + name + " - scalar| / (1 + |scalar|) = " + worst);
    }

    private static float[][] dImages(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] d = new float[4][];
        int[] len = {2 * 192, 2 * 192, 2 * 192, 192};
        for (int k = 0; k < 4; k++) {
            d[k] = new float[len[k]];
            for (int i = 0; i < len[k]; i++) {
                d[k][i] = (float) (2 * rng.nextDouble() - 1);
            }
        }
        return d;
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] a : parts) {
            n += a.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] a : parts) {
            System.arraycopy(a, 0, out, o, a.length);
            o += a.length;
        }
        return out;
    }

    private static void finiteDifferences(boolean gazeFreeFace) {
        GazeNerfModel m = new GazeNerfModel(micro(5, gazeFreeFace));
        Backend be = new ScalarBackend();
        GazeNerfModel.Parameters p = m.newParameters(8);
        smooth(m, p);
        GazeNerfModel.Parameters g = m.newZeroParameters();
        GazeNerfModel.Workspace ws = m.newWorkspace(2);
        Batch b = new Batch(m);
        float[] dShape = new float[b.shape.length];
        float[] dApp = new float[b.appearance.length];
        float[] dGaze = new float[4];
        float[] dEuler = new float[6];
        float[] dTrans = new float[6];
        float[] dMerge = new float[2 * 192];
        float[] dFace = new float[2 * 192];
        float[] dEyes = new float[2 * 192];
        float[] dBg = new float[192];
        try (RenderKernels rk = new ScalarRenderKernels()) {
            GradientChecker gc = new GradientChecker(21).eps(1e-2).tolerance(2e-4, 2e-2).maxCoordinates(12)
                    .output("merge_img", ws.mergeImage(), 0, 2 * 192, dMerge, 0)
                    .output("merge_img_face", ws.faceImage(), 0, 2 * 192, dFace, 0)
                    .output("merge_img_eyes", ws.eyesImage(), 0, 2 * 192, dEyes, 0)
                    .output("bg_img", ws.backgroundImage(), 0, 192, dBg, 0)
                    .input("shape", b.shape, dShape).input("appearance", b.appearance, dApp)
                    .input("gaze", b.gaze, dGaze).input("euler", b.euler, dEuler).input("dT", b.dT, dTrans);
            register(gc, "face.", m.faceMlp().layout(), p.face, g.face);
            register(gc, "eyes.", m.eyeMlp().layout(), p.eyes, g.eyes);
            register(gc, "renderer.", m.rendererLayout(), p.renderer, g.renderer);
            GradientChecker.Report rep = gc.check(
                    () -> m.forward(be, rk, ws, p, b.invK, b.rot, b.trans, b.euler, b.dT, b.shape, b.appearance,
                            b.gaze, 2, true, 11),
                    () -> m.backward(be, rk, ws, p, g, dMerge, dFace, dEyes, dBg, dShape, dApp, dGaze, dEuler, dTrans));
            System.out.println("GazeNerfModel gradient check (gazeFreeFace " + gazeFreeFace + "): " + rep);
            assertEquals(0, rep.kinks());
        }
    }

    private static void register(GradientChecker gc, String prefix, ParamLayout layout, float[] values, float[] grads) {
        for (ParamLayout.Slice s : layout.slices()) {
            gc.param(prefix + s.name(), values, s.offset(), s.size(), grads);
        }
    }

    @Test
    void finiteDifferencesEndToEnd() {
        finiteDifferences(false);
    }

    @Test
    void finiteDifferencesWithAGazeFreeFaceStream() {
        finiteDifferences(true);
    }

    @Test
    void workspaceOfAnotherModelIsRejected() {
        GazeNerfModel a = new GazeNerfModel(micro(4, false));
        GazeNerfModel b = new GazeNerfModel(micro(4, false));
        Batch in = new Batch(a);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                a.forward(new ScalarBackend(), new ScalarRenderKernels(), b.newWorkspace(2), a.newParameters(1),
                        in.invK, in.rot, in.trans, null, null, in.shape, in.appearance, in.gaze, 2, false, 0));
        assertTrue(e.getMessage().contains("GazeNerfModel.forward"), e.getMessage());
    }
}
