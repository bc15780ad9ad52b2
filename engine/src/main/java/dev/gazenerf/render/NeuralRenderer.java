package dev.gazenerf.render;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.Activation;
import dev.gazenerf.nn.Dense;
import dev.gazenerf.tensor.ParamLayout;

import java.util.SplittableRandom;

/**
 * GazeNeRF's 2D neural renderer (HeadNeRF's {@code NeuralRenderer}, reference section 2.7): a feature map
 * {@code (images, F, F, C_0)} channels-last to an RGB image {@code (images, O, O, 3)} channels-last,
 * {@code n = log2(O / F)} blocks (paper: 64^2 x 258 -> 512^2 x 3, n = 3).
 *
 * <p>Widths {@code C_i = max(C_0 / 2^i, minChannels)} (integer division; 258, 129, 64, 32 in the paper).
 * With {@code lrelu} = LeakyReLU(0.2), {@code Up} = bilinear x2 (align_corners=False) then the 3x3 blur,
 * {@code PSU_i(x) = blur(pixel_shuffle(lrelu(W2 lrelu(W1 x + b1) + b2) + repeat4(x)))}:
 * <pre>
 *   rgb = Up(feat_2_rgb_0(x));  net = x
 *   for i in 0..n-1:
 *     net = lrelu(feat_layers_i(PSU_i(net)))
 *     rgb = rgb + feat_2_rgb_{i+1}(net);  if i < n-1: rgb = Up(rgb)
 *   out = sigmoid(rgb)
 * </pre>
 * Every 1x1 convolution has a bias and runs as a {@link Dense} layer on {@link Backend} (gemmNT +
 * biasActivation forward; gemmTN, columnSums, gemmNN backward); the other ops are {@link RenderKernels}.
 *
 * <p>Parameters, in the reference's state-dict order and names (prefix + name):
 * {@code feat_upsample_list.i.layer_1.weight [2C_i, C_i]}, {@code .bias}, {@code layer_2 [4C_i, 2C_i]},
 * {@code feat_2_rgb_list.j.weight [3, C_j]}, {@code feat_layers.i.weight [C_{i+1}, C_i]} (each with a bias;
 * the blur kernels are buffers, not parameters), then {@code bg_featmap [1, C_0, F, F]}, stored in the
 * reference's channels-first order so that a checkpoint maps one to one. The learnable background map is
 * used channels-last: {@link #backgroundChannelsLast} transposes it into a caller buffer and
 * {@link #backgroundBackward} adds a channels-last gradient back in the stored order.
 * The paper renderer has 920,988 convolution parameters and a 1,056,768-float background map.
 *
 * <p>Several calls per step share the weights (merge, face, eyes, background), each with its own
 * {@link Workspace} (the caches of its backward), sized once for the largest batch. The input map of a
 * call must stay unchanged until that call's backward.
 */
public final class NeuralRenderer {
    private final int blocks;
    private final int featmapSize;
    private final int outputSize;
    private final int[] widths;          // C_0 .. C_n
    private final Dense[] layer1;
    private final Dense[] layer2;
    private final Dense[] featLayers;
    private final Dense[] toRgb;         // n + 1 of them
    private final int[] layer1W;
    private final int[] layer1B;
    private final int[] layer2W;
    private final int[] layer2B;
    private final int[] featW;
    private final int[] featB;
    private final int[] rgbW;
    private final int[] rgbB;
    private final int bgOffset;
    private final int firstOffset;
    private final int endOffset;

    /**
     * Adds the renderer's parameters to {@code layout} under {@code prefix} (for example
     * {@code "neural_render."} inside the full model, or {@code ""}).
     *
     * @param featureChannels C_0 (258)
     * @param featmapSize     F (64)
     * @param outputSize      O (512), F times a power of two, at least 2F
     * @param minChannels     the floor of the halving widths (32)
     */
    public NeuralRenderer(ParamLayout layout, String prefix, int featureChannels, int featmapSize, int outputSize,
                          int minChannels) {
        String op = "NeuralRenderer";
        Checks.notNull(op, "layout", layout);
        Checks.notNull(op, "prefix", prefix);
        Checks.positive(op, "featureChannels", featureChannels);
        Checks.positive(op, "featmapSize", featmapSize);
        Checks.positive(op, "minChannels", minChannels);
        if (outputSize <= featmapSize || outputSize % featmapSize != 0
                || Integer.bitCount(outputSize / featmapSize) != 1) {
            throw new IllegalArgumentException(op + ": outputSize " + outputSize + " must be featmapSize "
                    + featmapSize + " times a power of two of at least 2");
        }
        if (featmapSize < 2) {
            throw new IllegalArgumentException(op + ": featmapSize must be at least 2 (reflect border of the blur)");
        }
        this.featmapSize = featmapSize;
        this.outputSize = outputSize;
        this.blocks = Integer.numberOfTrailingZeros(outputSize / featmapSize);
        widths = new int[blocks + 1];
        for (int i = 0; i <= blocks; i++) {
            widths[i] = Math.max(featureChannels >> i, minChannels);
        }
        widths[0] = featureChannels;
        layer1 = new Dense[blocks];
        layer2 = new Dense[blocks];
        featLayers = new Dense[blocks];
        toRgb = new Dense[blocks + 1];
        layer1W = new int[blocks];
        layer1B = new int[blocks];
        layer2W = new int[blocks];
        layer2B = new int[blocks];
        featW = new int[blocks];
        featB = new int[blocks];
        rgbW = new int[blocks + 1];
        rgbB = new int[blocks + 1];
        firstOffset = layout.size();
        for (int i = 0; i < blocks; i++) {
            int c = widths[i];
            layer1[i] = new Dense(c, 2 * c, Activation.LEAKY_RELU);
            layer2[i] = new Dense(2 * c, 4 * c, Activation.LEAKY_RELU);
            String p = prefix + "feat_upsample_list." + i + ".";
            layer1W[i] = layout.add(p + "layer_1.weight", 2 * c, c);
            layer1B[i] = layout.add(p + "layer_1.bias", 2 * c);
            layer2W[i] = layout.add(p + "layer_2.weight", 4 * c, 2 * c);
            layer2B[i] = layout.add(p + "layer_2.bias", 4 * c);
        }
        for (int j = 0; j <= blocks; j++) {
            toRgb[j] = new Dense(widths[j], 3, Activation.NONE);
            rgbW[j] = layout.add(prefix + "feat_2_rgb_list." + j + ".weight", 3, widths[j]);
            rgbB[j] = layout.add(prefix + "feat_2_rgb_list." + j + ".bias", 3);
        }
        for (int i = 0; i < blocks; i++) {
            featLayers[i] = new Dense(widths[i], widths[i + 1], Activation.LEAKY_RELU);
            featW[i] = layout.add(prefix + "feat_layers." + i + ".weight", widths[i + 1], widths[i]);
            featB[i] = layout.add(prefix + "feat_layers." + i + ".bias", widths[i + 1]);
        }
        bgOffset = layout.add(prefix + "bg_featmap", 1, featureChannels, featmapSize, featmapSize);
        endOffset = layout.size();
    }

    /** Upsampling blocks n. */
    public int blocks() {
        return blocks;
    }

    /** Channel width of level i (0 = the input feature map). */
    public int width(int i) {
        return widths[i];
    }

    /** Feature-map side F. */
    public int featmapSize() {
        return featmapSize;
    }

    /** Output image side O. */
    public int outputSize() {
        return outputSize;
    }

    /** Parameters of the convolutions (920,988 in the paper preset). */
    public int convolutionParameterCount() {
        return bgOffset - firstOffset;
    }

    /** Floats of the background map, {@code C_0 F^2} (1,056,768 in the paper preset). */
    public int backgroundParameterCount() {
        return endOffset - bgOffset;
    }

    /** Offset of {@code bg_featmap} in the layout. */
    public int backgroundOffset() {
        return bgOffset;
    }

    /**
     * PyTorch's defaults for {@code nn.Conv2d}: weights and biases uniform in {@code +-1/sqrt(fan_in)}
     * (Kaiming-uniform with a = sqrt 5); the background map is all ones (a white background).
     */
    public void initialize(float[] params, long seed) {
        Checks.vector("NeuralRenderer.initialize", "params", params, firstOffset, endOffset - firstOffset);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < blocks; i++) {
            uniform(params, layer1W[i], layer1B[i], layer1[i], rng);
            uniform(params, layer2W[i], layer2B[i], layer2[i], rng);
        }
        for (int j = 0; j <= blocks; j++) {
            uniform(params, rgbW[j], rgbB[j], toRgb[j], rng);
        }
        for (int i = 0; i < blocks; i++) {
            uniform(params, featW[i], featB[i], featLayers[i], rng);
        }
        java.util.Arrays.fill(params, bgOffset, endOffset, 1f);
    }

    private static void uniform(float[] params, int w, int b, Dense d, SplittableRandom rng) {
        double bound = 1.0 / Math.sqrt(d.in);
        for (int k = 0; k < d.in * d.out; k++) {
            params[w + k] = (float) ((2 * rng.nextDouble() - 1) * bound);
        }
        for (int k = 0; k < d.out; k++) {
            params[b + k] = (float) ((2 * rng.nextDouble() - 1) * bound);
        }
    }

    /** The background map as channels-last {@code (F*F, C_0)}: {@code out[p*C + c] = bg_featmap[0, c, p]}. */
    public void backgroundChannelsLast(float[] out, float[] params) {
        int c0 = widths[0];
        int pixels = featmapSize * featmapSize;
        Checks.vector("NeuralRenderer.backgroundChannelsLast", "out", out, 0, pixels * c0);
        Checks.vector("NeuralRenderer.backgroundChannelsLast", "params", params, bgOffset, pixels * c0);
        for (int p = 0; p < pixels; p++) {
            for (int c = 0; c < c0; c++) {
                out[p * c0 + c] = params[bgOffset + c * pixels + p];
            }
        }
    }

    /** Adds a channels-last background gradient {@code (F*F, C_0)} to {@code dParams} in the stored (C, F, F) order. */
    public void backgroundBackward(float[] dParams, float[] dBg) {
        int c0 = widths[0];
        int pixels = featmapSize * featmapSize;
        Checks.vector("NeuralRenderer.backgroundBackward", "dBg", dBg, 0, pixels * c0);
        Checks.vector("NeuralRenderer.backgroundBackward", "dParams", dParams, bgOffset, pixels * c0);
        for (int p = 0; p < pixels; p++) {
            for (int c = 0; c < c0; c++) {
                dParams[bgOffset + c * pixels + p] += dBg[p * c0 + c];
            }
        }
    }

    /** A workspace (forward caches and backward scratch) for up to {@code maxImages} images per call. */
    public Workspace newWorkspace(int maxImages) {
        Checks.positive("NeuralRenderer.newWorkspace", "maxImages", maxImages);
        return new Workspace(this, maxImages, null);
    }

    /**
     * A workspace with its own caches that shares the scratch buffers (about half the memory) of
     * {@code other}: calls made with the two may interleave forward/backward as whole calls, never run
     * at the same time.
     */
    public Workspace newWorkspace(int maxImages, Workspace other) {
        Checks.positive("NeuralRenderer.newWorkspace", "maxImages", maxImages);
        Checks.notNull("NeuralRenderer.newWorkspace", "other", other);
        if (other.owner != this || other.maxImages < maxImages) {
            throw new IllegalArgumentException("NeuralRenderer.newWorkspace: 'other' belongs to another renderer "
                    + "or serves fewer than " + maxImages + " images");
        }
        return new Workspace(this, maxImages, other);
    }

    private int side(int level) {
        return featmapSize << level;
    }

    private int rows(int level, int images) {
        return images * side(level) * side(level);
    }

    /**
     * Forward: {@code out = renderer(in)}.
     *
     * @param out    {@code (images, O, O, 3)} channels-last RGB in (0, 1)
     * @param in     {@code (images, F, F, C_0)} channels-last at inOff (kept unchanged until backward)
     * @param params the parameter buffer of the layout this renderer was added to
     */
    public void forward(Backend be, RenderKernels rk, Workspace ws, float[] out, float[] in, int inOff,
                        float[] params, int images) {
        String op = "NeuralRenderer.forward";
        checkCall(op, be, rk, ws, images);
        Checks.vector(op, "out", out, 0, rows(blocks, images) * 3);
        Checks.vector(op, "in", in, inOff, rows(0, images) * widths[0]);
        Checks.vector(op, "params", params, firstOffset, endOffset - firstOffset);
        ws.images = images;
        ws.inOff = inOff;
        if (images == 0) {
            return;
        }
        int r0 = rows(0, images);
        toRgb[0].forward(be, ws.rgb[0], 0, 3, in, inOff, widths[0], params, rgbW[0], widths[0], params, rgbB[0], r0);
        up(rk, ws, ws.rgb[1], ws.rgb[0], 0, images);
        for (int i = 0; i < blocks; i++) {
            int c = widths[i];
            int r = rows(i, images);
            int rNext = rows(i + 1, images);
            float[] x = i == 0 ? in : ws.net[i];
            int xOff = i == 0 ? inOff : 0;
            layer1[i].forward(be, ws.a[i], 0, 2 * c, x, xOff, c, params, layer1W[i], c, params, layer1B[i], r);
            layer2[i].forward(be, ws.b[i], 0, 4 * c, ws.a[i], 0, 2 * c, params, layer2W[i], 2 * c, params, layer2B[i], r);
            rk.repeatAddForward(ws.scratchWide, ws.b[i], x, xOff, r, c, 4);
            rk.pixelShuffleForward(ws.scratchMap, ws.scratchWide, images, side(i), side(i), c);
            rk.blurForward(ws.v[i], ws.scratchMap, images, side(i + 1), side(i + 1), c);
            featLayers[i].forward(be, ws.net[i + 1], 0, widths[i + 1], ws.v[i], 0, c, params, featW[i], c,
                    params, featB[i], rNext);
            be.gemmNT(rNext, 3, widths[i + 1], ws.net[i + 1], 0, widths[i + 1], params, rgbW[i + 1], widths[i + 1],
                    ws.rgb[i + 1], 0, 3, true);
            be.biasActivation(ws.rgb[i + 1], 0, 3, rNext, 3, params, rgbB[i + 1], 3, rNext, Activation.NONE);
            if (i < blocks - 1) {
                up(rk, ws, ws.rgb[i + 2], ws.rgb[i + 1], i + 1, images);
            }
        }
        int rOut = rows(blocks, images);
        be.copy2d(ws.image, 0, 3, ws.rgb[blocks], 0, 3, rOut, 3, false);
        be.biasActivation(ws.image, 0, 3, rOut, 3, null, 0, 0, rOut, Activation.SIGMOID);
        be.copy2d(out, 0, 3, ws.image, 0, 3, rOut, 3, false);
    }

    /** {@code dst (level+1) = blur(bilinear(src (level)))} for the 3-channel RGB path. */
    private void up(RenderKernels rk, Workspace ws, float[] dst, float[] src, int level, int images) {
        rk.upsampleForward(ws.scratchRgb, src, images, side(level), side(level), 3);
        rk.blurForward(dst, ws.scratchRgb, images, side(level + 1), side(level + 1), 3);
    }

    /**
     * Backward of the last {@link #forward} run with {@code ws}: parameter gradients accumulate into
     * {@code dParams} (same layout as params); {@code dIn (+)= dL/din} at dInOff.
     *
     * @param dOut {@code (images, O, O, 3)} dL/dout (not modified)
     * @param in   the forward's input, unchanged
     */
    public void backward(Backend be, RenderKernels rk, Workspace ws, float[] dIn, int dInOff, boolean accumulateDIn,
                         float[] dParams, float[] dOut, float[] in, float[] params) {
        String op = "NeuralRenderer.backward";
        int images = ws == null ? 0 : ws.images;
        checkCall(op, be, rk, ws, images);
        Checks.vector(op, "dIn", dIn, dInOff, rows(0, images) * widths[0]);
        Checks.vector(op, "dParams", dParams, firstOffset, endOffset - firstOffset);
        Checks.vector(op, "dOut", dOut, 0, rows(blocks, images) * 3);
        Checks.vector(op, "in", in, ws.inOff, rows(0, images) * widths[0]);
        Checks.vector(op, "params", params, firstOffset, endOffset - firstOffset);
        if (images == 0) {
            return;
        }
        int inOff = ws.inOff;
        int rOut = rows(blocks, images);
        be.activationBackward(ws.dRgb[blocks], 0, 3, dOut, 0, 3, ws.image, 0, 3, rOut, 3, Activation.SIGMOID);
        for (int i = blocks - 1; i >= 0; i--) {
            int c = widths[i];
            int cNext = widths[i + 1];
            int r = rows(i, images);
            int rNext = rows(i + 1, images);
            // rgb_{i+1} = Up(rgb_i) + feat_2_rgb_{i+1}(net_{i+1})
            toRgb[i + 1].backward(be, ws.dNet[i + 1], 0, cNext, i + 1 < blocks, dParams, rgbW[i + 1], cNext,
                    dParams, rgbB[i + 1], ws.dRgb[i + 1], 0, 3, ws.net[i + 1], 0, cNext, null, 0, 3,
                    params, rgbW[i + 1], cNext, rNext);
            rk.blurBackward(ws.scratchRgb, ws.dRgb[i + 1], images, side(i + 1), side(i + 1), 3, false);
            rk.upsampleBackward(ws.dRgb[i], ws.scratchRgb, images, side(i), side(i), 3, false);
            // net_{i+1} = lrelu(feat_layers_i(v_i)); dNet_{i+1} becomes dZ in place
            featLayers[i].backward(be, ws.dScratchMap, 0, c, false, dParams, featW[i], c, dParams, featB[i],
                    ws.dNet[i + 1], 0, cNext, ws.v[i], 0, c, ws.net[i + 1], 0, cNext, params, featW[i], c, rNext);
            rk.blurBackward(ws.scratchMap, ws.dScratchMap, images, side(i + 1), side(i + 1), c, false);
            rk.pixelShuffleBackward(ws.scratchWide, ws.scratchMap, images, side(i), side(i), c, false);
            float[] x = i == 0 ? in : ws.net[i];
            int xOff = i == 0 ? inOff : 0;
            float[] dx = i == 0 ? dIn : ws.dNet[i];
            int dxOff = i == 0 ? dInOff : 0;
            boolean accFirst = i == 0 && accumulateDIn;
            rk.repeatAddBackward(dx, dxOff, ws.scratchWide, r, c, 4, accFirst);
            layer2[i].backward(be, ws.dA, 0, 2 * c, false, dParams, layer2W[i], 2 * c, dParams, layer2B[i],
                    ws.scratchWide, 0, 4 * c, ws.a[i], 0, 2 * c, ws.b[i], 0, 4 * c, params, layer2W[i], 2 * c, r);
            layer1[i].backward(be, dx, dxOff, c, true, dParams, layer1W[i], c, dParams, layer1B[i],
                    ws.dA, 0, 2 * c, x, xOff, c, ws.a[i], 0, 2 * c, params, layer1W[i], c, r);
        }
        toRgb[0].backward(be, dIn, dInOff, widths[0], true, dParams, rgbW[0], widths[0], dParams, rgbB[0],
                ws.dRgb[0], 0, 3, in, inOff, widths[0], null, 0, 3, params, rgbW[0], widths[0], rows(0, images));
    }

    private void checkCall(String op, Backend be, RenderKernels rk, Workspace ws, int images) {
        Checks.notNull(op, "backend", be);
        Checks.notNull(op, "kernels", rk);
        Checks.notNull(op, "workspace", ws);
        if (ws.owner != this) {
            throw new IllegalArgumentException(op + ": the workspace belongs to another renderer");
        }
        if (images < 0 || images > ws.maxImages) {
            throw new IllegalArgumentException(op + ": images " + images + " outside [0, " + ws.maxImages + "]");
        }
    }

    /**
     * Caches of one renderer call (for its backward) and scratch, sized for {@code maxImages}. Level i has
     * {@code rows_i = images * (F 2^i)^2} pixel rows. Caches: a, b, v, net, image; the rest is scratch,
     * which several workspaces may share.
     */
    public static final class Workspace {
        final NeuralRenderer owner;
        final int maxImages;
        int images;
        int inOff;
        final float[][] a;          // per block (rows_i, 2 C_i), cached
        final float[][] b;          // per block (rows_i, 4 C_i), cached
        final float[][] v;          // per block (rows_{i+1}, C_i), cached: blurred shuffle, input of feat_layers_i
        final float[][] net;        // per level (rows_i, C_i) for i >= 1, cached
        final float[][] rgb;        // per level (rows_i, 3)
        final float[] image;        // (rows_n, 3) sigmoid output, cached
        final float[] scratchWide;  // (max rows_i, 4 C_i)
        final float[] scratchMap;   // (max rows_{i+1}, C_i)
        final float[] dScratchMap;  // (max rows_{i+1}, C_i)
        final float[] scratchRgb;   // (rows_n, 3)
        final float[] dA;           // (max rows_i, 2 C_i)
        final float[][] dNet;       // per level (rows_i, C_i) for i >= 1
        final float[][] dRgb;       // per level (rows_i, 3)

        Workspace(NeuralRenderer r, int maxImages, Workspace share) {
            this.owner = r;
            this.maxImages = maxImages;
            int n = r.blocks;
            a = new float[n][];
            b = new float[n][];
            v = new float[n][];
            net = new float[n + 1][];
            rgb = new float[n + 1][];
            long wide = 0;
            long map = 0;
            long mid = 0;
            for (int i = 0; i < n; i++) {
                int rows = r.rows(i, maxImages);
                int rowsNext = r.rows(i + 1, maxImages);
                int c = r.widths[i];
                a[i] = new float[rows * 2 * c];
                b[i] = new float[rows * 4 * c];
                v[i] = new float[rowsNext * c];
                wide = Math.max(wide, (long) rows * 4 * c);
                map = Math.max(map, (long) rowsNext * c);
                mid = Math.max(mid, (long) rows * 2 * c);
            }
            for (int i = 0; i <= n; i++) {
                int rows = r.rows(i, maxImages);
                if (i >= 1) {
                    net[i] = new float[rows * r.widths[i]];
                }
                rgb[i] = new float[rows * 3];
            }
            image = new float[r.rows(n, maxImages) * 3];
            if (share != null) {
                dNet = share.dNet;
                dRgb = share.dRgb;
                scratchRgb = share.scratchRgb;
                scratchWide = share.scratchWide;
                scratchMap = share.scratchMap;
                dScratchMap = share.dScratchMap;
                dA = share.dA;
                return;
            }
            dNet = new float[n + 1][];
            dRgb = new float[n + 1][];
            for (int i = 0; i <= n; i++) {
                int rows = r.rows(i, maxImages);
                if (i >= 1) {
                    dNet[i] = new float[rows * r.widths[i]];
                }
                dRgb[i] = new float[rows * 3];
            }
            scratchRgb = new float[r.rows(n, maxImages) * 3];
            scratchWide = new float[Math.toIntExact(wide)];
            scratchMap = new float[Math.toIntExact(map)];
            dScratchMap = new float[Math.toIntExact(map)];
            dA = new float[Math.toIntExact(mid)];
        }

        /** The largest batch this workspace serves. */
        public int capacityImages() {
            return maxImages;
        }
    }
}
