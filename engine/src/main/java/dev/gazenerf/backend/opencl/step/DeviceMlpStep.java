package dev.gazenerf.backend.opencl.step;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;

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
    private final int heapTop;
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
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int a = cfg.appearanceWidth();
        int f = cfg.featureChannels();
        if (nl * Math.max(e, f) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": " + nl + " points is too many for one step; use fewer points per step");
        }
        int n = (int) nl;
        this.images = b;
        this.pointsPerImage = p;
        this.points = n;
        this.paramCount = mlp.parameterCount();

        // ---- heap layout
        HeapLayout heap = new HeapLayout();
        paramOff = heap.alloc("parameters", paramCount);  // (P) parameters, mlp.layout()
        gradOff = heap.alloc("gradients", paramCount);    // (P) gradients
        mOff = heap.alloc("first moments", paramCount);   // (P) Adam first moments
        vOff = heap.alloc("second moments", paramCount);  // (P) Adam second moments
        // inputs, contiguous in the order of the input buffer
        peOff = heap.alloc("pe", (long) n * e);            // (N, E)
        shapeOff = heap.alloc("shape codes", (long) b * s); // (B, S)
        appOff = heap.alloc("appearance", (long) b * a);   // (B, A)
        tSigmaOff = heap.alloc("target sigma", n);         // (N)
        tFeatOff = heap.alloc("target features", (long) n * f); // (N, F)
        inFloats = heap.size() - peOff;
        MlpProgram net = new MlpProgram(mlp, heap, paramOff, gradOff, b, p);
        int dFeat = heap.alloc("dFeatures", (long) n * f); // (N, F) dL/df
        int dSigmaLoss = heap.alloc("dSigma", n);          // (N) dL/dsigma
        int dShape = heap.alloc("dShape", (long) b * s);   // (B, S)
        int dApp = heap.alloc("dAppearance", (long) b * a); // (B, A)
        int terms = n * f + n;
        int cols = Math.min(REDUCE_COLUMNS, terms);
        int rows = (terms + cols - 1) / cols;
        int err = heap.alloc("loss terms", (long) rows * cols); // (R, C): features' terms, sigma's, zero padding
        int partial = heap.alloc("partial sums", cols);    // (C)
        int loss = heap.alloc("loss", 1);
        heapTop = heap.size();
        outFloats = 1 + b * s + b * a;
        this.arena = new DeviceArena(backend, heapTop, inFloats, outFloats, paramCount,
                1, DeviceArena.MAX_SPLITS * net.maxWeightGradient());

        List<Launch> pr = new ArrayList<>();
        DeviceArena ar = arena;
        // ---- start of step: zero the accumulated gradients, take the inputs
        pr.add(ar.fill(gradOff, paramCount, 0f));
        pr.add(ar.fill(dShape, b * s, 0f));
        pr.add(ar.fill(dApp, b * a, 0f));
        pr.add(ar.copyIn(peOff, inFloats, 0, inFloats, 1, inFloats));
        // ---- forward, as NerfMlp.forward
        net.forward(ar, pr, peOff, e, shapeOff, appOff);
        // ---- loss and its gradient
        pr.add(ar.squaredError(dFeat, err, net.features(), tFeatOff, n * f, 2f / ((float) n * f)));
        pr.add(ar.squaredError(dSigmaLoss, err + n * f, net.sigma(), tSigmaOff, n, 2f / n));
        pr.add(ar.columnSums(partial, err, cols, rows, cols, rows, false));
        pr.add(ar.columnSums(loss, partial, 1, cols, 1, cols, false));
        // ---- backward, as NerfMlp.backward (dPe not needed)
        net.backward(ar, pr, -1, e, dShape, dApp, dSigmaLoss, dFeat, f, peOff, e, shapeOff, appOff);
        // ---- what the host needs, then the update
        pr.add(ar.copyOut(0, 1, loss, 1, 1, 1));
        pr.add(ar.copyOut(1, b * s, dShape, b * s, 1, b * s));
        pr.add(ar.copyOut(1 + b * s, b * a, dApp, b * a, 1, b * a));
        pr.add(ar.adam(paramOff, gradOff, mOff, vOff, paramCount, lr, beta1, beta2, eps));
        this.program = Collections.unmodifiableList(pr);
        this.snapshot = List.of(ar.copySnap(0, paramCount, paramOff, paramCount, 1, paramCount));
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
        return DeviceArena.kernelLaunches(program);
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
