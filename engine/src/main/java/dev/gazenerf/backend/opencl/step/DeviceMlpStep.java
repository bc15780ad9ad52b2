package dev.gazenerf.backend.opencl.step;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.kernel.Activation;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;
import dev.gazenerf.tensor.ParamLayout;

/**
 * A whole training step of one conditional NeRF MLP ({@link NerfMlp}, section 2.4) as a device-resident plan:
 * forward (the hoisted path, launch for launch as {@link NerfMlp#forward}), a mean-squared-error loss on the
 * device, backward (as {@link NerfMlp#backward}, to the parameters and the per-image shape and appearance codes)
 * and Adam (PyTorch's, {@link dev.gazenerf.backend.Backend#adam}) on the device. Built once for a fixed number of
 * images and points per image; every step replays the same list of launches.
 *
 * <h2>Loss</h2>
 * With {@code f} the features {@code (N, F)}, {@code sigma} the densities {@code (N)} and targets {@code tf, ts}:
 * {@code L = sum (f - tf)^2 / (N F) + sum (sigma - ts)^2 / N}. Its gradient is formed element-wise on the device
 * and the sum is a two-stage reduction in a fixed order (columns of a {@code (R, C)} view summed row by row,
 * then the {@code C} partial sums), so a step is deterministic.
 *
 * <h2>Device memory and host copies</h2>
 * One {@link DeviceArena}: its heap holds the parameters, gradients, both Adam moments, the step's inputs, every
 * activation backward needs (the trunk outputs, sigma, r0, r1, the per-image code products), the gradient
 * scratch and the loss terms; nothing is chunked, so the arena holds about {@code 12.5 N W} activation floats
 * and {@link DeviceArena} refuses a heap larger than the device's largest allocation. Host copies:
 * <ul>
 *   <li>{@link #setParameters}: one upload of the heap (parameters, zeroed moments);</li>
 *   <li>{@link #step}: one upload of the inputs ({@code pe, shape codes, appearance codes, target sigma, target
 *       features}, {@link #inputFloats()} floats) and one download of {@code [loss, dShapeCode (B, S),
 *       dAppearance (B, A)]} ({@link #outputFloats()} floats), the code gradients being what per-image code
 *       offsets (kept on the host) need;</li>
 *   <li>{@link #parameters}: one download of a parameter snapshot, only when asked.</li>
 * </ul>
 * {@link #uploads()} and {@link #downloads()} count them.
 *
 * <p>The learning rate and betas are fixed per plan; the encoded points' gradient is not computed (the
 * points of a training step are not learned).
 */
public final class DeviceMlpStep implements AutoCloseable {
    /** Columns of the first reduction stage (at most). */
    static final int REDUCE_COLUMNS = 1024;

    private final NerfMlp mlp;
    private final int images;
    private final int pointsPerImage;
    private final int points;
    private final int paramCount;
    private final DeviceArena arena;
    private final List<Launch> program;
    private final List<Launch> snapshot;
    private final int inFloats;
    private final int outFloats;
    // heap offsets
    private final int paramOff;
    private final int gradOff;
    private final int mOff;
    private final int vOff;
    private final int peOff;
    private final int shapeOff;
    private final int appOff;
    private final int tSigmaOff;
    private final int tFeatOff;
    private int heapTop;
    private int step;

    /**
     * Plans a step of {@code mlp} over {@code images} images of {@code pointsPerImage} points each, with Adam at
     * learning rate {@code lr} and the given betas and eps, on the backend's device.
     *
     * @throws IllegalArgumentException for a null argument, non-positive sizes or a heap too large for the device
     */
    public DeviceMlpStep(OpenClBackend backend, NerfMlp mlp, int images, int pointsPerImage,
                         float lr, float beta1, float beta2, float eps) {
        String op = "DeviceMlpStep";
        Checks.notNull(op, "backend", backend);
        this.mlp = Checks.notNull(op, "mlp", mlp);
        if (images <= 0 || pointsPerImage <= 0) {
            throw new IllegalArgumentException(op + ": images and pointsPerImage must be positive, got " + images
                    + " and " + pointsPerImage);
        }
        NerfMlpConfig cfg = mlp.config();
        int b = images;
        int p = pointsPerImage;
        long nl = (long) b * p;
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int r1In = w + a;
        int layers = cfg.layers();
        long need = 4L * mlp.parameterCount() + nl * ((long) layers * w + 4L * w + 2L * hw + 3L * f + e + 6) + 8L * b * (w + s + a);
        if (need > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": " + nl + " points need about " + need
                    + " floats of device memory, more than one Java array holds; use fewer points per step");
        }
        int n = (int) nl;
        this.images = b;
        this.pointsPerImage = p;
        this.points = n;
        this.paramCount = mlp.parameterCount();

        // ---- heap layout
        paramOff = alloc(paramCount);  // (P) parameters, mlp.layout()
        gradOff = alloc(paramCount);   // (P) gradients
        mOff = alloc(paramCount);      // (P) Adam first moments
        vOff = alloc(paramCount);      // (P) Adam second moments
        // inputs, contiguous in the order of the input buffer
        peOff = alloc(n * e);          // (N, E)
        shapeOff = alloc(b * s);       // (B, S)
        appOff = alloc(b * a);         // (B, A)
        tSigmaOff = alloc(n);          // (N)
        tFeatOff = alloc(n * f);       // (N, F)
        inFloats = heapTop - peOff;
        int[] h = new int[layers];
        for (int l = 0; l < layers; l++) {
            h[l] = alloc(n * w);       // (N, W) trunk layer l after ReLU
        }
        int sigma = alloc(n);          // (N) after ReLU
        int r0 = alloc(n * w);         // (N, W)
        int r1 = alloc(n * hw);        // (N, W/2) after ReLU
        int feat = alloc(n * f);       // (N, F)
        int codeBias0 = alloc(b * w);  // (B, W)
        int codeBiasSkip = alloc(b * w); // (B, W)
        int codeBiasRgb1 = alloc(b * hw); // (B, W/2)
        int dFeat = alloc(n * f);      // (N, F) dL/df
        int dSigmaLoss = alloc(n);     // (N) dL/dsigma
        int dSigma = alloc(n);         // (N) through the ReLU
        int dR1 = alloc(n * hw);       // (N, W/2)
        int dHa = alloc(n * w);        // (N, W)
        int dHb = alloc(n * w);        // (N, W)
        int groupSums = alloc(b * Math.max(w, hw)); // (B, W)
        int dShape = alloc(b * s);     // (B, S)
        int dApp = alloc(b * a);       // (B, A)
        int terms = n * f + n;
        int cols = Math.min(REDUCE_COLUMNS, terms);
        int rows = (terms + cols - 1) / cols;
        int err = alloc(rows * cols);  // (R, C): features' loss terms, then sigma's, then zero padding
        int partial = alloc(cols);     // (C)
        int loss = alloc(1);
        outFloats = 1 + b * s + b * a;
        this.arena = new DeviceArena(backend, heapTop, inFloats, outFloats, paramCount);

        ParamLayout lay = mlp.layout();
        int[] wOff = new int[layers];
        int[] bOff = new int[layers];
        for (int l = 0; l < layers; l++) {
            wOff[l] = paramOff + lay.offset(NerfMlp.trunkName(l) + ".weight");
            bOff[l] = paramOff + lay.offset(NerfMlp.trunkName(l) + ".bias");
        }
        int densityW = paramOff + lay.offset("density_module.weight");
        int densityB = paramOff + lay.offset("density_module.bias");
        int rgb0W = paramOff + lay.offset("RGB_layer_0.weight");
        int rgb0B = paramOff + lay.offset("RGB_layer_0.bias");
        int rgb1W = paramOff + lay.offset("RGB_layer_1.weight");
        int rgb1B = paramOff + lay.offset("RGB_layer_1.bias");
        int rgb2W = paramOff + lay.offset("RGB_layer_2.weight");
        int rgb2B = paramOff + lay.offset("RGB_layer_2.bias");
        int g = gradOff - paramOff; // a parameter's gradient is g floats after it

        List<Launch> pr = new ArrayList<>();
        DeviceArena ar = arena;
        int nt = StepKernel.NT;
        int nn = StepKernel.NN;
        int tn = StepKernel.TN;
        // ---- start of step: zero the accumulated gradients, take the inputs
        pr.add(ar.fill(gradOff, paramCount, 0f));
        pr.add(ar.fill(dShape, b * s, 0f));
        pr.add(ar.fill(dApp, b * a, 0f));
        pr.add(ar.copyIn(peOff, inFloats, 0, inFloats, 1, inFloats));
        // ---- forward, as NerfMlp.forward
        pr.add(ar.gemm(nt, b, w, s, shapeOff, s, wOff[0] + e, in, codeBias0, w, false));
        pr.add(ar.biasActivation(codeBias0, w, b, w, bOff[0], w, b, Activation.NONE));
        pr.add(ar.gemm(nt, n, w, e, peOff, e, wOff[0], in, h[0], w, false));
        pr.add(ar.biasActivation(h[0], w, n, w, codeBias0, w, p, Activation.RELU));
        for (int l = 1; l < layers; l++) {
            if (l == cfg.skipLayer()) {
                int ld = in + w;
                pr.add(ar.gemm(nt, b, w, s, shapeOff, s, wOff[l] + e, ld, codeBiasSkip, w, false));
                pr.add(ar.biasActivation(codeBiasSkip, w, b, w, bOff[l], w, b, Activation.NONE));
                pr.add(ar.gemm(nt, n, w, e, peOff, e, wOff[l], ld, h[l], w, false));
                pr.add(ar.gemm(nt, n, w, w, h[l - 1], w, wOff[l] + in, ld, h[l], w, true));
                pr.add(ar.biasActivation(h[l], w, n, w, codeBiasSkip, w, p, Activation.RELU));
            } else {
                pr.add(ar.gemm(nt, n, w, w, h[l - 1], w, wOff[l], w, h[l], w, false));
                pr.add(ar.biasActivation(h[l], w, n, w, bOff[l], w, n, Activation.RELU));
            }
        }
        int last = h[layers - 1];
        pr.add(ar.gemm(nt, n, 1, w, last, w, densityW, w, sigma, 1, false));
        pr.add(ar.biasActivation(sigma, 1, n, 1, densityB, 1, n, Activation.RELU));
        pr.add(ar.gemm(nt, n, w, w, last, w, rgb0W, w, r0, w, false));
        pr.add(ar.biasActivation(r0, w, n, w, rgb0B, w, n, Activation.NONE));
        pr.add(ar.gemm(nt, b, hw, a, appOff, a, rgb1W + w, r1In, codeBiasRgb1, hw, false));
        pr.add(ar.biasActivation(codeBiasRgb1, hw, b, hw, rgb1B, hw, b, Activation.NONE));
        pr.add(ar.gemm(nt, n, hw, w, r0, w, rgb1W, r1In, r1, hw, false));
        pr.add(ar.biasActivation(r1, hw, n, hw, codeBiasRgb1, hw, p, Activation.RELU));
        pr.add(ar.gemm(nt, n, f, hw, r1, hw, rgb2W, hw, feat, f, false));
        pr.add(ar.biasActivation(feat, f, n, f, rgb2B, f, n, Activation.NONE));
        // ---- loss and its gradient
        pr.add(ar.squaredError(dFeat, err, feat, tFeatOff, n * f, 2f / ((float) n * f)));
        pr.add(ar.squaredError(dSigmaLoss, err + n * f, sigma, tSigmaOff, n, 2f / n));
        pr.add(ar.columnSums(partial, err, cols, rows, cols, rows, false));
        pr.add(ar.columnSums(loss, partial, 1, cols, 1, cols, false));
        // ---- backward, as NerfMlp.backward (dParams = the gradient region, dPe not needed)
        pr.add(ar.gemm(tn, f, hw, n, dFeat, f, r1, hw, rgb2W + g, hw, true));
        pr.add(ar.columnSums(rgb2B + g, dFeat, f, n, f, n, true));
        pr.add(ar.gemm(nn, n, hw, f, dFeat, f, rgb2W, hw, dR1, hw, false));
        pr.add(ar.activationBackward(dR1, hw, dR1, hw, r1, hw, n, hw, Activation.RELU));
        pr.add(ar.gemm(tn, hw, w, n, dR1, hw, r0, w, rgb1W + g, r1In, true));
        pr.add(ar.columnSums(groupSums, dR1, hw, n, hw, p, false));
        pr.add(ar.gemm(tn, hw, a, b, groupSums, hw, appOff, a, rgb1W + w + g, r1In, true));
        pr.add(ar.columnSums(rgb1B + g, groupSums, hw, b, hw, b, true));
        pr.add(ar.gemm(nn, b, a, hw, groupSums, hw, rgb1W + w, r1In, dApp, a, true));
        int dR0 = dHa;
        pr.add(ar.gemm(nn, n, w, hw, dR1, hw, rgb1W, r1In, dR0, w, false));
        int dH = dHb;
        pr.add(ar.gemm(tn, w, w, n, dR0, w, last, w, rgb0W + g, w, true));
        pr.add(ar.columnSums(rgb0B + g, dR0, w, n, w, n, true));
        pr.add(ar.gemm(nn, n, w, w, dR0, w, rgb0W, w, dH, w, false));
        pr.add(ar.activationBackward(dSigma, 1, dSigmaLoss, 1, sigma, 1, n, 1, Activation.RELU));
        pr.add(ar.gemm(tn, 1, w, n, dSigma, 1, last, w, densityW + g, w, true));
        pr.add(ar.columnSums(densityB + g, dSigma, 1, n, 1, n, true));
        pr.add(ar.gemm(nn, n, w, 1, dSigma, 1, densityW, w, dH, w, true));
        int dNext = dHa;
        for (int l = layers - 1; l >= 0; l--) {
            pr.add(ar.activationBackward(dH, w, dH, w, h[l], w, n, w, Activation.RELU));
            if (l == 0 || l == cfg.skipLayer()) {
                int ld = l == 0 ? in : in + w;
                pr.add(ar.gemm(tn, w, e, n, dH, w, peOff, e, wOff[l] + g, ld, true));
                pr.add(ar.columnSums(groupSums, dH, w, n, w, p, false));
                pr.add(ar.gemm(tn, w, s, b, groupSums, w, shapeOff, s, wOff[l] + e + g, ld, true));
                pr.add(ar.columnSums(bOff[l] + g, groupSums, w, b, w, b, true));
                pr.add(ar.gemm(nn, b, s, w, groupSums, w, wOff[l] + e, ld, dShape, s, true));
                if (l > 0) {
                    pr.add(ar.gemm(tn, w, w, n, dH, w, h[l - 1], w, wOff[l] + in + g, ld, true));
                    pr.add(ar.gemm(nn, n, w, w, dH, w, wOff[l] + in, ld, dNext, w, false));
                }
            } else {
                pr.add(ar.gemm(tn, w, w, n, dH, w, h[l - 1], w, wOff[l] + g, w, true));
                pr.add(ar.columnSums(bOff[l] + g, dH, w, n, w, n, true));
                pr.add(ar.gemm(nn, n, w, w, dH, w, wOff[l], w, dNext, w, false));
            }
            int t = dH;
            dH = dNext;
            dNext = t;
        }
        // ---- what the host needs, then the update
        pr.add(ar.copyOut(0, 1, loss, 1, 1, 1));
        pr.add(ar.copyOut(1, b * s, dShape, b * s, 1, b * s));
        pr.add(ar.copyOut(1 + b * s, b * a, dApp, b * a, 1, b * a));
        pr.add(ar.adam(paramOff, gradOff, mOff, vOff, paramCount, lr, beta1, beta2, eps));
        this.program = Collections.unmodifiableList(pr);
        this.snapshot = List.of(ar.copySnap(0, paramCount, paramOff, paramCount, 1, paramCount));
    }

    private int alloc(int floats) {
        int at = heapTop;
        heapTop += floats;
        return at;
    }

    /** The MLP this plan trains. */
    public NerfMlp mlp() {
        return mlp;
    }

    /** Images per step. */
    public int images() {
        return images;
    }

    /** Points per image. */
    public int pointsPerImage() {
        return pointsPerImage;
    }

    /** Floats of device memory the plan holds in its heap. */
    public int heapFloats() {
        return heapTop;
    }

    /** Floats uploaded per step: {@code N E + B S + B A + N + N F}. */
    public int inputFloats() {
        return inFloats;
    }

    /** Floats downloaded per step: {@code 1 + B S + B A}. */
    public int outputFloats() {
        return outFloats;
    }

    /** Kernel launches per {@link #step}. */
    public int launchesPerStep() {
        return program.size();
    }

    /** Adam steps taken since {@link #setParameters}. */
    public int stepCount() {
        return step;
    }

    /** Host-to-device copies so far. */
    public long uploads() {
        return arena.uploads();
    }

    /** Device-to-host copies so far. */
    public long downloads() {
        return arena.downloads();
    }

    /** Launches so far. */
    public long launches() {
        return arena.launches();
    }

    /** Sets the parameters, zeroes the Adam moments and the step counter, and uploads the heap (one copy). */
    public void setParameters(float[] params) {
        Checks.vector("DeviceMlpStep.setParameters", "params", params, 0, paramCount);
        float[] heap = arena.heap();
        System.arraycopy(params, 0, heap, paramOff, paramCount);
        java.util.Arrays.fill(heap, gradOff, paramOff + 4 * paramCount, 0f);
        step = 0;
        arena.putHeap();
    }

    /**
     * One training step: uploads the inputs, runs forward, loss, backward and Adam on the device, downloads the
     * loss and the code gradients. Returns the loss before the update.
     *
     * @param pe             encoded points {@code (N, E)}, contiguous, image b's points at rows {@code [b P, (b+1) P)}
     * @param shapeCode      {@code (B, S)}
     * @param appearance     {@code (B, A)}
     * @param targetSigma    {@code (N)}
     * @param targetFeatures {@code (N, F)}
     */
    public float step(float[] pe, float[] shapeCode, float[] appearance, float[] targetSigma, float[] targetFeatures) {
        String op = "DeviceMlpStep.step";
        NerfMlpConfig cfg = mlp.config();
        int n = points;
        int b = images;
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int a = cfg.appearanceWidth();
        int f = cfg.featureChannels();
        Checks.vector(op, "pe", pe, 0, n * e);
        Checks.vector(op, "shapeCode", shapeCode, 0, b * s);
        Checks.vector(op, "appearance", appearance, 0, b * a);
        Checks.vector(op, "targetSigma", targetSigma, 0, n);
        Checks.vector(op, "targetFeatures", targetFeatures, 0, n * f);
        float[] in = arena.in();
        int at = 0;
        System.arraycopy(pe, 0, in, at, n * e);
        at += n * e;
        System.arraycopy(shapeCode, 0, in, at, b * s);
        at += b * s;
        System.arraycopy(appearance, 0, in, at, b * a);
        at += b * a;
        System.arraycopy(targetSigma, 0, in, at, n);
        at += n;
        System.arraycopy(targetFeatures, 0, in, at, n * f);
        arena.putIn();
        step++;
        arena.run(program, step);
        arena.getOut();
        return arena.out()[0];
    }

    /** Adds ({@code +=}) the last step's shape-code gradient {@code (B, S)} into dst. */
    public void addShapeCodeGradient(float[] dst, int off) {
        int len = images * mlp.config().shapeCodeWidth();
        Checks.vector("DeviceMlpStep.addShapeCodeGradient", "dst", dst, off, len);
        float[] out = arena.out();
        for (int i = 0; i < len; i++) {
            dst[off + i] += out[1 + i];
        }
    }

    /** Adds ({@code +=}) the last step's appearance-code gradient {@code (B, A)} into dst. */
    public void addAppearanceGradient(float[] dst, int off) {
        int base = 1 + images * mlp.config().shapeCodeWidth();
        int len = images * mlp.config().appearanceWidth();
        Checks.vector("DeviceMlpStep.addAppearanceGradient", "dst", dst, off, len);
        float[] out = arena.out();
        for (int i = 0; i < len; i++) {
            dst[off + i] += out[base + i];
        }
    }

    /** Copies the current parameters from the device into dst (one launch, one download). */
    public void parameters(float[] dst) {
        Checks.vector("DeviceMlpStep.parameters", "dst", dst, 0, paramCount);
        arena.run(snapshot, step);
        arena.getSnap();
        System.arraycopy(arena.snap(), 0, dst, 0, paramCount);
    }

    /** Releases the device buffers. */
    @Override
    public void close() {
        arena.close();
    }
}
