package dev.gazenerf.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.tensor.ParamLayout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java MLP against PyTorch: {@code mlp_golden.json} (written by {@code mlp_golden.py} beside it, with
 * Debian's torch) holds a small MLP built the reference's way (1x1 convolutions over the concatenated input),
 * its state dict, inputs, outputs and every named gradient. The state dict is loaded by name, 1:1, into the
 * flat parameter buffer; outputs, every parameter gradient and the gradients of the encoded points, the shape
 * codes and the appearance codes must match. This pins the column order of every concatenation.
 */
class NerfMlpGoldenTest {
    private static JsonNode golden;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = NerfMlpGoldenTest.class.getResourceAsStream("mlp_golden.json")) {
            assertNotNull(in, "mlp_golden.json is missing from the test resources");
            golden = new ObjectMapper().readTree(in);
        }
    }

    private static float[] floats(JsonNode array) {
        float[] a = new float[array.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) array.get(i).asDouble();
        }
        return a;
    }

    /**
     * PyTorch and we sum in different orders (float32 both). Measured: the worst |error| / (1e-9 + 5e-7 *
     * scale) over every tensor is 0.64 (sigma, hoisted and plain alike; the largest |error| anywhere is
     * 1.2e-7), so that bound is about twice the worst error.
     */
    @ParameterizedTest(name = "plain = {0}")
    @ValueSource(booleans = {false, true})
    void matchesPyTorchByName(boolean plain) {
        JsonNode c = golden.get("config");
        NerfMlpConfig cfg = new NerfMlpConfig(c.get(0).asInt(), c.get(1).asInt(), c.get(2).asInt(), c.get(3).asInt(),
                c.get(4).asInt(), c.get(5).asInt(), c.get(6).asInt(), c.get(7).asInt(), c.get(8).asInt());
        int images = golden.get("images").asInt();
        int points = golden.get("points").asInt();
        int n = images * points;
        NerfMlp mlp = new NerfMlp(cfg);
        ParamLayout layout = mlp.layout();
        float[] params = new float[mlp.parameterCount()];
        Set<String> names = new TreeSet<>();
        for (Iterator<String> it = golden.get("params").fieldNames(); it.hasNext(); ) {
            String name = it.next();
            names.add(name);
            float[] v = floats(golden.get("params").get(name));
            ParamLayout.Slice s = layout.slice(name);
            assertEquals(s.size(), v.length, name + " size");
            System.arraycopy(v, 0, params, s.offset(), v.length);
        }
        Set<String> ours = new TreeSet<>();
        layout.slices().forEach(s -> ours.add(s.name()));
        assertEquals(ours, names, "the state dict and the layout name the same tensors");

        JsonNode in = golden.get("inputs");
        float[] pe = floats(in.get("pe"));
        float[] code = floats(in.get("shapeCode"));
        float[] app = floats(in.get("appearance"));
        float[] dSigma = floats(in.get("dSigma"));
        float[] dFeat = floats(in.get("dFeatures"));
        int f = cfg.featureChannels();
        int e = cfg.encodedWidth();
        float[] sigma = new float[n];
        float[] feat = new float[n * f];
        float[] dParams = new float[params.length];
        float[] dPe = new float[pe.length];
        float[] dCode = new float[code.length];
        float[] dApp = new float[app.length];
        Backend be = new ScalarBackend();
        NerfMlp.Workspace ws = mlp.newWorkspace(images, n);
        if (plain) {
            mlp.forwardPlain(be, ws, sigma, 0, feat, 0, f, pe, 0, e, code, 0, app, 0, params, images, points);
            mlp.backwardPlain(be, ws, dParams, dPe, 0, e, dCode, 0, dApp, 0, dSigma, 0, dFeat, 0, f,
                    pe, 0, e, code, 0, app, 0, params, images, points);
        } else {
            mlp.forward(be, ws, sigma, 0, feat, 0, f, pe, 0, e, code, 0, app, 0, params, images, points);
            mlp.backward(be, ws, dParams, dPe, 0, e, dCode, 0, dApp, 0, dSigma, 0, dFeat, 0, f,
                    pe, 0, e, code, 0, app, 0, params, images, points);
        }
        double worst = 0;
        worst = Math.max(worst, compare("sigma", floats(golden.get("outputs").get("sigma")), sigma, 0));
        worst = Math.max(worst, compare("features", floats(golden.get("outputs").get("features")), feat, 0));
        for (ParamLayout.Slice s : layout.slices()) {
            worst = Math.max(worst, compare("grad " + s.name(), floats(golden.get("grads").get(s.name())), dParams, s.offset()));
        }
        JsonNode ig = golden.get("inputGrads");
        worst = Math.max(worst, compare("grad pe", floats(ig.get("pe")), dPe, 0));
        worst = Math.max(worst, compare("grad shapeCode", floats(ig.get("shapeCode")), dCode, 0));
        worst = Math.max(worst, compare("grad appearance", floats(ig.get("appearance")), dApp, 0));
        assertTrue(worst <= 1, String.format(Locale.ROOT, "worst |error| / bound %.3g", worst));
    }

    /**
     * Compares one tensor: {@code |torch - ours| <= 1e-9 + 5e-7 * scale}, scale being the tensor's largest
     * |torch| (deep-layer gradients are small and come from cancelling sums, so the bound is per tensor);
     * fails naming the tensor and index, returns the worst |error| / bound.
     */
    private static double compare(String name, float[] torch, float[] ours, int off) {
        double scale = 0;
        for (float v : torch) {
            scale = Math.max(scale, Math.abs(v));
        }
        double bound = 1e-9 + 5e-7 * scale;
        double worst = 0;
        for (int i = 0; i < torch.length; i++) {
            double d = Math.abs((double) torch[i] - ours[off + i]);
            assertTrue(d <= bound, name + "[" + i + "]: torch " + torch[i] + ", ours " + ours[off + i] + " (bound " + bound + ")");
            worst = Math.max(worst, d / bound);
        }
        return worst;
    }
}
