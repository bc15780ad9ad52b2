package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.tensor.ParamLayout;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NeRF MLP of section 2.4: parameter count and layout, initialization, a hand-computed tiny network,
 * finite differences of every weight, bias, code and encoded point, and the hoisted path equal to the plain one.
 */
class NerfMlpTest {
    private final Backend be = new ScalarBackend();

    /** The small config of the gradient tests: width 16, 9 features, all parts present, skip after layer 4. */
    static NerfMlpConfig smallConfig() {
        return new NerfMlpConfig(63, 3, 2, 2, 4, 16, 8, 4, 9);
    }

    @Test
    void paperParameterCountAndLayout() {
        NerfMlp mlp = new NerfMlp(NerfMlpConfig.paper());
        assertEquals(1_518_979, mlp.parameterCount());
        ParamLayout l = mlp.layout();
        assertArrayEquals(new int[]{384, 244}, l.slice("FeaExt_module_0.weight").shape());
        assertArrayEquals(new int[]{384}, l.slice("FeaExt_module_0.bias").shape());
        assertArrayEquals(new int[]{384, 384}, l.slice("FeaExt_module_4.weight").shape());
        assertArrayEquals(new int[]{384, 628}, l.slice("FeaExt_module_5.weight").shape());
        assertArrayEquals(new int[]{384, 384}, l.slice("FeaExt_module_7.weight").shape());
        assertArrayEquals(new int[]{1, 384}, l.slice("density_module.weight").shape());
        assertArrayEquals(new int[]{1}, l.slice("density_module.bias").shape());
        assertArrayEquals(new int[]{384, 384}, l.slice("RGB_layer_0.weight").shape());
        assertArrayEquals(new int[]{192, 511}, l.slice("RGB_layer_1.weight").shape());
        assertArrayEquals(new int[]{258, 192}, l.slice("RGB_layer_2.weight").shape());
        assertArrayEquals(new int[]{258}, l.slice("RGB_layer_2.bias").shape());
        List<String> names = l.slices().stream().map(ParamLayout.Slice::name).toList();
        assertEquals(List.of("FeaExt_module_0.weight", "FeaExt_module_0.bias", "FeaExt_module_1.weight", "FeaExt_module_1.bias",
                "FeaExt_module_2.weight", "FeaExt_module_2.bias", "FeaExt_module_3.weight", "FeaExt_module_3.bias",
                "FeaExt_module_4.weight", "FeaExt_module_4.bias", "FeaExt_module_5.weight", "FeaExt_module_5.bias",
                "FeaExt_module_6.weight", "FeaExt_module_6.bias", "FeaExt_module_7.weight", "FeaExt_module_7.bias",
                "density_module.weight", "density_module.bias", "RGB_layer_0.weight", "RGB_layer_0.bias",
                "RGB_layer_1.weight", "RGB_layer_1.bias", "RGB_layer_2.weight", "RGB_layer_2.bias"), names,
                "the order of PyTorch's state dict");
        assertEquals(1_515_072L, NerfMlpConfig.paper().macsPerPointPlain());
        assertEquals(1_351_680L, NerfMlpConfig.paper().macsPerPointHoisted());
        assertEquals(1_204_224L, NerfMlpConfig.paper().macsPerPointFolded());
        assertEquals(28_385_280L, NerfMlpConfig.paper().foldMacsPerCall());
        assertEquals(244, NerfMlpConfig.paper().inputWidth());
        assertEquals(181, NerfMlpConfig.paper().shapeCodeWidth());
    }

    @Test
    void paperInitializationFollowsTheReference() {
        NerfMlp mlp = new NerfMlp(NerfMlpConfig.paper());
        float[] p = new float[mlp.parameterCount()];
        mlp.initialize(p, 45);
        for (ParamLayout.Slice s : mlp.layout().slices()) {
            int[] shape = s.shape();
            int fanIn = shape.length == 2 ? shape[1] : mlp.layout().slice(s.name().replace(".bias", ".weight")).shape()[1];
            int fanOut = shape[0];
            boolean xavier = s.name().endsWith(".weight") && !s.name().equals("FeaExt_module_0.weight")
                    && !s.name().startsWith("RGB_layer_1") && !s.name().startsWith("RGB_layer_2");
            double bound = xavier ? Math.sqrt(6.0 / (fanIn + fanOut)) : 1.0 / Math.sqrt(fanIn);
            if (s.name().equals("density_module.bias")) {
                assertEquals(0f, p[s.offset()], "density bias is zero");
                continue;
            }
            double sum2 = 0;
            float max = 0;
            for (int i = s.offset(); i < s.offset() + s.size(); i++) {
                assertTrue(Math.abs(p[i]) <= bound, s.name() + "[" + (i - s.offset()) + "] = " + p[i] + " beyond " + bound);
                sum2 += (double) p[i] * p[i];
                max = Math.max(max, Math.abs(p[i]));
            }
            if (s.size() >= 1000) {
                double std = Math.sqrt(sum2 / s.size());
                // uniform on (-bound, bound) has standard deviation bound / sqrt(3)
                assertEquals(bound / Math.sqrt(3), std, 0.05 * bound, s.name() + " standard deviation");
                assertTrue(max > 0.99 * bound, s.name() + " max " + max + " vs bound " + bound);
            }
        }
        float[] again = new float[p.length];
        mlp.initialize(again, 45);
        assertArrayEquals(p, again, "same seed, same values");
        mlp.initialize(again, 46);
        assertNotEquals(p[0], again[0]);
    }

    /**
     * A tiny network worked out by hand: E = 1, iden = 1, no expression or gaze, appearance 1, width 2,
     * 2 layers with the skip after layer 0, 1 feature; one image of one point pe = 1, code = 2, a = 1.
     * <pre>
     * h0 = relu([[1, .5], [-1, 1]] [1, 2] + [0, -.5])              = [2, .5]
     * h1 = relu([[1, 0, 1, -2], [0, 1, -1, 1]] [1, 2, 2, .5] + [.5, 0]) = [2.5, .5]
     * sigma = relu([1, -1] h1 + .5)                                 = 2.5
     * r0 = [[1, 1], [0, 2]] h1 + [0, -2]                            = [3, -1]
     * r1 = relu([1, 2, -1] [3, -1, 1] + .5)                         = .5
     * f  = 2 r1 + 1                                                 = 2
     * with dSigma = 1, dF = 1:
     * dr1 = 2, dWr2 = .5, dbr2 = 1; dWr1 = 2 [3, -1, 1], dbr1 = 2, da = -2, dr0 = [2, 4]
     * dWr0 = dr0 h1^T = [[5, 1], [10, 2]], dbr0 = [2, 4], dh1 = [2, 10] + [1, -1] = [3, 9]
     * dwd = h1 = [2.5, .5], dbd = 1
     * dW1 = [3, 9]^T [1, 2, 2, .5], db1 = [3, 9], d[pe, code, h0] = [3, 9, -6, 3]
     * dW0 = [-6, 3]^T [1, 2], db0 = [-6, 3], d[pe, code] += [-9, 0]   so dpe = -6, dcode = 9
     * </pre>
     */
    @Test
    void handComputedTinyNetwork() {
        NerfMlpConfig cfg = new NerfMlpConfig(1, 1, 0, 0, 1, 2, 2, 0, 1);
        NerfMlp mlp = new NerfMlp(cfg);
        assertEquals(31, mlp.parameterCount());
        float[] p = new float[31];
        ParamLayout l = mlp.layout();
        set(p, l, "FeaExt_module_0.weight", 1, 0.5f, -1, 1);
        set(p, l, "FeaExt_module_0.bias", 0, -0.5f);
        set(p, l, "FeaExt_module_1.weight", 1, 0, 1, -2, 0, 1, -1, 1);
        set(p, l, "FeaExt_module_1.bias", 0.5f, 0);
        set(p, l, "density_module.weight", 1, -1);
        set(p, l, "density_module.bias", 0.5f);
        set(p, l, "RGB_layer_0.weight", 1, 1, 0, 2);
        set(p, l, "RGB_layer_0.bias", 0, -2);
        set(p, l, "RGB_layer_1.weight", 1, 2, -1);
        set(p, l, "RGB_layer_1.bias", 0.5f);
        set(p, l, "RGB_layer_2.weight", 2);
        set(p, l, "RGB_layer_2.bias", 1);
        for (boolean plain : new boolean[]{false, true}) {
            NerfMlp.Workspace ws = mlp.newWorkspace(1, 1);
            float[] sigma = new float[1];
            float[] feat = new float[1];
            float[] pe = {1};
            float[] code = {2};
            float[] app = {1};
            float[] dP = new float[31];
            float[] dPe = new float[1];
            float[] dCode = new float[1];
            float[] dApp = new float[1];
            if (plain) {
                mlp.forwardPlain(be, ws, sigma, 0, feat, 0, 1, pe, 0, 1, code, 0, app, 0, p, 1, 1);
                mlp.backwardPlain(be, ws, dP, dPe, 0, 1, dCode, 0, dApp, 0, new float[]{1}, 0, new float[]{1}, 0, 1,
                        pe, 0, 1, code, 0, app, 0, p, 1, 1);
            } else {
                mlp.forward(be, ws, sigma, 0, feat, 0, 1, pe, 0, 1, code, 0, app, 0, p, 1, 1);
                mlp.backward(be, ws, dP, dPe, 0, 1, dCode, 0, dApp, 0, new float[]{1}, 0, new float[]{1}, 0, 1,
                        pe, 0, 1, code, 0, app, 0, p, 1, 1);
            }
            String path = plain ? "plain: " : "hoisted: ";
            assertEquals(2.5f, sigma[0], path + "sigma");
            assertEquals(2f, feat[0], path + "feature");
            assertArrayEquals(new float[]{-6, -12, 3, 6}, get(dP, l, "FeaExt_module_0.weight"), path);
            assertArrayEquals(new float[]{-6, 3}, get(dP, l, "FeaExt_module_0.bias"), path);
            assertArrayEquals(new float[]{3, 6, 6, 1.5f, 9, 18, 18, 4.5f}, get(dP, l, "FeaExt_module_1.weight"), path);
            assertArrayEquals(new float[]{3, 9}, get(dP, l, "FeaExt_module_1.bias"), path);
            assertArrayEquals(new float[]{2.5f, 0.5f}, get(dP, l, "density_module.weight"), path);
            assertArrayEquals(new float[]{1}, get(dP, l, "density_module.bias"), path);
            assertArrayEquals(new float[]{5, 1, 10, 2}, get(dP, l, "RGB_layer_0.weight"), path);
            assertArrayEquals(new float[]{2, 4}, get(dP, l, "RGB_layer_0.bias"), path);
            assertArrayEquals(new float[]{6, -2, 2}, get(dP, l, "RGB_layer_1.weight"), path);
            assertArrayEquals(new float[]{2}, get(dP, l, "RGB_layer_1.bias"), path);
            assertArrayEquals(new float[]{0.5f}, get(dP, l, "RGB_layer_2.weight"), path);
            assertArrayEquals(new float[]{1}, get(dP, l, "RGB_layer_2.bias"), path);
            assertEquals(-6f, dPe[0], path + "dPe");
            assertEquals(9f, dCode[0], path + "dCode");
            assertEquals(-2f, dApp[0], path + "dAppearance");
        }
    }

    private static void set(float[] p, ParamLayout l, String name, float... v) {
        ParamLayout.Slice s = l.slice(name);
        assertEquals(s.size(), v.length, name);
        System.arraycopy(v, 0, p, s.offset(), v.length);
    }

    private static float[] get(float[] p, ParamLayout l, String name) {
        ParamLayout.Slice s = l.slice(name);
        return Arrays.copyOfRange(p, s.offset(), s.offset() + s.size());
    }

    /** Inputs, parameters and gradient buffers of one MLP problem of B images x P points. */
    static final class Problem {
        final NerfMlp mlp;
        final NerfMlpConfig cfg;
        final int images;
        final int points;
        final int n;
        final int ldpe;
        final float[] params;
        final float[] pe;       // (N, E) with leading dimension ldpe
        final float[] code;     // (B, S)
        final float[] app;      // (B, A)
        final float[] sigma;    // (N)
        final float[] feat;     // (N, F)
        final float[] dSigma;   // (N)
        final float[] dFeat;    // (N, F)
        final float[] dParams;
        final float[] dPe;
        final float[] dCode;
        final float[] dApp;

        Problem(NerfMlpConfig cfg, int images, int points, long seed) {
            this.cfg = cfg;
            this.mlp = new NerfMlp(cfg);
            this.images = images;
            this.points = points;
            this.n = images * points;
            this.ldpe = cfg.encodedWidth() + 2;
            params = new float[mlp.parameterCount()];
            mlp.initialize(params, seed);
            pe = NnTestData.uniform(n * ldpe, seed + 1, -1, 1);
            code = NnTestData.uniform(images * cfg.shapeCodeWidth(), seed + 2, -1, 1);
            app = NnTestData.uniform(images * cfg.appearanceWidth(), seed + 3, -1, 1);
            sigma = new float[n];
            feat = new float[n * cfg.featureChannels()];
            dSigma = NnTestData.uniform(n, seed + 4, -1, 1);
            dFeat = NnTestData.uniform(n * cfg.featureChannels(), seed + 5, -1, 1);
            dParams = new float[params.length];
            dPe = new float[pe.length];
            dCode = new float[code.length];
            dApp = new float[app.length];
        }

        void forward(Backend be, NerfMlp.Workspace ws, boolean plain) {
            if (plain) {
                mlp.forwardPlain(be, ws, sigma, 0, feat, 0, cfg.featureChannels(), pe, 0, ldpe, code, 0, app, 0, params, images, points);
            } else {
                mlp.forward(be, ws, sigma, 0, feat, 0, cfg.featureChannels(), pe, 0, ldpe, code, 0, app, 0, params, images, points);
            }
        }

        void backward(Backend be, NerfMlp.Workspace ws, boolean plain) {
            if (plain) {
                mlp.backwardPlain(be, ws, dParams, dPe, 0, ldpe, dCode, 0, dApp, 0, dSigma, 0, dFeat, 0, cfg.featureChannels(),
                        pe, 0, ldpe, code, 0, app, 0, params, images, points);
            } else {
                mlp.backward(be, ws, dParams, dPe, 0, ldpe, dCode, 0, dApp, 0, dSigma, 0, dFeat, 0, cfg.featureChannels(),
                        pe, 0, ldpe, code, 0, app, 0, params, images, points);
            }
        }

        void zeroGradients() {
            Arrays.fill(dParams, 0f);
            Arrays.fill(dPe, 0f);
            Arrays.fill(dCode, 0f);
            Arrays.fill(dApp, 0f);
        }
    }

    /**
     * Every weight and bias (24 coordinates sampled per tensor), both codes and every encoded point. The MLP is
     * piecewise linear in any one coordinate, so a small step is exact except across a ReLU kink; eps = 1e-3
     * keeps kinks rare (10 of 704 coordinates with these seeds, each matched by its kink-free one-sided
     * difference) while float32 noise in the loss stays below the tolerance 2e-3 + 1e-2 |g| (worst measured
     * error: 0.56 of the tolerance, at an encoded point). eps = 1e-2 crossed kinks in a third of some biases.
     */
    @Test
    void finiteDifferencesOfEveryTensor() {
        for (boolean plain : new boolean[]{false, true}) {
            Problem pr = new Problem(smallConfig(), 2, 5, 21);
            NerfMlp.Workspace ws = pr.mlp.newWorkspace(2, 10);
            GradientChecker gc = new GradientChecker(8).eps(1e-3).tolerance(2e-3, 1e-2).allowKinks(0.25).maxCoordinates(24)
                    .output("sigma", pr.sigma, pr.dSigma).output("features", pr.feat, pr.dFeat)
                    .input("shapeCode", pr.code, pr.dCode).input("appearance", pr.app, pr.dApp);
            for (int r = 0; r < pr.n; r++) {
                gc.input("pe row " + r, pr.pe, r * pr.ldpe, pr.cfg.encodedWidth(), pr.dPe, r * pr.ldpe);
            }
            for (ParamLayout.Slice s : pr.mlp.layout().slices()) {
                gc.param(s.name(), pr.params, s.offset(), s.size(), pr.dParams);
            }
            GradientChecker.Report r = gc.check(() -> pr.forward(be, ws, plain), () -> pr.backward(be, ws, plain));
            assertTrue(r.inputCoordinates() > 250 && r.parameterCoordinates() > 400, r.toString());
        }
    }

    /**
     * The gradient to the raw points through the encoding (what camera refinement needs): xyz -> frequency
     * encoding (4 bands, 27 channels) -> MLP, checked by finite differences on every coordinate of 6 points.
     */
    @Test
    void finiteDifferencesThroughTheEncodingToXyz() {
        FrequencyEncoding enc = new FrequencyEncoding(4);
        NerfMlpConfig cfg = new NerfMlpConfig(enc.width(), 3, 2, 2, 4, 16, 8, 4, 9);
        Problem pr = new Problem(cfg, 2, 3, 17);
        NerfMlp.Workspace ws = pr.mlp.newWorkspace(2, 6);
        float[] xyz = NnTestData.uniform(6 * 3, 18, -1, 1);
        float[] dXyz = new float[xyz.length];
        GradientChecker.Report r = new GradientChecker(19).eps(1e-3).tolerance(2e-3, 1e-2).allowKinks(0.25)
                .output("sigma", pr.sigma, pr.dSigma).output("features", pr.feat, pr.dFeat)
                .input("xyz", xyz, dXyz)
                .check(() -> {
                    enc.forward(be, pr.pe, 0, pr.ldpe, xyz, 0, 6);
                    pr.forward(be, ws, false);
                }, () -> {
                    Arrays.fill(pr.dPe, 0f);
                    pr.backward(be, ws, false);
                    enc.backward(be, dXyz, 0, false, pr.dPe, 0, pr.ldpe, xyz, 0, 6);
                });
        assertEquals(18, r.inputCoordinates());
    }

    @Test
    void hoistedEqualsPlain() {
        Problem a = new Problem(smallConfig(), 3, 7, 5);
        Problem b = new Problem(smallConfig(), 3, 7, 5);
        NerfMlp.Workspace wa = a.mlp.newWorkspace(3, 21);
        NerfMlp.Workspace wb = b.mlp.newWorkspace(3, 21);
        a.forward(be, wa, false);
        b.forward(be, wb, true);
        a.backward(be, wa, false);
        b.backward(be, wb, true);
        // The two paths sum in different orders. Worst difference measured (scalar, this seed; Java float
        // arithmetic is strict, so the same on every JVM): 2.9e-7 of the largest entry of the tensor
        // (FeaExt_module_4.weight); the tolerance is 6e-7 of it.
        assertClose("sigma", b.sigma, a.sigma);
        assertClose("features", b.feat, a.feat);
        for (ParamLayout.Slice s : a.mlp.layout().slices()) {
            assertClose(s.name(), get(b.dParams, b.mlp.layout(), s.name()), get(a.dParams, a.mlp.layout(), s.name()));
        }
        assertClose("dPe", b.dPe, a.dPe);
        assertClose("dShapeCode", b.dCode, a.dCode);
        assertClose("dAppearance", b.dApp, a.dApp);
    }

    private static void assertClose(String name, float[] expected, float[] actual) {
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            float tol = 6e-7f * scale;
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                    name + "[" + i + "]: plain " + expected[i] + ", hoisted " + actual[i] + " (tol " + tol + ")");
        }
    }

    @Test
    void workspaceIsReusedAndGrows() {
        Problem big = new Problem(smallConfig(), 2, 6, 9);
        NerfMlp.Workspace ws = big.mlp.newWorkspace(1, 4);
        big.forward(be, ws, false);        // grows to 2 images, 12 points
        assertEquals(2, ws.capacityImages());
        assertEquals(12, ws.capacityPoints());
        float[] sigma = big.sigma.clone();
        Problem small = new Problem(smallConfig(), 1, 3, 9);
        small.forward(be, ws, false);      // fits: no growth
        assertEquals(12, ws.capacityPoints());
        big.forward(be, ws, false);
        assertArrayEquals(sigma, big.sigma, "same inputs, same bits after reuse");
        // a backward must match the last forward
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> small.backward(be, ws, false));
        assertTrue(e.getMessage().contains("NerfMlp.backward") && e.getMessage().contains("'workspace'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> big.backward(be, ws, true));
        assertTrue(e.getMessage().contains("NerfMlp.backwardPlain"), e.getMessage());
    }

    @Test
    void inferenceWorkspaceGivesTheSameBitsAndRefusesBackward() {
        for (NerfMlpConfig cfg : new NerfMlpConfig[]{smallConfig(), new NerfMlpConfig(63, 3, 2, 2, 4, 16, 7, 2, 9)}) {
            Problem train = new Problem(cfg, 2, 9, 13);
            Problem infer = new Problem(cfg, 2, 9, 13);
            train.forward(be, train.mlp.newWorkspace(2, 18), false);
            NerfMlp.Workspace ws = infer.mlp.newInferenceWorkspace(1, 4);   // grows on first use
            infer.forward(be, ws, false);
            assertArrayEquals(train.sigma, infer.sigma, cfg.layers() + " layers: sigma");
            assertArrayEquals(train.feat, infer.feat, cfg.layers() + " layers: features");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> infer.backward(be, ws, false));
            assertTrue(e.getMessage().contains("NerfMlp.backward") && e.getMessage().contains("inference"), e.getMessage());
        }
    }

    @Test
    void emptyBatchDoesNothing() {
        Problem pr = new Problem(smallConfig(), 2, 0, 3);
        NerfMlp.Workspace ws = pr.mlp.newWorkspace(2, 0);
        pr.forward(be, ws, false);
        pr.backward(be, ws, false);
        for (float v : pr.dParams) {
            assertEquals(0f, v);
        }
        for (float v : pr.dCode) {
            assertEquals(0f, v);
        }
    }

    @Test
    void badArgumentsNameOpAndArgument() {
        Problem pr = new Problem(smallConfig(), 2, 5, 3);
        NerfMlp.Workspace ws = pr.mlp.newWorkspace(2, 10);
        NerfMlp mlp = pr.mlp;
        int f = pr.cfg.featureChannels();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mlp.forward(be, ws, pr.sigma, 0,
                pr.feat, 0, f, pr.pe, 0, pr.ldpe, new float[5], 0, pr.app, 0, pr.params, 2, 5));
        assertTrue(e.getMessage().contains("NerfMlp.forward") && e.getMessage().contains("'shapeCode'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> mlp.forward(be, ws, pr.sigma, 0,
                pr.feat, 0, f, pr.pe, 0, pr.ldpe, pr.code, 0, pr.app, 0, new float[10], 2, 5));
        assertTrue(e.getMessage().contains("NerfMlp.forward") && e.getMessage().contains("'params'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> mlp.forward(be, ws, null, 0,
                pr.feat, 0, f, pr.pe, 0, pr.ldpe, pr.code, 0, pr.app, 0, pr.params, 2, 5));
        assertTrue(e.getMessage().contains("NerfMlp.forward") && e.getMessage().contains("'sigma'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> mlp.forward(be, ws, pr.sigma, 0,
                pr.feat, 0, f, pr.pe, 0, pr.ldpe, pr.code, 0, pr.app, 0, pr.params, 2, 6));
        assertTrue(e.getMessage().contains("NerfMlp.forward") && e.getMessage().contains("'sigma'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> mlp.forward(be, new NerfMlp(NerfMlpConfig.paper()).newWorkspace(1, 1),
                pr.sigma, 0, pr.feat, 0, f, pr.pe, 0, pr.ldpe, pr.code, 0, pr.app, 0, pr.params, 2, 5));
        assertTrue(e.getMessage().contains("'workspace'"), e.getMessage());
        pr.forward(be, ws, false);
        e = assertThrows(IllegalArgumentException.class, () -> mlp.backward(be, ws, pr.dParams, null, 0, 0, null, 0, null, 0,
                pr.dSigma, 0, new float[3], 0, f, pr.pe, 0, pr.ldpe, pr.code, 0, pr.app, 0, pr.params, 2, 5));
        assertTrue(e.getMessage().contains("NerfMlp.backward") && e.getMessage().contains("'dFeatures'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new NerfMlpConfig(63, 100, 79, 2, 127, 384, 8, 7, 258));
        assertTrue(e.getMessage().contains("NerfMlpConfig") && e.getMessage().contains("skip"), e.getMessage());
    }
}
