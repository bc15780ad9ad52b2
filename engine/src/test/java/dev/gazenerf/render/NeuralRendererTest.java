package dev.gazenerf.render;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.nn.GradientChecker;
import dev.gazenerf.tensor.ParamLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The neural renderer (reference 2.7): sizes and names, a literal case, finite differences end to end, parity. */
class NeuralRendererTest {
    private final Backend be = new ScalarBackend();

    @Test
    void paperSizesAndNames() {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "neural_render.", 258, 64, 512, 32);
        assertEquals(3, r.blocks());
        assertArrayEquals(new int[] {258, 129, 64, 32}, new int[] {r.width(0), r.width(1), r.width(2), r.width(3)});
        assertEquals(920_988, r.convolutionParameterCount());
        assertEquals(1_056_768, r.backgroundParameterCount());
        assertEquals(920_988 + 1_056_768, layout.size());
        assertArrayEquals(new int[] {516, 258}, layout.slice("neural_render.feat_upsample_list.0.layer_1.weight").shape());
        assertArrayEquals(new int[] {256}, layout.slice("neural_render.feat_upsample_list.2.layer_2.bias").shape());
        assertArrayEquals(new int[] {3, 32}, layout.slice("neural_render.feat_2_rgb_list.3.weight").shape());
        assertArrayEquals(new int[] {129, 258}, layout.slice("neural_render.feat_layers.0.weight").shape());
        assertArrayEquals(new int[] {1, 258, 64, 64}, layout.slice("neural_render.bg_featmap").shape());
        assertEquals("neural_render.feat_upsample_list.0.layer_1.weight", layout.slices().get(0).name());
        assertEquals("neural_render.bg_featmap", layout.slices().get(layout.slices().size() - 1).name());
    }

    @Test
    void rejectsAnOutputThatIsNotAPowerOfTwoLarger() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NeuralRenderer(new ParamLayout(), "", 12, 8, 24, 4));
        assertTrue(e.getMessage().contains("outputSize"), e.getMessage());
    }

    @Test
    void zeroWeightsGiveSigmoidOfTheBiases() {
        // All weights 0: rgb = Up(b_0) + b_1 + ... with Up of a constant map = the constant (bilinear and the
        // normalized blur preserve constants), so every output pixel is sigmoid(b_0 + b_1 + b_2).
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "", 6, 4, 16, 2);
        float[] params = new float[layout.size()];
        float[] b0 = {0.1f, -0.2f, 0.3f};
        float[] b1 = {0.5f, 0.5f, -1f};
        float[] b2 = {-0.25f, 0f, 0.125f};
        System.arraycopy(b0, 0, params, layout.offset("feat_2_rgb_list.0.bias"), 3);
        System.arraycopy(b1, 0, params, layout.offset("feat_2_rgb_list.1.bias"), 3);
        System.arraycopy(b2, 0, params, layout.offset("feat_2_rgb_list.2.bias"), 3);
        float[] in = RenderTestData.uniform(4 * 4 * 6, 3, -1, 1);
        float[] out = new float[16 * 16 * 3];
        try (RenderKernels rk = new ScalarRenderKernels()) {
            r.forward(be, rk, r.newWorkspace(1), out, in, 0, params, 1);
        }
        for (int p = 0; p < 256; p++) {
            for (int c = 0; c < 3; c++) {
                double z = b0[c] + b1[c] + b2[c];
                assertEquals(1 / (1 + Math.exp(-z)), out[3 * p + c], 1e-6, "pixel " + p + " channel " + c);
            }
        }
    }

    @Test
    void backgroundIsStoredChannelsFirstAndUsedChannelsLast() {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "", 3, 2, 4, 2);
        float[] params = new float[layout.size()];
        r.initialize(params, 1);
        for (int i = 0; i < 12; i++) {
            assertEquals(1f, params[r.backgroundOffset() + i], 0f, "bg_featmap starts white (ones)");
            params[r.backgroundOffset() + i] = i;   // (c, p) = (i / 4, i % 4)
        }
        float[] cl = new float[12];
        r.backgroundChannelsLast(cl, params);
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, cl);
        float[] dParams = new float[layout.size()];
        dParams[r.backgroundOffset()] = 100;
        r.backgroundBackward(dParams, cl);
        for (int i = 0; i < 12; i++) {
            assertEquals(i + (i == 0 ? 100 : 0), dParams[r.backgroundOffset() + i], 0f);
        }
    }

    /**
     * End-to-end finite differences on the tiny config 8x8x12 -> 32x32 (2 blocks, widths 12, 6, 4), two
     * images, the input at an offset. With PyTorch's random init many LeakyReLU inputs sit near 0, and a
     * bias moves hundreds of them at once, so central differences straddle kinks (measured: the numeric
     * derivative of feat_upsample_list.0.layer_2.bias[0] goes 0.045, 0.039, 0.032, 0.0300 for eps 1e-2 .. 3e-4,
     * towards the analytic 0.0295). The check therefore runs in each linear regime of the LeakyReLUs: every
     * LeakyReLU layer's bias shifted by +shift (all inputs positive, slope 1) or -shift (all negative,
     * slope 0.2), where the network is smooth and both branches of the activation are covered.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(floats = {4f, -4f})
    void finiteDifferencesEndToEnd(float shift) {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "", 12, 8, 32, 4);
        float[] params = new float[layout.size()];
        r.initialize(params, 5);
        for (ParamLayout.Slice s : layout.slices()) {
            if (s.name().endsWith(".bias") && !s.name().startsWith("feat_2_rgb_list")) {
                for (int i = 0; i < s.size(); i++) {
                    params[s.offset() + i] += shift;
                }
            } else if (s.name().endsWith(".weight")) {
                for (int i = 0; i < s.size(); i++) {
                    params[s.offset() + i] *= 0.5f;
                }
            }
        }
        int images = 2;
        int inLen = images * 64 * 12;
        float[] in = RenderTestData.uniform(3 + inLen, 6, -1, 1);
        float[] dIn = new float[in.length];
        float[] out = new float[images * 32 * 32 * 3];
        float[] dOut = new float[out.length];
        float[] dParams = new float[params.length];
        NeuralRenderer.Workspace ws = r.newWorkspace(3);
        try (RenderKernels rk = new ScalarRenderKernels()) {
            GradientChecker gc = new GradientChecker(9).eps(1e-2).tolerance(1e-3, 1e-2).maxCoordinates(24)
                    .output("rgb", out, dOut).input("features", in, 3, inLen, dIn, 3);
            for (ParamLayout.Slice s : layout.slices()) {
                if (!s.name().equals("bg_featmap")) {
                    gc.param(s.name(), params, s.offset(), s.size(), dParams);
                }
            }
            GradientChecker.Report rep = gc.check(() -> r.forward(be, rk, ws, out, in, 3, params, images),
                    () -> r.backward(be, rk, ws, dIn, 3, false, dParams, dOut, in, params));
            assertEquals(0, rep.kinks());
            System.out.println("NeuralRenderer gradient check (shift " + shift + "): " + rep);
        }
    }

    @Test
    void backwardAccumulatesIntoTheInputGradientWhenAsked() {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "", 6, 4, 8, 2);
        float[] params = new float[layout.size()];
        r.initialize(params, 2);
        float[] in = RenderTestData.uniform(4 * 4 * 6, 3, -1, 1);
        float[] out = new float[8 * 8 * 3];
        float[] dOut = RenderTestData.uniform(out.length, 4, -1, 1);
        try (RenderKernels rk = new ScalarRenderKernels()) {
            NeuralRenderer.Workspace ws = r.newWorkspace(1);
            r.forward(be, rk, ws, out, in, 0, params, 1);
            float[] d1 = new float[in.length];
            r.backward(be, rk, ws, d1, 0, false, new float[params.length], dOut, in, params);
            float[] d2 = new float[in.length];
            java.util.Arrays.fill(d2, 1f);
            r.backward(be, rk, ws, d2, 0, true, new float[params.length], dOut, in, params);
            for (int i = 0; i < in.length; i++) {
                assertEquals(d1[i] + 1f, d2[i], 1e-6f);
            }
        }
    }

    @Test
    void workspacesSharingScratchKeepTheirOwnCaches() {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "", 6, 4, 16, 2);
        float[] params = new float[layout.size()];
        r.initialize(params, 3);
        float[] x1 = RenderTestData.uniform(96, 1, -1, 1);
        float[] x2 = RenderTestData.uniform(96, 2, -1, 1);
        float[] dOut = RenderTestData.uniform(768, 3, -1, 1);
        float[] out = new float[768];
        try (RenderKernels rk = new ScalarRenderKernels()) {
            NeuralRenderer.Workspace alone = r.newWorkspace(1);
            float[] dAlone = new float[96];
            float[] dpAlone = new float[params.length];
            r.forward(be, rk, alone, out, x1, 0, params, 1);
            r.backward(be, rk, alone, dAlone, 0, false, dpAlone, dOut, x1, params);
            NeuralRenderer.Workspace w1 = r.newWorkspace(1);
            NeuralRenderer.Workspace w2 = r.newWorkspace(1, w1);
            r.forward(be, rk, w1, out, x1, 0, params, 1);
            r.forward(be, rk, w2, out, x2, 0, params, 1);    // uses the shared scratch in between
            float[] d1 = new float[96];
            float[] dp1 = new float[params.length];
            r.backward(be, rk, w1, d1, 0, false, dp1, dOut, x1, params);
            RenderTestData.assertSame("dIn", dAlone, d1);
            RenderTestData.assertSame("dParams", dpAlone, dp1);
        }
    }

    @Test
    void parallelKernelsMatchScalarBitForBit() {
        ParamLayout layout = new ParamLayout();
        NeuralRenderer r = new NeuralRenderer(layout, "", 12, 8, 32, 4);
        float[] params = new float[layout.size()];
        r.initialize(params, 7);
        int images = 2;
        float[] in = RenderTestData.uniform(images * 64 * 12, 8, -1, 1);
        float[] dOut = RenderTestData.uniform(images * 32 * 32 * 3, 9, -1, 1);
        float[][] outs = new float[2][images * 32 * 32 * 3];
        float[][] dIns = new float[2][in.length];
        float[][] dPs = new float[2][params.length];
        RenderKernels[] ks = {new ScalarRenderKernels(), new ParallelRenderKernels(3)};
        for (int k = 0; k < 2; k++) {
            NeuralRenderer.Workspace ws = r.newWorkspace(images);
            r.forward(be, ks[k], ws, outs[k], in, 0, params, images);
            r.backward(be, ks[k], ws, dIns[k], 0, false, dPs[k], dOut, in, params);
            ks[k].close();
        }
        RenderTestData.assertSame("rgb", outs[0], outs[1]);
        RenderTestData.assertSame("dIn", dIns[0], dIns[1]);
        RenderTestData.assertSame("dParams", dPs[0], dPs[1]);
    }
}
