package dev.gazenerf.backend.opencl.step;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.render.NeuralRenderer;

/**
 * The plan of {@link DeviceModelStep} apart from its executor (laid out on any {@link LaunchFactory}, so the
 * TornadoVM model step replays the very same launches): a whole GazeNeRF training step as one device-resident
 * plan (issue 6): both streams (frequency encoding, the conditional MLPs of {@link MlpProgram}, compositing one work-item per ray over the learned background map),
 * the eye-feature rotation by the gaze, the max merge, the neural renderer on the merged, face, rotated-eye and
 * background maps ({@link RendererProgram}), the masked image terms of the trainer's loss with their gradients,
 * and the backward of all of it, in the order of {@link GazeNerfModel#backward}, to the parameters of the three
 * networks (the background map {@code bg_featmap} included), the shape and appearance codes, the sample points
 * and spacings. Then, in a second program run after the host has looked at the loss, Adam over the three
 * networks with one learning rate per network.
 *
 * <p>What stays on the host, because the host computes it anyway and it is small: the rays (points, spacings,
 * depths from the camera and its per-image corrections, {@link dev.gazenerf.render.Rays}), the codes with their
 * per-image offsets, the gaze rotation matrices (9 floats per image), the loss's mask counts (from the masks the
 * host loads), and, from the downloaded gradients, the camera-correction gradients, the offset penalties and Adam
 * over the offsets. The trainer's wiring is {@code dev.gazenerf.training.DeviceLossStep}.
 *
 * <p>Host copies per step: one upload of the input block
 * {@code [xyz (N,3), delta (N), tvals (N), face codes (B,Sf), eye codes (B,Se), appearance (B,A), R (B,9),
 * target (B,O^2,3), head mask (B,O^2), left eye (B,O^2), right eye (B,O^2), gradient scales (4)]}
 * and one download of {@code [non-finite flag, term sums (5), dFaceCode (B,Sf), dEyeCode (B,Se), dAppearance (B,A),
 * dXyz (N,3), dDelta (N)]}; {@link #load} uploads the heap once, {@link #store} downloads the parameters and
 * moments (checkpoints). Points: {@code N = B P S}, ray r of image b is row {@code b P + r}.
 *
 * <p>The term sums are the unnormalized sums of the loss's five terms (head, face, eyes, non-head, background) in
 * float, summed in two stages; the host divides them by its mask counts. Parameters are one block
 * {@code [face | eyes | renderer]}, and gradients and the two Adam moments blocks of the same shape.
 */
public final class ModelStepPlan {
    /** Columns of the term table: head, face, eyes, non-head, background. */
    public static final int TERMS = dev.gazenerf.backend.ResidentModelStep.TERMS;
    /** Rows of the term table summed by one work-item in the first stage of the loss reduction. */
    static final int TERM_GROUP = 256;

    private final Preset preset;
    private final int images;
    private final int points;
    private final int chunkRays;
    private final int faceCount;
    private final int eyeCount;
    private final int rendererCount;
    private final int paramCount;
    private final int fw;
    private final int ew;
    private final LaunchFactory factory;
    private final int snapFloats;
    private final List<Launch> program;
    private final List<Launch> update;
    private final List<Launch> snapshot;
    private final Launch[] adam = new Launch[3];
    private final int inFloats;
    private final int outFloats;
    private final int paramOff;
    private final int gradOff;
    private final int mOff;
    private final int vOff;
    private final int[] inOffsets;

    /**
     * Plans the step of {@code model} for batches of {@code images} images.
     *
     * @param chunkRays  rays of one image per MLP pass (a divisor of the rays per image); below the rays per
     *                   image, the memory-saving plan: each chunk is composited straight from its MLP outputs and
     *                   its MLP forward is recomputed before its backward (activation checkpointing), and the four
     *                   renderer calls share one set of caches, each call's forward run again before its backward
     *                   (the face call's excepted: its forward runs last); {@code paper} needs it to stay under
     *                   Aparapi's 2 GiB per buffer
     * @param l1         L1 on the masked image terms (else squared error), as {@code LossWeights.l1}
     * @param bgScale    the background term's gradient scale: its weight / (3 O^2)
     */
    public ModelStepPlan(GazeNerfModel model, int images, int chunkRays, boolean l1, float bgScale, float beta1,
                         float beta2, float eps, Factories factories) {
        String op = "DeviceModelStep";
        Checks.notNull(op, "factories", factories);
        Checks.notNull(op, "model", model);
        this.preset = model.preset();
        int p = preset.raysPerImage();
        int s = preset.samples();
        int c = preset.featureChannels();
        int e = preset.encodedChannels();
        int a = preset.appearanceDims();
        int o2 = preset.outputSize() * preset.outputSize();
        if (images <= 0) {
            throw new IllegalArgumentException(op + ": argument 'images' must be positive, got " + images);
        }
        if (chunkRays <= 0 || p % chunkRays != 0) {
            throw new IllegalArgumentException(op + ": argument 'chunkRays' must divide the rays per image " + p
                    + ", got " + chunkRays);
        }
        long nl = (long) images * p * s;
        if (nl * Math.max(e, c) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": " + nl + " points is too many for one step; use a smaller batch");
        }
        boolean chunked = chunkRays != p;
        int n = (int) nl;
        int b = images;
        int br = b * p;
        this.images = b;
        this.points = n;
        this.chunkRays = chunkRays;
        NerfMlp face = model.faceMlp();
        NerfMlp eyes = model.eyeMlp();
        NeuralRenderer renderer = model.renderer();
        this.faceCount = face.parameterCount();
        this.eyeCount = eyes.parameterCount();
        this.rendererCount = model.rendererLayout().size();
        this.paramCount = faceCount + eyeCount + rendererCount;
        this.fw = face.config().shapeCodeWidth();
        this.ew = eyes.config().shapeCodeWidth();

        HeapLayout heap = new HeapLayout();
        // the channels-last background map first: the compositing helpers read it at offset 0
        int bg = heap.alloc("background map", (long) p * c);        // (P, C)
        int inBase = heap.size();
        int xyz = heap.alloc("xyz", 3L * n);
        int delta = heap.alloc("delta", n);
        int tvals = heap.alloc("tvals", n);
        int faceCode = heap.alloc("face codes", (long) b * fw);
        int eyeCode = heap.alloc("eye codes", (long) b * ew);
        int app = heap.alloc("appearance", (long) b * a);
        int rot = heap.alloc("rotations", 9L * b);
        int target = heap.alloc("target", 3L * b * o2);
        int head = heap.alloc("head mask", (long) b * o2);
        int left = heap.alloc("left eye mask", (long) b * o2);
        int right = heap.alloc("right eye mask", (long) b * o2);
        int scales = heap.alloc("loss scales", 4);
        inFloats = heap.size() - inBase;
        inOffsets = new int[] {xyz, delta, tvals, faceCode, eyeCode, app, rot, target, head, left, right, scales, heap.size()};
        for (int i = 0; i < inOffsets.length; i++) {
            inOffsets[i] -= inBase;
        }
        paramOff = heap.alloc("parameters", paramCount);
        gradOff = heap.alloc("gradients", paramCount);
        mOff = heap.alloc("first moments", paramCount);
        vOff = heap.alloc("second moments", paramCount);
        int faceP = paramOff;
        int eyeP = paramOff + faceCount;
        int renP = paramOff + faceCount + eyeCount;
        int shift = gradOff - paramOff;
        int bgParam = renP + renderer.backgroundOffset();

        // the two streams
        int cp = chunked ? chunkRays * s : n;
        int pe = heap.alloc("pe", (long) cp * e);
        int dPe = heap.alloc("dPe", (long) cp * e);
        MlpProgram faceNet = chunked ? new MlpProgram(face, heap, faceP, faceP + shift, 1, cp)
                : new MlpProgram(face, heap, faceP, faceP + shift, b, p * s);
        MlpProgram eyeNet = chunked ? new MlpProgram(eyes, heap, eyeP, eyeP + shift, 1, cp)
                : new MlpProgram(eyes, heap, eyeP, eyeP + shift, b, p * s);
        // chunked: each chunk is composited straight from the MLP's outputs (its rays are whole), so no stream
        // keeps (N, C) features; backward recomputes the chunk's MLP forward and composites it backward
        int faceSigma = faceNet.sigma();
        int faceFeat = faceNet.features();
        int eyeSigma = eyeNet.sigma();
        int eyeFeat = eyeNet.features();
        int faceMap = heap.alloc("face map", (long) br * c);
        int eyeMap = heap.alloc("eye map", (long) br * c);
        int eyeRot = heap.alloc("rotated eye map", (long) br * c);
        int merge = heap.alloc("merged map", (long) br * c);
        int faceBgAlpha = heap.alloc("face bgAlpha", br);
        int eyeBgAlpha = heap.alloc("eye bgAlpha", br);
        int dFaceMap = heap.alloc("dFaceMap", (long) br * c);
        int dEyeMap = heap.alloc("dEyeMap", (long) br * c);
        int dEyeRot = heap.alloc("dEyeRot", (long) br * c);
        int dMerge = heap.alloc("dMerge", (long) br * c);
        int dBg = heap.alloc("dBg", (long) p * c);
        int dSigma = heap.alloc("dSigma", cp);
        int dFeat = heap.alloc("dFeatures", (long) cp * c);
        int dDeltaEye = heap.alloc("dDelta of the eye stream", n);
        // renderer calls: merged, face, eyes (B images each), background (1 image); shared backward scratch
        RendererProgram mergeR = new RendererProgram(renderer, model.rendererLayout(), heap, renP, renP + shift, b, null, "merge");
        // chunked (the memory-saving plan): the four calls share one set of forward caches, and backward runs a
        // call's forward again before its backward (the kernels are deterministic: the same caches, bit for bit)
        RendererProgram faceR = new RendererProgram(renderer, model.rendererLayout(), heap, renP, renP + shift, b, mergeR,
                chunked, "face");
        RendererProgram eyesR = new RendererProgram(renderer, model.rendererLayout(), heap, renP, renP + shift, b, mergeR,
                chunked, "eyes");
        RendererProgram bgR = new RendererProgram(renderer, model.rendererLayout(), heap, renP, renP + shift, 1, mergeR,
                chunked, "bg");
        int img = 3 * b * o2;
        int dMergeImg = heap.alloc("dMergeImg", img);
        int dFaceImg = heap.alloc("dFaceImg", img);
        int dEyesImg = heap.alloc("dEyesImg", img);
        int dBgImg = heap.alloc("dBgImg", 3L * o2);
        int termRows = (img + TERM_GROUP - 1) / TERM_GROUP * TERM_GROUP;
        int terms = heap.alloc("term table", (long) termRows * TERMS);  // rows past the elements stay 0
        int partial = heap.alloc("term partial sums", (long) termRows / TERM_GROUP * TERMS);
        // the downloaded block, in the order of the output buffer
        int outBase = heap.alloc("non-finite flag", 1);
        int sums = heap.alloc("term sums", TERMS);
        int dFaceCode = heap.alloc("dFaceCode", (long) b * fw);
        int dEyeCode = heap.alloc("dEyeCode", (long) b * ew);
        int dApp = heap.alloc("dAppearance", (long) b * a);
        int dXyz = heap.alloc("dXyz", 3L * n);
        int dDelta = heap.alloc("dDelta", n);
        outFloats = heap.size() - outBase;
        int split = DeviceArena.MAX_SPLITS * Math.max(Math.max(faceNet.maxWeightGradient(), eyeNet.maxWeightGradient()),
                mergeR.maxWeightGradient());
        this.snapFloats = 3 * paramCount;
        this.factory = factories.create(heap.size(), inFloats, outFloats, snapFloats, 2 * n, split);
        Checks.notNull(op, "the factory made by 'factories'", factory);

        LaunchFactory ar = factory;
        List<Launch> pr = new ArrayList<>();
        // zero what accumulates, take the inputs in, build the background map
        pr.add(ar.fill(gradOff, paramCount, 0f));
        pr.add(ar.fill(outBase, outFloats, 0f));
        pr.add(ar.copyIn(inBase, inFloats, 0, inFloats, 1, inFloats));
        pr.add(ar.transpose(bg, c, bgParam, p, p, c, false));
        // forward of the streams
        int[] sigmaAll = {faceSigma, eyeSigma};
        int[] featAll = {faceFeat, eyeFeat};
        MlpProgram[] nets = {faceNet, eyeNet};
        int[] codes = {faceCode, eyeCode};
        int[] widths = {fw, ew};
        int[] maps = {faceMap, eyeMap};
        int[] bgAlphas = {faceBgAlpha, eyeBgAlpha};
        if (!chunked) {
            pr.add(ar.frequencyEncode(pe, e, xyz, n, preset.frequencies()));
        }
        for (int st = 0; st < 2; st++) {
            if (chunked) {
                for (int im = 0; im < b; im++) {
                    for (int r0 = 0; r0 < p; r0 += chunkRays) {
                        int ray = im * p + r0;
                        int first = ray * s;
                        pr.add(ar.frequencyEncode(pe, e, xyz + 3 * first, cp, preset.frequencies()));
                        nets[st].forward(ar, pr, pe, e, codes[st] + im * widths[st], app + im * a);
                        pr.add(DeviceArena.rayBase(ar.compositeForward(maps[st] + ray * c, bgAlphas[st] + ray, sigmaAll[st],
                                featAll[st], c, delta + first, tvals + first, chunkRays, s, c, p, st * n + first), r0));
                    }
                }
            } else {
                nets[st].forward(ar, pr, pe, e, codes[st], app);
                pr.add(ar.compositeForward(maps[st], bgAlphas[st], sigmaAll[st], featAll[st], c, delta, tvals, br, s, c, p,
                        st * n));
            }
        }
        pr.add(ar.rotate(eyeRot, eyeMap, rot, br, c, p, false, false));
        pr.add(ar.maxForward(merge, faceMap, eyeRot, br * c));
        // face last: with shared caches (chunked), its backward, the first, needs no recomputation
        mergeR.forward(ar, pr, merge);
        eyesR.forward(ar, pr, eyeRot);
        bgR.forward(ar, pr, bg);
        faceR.forward(ar, pr, faceMap);
        // the loss
        pr.add(ar.reconLoss(dMergeImg, dFaceImg, dEyesImg, terms, mergeR.image(), faceR.image(), eyesR.image(), target,
                head, left, right, scales, img, l1));
        pr.add(ar.backgroundLoss(dBgImg, terms, bgR.image(), 3 * o2, bgScale));
        pr.add(ar.columnSums(partial, terms, TERMS, termRows, TERMS, TERM_GROUP, false));
        pr.add(ar.columnSums(sums, partial, TERMS, termRows / TERM_GROUP, TERMS, termRows / TERM_GROUP, false));
        // backward, in GazeNerfModel.backward's order
        pr.add(ar.fill(dFaceMap, br * c, 0f));
        pr.add(ar.fill(dEyeRot, br * c, 0f));
        pr.add(ar.fill(dBg, p * c, 0f));
        faceR.backward(ar, pr, dFaceMap, true, dFaceImg, faceMap);
        if (chunked) {
            eyesR.forward(ar, pr, eyeRot);
        }
        eyesR.backward(ar, pr, dEyeRot, true, dEyesImg, eyeRot);
        if (chunked) {
            mergeR.forward(ar, pr, merge);
        }
        mergeR.backward(ar, pr, dMerge, false, dMergeImg, merge);
        pr.add(ar.maxBackward(dFaceMap, dEyeRot, dMerge, faceMap, eyeRot, br * c, true));
        if (chunked) {
            bgR.forward(ar, pr, bg);
        }
        bgR.backward(ar, pr, dBg, true, dBgImg, bg);
        pr.add(ar.rotate(dEyeMap, dEyeRot, rot, br, c, p, true, false));
        int[] dMaps = {dFaceMap, dEyeMap};
        int[] dCodes = {dFaceCode, dEyeCode};
        int[] dDeltas = {dDelta, dDeltaEye};
        for (int st = 0; st < 2; st++) {
            if (!chunked) {
                pr.add(ar.compositeBackward(dSigma, dFeat, c, dDeltas[st], dMaps[st], sigmaAll[st], featAll[st], c, delta,
                        tvals, br, s, c, p, st * n));
            }
            pr.add(ar.compositeBgBackward(dBg, dMaps[st], bgAlphas[st], b, p, c));
            if (chunked) {
                for (int im = 0; im < b; im++) {
                    for (int r0 = 0; r0 < p; r0 += chunkRays) {
                        int ray = im * p + r0;
                        int first = ray * s;
                        pr.add(ar.frequencyEncode(pe, e, xyz + 3 * first, cp, preset.frequencies()));
                        nets[st].forward(ar, pr, pe, e, codes[st] + im * widths[st], app + im * a);
                        pr.add(DeviceArena.rayBase(ar.compositeBackward(dSigma, dFeat, c, dDeltas[st] + first,
                                dMaps[st] + ray * c, sigmaAll[st], featAll[st], c, delta + first, tvals + first, chunkRays, s,
                                c, p, st * n + first), r0));
                        pr.add(ar.fill(dPe, cp * e, 0f));
                        nets[st].backward(ar, pr, dPe, e, dCodes[st] + im * widths[st], dApp + im * a, dSigma,
                                dFeat, c, pe, e, codes[st] + im * widths[st], app + im * a);
                        pr.add(ar.frequencyEncodeBackward(dXyz + 3 * first, dPe, e, xyz + 3 * first, cp,
                                preset.frequencies(), true));
                    }
                }
            } else {
                pr.add(ar.fill(dPe, n * e, 0f));
                nets[st].backward(ar, pr, dPe, e, dCodes[st], dApp, dSigma, dFeat, c, pe, e, codes[st], app);
                pr.add(ar.frequencyEncodeBackward(dXyz, dPe, e, xyz, n, preset.frequencies(), true));
            }
        }
        pr.add(ar.copy(dDelta, n, dDeltaEye, n, 1, n, true));
        pr.add(ar.transpose(bgParam + shift, p, dBg, c, c, p, true));
        pr.add(ar.nonFinite(outBase, gradOff, paramCount));
        pr.add(ar.copyOut(0, outFloats, outBase, outFloats, 1, outFloats));
        this.program = Collections.unmodifiableList(pr);

        int[] starts = {0, faceCount, faceCount + eyeCount};
        int[] counts = {faceCount, eyeCount, rendererCount};
        List<Launch> up = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int at = starts[i];
            adam[i] = ar.adam(paramOff + at, gradOff + at, mOff + at, vOff + at, counts[i], 0f, beta1, beta2, eps);
            up.add(adam[i]);
        }
        this.update = Collections.unmodifiableList(up);
        this.snapshot = List.of(ar.copySnap(0, paramCount, paramOff, paramCount, 1, paramCount),
                ar.copySnap(paramCount, 2 * paramCount, mOff, 2 * paramCount, 1, 2 * paramCount));
    }

    /** What lays a plan's launches over buffers of the sizes the plan asks for (DeviceArena, or a bare LaunchFactory). */
    @FunctionalInterface
    public interface Factories {
        /** The factory for buffers of these sizes (floats); see {@link LaunchFactory}. */
        LaunchFactory create(int heapFloats, int inFloats, int outFloats, int snapFloats, int cacheFloats, int splitFloats);
    }

    /** The factory the plan was laid out on. */
    public LaunchFactory factory() {
        return factory;
    }

    /** Images per step. */
    public int images() {
        return images;
    }

    /** Rays of one image per MLP pass (below the rays per image: the memory-saving plan). */
    public int chunkRays() {
        return chunkRays;
    }

    /** Sample points per step, {@code B P S}. */
    public int points() {
        return points;
    }

    /** Floats of the per-step input block. */
    public int inputFloats() {
        return inFloats;
    }

    /** Floats of the per-step output block. */
    public int outputFloats() {
        return outFloats;
    }

    /** Floats of the snapshot buffer: parameters, first and second moments. */
    public int snapFloats() {
        return snapFloats;
    }

    /** Forward, loss and backward, ending with the copy of the output block: run once per step. */
    public List<Launch> program() {
        return program;
    }

    /** Adam over the three networks (learning rates set through {@link #setLearningRates}). */
    public List<Launch> update() {
        return update;
    }

    /** Copies the parameters and both moments into the snapshot buffer ({@code [params | m | v]}). */
    public List<Launch> snapshot() {
        return snapshot;
    }

    /** Sets the learning rates of the three Adam launches (face, eyes, renderer). */
    public void setLearningRates(float lrFace, float lrEyes, float lrRenderer) {
        adam[0].setLearningRate(lrFace);
        adam[1].setLearningRate(lrEyes);
        adam[2].setLearningRate(lrRenderer);
    }

    /** Parameters of the three networks together. */
    public int parameterCount() {
        return paramCount;
    }

    /** Parameters of network i: 0 face MLP, 1 eye MLP, 2 renderer. */
    public int parameterCount(int network) {
        return network == 0 ? faceCount : network == 1 ? eyeCount : rendererCount;
    }

    /** Heap offset of the parameter block {@code [face | eyes | renderer]}. */
    public int parameterOffset() {
        return paramOff;
    }

    /** Heap offset of the first moments (the same shape; the second moments follow them). */
    public int firstMomentOffset() {
        return mOff;
    }

    /** Heap offset of the second moments. */
    public int secondMomentOffset() {
        return vOff;
    }

    /** Offset of a part of the input block ({@code ResidentModelStep.XYZ} ... {@code SCALES}); part + 1 gives its end. */
    public int inputOffset(int part) {
        return inOffsets[part];
    }

    /**
     * Writes the parameters {@code [face, eyes, renderer]} and their Adam moments (null: zero) into a host copy of
     * the heap.
     */
    public void fill(float[] heap, float[][] params, float[][] m, float[][] v) {
        int[] counts = {faceCount, eyeCount, rendererCount};
        int at = 0;
        for (int i = 0; i < 3; i++) {
            Checks.vector("DeviceModelStep.load", "params[" + i + "]", params[i], 0, counts[i]);
            System.arraycopy(params[i], 0, heap, paramOff + at, counts[i]);
            if (m != null) {
                System.arraycopy(m[i], 0, heap, mOff + at, counts[i]);
                System.arraycopy(v[i], 0, heap, vOff + at, counts[i]);
            } else {
                java.util.Arrays.fill(heap, mOff + at, mOff + at + counts[i], 0f);
                java.util.Arrays.fill(heap, vOff + at, vOff + at + counts[i], 0f);
            }
            at += counts[i];
        }
    }

    /**
     * Reads the parameters and moments (each destination may be null) from {@code src}, laid out as
     * {@code [params | m | v]} (paramCount floats each) from {@code srcOff}: the snapshot buffer, or the heap from
     * {@link #parameterOffset()} when the moments follow the parameters there at the same distance.
     */
    public void unpack(float[] src, int paramAt, int mAt, int vAt, float[][] params, float[][] m, float[][] v) {
        int[] counts = {faceCount, eyeCount, rendererCount};
        int at = 0;
        for (int i = 0; i < 3; i++) {
            if (params != null) {
                System.arraycopy(src, paramAt + at, params[i], 0, counts[i]);
            }
            if (m != null) {
                System.arraycopy(src, mAt + at, m[i], 0, counts[i]);
                System.arraycopy(src, vAt + at, v[i], 0, counts[i]);
            }
            at += counts[i];
        }
    }

    /** The term sums of an output block (see DeviceModelStep#termSums). */
    public void termSums(float[] out, double[] dst) {
        for (int i = 0; i < TERMS; i++) {
            dst[i] = out[1 + i];
        }
    }

    /** Offset in the output block of a downloaded part: 0 dFaceCode, 1 dEyeCode, 2 dAppearance, 3 dXyz, 4 dDelta. */
    public int outOffset(int part) {
        int[] lens = {images * fw, images * ew, images * preset.appearanceDims(), 3 * points, points};
        int at = 1 + TERMS;
        for (int i = 0; i < part; i++) {
            at += lens[i];
        }
        return at;
    }
}
