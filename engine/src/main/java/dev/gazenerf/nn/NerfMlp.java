package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.Activation;
import dev.gazenerf.tensor.ParamLayout;

import java.util.SplittableRandom;

/**
 * The conditional NeRF MLP of section 2.4 (the reference's {@code MLPforNeRF}, one per stream) as one op
 * over the points of B images; the points of image b are rows {@code [b*P, (b+1)*P)}.
 *
 * <h2>Math</h2>
 * With the per-point input {@code x = [e, c]}, e the encoded point (E = 63) and c the image's shape code
 * {@code [iden, expr, pitch, yaw]} (S = 181), W the width (384):
 * <pre>
 *   h0 = relu(W0 x + b0)                                  FeaExt_module_0   [W, E+S]
 *   hl = relu(Wl h(l-1) + bl),  l = 1..L-1, except        FeaExt_module_l   [W, W]
 *   h(s+1) = relu(W(s+1) [x, hs] + b(s+1))                 the skip layer     [W, E+S+W]
 *   sigma = relu(wd h(L-1) + bd)                           density_module     [1, W]
 *   r0 = Wr0 h(L-1) + br0          (no activation)         RGB_layer_0        [W, W]
 *   r1 = relu(Wr1 [r0, a] + br1)   a: appearance (A = 127) RGB_layer_1        [W/2, W+A]
 *   f  = Wr2 r1 + br2              (raw features, F = 258) RGB_layer_2        [F, W/2]
 * </pre>
 *
 * <h2>Hoisting (section 7)</h2>
 * The code columns of FeaExt_module_0, of the skip layer and of RGB_layer_1 see the same code for every
 * point of an image, so {@code W[:, code] c + b} is computed once per image (a {@code (B, W)} bias) and added
 * per point by {@link Backend#biasActivation} with {@code rowsPerBias = P}; the per-point gemms then run
 * over the point columns only (E, E + W and W wide). Backward sums {@code dZ} per image with a grouped
 * {@link Backend#columnSums} and applies the code columns to those {@code (B, W)} sums. This saves 163,392
 * of the 1,515,072 multiply-adds per point. {@link #forwardPlain}/{@link #backwardPlain} compute the same
 * function the way the reference does (the codes physically concatenated to every point, full gemms); they
 * exist for the test that proves both paths equal.
 *
 * <h2>RGB_layer_0 folded into RGB_layer_1</h2>
 * RGB_layer_0 has no activation and feeds only the point columns of RGB_layer_1, so
 * {@code Wr1[:, :W] r0 = M h + Wr1[:, :W] br0} with {@code M = Wr1[:, :W] Wr0} (W/2 x W), formed once per call
 * (W/2 x W x W multiply-adds); r0 is never formed. Backward, with {@code G = dZ^T h} (dZ: RGB_layer_1's gradient
 * after its ReLU) and s its column sums: {@code dWr1[:, :W] += G Wr0^T + s br0^T}, {@code dWr0 += Wr1[:, :W]^T G},
 * {@code dbr0 += Wr1[:, :W]^T s}, and the trunk receives {@code dZ M}. The same function and gradients as the
 * reference's two layers (the parameters, their layout and their updates are unchanged), with 147,456 fewer
 * multiply-adds per point forward and 294,912 fewer backward in the paper MLP (a 4,096-point train step: 11% fewer),
 * for about 85 M per call. Rounding differs from the reference order by about as much as hoisting does (the
 * plain-path and PyTorch golden tests hold with their tolerances unchanged).
 *
 * <h2>Buffers</h2>
 * Parameters: one flat {@code float[]} laid out by {@link #layout()} with the reference's names and
 * PyTorch's {@code [out, in]} shapes, the input columns in the reference's concat order, so a converted state
 * dict maps one to one. Gradients share the layout. Activations for backward live in a {@link Workspace}
 * created once and reused (it grows, never per call): the post-ReLU output of every trunk layer, sigma,
 * r1, the fold's products and the per-image code products ({@link #newWorkspace}); a forward-only workspace
 * ({@link #newInferenceWorkspace}) keeps only two trunk buffers, for rendering and for the first pass of
 * a checkpointed training step.
 *
 * <p>Backward accumulates ({@code +=}) into every gradient it is given: parameters, the shape and
 * appearance codes, and (optionally) the encoded points.
 */
public final class NerfMlp {
    private final NerfMlpConfig cfg;
    private final ParamLayout layout = new ParamLayout();
    private final int[] wOff; // offset of FeaExt_module_l.weight
    private final int[] bOff; // offset of FeaExt_module_l.bias
    private final int densityW;
    private final int densityB;
    private final int rgb0W;
    private final int rgb0B;
    private final int rgb1W;
    private final int rgb1B;
    private final int rgb2W;
    private final int rgb2B;
    // Ops of the plain path, one per distinct layer shape.
    private final Dense denseInput;
    private final Dense denseHidden;
    private final Dense denseSkip;
    private final Dense denseDensity;
    private final Dense denseRgb0;
    private final Dense denseRgb1;
    private final Dense denseRgb2;
    private final Concat concatSkip;

    /** An MLP of the given shape; the parameters live in caller-owned buffers of {@link #parameterCount()} floats. */
    public NerfMlp(NerfMlpConfig config) {
        this.cfg = Checks.notNull("NerfMlp", "config", config);
        int w = cfg.width();
        int in = cfg.inputWidth();
        wOff = new int[cfg.layers()];
        bOff = new int[cfg.layers()];
        for (int l = 0; l < cfg.layers(); l++) {
            int fanIn = l == 0 ? in : l == cfg.skipLayer() ? in + w : w;
            wOff[l] = layout.add(trunkName(l) + ".weight", w, fanIn);
            bOff[l] = layout.add(trunkName(l) + ".bias", w);
        }
        densityW = layout.add("density_module.weight", 1, w);
        densityB = layout.add("density_module.bias", 1);
        rgb0W = layout.add("RGB_layer_0.weight", w, w);
        rgb0B = layout.add("RGB_layer_0.bias", w);
        rgb1W = layout.add("RGB_layer_1.weight", cfg.rgbHiddenWidth(), w + cfg.appearanceWidth());
        rgb1B = layout.add("RGB_layer_1.bias", cfg.rgbHiddenWidth());
        rgb2W = layout.add("RGB_layer_2.weight", cfg.featureChannels(), cfg.rgbHiddenWidth());
        rgb2B = layout.add("RGB_layer_2.bias", cfg.featureChannels());
        denseInput = new Dense(in, w, Activation.RELU);
        denseHidden = new Dense(w, w, Activation.RELU);
        denseSkip = new Dense(in + w, w, Activation.RELU);
        denseDensity = new Dense(w, 1, Activation.RELU);
        denseRgb0 = new Dense(w, w, Activation.NONE);
        denseRgb1 = new Dense(w + cfg.appearanceWidth(), cfg.rgbHiddenWidth(), Activation.RELU);
        denseRgb2 = new Dense(cfg.rgbHiddenWidth(), cfg.featureChannels(), Activation.NONE);
        concatSkip = new Concat(in, w);
    }

    /** The reference's module name of trunk layer l: {@code FeaExt_module_l}. */
    public static String trunkName(int l) {
        return "FeaExt_module_" + l;
    }

    /** The shape of this MLP. */
    public NerfMlpConfig config() {
        return cfg;
    }

    /** Names, offsets and shapes of the parameters inside the flat buffer. */
    public ParamLayout layout() {
        return layout;
    }

    /** Total number of parameters (1,518,979 for the paper's MLP). */
    public int parameterCount() {
        return layout.size();
    }

    /**
     * Initializes the parameters as the reference does (section 2.4): Xavier-uniform
     * {@code U(+-sqrt(6 / (fan_in + fan_out)))} on the weights of FeaExt_module_1..L-1, density_module and
     * RGB_layer_0; PyTorch's Conv2d default, Kaiming-uniform with {@code a = sqrt(5)}, i.e.
     * {@code U(+-1/sqrt(fan_in))}, on the weights of FeaExt_module_0, RGB_layer_1 and RGB_layer_2; every bias
     * {@code U(+-1/sqrt(fan_in))} except density_module's, which is 0.
     *
     * <p>Generator: one {@link SplittableRandom}{@code (seed)} (its algorithm is specified by the JDK, so the
     * values are the same on every JDK); slices are filled in layout order, element by element, each value
     * {@code (float) ((2 u - 1) * bound)} with {@code u = nextDouble()}. The density bias draws nothing.
     */
    public void initialize(float[] params, long seed) {
        Checks.vector("NerfMlp.initialize", "params", params, 0, parameterCount());
        SplittableRandom rng = new SplittableRandom(seed);
        int w = cfg.width();
        for (int l = 0; l < cfg.layers(); l++) {
            int fanIn = layout.slice(trunkName(l) + ".weight").shape()[1];
            double wBound = l == 0 ? kaiming(fanIn) : xavier(fanIn, w);
            fill(params, wOff[l], w * fanIn, wBound, rng);
            fill(params, bOff[l], w, kaiming(fanIn), rng);
        }
        fill(params, densityW, w, xavier(w, 1), rng);
        params[densityB] = 0f;
        fill(params, rgb0W, w * w, xavier(w, w), rng);
        fill(params, rgb0B, w, kaiming(w), rng);
        int r1In = w + cfg.appearanceWidth();
        fill(params, rgb1W, cfg.rgbHiddenWidth() * r1In, kaiming(r1In), rng);
        fill(params, rgb1B, cfg.rgbHiddenWidth(), kaiming(r1In), rng);
        fill(params, rgb2W, cfg.featureChannels() * cfg.rgbHiddenWidth(), kaiming(cfg.rgbHiddenWidth()), rng);
        fill(params, rgb2B, cfg.featureChannels(), kaiming(cfg.rgbHiddenWidth()), rng);
    }

    private static double xavier(int fanIn, int fanOut) {
        return Math.sqrt(6.0 / (fanIn + fanOut));
    }

    private static double kaiming(int fanIn) {
        return 1.0 / Math.sqrt(fanIn);
    }

    private static void fill(float[] p, int off, int n, double bound, SplittableRandom rng) {
        for (int i = 0; i < n; i++) {
            p[off + i] = (float) ((2.0 * rng.nextDouble() - 1.0) * bound);
        }
    }

    /** A workspace for forward and backward of up to {@code maxImages} images and {@code maxPoints} points in all. */
    public Workspace newWorkspace(int maxImages, int maxPoints) {
        return new Workspace(cfg, maxImages, maxPoints, true);
    }

    /**
     * A workspace for forward only (rendering, or the first pass of a checkpointed training step): the trunk
     * layers share two {@code (N, W)} buffers and RGB_layer_0 reuses the free one, so it holds about
     * {@code 2.5 N W} floats instead of about {@code 12.5 N W}. Its forward gives the same bits as with a
     * training workspace; {@link #backward} refuses it.
     */
    public Workspace newInferenceWorkspace(int maxImages, int maxPoints) {
        return new Workspace(cfg, maxImages, maxPoints, false);
    }

    // ------------------------------------------------------------------------------------------------
    // Hoisted path (the one to use)

    /**
     * Forward over {@code images * pointsPerImage} points, caching what {@link #backward} needs in ws.
     *
     * @param sigma      output density after ReLU {@code (B*P)}, contiguous
     * @param features   output features {@code (B*P, F)}, leading dimension ldf
     * @param pe         encoded points {@code (B*P, E)}, leading dimension ldpe
     * @param shapeCode  per-image {@code [iden, expr, pitch, yaw]} {@code (B, S)}, contiguous
     * @param appearance per-image appearance code {@code (B, A)}, contiguous
     * @param params     the flat parameters ({@link #layout()})
     */
    public void forward(Backend be, Workspace ws, float[] sigma, int sigmaOff, float[] features, int featOff, int ldf,
                        float[] pe, int peOff, int ldpe, float[] shapeCode, int shapeOff, float[] appearance, int appOff,
                        float[] params, int images, int pointsPerImage) {
        String op = "NerfMlp.forward";
        checkForward(op, be, ws, sigma, sigmaOff, features, featOff, ldf, pe, peOff, ldpe, shapeCode, shapeOff,
                appearance, appOff, params, images, pointsPerImage);
        int n = images * pointsPerImage;
        ws.ensure(images, n);
        ws.images = images;
        ws.pointsPerImage = pointsPerImage;
        ws.plain = false;
        if (n == 0) {
            return;
        }
        int b = images;
        int p = pointsPerImage;
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int r1In = w + a;

        // Per-image code products: codeBias0 = c W0[:, E:]^T + b0, (B, W).
        be.gemmNT(b, w, s, shapeCode, shapeOff, s, params, wOff[0] + e, in, ws.codeBias0, 0, w, false);
        be.biasActivation(ws.codeBias0, 0, w, b, w, params, bOff[0], w, b, Activation.NONE);
        be.gemmNT(n, w, e, pe, peOff, ldpe, params, wOff[0], in, ws.h[0], 0, w, false);
        be.biasActivation(ws.h[0], 0, w, n, w, ws.codeBias0, 0, w, p, Activation.RELU);
        for (int l = 1; l < cfg.layers(); l++) {
            if (l == cfg.skipLayer()) {
                int ld = in + w;
                be.gemmNT(b, w, s, shapeCode, shapeOff, s, params, wOff[l] + e, ld, ws.codeBiasSkip, 0, w, false);
                be.biasActivation(ws.codeBiasSkip, 0, w, b, w, params, bOff[l], w, b, Activation.NONE);
                be.gemmNT(n, w, e, pe, peOff, ldpe, params, wOff[l], ld, ws.h[l], 0, w, false);
                be.gemmNT(n, w, w, ws.h[l - 1], 0, w, params, wOff[l] + in, ld, ws.h[l], 0, w, true);
                be.biasActivation(ws.h[l], 0, w, n, w, ws.codeBiasSkip, 0, w, p, Activation.RELU);
            } else {
                be.gemmNT(n, w, w, ws.h[l - 1], 0, w, params, wOff[l], w, ws.h[l], 0, w, false);
                be.biasActivation(ws.h[l], 0, w, n, w, params, bOff[l], w, n, Activation.RELU);
            }
        }
        float[] last = ws.h[cfg.layers() - 1];
        be.gemmNT(n, 1, w, last, 0, w, params, densityW, w, ws.sigma, 0, 1, false);
        be.biasActivation(ws.sigma, 0, 1, n, 1, params, densityB, 1, n, Activation.RELU);
        be.copy2d(sigma, sigmaOff, 1, ws.sigma, 0, 1, n, 1, false);
        // RGB_layer_0 folded into RGB_layer_1 (see the class comment): M = Wr1[:, :W] Wr0 and Wr1[:, :W] br0 once
        // per call, then r1 = relu(h M^T + Wr1[:, W:] a + br1 + Wr1[:, :W] br0); r0 is never formed.
        be.gemmNN(hw, w, w, params, rgb1W, r1In, params, rgb0W, w, ws.fold, 0, w, false);
        be.gemmNT(hw, 1, w, params, rgb1W, r1In, params, rgb0B, w, ws.foldBias, 0, 1, false);
        be.gemmNT(b, hw, a, appearance, appOff, a, params, rgb1W + w, r1In, ws.codeBiasRgb1, 0, hw, false);
        be.biasActivation(ws.codeBiasRgb1, 0, hw, b, hw, params, rgb1B, hw, b, Activation.NONE);
        be.biasActivation(ws.codeBiasRgb1, 0, hw, b, hw, ws.foldBias, 0, hw, b, Activation.NONE);
        be.gemmNT(n, hw, w, last, 0, w, ws.fold, 0, w, ws.r1, 0, hw, false);
        be.biasActivation(ws.r1, 0, hw, n, hw, ws.codeBiasRgb1, 0, hw, p, Activation.RELU);
        be.gemmNT(n, f, hw, ws.r1, 0, hw, params, rgb2W, hw, features, featOff, ldf, false);
        be.biasActivation(features, featOff, ldf, n, f, params, rgb2B, f, n, Activation.NONE);
    }

    /**
     * Backward of the last {@link #forward} run with ws (same inputs, same parameters). Accumulates
     * ({@code +=}) into dParams, dShapeCode, dAppearance and dPe; the code and point gradients may be null.
     *
     * @param dParams     parameter gradients, same layout as params
     * @param dPe         gradient of the encoded points {@code (B*P, E)}, leading dimension lddpe, or null
     * @param dShapeCode  gradient of the shape codes {@code (B, S)}, or null
     * @param dAppearance gradient of the appearance codes {@code (B, A)}, or null
     * @param dSigma      gradient of sigma {@code (B*P)}, contiguous (read only)
     * @param dFeatures   gradient of the features {@code (B*P, F)}, leading dimension lddf (read only)
     */
    public void backward(Backend be, Workspace ws, float[] dParams, float[] dPe, int dPeOff, int lddpe,
                         float[] dShapeCode, int dShapeOff, float[] dAppearance, int dAppOff,
                         float[] dSigma, int dSigmaOff, float[] dFeatures, int dFeatOff, int lddf,
                         float[] pe, int peOff, int ldpe, float[] shapeCode, int shapeOff, float[] appearance, int appOff,
                         float[] params, int images, int pointsPerImage) {
        String op = "NerfMlp.backward";
        checkBackward(op, be, ws, dParams, dPe, dPeOff, lddpe, dShapeCode, dShapeOff, dAppearance, dAppOff,
                dSigma, dSigmaOff, dFeatures, dFeatOff, lddf, pe, peOff, ldpe, shapeCode, shapeOff, appearance, appOff,
                params, images, pointsPerImage, false);
        int n = images * pointsPerImage;
        if (n == 0) {
            return;
        }
        int b = images;
        int p = pointsPerImage;
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int r1In = w + a;
        float[] last = ws.h[cfg.layers() - 1];

        // RGB_layer_2 (no activation): dR1 = dF Wr2, dWr2 += dF^T r1, dbr2 += sum dF.
        be.gemmTN(f, hw, n, dFeatures, dFeatOff, lddf, ws.r1, 0, hw, dParams, rgb2W, hw, true);
        be.columnSums(dParams, rgb2B, dFeatures, dFeatOff, lddf, n, f, n, true);
        be.gemmNN(n, hw, f, dFeatures, dFeatOff, lddf, params, rgb2W, hw, ws.dR1, 0, hw, false);
        // RGB_layer_1: point columns per point, appearance columns per image.
        be.activationBackward(ws.dR1, 0, hw, ws.dR1, 0, hw, ws.r1, 0, hw, n, hw, Activation.RELU);
        // G = dZ^T h(L-1) (W/2, W): with r0 = h Wr0^T + br0 and dr0 = dZ Wr1[:, :W], both never formed,
        // dWr1[:, :W] = dZ^T r0 = G Wr0^T + s br0^T, dWr0 = dr0^T h = Wr1[:, :W]^T G, dbr0 = Wr1[:, :W]^T s, where
        // s = sum dZ over all points, and the trunk's gradient from this head is dr0 Wr0 = dZ M.
        be.gemmTN(hw, w, n, ws.dR1, 0, hw, last, 0, w, ws.foldG, 0, w, false);
        be.columnSums(ws.groupSums, 0, ws.dR1, 0, hw, n, hw, p, false);
        be.gemmTN(hw, a, b, ws.groupSums, 0, hw, appearance, appOff, a, dParams, rgb1W + w, r1In, true);
        be.columnSums(dParams, rgb1B, ws.groupSums, 0, hw, b, hw, b, true);
        if (dAppearance != null) {
            be.gemmNN(b, a, hw, ws.groupSums, 0, hw, params, rgb1W + w, r1In, dAppearance, dAppOff, a, true);
        }
        be.columnSums(ws.foldS, 0, ws.groupSums, 0, hw, b, hw, b, false);
        be.gemmNT(hw, w, w, ws.foldG, 0, w, params, rgb0W, w, dParams, rgb1W, r1In, true);
        be.gemmNT(hw, w, 1, ws.foldS, 0, 1, params, rgb0B, 1, dParams, rgb1W, r1In, true);
        be.gemmTN(w, w, hw, params, rgb1W, r1In, ws.foldG, 0, w, dParams, rgb0W, w, true);
        be.gemmTN(w, 1, hw, params, rgb1W, r1In, ws.foldS, 0, 1, dParams, rgb0B, 1, true);
        float[] dH = ws.dHb;
        be.gemmNN(n, w, hw, ws.dR1, 0, hw, ws.fold, 0, w, dH, 0, w, false);
        // density_module + ReLU.
        be.activationBackward(ws.dSigma, 0, 1, dSigma, dSigmaOff, 1, ws.sigma, 0, 1, n, 1, Activation.RELU);
        be.gemmTN(1, w, n, ws.dSigma, 0, 1, last, 0, w, dParams, densityW, w, true);
        be.columnSums(dParams, densityB, ws.dSigma, 0, 1, n, 1, n, true);
        be.gemmNN(n, w, 1, ws.dSigma, 0, 1, params, densityW, w, dH, 0, w, true);
        // Trunk, last layer first; dH holds dL/dh(l), dNext receives dL/dh(l-1).
        float[] dNext = ws.dHa;
        for (int l = cfg.layers() - 1; l >= 0; l--) {
            be.activationBackward(dH, 0, w, dH, 0, w, ws.h[l], 0, w, n, w, Activation.RELU);
            if (l == 0 || l == cfg.skipLayer()) {
                int ld = l == 0 ? in : in + w;
                be.gemmTN(w, e, n, dH, 0, w, pe, peOff, ldpe, dParams, wOff[l], ld, true);
                be.columnSums(ws.groupSums, 0, dH, 0, w, n, w, p, false);
                be.gemmTN(w, s, b, ws.groupSums, 0, w, shapeCode, shapeOff, s, dParams, wOff[l] + e, ld, true);
                be.columnSums(dParams, bOff[l], ws.groupSums, 0, w, b, w, b, true);
                if (dShapeCode != null) {
                    be.gemmNN(b, s, w, ws.groupSums, 0, w, params, wOff[l] + e, ld, dShapeCode, dShapeOff, s, true);
                }
                if (dPe != null) {
                    be.gemmNN(n, e, w, dH, 0, w, params, wOff[l], ld, dPe, dPeOff, lddpe, true);
                }
                if (l > 0) {
                    be.gemmTN(w, w, n, dH, 0, w, ws.h[l - 1], 0, w, dParams, wOff[l] + in, ld, true);
                    be.gemmNN(n, w, w, dH, 0, w, params, wOff[l] + in, ld, dNext, 0, w, false);
                }
            } else {
                be.gemmTN(w, w, n, dH, 0, w, ws.h[l - 1], 0, w, dParams, wOff[l], w, true);
                be.columnSums(dParams, bOff[l], dH, 0, w, n, w, n, true);
                be.gemmNN(n, w, w, dH, 0, w, params, wOff[l], w, dNext, 0, w, false);
            }
            float[] t = dH;
            dH = dNext;
            dNext = t;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Plain path (reference-shaped; for the equality test)

    /**
     * The same function as {@link #forward}, computed as the reference does: the shape code is copied to
     * every point ({@link RowBroadcast}) to form the {@code (B*P, E+S)} input, the skip layer reads the
     * concatenation {@code [input, h]} ({@link Concat}), RGB_layer_1 reads {@code [r0, appearance]}, and every
     * layer is a full {@link Dense}. Slower and larger; used to prove the hoisted path right.
     */
    public void forwardPlain(Backend be, Workspace ws, float[] sigma, int sigmaOff, float[] features, int featOff, int ldf,
                             float[] pe, int peOff, int ldpe, float[] shapeCode, int shapeOff, float[] appearance, int appOff,
                             float[] params, int images, int pointsPerImage) {
        String op = "NerfMlp.forwardPlain";
        checkForward(op, be, ws, sigma, sigmaOff, features, featOff, ldf, pe, peOff, ldpe, shapeCode, shapeOff,
                appearance, appOff, params, images, pointsPerImage);
        int n = images * pointsPerImage;
        ws.ensure(images, n);
        ws.ensurePlain(n);
        ws.images = images;
        ws.pointsPerImage = pointsPerImage;
        ws.plain = true;
        if (n == 0) {
            return;
        }
        int p = pointsPerImage;
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int r1In = w + a;

        be.copy2d(ws.x, 0, in, pe, peOff, ldpe, n, e, false);
        ws.broadcast.forward(be, ws.x, e, in, shapeCode, shapeOff, s, images, p, s);
        denseInput.forward(be, ws.h[0], 0, w, ws.x, 0, in, params, wOff[0], in, params, bOff[0], n);
        for (int l = 1; l < cfg.layers(); l++) {
            if (l == cfg.skipLayer()) {
                concatSkip.forward(be, ws.skipInput, 0, in + w, ws.x, 0, in, ws.h[l - 1], 0, w, n);
                denseSkip.forward(be, ws.h[l], 0, w, ws.skipInput, 0, in + w,
                        params, wOff[l], in + w, params, bOff[l], n);
            } else {
                denseHidden.forward(be, ws.h[l], 0, w, ws.h[l - 1], 0, w, params, wOff[l], w, params, bOff[l], n);
            }
        }
        float[] last = ws.h[cfg.layers() - 1];
        denseDensity.forward(be, ws.sigma, 0, 1, last, 0, w, params, densityW, w, params, densityB, n);
        be.copy2d(sigma, sigmaOff, 1, ws.sigma, 0, 1, n, 1, false);
        denseRgb0.forward(be, ws.r0, 0, w, last, 0, w, params, rgb0W, w, params, rgb0B, n);
        be.copy2d(ws.rgb1Input, 0, r1In, ws.r0, 0, w, n, w, false);
        ws.broadcast.forward(be, ws.rgb1Input, w, r1In, appearance, appOff, a, images, p, a);
        denseRgb1.forward(be, ws.r1, 0, hw, ws.rgb1Input, 0, r1In, params, rgb1W, r1In, params, rgb1B, n);
        denseRgb2.forward(be, features, featOff, ldf, ws.r1, 0, hw, params, rgb2W, hw, params, rgb2B, n);
    }

    /** Backward of {@link #forwardPlain}; same contract as {@link #backward}. */
    public void backwardPlain(Backend be, Workspace ws, float[] dParams, float[] dPe, int dPeOff, int lddpe,
                              float[] dShapeCode, int dShapeOff, float[] dAppearance, int dAppOff,
                              float[] dSigma, int dSigmaOff, float[] dFeatures, int dFeatOff, int lddf,
                              float[] pe, int peOff, int ldpe, float[] shapeCode, int shapeOff, float[] appearance, int appOff,
                              float[] params, int images, int pointsPerImage) {
        String op = "NerfMlp.backwardPlain";
        checkBackward(op, be, ws, dParams, dPe, dPeOff, lddpe, dShapeCode, dShapeOff, dAppearance, dAppOff,
                dSigma, dSigmaOff, dFeatures, dFeatOff, lddf, pe, peOff, ldpe, shapeCode, shapeOff, appearance, appOff,
                params, images, pointsPerImage, true);
        int n = images * pointsPerImage;
        if (n == 0) {
            return;
        }
        int p = pointsPerImage;
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int r1In = w + a;
        float[] last = ws.h[cfg.layers() - 1];

        denseRgb2.backward(be, ws.dR1, 0, hw, false, dParams, rgb2W, hw, dParams, rgb2B,
                dFeatures, dFeatOff, lddf, ws.r1, 0, hw, null, 0, hw, params, rgb2W, hw, n);
        denseRgb1.backward(be, ws.dRgb1Input, 0, r1In, false, dParams, rgb1W, r1In, dParams, rgb1B,
                ws.dR1, 0, hw, ws.rgb1Input, 0, r1In, ws.r1, 0, hw, params, rgb1W, r1In, n);
        if (dAppearance != null) {
            ws.broadcast.backward(be, dAppearance, dAppOff, true, ws.dRgb1Input, w, r1In, images, p, a);
        }
        float[] dH = ws.dHb;
        denseRgb0.backward(be, dH, 0, w, false, dParams, rgb0W, w, dParams, rgb0B,
                ws.dRgb1Input, 0, r1In, last, 0, w, null, 0, w, params, rgb0W, w, n);
        be.copy2d(ws.dSigma, 0, 1, dSigma, dSigmaOff, 1, n, 1, false);
        denseDensity.backward(be, dH, 0, w, true, dParams, densityW, w, dParams, densityB,
                ws.dSigma, 0, 1, last, 0, w, ws.sigma, 0, 1, params, densityW, w, n);
        float[] dNext = ws.dHa;
        for (int l = cfg.layers() - 1; l >= 1; l--) {
            if (l == cfg.skipLayer()) {
                denseSkip.backward(be, ws.dSkipInput, 0, in + w, false, dParams, wOff[l], in + w,
                        dParams, bOff[l], dH, 0, w, ws.skipInput, 0, in + w, ws.h[l], 0, w, params, wOff[l], in + w, n);
                concatSkip.backward(be, ws.dx, 0, in, dNext, 0, w, false, ws.dSkipInput, 0, in + w, n);
            } else {
                denseHidden.backward(be, dNext, 0, w, false, dParams, wOff[l], w, dParams, bOff[l], dH, 0, w,
                        ws.h[l - 1], 0, w, ws.h[l], 0, w, params, wOff[l], w, n);
            }
            float[] t = dH;
            dH = dNext;
            dNext = t;
        }
        denseInput.backward(be, ws.dx, 0, in, true, dParams, wOff[0], in, dParams, bOff[0],
                dH, 0, w, ws.x, 0, in, ws.h[0], 0, w, params, wOff[0], in, n);
        if (dPe != null) {
            be.copy2d(dPe, dPeOff, lddpe, ws.dx, 0, in, n, e, true);
        }
        if (dShapeCode != null) {
            ws.broadcast.backward(be, dShapeCode, dShapeOff, true, ws.dx, e, in, images, p, s);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Argument checks

    private void checkForward(String op, Backend be, Workspace ws, float[] sigma, int sigmaOff,
                              float[] features, int featOff, int ldf, float[] pe, int peOff, int ldpe,
                              float[] shapeCode, int shapeOff, float[] appearance, int appOff,
                              float[] params, int images, int pointsPerImage) {
        Checks.notNull(op, "backend", be);
        Checks.notNull(op, "workspace", ws);
        if (ws.cfg != cfg && !ws.cfg.equals(cfg)) {
            throw new IllegalArgumentException(op + ": argument 'workspace' was made for another config " + ws.cfg);
        }
        Checks.size(op, "images", images);
        Checks.size(op, "pointsPerImage", pointsPerImage);
        long nl = (long) images * pointsPerImage;
        if (nl > Integer.MAX_VALUE / Math.max(cfg.width() + cfg.inputWidth(), 1)) {
            throw new IllegalArgumentException(op + ": " + nl + " points is too many for one call");
        }
        int n = (int) nl;
        Checks.vector(op, "sigma", sigma, sigmaOff, n);
        Checks.matrix(op, "features", features, featOff, ldf, n, cfg.featureChannels());
        Checks.matrix(op, "pe", pe, peOff, ldpe, n, cfg.encodedWidth());
        Checks.vector(op, "shapeCode", shapeCode, shapeOff, images * cfg.shapeCodeWidth());
        Checks.vector(op, "appearance", appearance, appOff, images * cfg.appearanceWidth());
        Checks.vector(op, "params", params, 0, parameterCount());
    }

    private void checkBackward(String op, Backend be, Workspace ws, float[] dParams, float[] dPe, int dPeOff, int lddpe,
                               float[] dShapeCode, int dShapeOff, float[] dAppearance, int dAppOff,
                               float[] dSigma, int dSigmaOff, float[] dFeatures, int dFeatOff, int lddf,
                               float[] pe, int peOff, int ldpe, float[] shapeCode, int shapeOff, float[] appearance, int appOff,
                               float[] params, int images, int pointsPerImage, boolean plain) {
        Checks.notNull(op, "backend", be);
        Checks.notNull(op, "workspace", ws);
        Checks.size(op, "images", images);
        Checks.size(op, "pointsPerImage", pointsPerImage);
        if (!ws.training) {
            throw new IllegalArgumentException(op + ": argument 'workspace' is a forward-only (inference) workspace");
        }
        if (ws.images != images || ws.pointsPerImage != pointsPerImage || ws.plain != plain) {
            throw new IllegalArgumentException(op + ": argument 'workspace' holds a " + (ws.plain ? "plain " : "")
                    + "forward of " + ws.images + " x " + ws.pointsPerImage + " points, not " + images + " x " + pointsPerImage
                    + (plain ? " (plain)" : ""));
        }
        int n = images * pointsPerImage;
        Checks.vector(op, "dParams", dParams, 0, parameterCount());
        if (dPe != null) {
            Checks.matrix(op, "dPe", dPe, dPeOff, lddpe, n, cfg.encodedWidth());
        }
        if (dShapeCode != null) {
            Checks.vector(op, "dShapeCode", dShapeCode, dShapeOff, images * cfg.shapeCodeWidth());
        }
        if (dAppearance != null) {
            Checks.vector(op, "dAppearance", dAppearance, dAppOff, images * cfg.appearanceWidth());
        }
        Checks.vector(op, "dSigma", dSigma, dSigmaOff, n);
        Checks.matrix(op, "dFeatures", dFeatures, dFeatOff, lddf, n, cfg.featureChannels());
        Checks.matrix(op, "pe", pe, peOff, ldpe, n, cfg.encodedWidth());
        Checks.vector(op, "shapeCode", shapeCode, shapeOff, images * cfg.shapeCodeWidth());
        Checks.vector(op, "appearance", appearance, appOff, images * cfg.appearanceWidth());
        Checks.vector(op, "params", params, 0, parameterCount());
    }

    /**
     * Preallocated activations and scratch of one {@link NerfMlp}: created once, reused by every call, grown
     * (reallocated) only when a call needs more images or points than it holds. The buffers of the plain
     * path are allocated on its first use. One workspace serves one forward/backward pair at a time.
     */
    public static final class Workspace {
        final NerfMlpConfig cfg;
        final boolean training;
        int capImages;
        int capPoints;
        int capPlainPoints;
        int images = -1;
        int pointsPerImage = -1;
        boolean plain;

        float[][] h;           // per trunk layer l: (N, W) after ReLU (inference: two buffers, alternating)
        float[] sigma;         // (N) after ReLU
        float[] r1;            // (N, W/2) RGB_layer_1 output after ReLU
        float[] fold;          // (W/2, W) M = Wr1[:, :W] Wr0, RGB_layer_0 folded into RGB_layer_1
        float[] foldBias;      // (W/2) Wr1[:, :W] br0
        float[] foldG;         // (W/2, W) backward: dZ(RGB_layer_1)^T h(L-1)
        float[] foldS;         // (W/2) backward: dZ(RGB_layer_1) summed over all points
        float[] codeBias0;     // (B, W) shape code x W0[:, E:] + b0
        float[] codeBiasSkip;  // (B, W) shape code x Wskip[:, E:E+S] + bskip
        float[] codeBiasRgb1;  // (B, W/2) appearance x Wr1[:, W:] + br1
        float[] dHa;           // (N, W) gradient scratch
        float[] dHb;           // (N, W) gradient scratch
        float[] dR1;           // (N, W/2)
        float[] dSigma;        // (N)
        float[] groupSums;     // (B, W) per-image sums of dZ

        float[] x;             // plain: (N, E+S) the input [pe, shape code]
        float[] skipInput;     // plain: (N, E+S+W) [input, h(skip)]
        float[] r0;            // plain: (N, W) RGB_layer_0 output
        float[] rgb1Input;     // plain: (N, W+A) [r0, appearance]
        float[] dx;            // plain: (N, E+S)
        float[] dSkipInput;    // plain: (N, E+S+W)
        float[] dRgb1Input;    // plain: (N, W+A)
        final RowBroadcast broadcast = new RowBroadcast();

        Workspace(NerfMlpConfig cfg, int maxImages, int maxPoints, boolean training) {
            this.cfg = Checks.notNull("NerfMlp.Workspace", "config", cfg);
            this.training = training;
            Checks.size("NerfMlp.Workspace", "maxImages", maxImages);
            Checks.size("NerfMlp.Workspace", "maxPoints", maxPoints);
            h = new float[cfg.layers()][];
            allocate(maxImages, maxPoints);
        }

        /** Images this workspace holds without growing. */
        public int capacityImages() {
            return capImages;
        }

        /** Points (over all images) this workspace holds without growing. */
        public int capacityPoints() {
            return capPoints;
        }

        void ensure(int images, int points) {
            if (images > capImages || points > capPoints) {
                allocate(Math.max(images, capImages), Math.max(points, capPoints));
            }
        }

        void ensurePlain(int points) {
            if (points > capPlainPoints || x == null) {
                int n = Math.max(points, capPlainPoints);
                int in = cfg.inputWidth();
                int w = cfg.width();
                int r1In = w + cfg.appearanceWidth();
                x = new float[n * in];
                r0 = new float[n * w];
                skipInput = new float[n * (in + w)];
                rgb1Input = new float[n * r1In];
                dx = new float[n * in];
                dSkipInput = new float[n * (in + w)];
                dRgb1Input = new float[n * r1In];
                capPlainPoints = n;
            }
        }

        private void allocate(int maxImages, int maxPoints) {
            int w = cfg.width();
            int hw = cfg.rgbHiddenWidth();
            long big = (long) maxPoints * w;
            if (big > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("NerfMlp.Workspace: " + maxPoints + " points of width " + w
                        + " do not fit one Java array; process the points in chunks");
            }
            if (training) {
                for (int l = 0; l < h.length; l++) {
                    h[l] = new float[maxPoints * w];
                }
            } else {
                float[][] two = {new float[maxPoints * w], new float[maxPoints * w]};
                for (int l = 0; l < h.length; l++) {
                    h[l] = two[l & 1];
                }
            }
            fold = new float[hw * w];
            foldBias = new float[hw];
            foldG = new float[hw * w];
            foldS = new float[hw];
            sigma = new float[maxPoints];
            r1 = new float[maxPoints * hw];
            codeBias0 = new float[maxImages * w];
            codeBiasSkip = new float[maxImages * w];
            codeBiasRgb1 = new float[maxImages * hw];
            if (training) {
                dHa = new float[maxPoints * w];
                dHb = new float[maxPoints * w];
                dR1 = new float[maxPoints * hw];
                dSigma = new float[maxPoints];
                groupSums = new float[maxImages * w];
            }
            capImages = maxImages;
            capPoints = maxPoints;
        }
    }
}
