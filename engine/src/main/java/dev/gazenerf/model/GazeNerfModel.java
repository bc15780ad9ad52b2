package dev.gazenerf.model;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;
import dev.gazenerf.render.NeuralRenderer;
import dev.gazenerf.render.Rays;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.tensor.ParamLayout;

/**
 * GazeNeRF (reference section 2): two conditional NeRF streams (face, eyes), each volume-rendered to a
 * feature map over the learnable background, the eye map rotated by the gaze, the two merged by an
 * elementwise max, and the shared neural renderer run on the merge, the face map, the rotated eye map and
 * the background map alone. Forward produces the four images {@code merge_img}, {@code merge_img_face},
 * {@code merge_img_eyes}, {@code bg_img}; backward takes their gradients to every parameter, the codes, the
 * camera corrections and the gaze.
 *
 * <p>Parameters live in three flat buffers, one per network, each with its layout (reference names, as the
 * reference's state dict without its module prefix): {@code fg_CD_predictor_face.*}, {@code fg_CD_predictor_eyes.*}
 * ({@link NerfMlp}) and {@code neural_render.*} ({@link NeuralRenderer}, including {@code bg_featmap}).
 * {@link #parameterCount()} is 5,015,714 for the paper preset.
 *
 * <p>Per image the per-point input is {@code [PE(xyz), iden, expr, pitch, yaw]} for both streams (the
 * reference feeds the gaze to both; {@code gazeFreeFace} drops it from the face stream) and the appearance
 * code {@code [text, illu]}. Memory: the MLPs run over chunks of {@code rayChunk} rays of one image. When the
 * MLP caches of every chunk of a full batch fit {@link #KEEP_MLP_FLOATS} (the {@code small} and {@code tiny}
 * presets), the workspace keeps them from forward to backward. Otherwise (the paper preset) forward keeps only what
 * compositing's backward needs (alpha and transmittance per sample, the composited maps), and backward
 * recomputes each chunk's MLP forward just before its backward (activation checkpointing). Both ways give the
 * same bits: the recomputation has the same inputs and order.
 *
 * <p>Feature maps are channels-last {@code (images * F * F, C)}; images are channels-last {@code (O * O, 3)} per image.
 */
public final class GazeNerfModel {
    /** Names of the three networks, as the reference's module attributes. */
    public static final String FACE = "fg_CD_predictor_face";
    public static final String EYES = "fg_CD_predictor_eyes";
    public static final String RENDERER = "neural_render";

    private final Preset preset;
    private final NerfMlp faceMlp;
    private final NerfMlp eyeMlp;
    private final ParamLayout rendererLayout = new ParamLayout();
    private final NeuralRenderer renderer;

    /** The architecture of a preset; parameters and workspaces are created separately. */
    public GazeNerfModel(Preset preset) {
        this.preset = Checks.notNull("GazeNerfModel", "preset", preset);
        faceMlp = new NerfMlp(mlpConfig(preset, preset.gazeFreeFace()));
        eyeMlp = new NerfMlp(mlpConfig(preset, false));
        renderer = new NeuralRenderer(rendererLayout, "", preset.featureChannels(), preset.featmapSize(),
                preset.outputSize(), preset.minRendererChannels());
    }

    private static NerfMlpConfig mlpConfig(Preset p, boolean gazeFree) {
        return new NerfMlpConfig(p.encodedChannels(), p.idenDims(), p.exprDims(), gazeFree ? 0 : p.gazeDims(),
                p.appearanceDims(), p.mlpWidth(), p.mlpLayers(), p.mlpLayers() / 2, p.featureChannels());
    }

    public Preset preset() {
        return preset;
    }

    public NerfMlp faceMlp() {
        return faceMlp;
    }

    public NerfMlp eyeMlp() {
        return eyeMlp;
    }

    public NeuralRenderer renderer() {
        return renderer;
    }

    /** The renderer's parameter layout ({@code neural_render.} names without the prefix). */
    public ParamLayout rendererLayout() {
        return rendererLayout;
    }

    /** All trainable parameters of the three networks (5,015,714 for the paper preset). */
    public long parameterCount() {
        return (long) faceMlp.parameterCount() + eyeMlp.parameterCount() + rendererLayout.size();
    }

    /** Per-image shape code without the gaze: identity + expression (179). */
    public int shapeDims() {
        return preset.idenDims() + preset.exprDims();
    }

    /** Fresh parameter buffers initialized as the reference (seeds derived from {@code seed}). */
    public Parameters newParameters(long seed) {
        Parameters p = new Parameters(faceMlp.parameterCount(), eyeMlp.parameterCount(), rendererLayout.size());
        faceMlp.initialize(p.face, seed);
        eyeMlp.initialize(p.eyes, seed + 1);
        renderer.initialize(p.renderer, seed + 2);
        return p;
    }

    /** Zeroed buffers shaped like the parameters (for gradients and optimizer moments). */
    public Parameters newZeroParameters() {
        return new Parameters(faceMlp.parameterCount(), eyeMlp.parameterCount(), rendererLayout.size());
    }

    /** The three flat buffers of the networks. */
    public static final class Parameters {
        /** {@code fg_CD_predictor_face}: layout {@link #faceMlp()}{@code .layout()}. */
        public final float[] face;
        /** {@code fg_CD_predictor_eyes}: layout {@link #eyeMlp()}{@code .layout()}. */
        public final float[] eyes;
        /** {@code neural_render}: layout {@link #rendererLayout()}. */
        public final float[] renderer;

        Parameters(int face, int eyes, int renderer) {
            this.face = new float[face];
            this.eyes = new float[eyes];
            this.renderer = new float[renderer];
        }
    }

    /** Buffers for batches of up to {@code maxImages} images. */
    public Workspace newWorkspace(int maxImages) {
        Checks.positive("GazeNerfModel.newWorkspace", "maxImages", maxImages);
        return new Workspace(this, maxImages, null);
    }

    /**
     * A workspace that keeps the MLP caches of every chunk from forward to backward ({@code keepMlpCaches}) or
     * recomputes each chunk's MLP forward in backward, whatever the memory budget; both give the same bits.
     */
    Workspace newWorkspace(int maxImages, boolean keepMlpCaches) {
        Checks.positive("GazeNerfModel.newWorkspace", "maxImages", maxImages);
        return new Workspace(this, maxImages, keepMlpCaches);
    }

    /**
     * Forward of a batch. Inputs per image n (contiguous rows):
     *
     * @param invIntrinsics {@code (B, 9)} K^-1 of the feature-map grid
     * @param rotation      {@code (B, 9)} camera-to-world rotation; translation {@code (B, 3)}
     * @param euler         {@code (B, 3)} camera Euler deltas or null; dTranslation {@code (B, 3)} or null
     * @param shape         {@code (B, iden + expr)}
     * @param appearance    {@code (B, text + illu)}
     * @param gaze          {@code (B, 2)} pitch, yaw (radians)
     * @param train         stratified jitter of the samples (training and fitting), seeded by {@code seed}
     *                      The images are in {@link Workspace#mergeImage()} etc. afterwards.
     */
    public void forward(Backend be, RenderKernels rk, Workspace ws, Parameters params,
                        float[] invIntrinsics, float[] rotation, float[] translation, float[] euler, float[] dTranslation,
                        float[] shape, float[] appearance, float[] gaze, int images, boolean train, long seed) {
        String op = "GazeNerfModel.forward";
        check(op, be, rk, ws, params, images);
        int sd = shapeDims();
        int ad = preset.appearanceDims();
        Checks.vector(op, "shape", shape, 0, images * sd);
        Checks.vector(op, "appearance", appearance, 0, images * ad);
        Checks.vector(op, "gaze", gaze, 0, images * 2);
        ws.images = images;
        ws.shape = shape;
        ws.appearance = appearance;
        ws.gaze = gaze;
        ws.rays.forward(ws.xyz, ws.delta, ws.tvals, invIntrinsics, rotation, translation, euler, dTranslation,
                images, train, seed);
        buildCodes(ws, shape, gaze, images);
        renderer.backgroundChannelsLast(ws.bg, params.renderer);
        int c = preset.featureChannels();
        int p = preset.raysPerImage();
        streamForward(be, rk, ws, faceMlp, ws.faceMlpWs, ws.faceKept, params.face, ws.faceCode, ws.faceMap,
                ws.faceAlpha, ws.faceTrans, ws.faceBgAlpha, appearance, images);
        streamForward(be, rk, ws, eyeMlp, ws.eyeMlpWs, ws.eyeKept, params.eyes, ws.eyeCode, ws.eyeMap,
                ws.eyeAlpha, ws.eyeTrans, ws.eyeBgAlpha, appearance, images);
        rk.rotateForward(ws.eyeRot, ws.eyeMap, gaze, images, p, c);
        rk.maxForward(ws.merge, ws.faceMap, ws.eyeRot, images * p * c);
        renderer.forward(be, rk, ws.mergeWs, ws.mergeImg, ws.merge, 0, params.renderer, images);
        renderer.forward(be, rk, ws.faceWs, ws.faceImg, ws.faceMap, 0, params.renderer, images);
        renderer.forward(be, rk, ws.eyesWs, ws.eyesImg, ws.eyeRot, 0, params.renderer, images);
        renderer.forward(be, rk, ws.bgWs, ws.bgImg, ws.bg, 0, params.renderer, 1);
    }

    private void buildCodes(Workspace ws, float[] shape, float[] gaze, int images) {
        buildCodes(shape, gaze, images, ws.faceCode, 0, ws.eyeCode, 0);
    }

    /**
     * The per-image code rows of the two MLPs: {@code shape (images, shapeDims)} followed by the gaze (pitch, yaw)
     * in the eye MLP's rows and, unless {@code gazeFreeFace}, in the face MLP's; rows of the MLPs' shape-code widths
     * written from {@code faceOff} and {@code eyeOff} (the device step writes them into its input buffer).
     */
    public void buildCodes(float[] shape, float[] gaze, int images, float[] faceCode, int faceOff, float[] eyeCode,
                           int eyeOff) {
        int sd = shapeDims();
        int fw = faceMlp.config().shapeCodeWidth();
        int ew = eyeMlp.config().shapeCodeWidth();
        for (int n = 0; n < images; n++) {
            System.arraycopy(shape, n * sd, faceCode, faceOff + n * fw, sd);
            System.arraycopy(shape, n * sd, eyeCode, eyeOff + n * ew, sd);
            if (fw > sd) {
                faceCode[faceOff + n * fw + sd] = gaze[2 * n];
                faceCode[faceOff + n * fw + sd + 1] = gaze[2 * n + 1];
            }
            eyeCode[eyeOff + n * ew + sd] = gaze[2 * n];
            eyeCode[eyeOff + n * ew + sd + 1] = gaze[2 * n + 1];
        }
    }

    /**
     * The MLP of chunk (image n, rays [r0, r0 + rays)) into sigma / feat at the chunk's offset {@code at} (points);
     * with {@code runMlp} false only the encoded points ws.pe are rebuilt (the MLP's caches were kept). Returns the
     * chunk's points.
     */
    private int chunkMlp(Backend be, Workspace ws, NerfMlp mlp, NerfMlp.Workspace mws, float[] params, float[] code,
                         float[] appearance, int n, int r0, int rays, float[] sigma, float[] feat, int at, boolean runMlp) {
        int s = preset.samples();
        int pts = rays * s;
        int first = (n * preset.raysPerImage() + r0) * s;
        int e = preset.encodedChannels();
        be.frequencyEncode(ws.pe, 0, e, ws.xyz, 3 * first, pts, preset.frequencies());
        if (runMlp) {
            mlp.forward(be, mws, sigma, at, feat, at * preset.featureChannels(), preset.featureChannels(), ws.pe, 0, e,
                    code, n * mlp.config().shapeCodeWidth(), appearance, n * preset.appearanceDims(), params, 1, pts);
        }
        return pts;
    }

    private void streamForward(Backend be, RenderKernels rk, Workspace ws, NerfMlp mlp, NerfMlp.Workspace mws,
                               Kept kept, float[] params, float[] code, float[] map, float[] alpha, float[] trans,
                               float[] bgAlpha, float[] appearance, int images) {
        int p = preset.raysPerImage();
        int s = preset.samples();
        int c = preset.featureChannels();
        for (int n = 0; n < images; n++) {
            for (int r0 = 0; r0 < p; r0 += ws.chunkRays) {
                int rays = Math.min(ws.chunkRays, p - r0);
                int ray = n * p + r0;
                if (kept == null) {
                    chunkMlp(be, ws, mlp, mws, params, code, appearance, n, r0, rays, ws.sigma, ws.feat, 0, true);
                    rk.compositeForward(map, ray * c, null, bgAlpha, ray, alpha, trans, ray * s, ws.sigma, 0, ws.feat, 0,
                            c, ws.delta, ws.tvals, ray * s, ws.bg, rays, s, c, p, r0);
                } else {
                    chunkMlp(be, ws, mlp, kept.mlp[n * ws.chunksPerImage + r0 / ws.chunkRays], params, code, appearance,
                            n, r0, rays, kept.sigma, kept.feat, ray * s, true);
                    rk.compositeForward(map, ray * c, null, bgAlpha, ray, alpha, trans, ray * s, kept.sigma, ray * s,
                            kept.feat, ray * s * c, c, ws.delta, ws.tvals, ray * s, ws.bg, rays, s, c, p, r0);
                }
            }
        }
    }

    /**
     * Backward of the last forward with {@code ws}. Image gradients are channels-last like the images; any
     * of them may be null (that image is not in the loss). Accumulates ({@code +=}) into {@code grads} and
     * into the code, gaze and camera gradients (each may be null when not wanted).
     *
     * @param dShape        {@code (B, iden + expr)}
     * @param dAppearance   {@code (B, text + illu)}
     * @param dGaze         {@code (B, 2)}: through both MLP inputs and the eye-feature rotation
     * @param dEuler        {@code (B, 3)}; dTranslation {@code (B, 3)}
     */
    public void backward(Backend be, RenderKernels rk, Workspace ws, Parameters params, Parameters grads,
                         float[] dMergeImg, float[] dFaceImg, float[] dEyesImg, float[] dBgImg,
                         float[] dShape, float[] dAppearance, float[] dGaze, float[] dEuler, float[] dTranslation) {
        String op = "GazeNerfModel.backward";
        int images = ws == null ? 0 : ws.images;
        check(op, be, rk, ws, params, images);
        Checks.notNull(op, "grads", grads);
        int c = preset.featureChannels();
        int p = preset.raysPerImage();
        int mapLen = images * p * c;
        int imgLen = images * preset.outputSize() * preset.outputSize() * 3;
        if (dMergeImg != null) {
            Checks.vector(op, "dMergeImg", dMergeImg, 0, imgLen);
        }
        if (dFaceImg != null) {
            Checks.vector(op, "dFaceImg", dFaceImg, 0, imgLen);
        }
        if (dEyesImg != null) {
            Checks.vector(op, "dEyesImg", dEyesImg, 0, imgLen);
        }
        if (dBgImg != null) {
            Checks.vector(op, "dBgImg", dBgImg, 0, imgLen / Math.max(images, 1));
        }
        int sd = shapeDims();
        if (dShape != null) {
            Checks.vector(op, "dShape", dShape, 0, images * sd);
        }
        if (dAppearance != null) {
            Checks.vector(op, "dAppearance", dAppearance, 0, images * preset.appearanceDims());
        }
        if (dGaze != null) {
            Checks.vector(op, "dGaze", dGaze, 0, images * 2);
        }
        java.util.Arrays.fill(ws.dFaceMap, 0, mapLen, 0f);
        java.util.Arrays.fill(ws.dEyeRot, 0, mapLen, 0f);
        java.util.Arrays.fill(ws.dBg, 0f);
        if (dFaceImg != null) {
            renderer.backward(be, rk, ws.faceWs, ws.dFaceMap, 0, true, grads.renderer, dFaceImg, ws.faceMap, params.renderer);
        }
        if (dEyesImg != null) {
            renderer.backward(be, rk, ws.eyesWs, ws.dEyeRot, 0, true, grads.renderer, dEyesImg, ws.eyeRot, params.renderer);
        }
        if (dMergeImg != null) {
            renderer.backward(be, rk, ws.mergeWs, ws.dMerge, 0, false, grads.renderer, dMergeImg, ws.merge, params.renderer);
            rk.maxBackward(ws.dFaceMap, ws.dEyeRot, ws.dMerge, ws.faceMap, ws.eyeRot, mapLen, true);
        }
        if (dBgImg != null) {
            renderer.backward(be, rk, ws.bgWs, ws.dBg, 0, true, grads.renderer, dBgImg, ws.bg, params.renderer);
        }
        java.util.Arrays.fill(ws.dGazeRot, 0, 2 * images, 0f);
        rk.rotateBackward(ws.dEyeMap, ws.dGazeRot, ws.dEyeRot, ws.eyeMap, ws.gaze, images, p, c, false);

        int pts = images * preset.raysPerImage() * preset.samples();
        java.util.Arrays.fill(ws.dXyz, 0, 3 * pts, 0f);
        java.util.Arrays.fill(ws.dDelta, 0, pts, 0f);
        java.util.Arrays.fill(ws.dFaceCode, 0f);
        java.util.Arrays.fill(ws.dEyeCode, 0f);
        float[] dApp = dAppearance;
        streamBackward(be, rk, ws, faceMlp, ws.faceMlpWs, ws.faceKept, params.face, grads.face, ws.faceCode,
                ws.dFaceCode, ws.faceMap, ws.dFaceMap, ws.faceAlpha, ws.faceTrans, ws.faceBgAlpha, dApp, images);
        streamBackward(be, rk, ws, eyeMlp, ws.eyeMlpWs, ws.eyeKept, params.eyes, grads.eyes, ws.eyeCode,
                ws.dEyeCode, ws.eyeMap, ws.dEyeMap, ws.eyeAlpha, ws.eyeTrans, ws.eyeBgAlpha, dApp, images);
        renderer.backgroundBackward(grads.renderer, ws.dBg);
        ws.rays.backward(dEuler, dTranslation, ws.dXyz, ws.dDelta);

        int fw = faceMlp.config().shapeCodeWidth();
        int ew = eyeMlp.config().shapeCodeWidth();
        for (int n = 0; n < images; n++) {
            if (dShape != null) {
                for (int k = 0; k < sd; k++) {
                    dShape[n * sd + k] += ws.dFaceCode[n * fw + k] + ws.dEyeCode[n * ew + k];
                }
            }
            if (dGaze != null) {
                for (int k = 0; k < 2; k++) {
                    float g = ws.dEyeCode[n * ew + sd + k] + ws.dGazeRot[2 * n + k];
                    if (fw > sd) {
                        g += ws.dFaceCode[n * fw + sd + k];
                    }
                    dGaze[2 * n + k] += g;
                }
            }
        }
    }

    private void streamBackward(Backend be, RenderKernels rk, Workspace ws, NerfMlp mlp, NerfMlp.Workspace mws,
                                Kept kept, float[] params, float[] grads, float[] code, float[] dCode, float[] map, float[] dMap,
                                float[] alpha, float[] trans, float[] bgAlpha, float[] dAppearance, int images) {
        int p = preset.raysPerImage();
        int s = preset.samples();
        int c = preset.featureChannels();
        int e = preset.encodedChannels();
        int sw = mlp.config().shapeCodeWidth();
        int ad = preset.appearanceDims();
        for (int n = 0; n < images; n++) {
            for (int r0 = 0; r0 < p; r0 += ws.chunkRays) {
                int rays = Math.min(ws.chunkRays, p - r0);
                int ray = n * p + r0;
                // with kept caches, only the encoded points are rebuilt; otherwise the chunk's MLP forward is
                // recomputed (bit-identical to the forward's) right before its backward
                NerfMlp.Workspace cw = kept == null ? mws : kept.mlp[n * ws.chunksPerImage + r0 / ws.chunkRays];
                float[] sg = kept == null ? ws.sigma : kept.sigma;
                float[] ft = kept == null ? ws.feat : kept.feat;
                int at = kept == null ? 0 : ray * s;
                int pts = chunkMlp(be, ws, mlp, cw, params, code, ws.appearance, n, r0, rays, sg, ft, at, kept == null);
                rk.compositeBackward(ws.dSigma, 0, ws.dFeat, 0, c, ws.dDeltaChunk, ws.dBg, dMap, ray * c, null,
                        bgAlpha, ray, alpha, trans, ray * s, sg, at, ft, at * c, c, ws.delta, ws.tvals, ray * s,
                        ws.bg, rays, s, c, p, r0);
                java.util.Arrays.fill(ws.dPe, 0, pts * e, 0f);
                mlp.backward(be, cw, grads, ws.dPe, 0, e, dCode, n * sw, dAppearance, n * ad,
                        ws.dSigma, 0, ws.dFeat, 0, c, ws.pe, 0, e, code, n * sw, ws.appearance, n * ad, params, 1, pts);
                int first = ray * s;
                be.frequencyEncodeBackward(ws.dXyz, 3 * first, ws.dPe, 0, e, ws.xyz, 3 * first, pts,
                        preset.frequencies(), true);
                for (int k = 0; k < pts; k++) {
                    ws.dDelta[first + k] += ws.dDeltaChunk[k];
                }
            }
        }
    }

    private void check(String op, Backend be, RenderKernels rk, Workspace ws, Parameters params, int images) {
        Checks.notNull(op, "backend", be);
        Checks.notNull(op, "kernels", rk);
        Checks.notNull(op, "workspace", ws);
        Checks.notNull(op, "params", params);
        if (ws.model != this) {
            throw new IllegalArgumentException(op + ": the workspace belongs to another model");
        }
        if (images < 0 || images > ws.maxImages) {
            throw new IllegalArgumentException(op + ": images " + images + " outside [0, " + ws.maxImages + "]");
        }
        if (params.face.length != faceMlp.parameterCount() || params.eyes.length != eyeMlp.parameterCount()
                || params.renderer.length != rendererLayout.size()) {
            throw new IllegalArgumentException(op + ": argument 'params' does not match this model's layouts");
        }
    }

    /**
     * Above this many floats (2 GiB) of MLP caches for a whole batch, backward recomputes each chunk's MLP
     * forward instead of keeping them. The estimate is (layers + 11) x width + E + 1 + C floats per point and
     * stream, about 2,400 per point at width 128, as measured: the {@code small} step's heap went from 439 to
     * 1,064 MiB per image. That puts the paper preset at about 16 GB per image (recomputed) and {@code small} at
     * about 0.6 GB per image (kept up to batch 3). JFR on a {@code small} training step: the MLP gemms are ~75%
     * of it, and the recomputation is a quarter of their multiply-adds.
     */
    static final long KEEP_MLP_FLOATS = 1L << 29;

    /** One stream's MLP caches per chunk, and its sigma and features for every sample, kept from forward to backward. */
    static final class Kept {
        final NerfMlp.Workspace[] mlp;  // (images * chunksPerImage)
        final float[] sigma;            // (B*P*S)
        final float[] feat;             // (B*P*S, C)

        Kept(NerfMlp net, int chunks, int chunkPts, int pts, int c) {
            mlp = new NerfMlp.Workspace[chunks];
            for (int i = 0; i < chunks; i++) {
                mlp[i] = net.newWorkspace(1, chunkPts);
            }
            sigma = new float[pts];
            feat = new float[pts * c];
        }
    }

    /** Every buffer of a forward/backward pair for up to {@code maxImages} images, allocated once. */
    public static final class Workspace {
        final GazeNerfModel model;
        final int maxImages;
        final int chunkRays;
        int images;
        float[] shape;
        float[] appearance;
        float[] gaze;
        final Rays rays;
        final NerfMlp.Workspace faceMlpWs;
        final NerfMlp.Workspace eyeMlpWs;
        final int chunksPerImage;
        final Kept faceKept;        // null: backward recomputes each chunk's MLP forward
        final Kept eyeKept;
        final NeuralRenderer.Workspace mergeWs;
        final NeuralRenderer.Workspace faceWs;
        final NeuralRenderer.Workspace eyesWs;
        final NeuralRenderer.Workspace bgWs;
        final float[] xyz;          // (B*P*S, 3)
        final float[] delta;        // (B*P*S)
        final float[] tvals;        // (B*P*S)
        final float[] dXyz;         // (B*P*S, 3)
        final float[] dDelta;       // (B*P*S)
        final float[] faceCode;     // (B, face shape code width)
        final float[] eyeCode;      // (B, eye shape code width)
        final float[] dFaceCode;
        final float[] dEyeCode;
        final float[] dGazeRot;     // (B, 2)
        final float[] bg;           // (P, C) channels-last background map
        final float[] dBg;          // (P, C)
        final float[] faceMap;      // (B*P, C) composited face stream (with background)
        final float[] eyeMap;       // (B*P, C)
        final float[] eyeRot;       // (B*P, C) rotated eye map
        final float[] merge;        // (B*P, C)
        final float[] dFaceMap;
        final float[] dEyeMap;
        final float[] dEyeRot;
        final float[] dMerge;
        final float[] faceAlpha;    // (B*P*S)
        final float[] faceTrans;
        final float[] faceBgAlpha;  // (B*P)
        final float[] eyeAlpha;
        final float[] eyeTrans;
        final float[] eyeBgAlpha;
        final float[] pe;           // chunk (rays*S, E)
        final float[] sigma;        // chunk (rays*S)
        final float[] feat;         // chunk (rays*S, C)
        final float[] dPe;
        final float[] dSigma;
        final float[] dFeat;
        final float[] dDeltaChunk;
        final float[] mergeImg;     // (B, O, O, 3)
        final float[] faceImg;
        final float[] eyesImg;
        final float[] bgImg;        // (O, O, 3)

        /** @param keepMlpCaches null: keep them when they fit {@link #KEEP_MLP_FLOATS} */
        Workspace(GazeNerfModel m, int maxImages, Boolean keepMlpCaches) {
            this.model = m;
            this.maxImages = maxImages;
            Preset pr = m.preset;
            int p = pr.raysPerImage();
            int s = pr.samples();
            int c = pr.featureChannels();
            chunkRays = Math.min(pr.rayChunk(), p);
            int chunkPts = chunkRays * s;
            int pts = maxImages * p * s;
            rays = new Rays(pr.featmapSize(), s, pr.depthNear(), pr.depthFar(), pr.pixelCentres(), maxImages);
            faceMlpWs = m.faceMlp.newWorkspace(1, chunkPts);
            eyeMlpWs = m.eyeMlp.newWorkspace(1, chunkPts);
            chunksPerImage = (p + chunkRays - 1) / chunkRays;
            long keptFloats = 2L * maxImages * chunksPerImage * chunkPts
                    * ((long) (pr.mlpLayers() + 11) * pr.mlpWidth() + pr.encodedChannels() + 1 + c);
            boolean keep = keepMlpCaches == null ? keptFloats <= KEEP_MLP_FLOATS : keepMlpCaches;
            faceKept = keep ? new Kept(m.faceMlp, maxImages * chunksPerImage, chunkPts, pts, c) : null;
            eyeKept = keep ? new Kept(m.eyeMlp, maxImages * chunksPerImage, chunkPts, pts, c) : null;
            mergeWs = m.renderer.newWorkspace(maxImages);
            faceWs = m.renderer.newWorkspace(maxImages, mergeWs);
            eyesWs = m.renderer.newWorkspace(maxImages, mergeWs);
            bgWs = m.renderer.newWorkspace(1, mergeWs);
            xyz = new float[pts * 3];
            delta = new float[pts];
            tvals = new float[pts];
            dXyz = new float[pts * 3];
            dDelta = new float[pts];
            faceCode = new float[maxImages * m.faceMlp.config().shapeCodeWidth()];
            eyeCode = new float[maxImages * m.eyeMlp.config().shapeCodeWidth()];
            dFaceCode = new float[faceCode.length];
            dEyeCode = new float[eyeCode.length];
            dGazeRot = new float[maxImages * 2];
            bg = new float[p * c];
            dBg = new float[p * c];
            int map = maxImages * p * c;
            faceMap = new float[map];
            eyeMap = new float[map];
            eyeRot = new float[map];
            merge = new float[map];
            dFaceMap = new float[map];
            dEyeMap = new float[map];
            dEyeRot = new float[map];
            dMerge = new float[map];
            faceAlpha = new float[pts];
            faceTrans = new float[pts];
            faceBgAlpha = new float[maxImages * p];
            eyeAlpha = new float[pts];
            eyeTrans = new float[pts];
            eyeBgAlpha = new float[maxImages * p];
            int e = pr.encodedChannels();
            pe = new float[chunkPts * e];
            sigma = new float[chunkPts];
            feat = new float[chunkPts * c];
            dPe = new float[chunkPts * e];
            dSigma = new float[chunkPts];
            dFeat = new float[chunkPts * c];
            dDeltaChunk = new float[chunkPts];
            int img = pr.outputSize() * pr.outputSize() * 3;
            mergeImg = new float[maxImages * img];
            faceImg = new float[maxImages * img];
            eyesImg = new float[maxImages * img];
            bgImg = new float[img];
        }

        /** {@code merge_img} of the last forward: {@code (B, O, O, 3)} channels-last, values in (0, 1). */
        public float[] mergeImage() {
            return mergeImg;
        }

        /** {@code merge_img_face}: the renderer on the face map alone. */
        public float[] faceImage() {
            return faceImg;
        }

        /** {@code merge_img_eyes}: the renderer on the rotated eye map alone. */
        public float[] eyesImage() {
            return eyesImg;
        }

        /** {@code bg_img}: the renderer on the background map alone, {@code (O, O, 3)}. */
        public float[] backgroundImage() {
            return bgImg;
        }

        /** The merged feature map of the last forward, {@code (B*F*F, C)} channels-last. */
        public float[] mergedFeatures() {
            return merge;
        }

        /** Whether backward uses the MLP caches kept from forward (true) or recomputes each chunk's MLP forward. */
        public boolean keepsMlpCaches() {
            return faceKept != null;
        }

        /** The largest batch. */
        public int capacityImages() {
            return maxImages;
        }
    }
}
