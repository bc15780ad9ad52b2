package dev.gazenerf.backend.opencl.step;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;

/**
 * A training step of one GazeNeRF stream (sections 2.3 to 2.5) as a device-resident plan: frequency encoding of
 * the sample points, the conditional NeRF MLP ({@link MlpProgram}, launch for launch as {@link NerfMlp}),
 * volume compositing to a feature map (one work-item per ray, the {@link dev.gazenerf.render.RenderMath}
 * helpers), a mean-squared-error loss against a target feature map, and back: compositing backward (to sigma,
 * the features and the sample spacings), MLP backward (to the parameters, both codes and the encoded points),
 * encoding backward (to the points), then Adam over the MLP's parameters. All on the OpenCL device, built once
 * per MLP, batch and ray count; every step replays the same launches.
 *
 * <p>The loss is {@code L = sum (map - target)^2 / (B P C)} over the composited {@code (B P, C)} map (two-stage
 * deterministic reduction). The rays (points, spacings, depths) are made on the host, as the camera gradients are
 * ({@link dev.gazenerf.render.Rays}); the background feature map is an input (not trained here).
 *
 * <p>Host copies: {@link #setParameters} uploads the heap once; each {@link #step} uploads the inputs
 * {@code [bg (P, C), xyz (N, 3), delta (N), tvals (N), shape codes (B, S), appearance (B, A), target (B P, C)]}
 * and downloads {@code [loss, dShape (B, S), dAppearance (B, A), dXyz (N, 3), dDelta (N)]} (what the host needs
 * for per-image code offsets and camera gradients); {@link #parameters} downloads a snapshot on request.
 * Points: {@code N = B P S}, ray r of image b is row {@code b P + r}, sample k of ray i is point {@code i S + k}.
 */
public final class DeviceStreamStep implements AutoCloseable {
    private final NerfMlp mlp;
    private final int images;
    private final int rays;
    private final int samples;
    private final int frequencies;
    private final int points;
    private final int paramCount;
    private final DeviceArena arena;
    private final List<Launch> program;
    private final List<Launch> snapshot;
    private final int inFloats;
    private final int outFloats;
    private final int paramOff;
    private final int gradOff;
    private final int mOff;
    private final int vOff;
    private int step;

    /**
     * Plans a step over {@code images} images of {@code raysPerImage} rays with {@code samples} samples each;
     * {@code frequencies} is the encoding's band count (the MLP's encoded width must be {@code 3 + 6 frequencies}).
     *
     * @throws IllegalArgumentException for null arguments, bad sizes or a heap too large for the device
     */
    public DeviceStreamStep(OpenClBackend backend, NerfMlp mlp, int frequencies, int images, int raysPerImage, int samples,
                            float lr, float beta1, float beta2, float eps) {
        this(backend, mlp, frequencies, images, raysPerImage, samples, raysPerImage, lr, beta1, beta2, eps);
    }

    /**
     * As {@link #DeviceStreamStep(OpenClBackend, NerfMlp, int, int, int, int, float, float, float, float)}, with the
     * MLP run over chunks of {@code chunkRays} rays of one image (a divisor of {@code raysPerImage}) and recomputed
     * chunk by chunk before its backward (activation checkpointing, as GazeNerfModel does): the device then holds
     * the MLP activations of one chunk only, plus sigma, the features and their gradients for every point. With
     * {@code chunkRays == raysPerImage} the whole batch is one MLP pass and nothing is recomputed.
     */
    public DeviceStreamStep(OpenClBackend backend, NerfMlp mlp, int frequencies, int images, int raysPerImage, int samples,
                            int chunkRays, float lr, float beta1, float beta2, float eps) {
        String op = "DeviceStreamStep";
        Checks.notNull(op, "backend", backend);
        this.mlp = Checks.notNull(op, "mlp", mlp);
        NerfMlpConfig cfg = mlp.config();
        if (images <= 0 || raysPerImage <= 0 || samples <= 0) {
            throw new IllegalArgumentException(op + ": images, raysPerImage and samples must be positive, got " + images
                    + ", " + raysPerImage + ", " + samples);
        }
        if (frequencies < 0 || 3 + 6 * frequencies != cfg.encodedWidth()) {
            throw new IllegalArgumentException(op + ": argument 'frequencies' " + frequencies + " does not give the MLP's "
                    + cfg.encodedWidth() + " encoded channels");
        }
        if (chunkRays <= 0 || raysPerImage % chunkRays != 0) {
            throw new IllegalArgumentException(op + ": argument 'chunkRays' must divide raysPerImage " + raysPerImage
                    + ", got " + chunkRays);
        }
        boolean chunked = chunkRays != raysPerImage;
        long nl = (long) images * raysPerImage * samples;
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int a = cfg.appearanceWidth();
        int c = cfg.featureChannels();
        if (nl * Math.max(e, c) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": " + nl + " points is too many for one step; use fewer points per step");
        }
        int n = (int) nl;
        int b = images;
        int p = raysPerImage;
        int br = b * p;
        this.images = b;
        this.rays = p;
        this.samples = samples;
        this.frequencies = frequencies;
        this.points = n;
        this.paramCount = mlp.parameterCount();

        HeapLayout heap = new HeapLayout();
        // inputs first and contiguous, the background map at offset 0 (the compositing helpers read it there)
        int bg = heap.alloc("background", (long) p * c);   // (P, C)
        int xyz = heap.alloc("xyz", 3L * n);               // (N, 3)
        int delta = heap.alloc("delta", n);                // (N)
        int tvals = heap.alloc("tvals", n);                // (N)
        int shape = heap.alloc("shape codes", (long) b * s); // (B, S)
        int app = heap.alloc("appearance", (long) b * a);  // (B, A)
        int target = heap.alloc("target map", (long) br * c); // (B P, C)
        inFloats = heap.size();
        paramOff = heap.alloc("parameters", paramCount);
        gradOff = heap.alloc("gradients", paramCount);
        mOff = heap.alloc("first moments", paramCount);
        vOff = heap.alloc("second moments", paramCount);
        int cp = chunked ? chunkRays * samples : n;        // points of one MLP pass
        int pe = heap.alloc("pe", (long) cp * e);          // (cp, E) encoded points of the pass
        MlpProgram net = chunked ? new MlpProgram(mlp, heap, paramOff, gradOff, 1, cp)
                : new MlpProgram(mlp, heap, paramOff, gradOff, b, p * samples);
        // sigma and features of every point: the MLP's own outputs when unchunked, else gathered per chunk
        int sigmaAll = chunked ? heap.alloc("sigma", n) : net.sigma();                 // (N)
        int featAll = chunked ? heap.alloc("features", (long) n * c) : net.features(); // (N, C)
        int map = heap.alloc("map", (long) br * c);        // (B P, C)
        int bgAlpha = heap.alloc("bgAlpha", br);           // (B P)
        int dMap = heap.alloc("dMap", (long) br * c);      // (B P, C)
        int dSigma = heap.alloc("dSigma", n);              // (N)
        int dFeat = heap.alloc("dFeatures", (long) n * c); // (N, C)
        int dPe = heap.alloc("dPe", (long) cp * e);        // (cp, E)
        // downloaded block, contiguous in the order of the output buffer
        int loss = heap.alloc("loss", 1);
        int dShape = heap.alloc("dShape", (long) b * s);   // (B, S)
        int dApp = heap.alloc("dAppearance", (long) b * a); // (B, A)
        int dXyz = heap.alloc("dXyz", 3L * n);             // (N, 3)
        int dDelta = heap.alloc("dDelta", n);              // (N)
        outFloats = heap.size() - loss;
        int terms = br * c;
        int cols = Math.min(DeviceMlpStep.REDUCE_COLUMNS, terms);
        int rowsR = (terms + cols - 1) / cols;
        int err = heap.alloc("loss terms", (long) rowsR * cols); // (R, C'), zero padding at the end
        int partial = heap.alloc("partial sums", cols);
        this.arena = new DeviceArena(backend, heap.size(), inFloats, outFloats, paramCount, n,
                DeviceArena.MAX_SPLITS * net.maxWeightGradient());

        List<Launch> pr = new ArrayList<>();
        DeviceArena ar = arena;
        pr.add(ar.fill(gradOff, paramCount, 0f));
        pr.add(ar.fill(dShape, b * s, 0f));
        pr.add(ar.fill(dApp, b * a, 0f));
        pr.add(ar.copyIn(0, inFloats, 0, inFloats, 1, inFloats));
        // forward
        if (chunked) {
            for (int img = 0; img < b; img++) {
                for (int r0 = 0; r0 < p; r0 += chunkRays) {
                    int first = (img * p + r0) * samples;
                    pr.add(ar.frequencyEncode(pe, e, xyz + 3 * first, cp, frequencies));
                    net.forward(ar, pr, pe, e, shape + img * s, app + img * a);
                    pr.add(ar.copy(sigmaAll + first, cp, net.sigma(), cp, 1, cp, false));
                    pr.add(ar.copy(featAll + first * c, cp * c, net.features(), cp * c, 1, cp * c, false));
                }
            }
        } else {
            pr.add(ar.frequencyEncode(pe, e, xyz, n, frequencies));
            net.forward(ar, pr, pe, e, shape, app);
        }
        pr.add(ar.compositeForward(map, bgAlpha, sigmaAll, featAll, c, delta, tvals, br, samples, c, p));
        // loss
        pr.add(ar.squaredError(dMap, err, map, target, terms, 2f / terms));
        pr.add(ar.columnSums(partial, err, cols, rowsR, cols, rowsR, false));
        pr.add(ar.columnSums(loss, partial, 1, cols, 1, cols, false));
        // backward
        pr.add(ar.compositeBackward(dSigma, dFeat, c, dDelta, dMap, sigmaAll, featAll, c, delta, tvals,
                br, samples, c, p));
        if (chunked) {
            for (int img = 0; img < b; img++) {
                for (int r0 = 0; r0 < p; r0 += chunkRays) {
                    int first = (img * p + r0) * samples;
                    // recompute the chunk's forward (checkpointing), then its backward
                    pr.add(ar.frequencyEncode(pe, e, xyz + 3 * first, cp, frequencies));
                    net.forward(ar, pr, pe, e, shape + img * s, app + img * a);
                    pr.add(ar.fill(dPe, cp * e, 0f));
                    net.backward(ar, pr, dPe, e, dShape + img * s, dApp + img * a, dSigma + first, dFeat + first * c, c,
                            pe, e, shape + img * s, app + img * a);
                    pr.add(ar.frequencyEncodeBackward(dXyz + 3 * first, dPe, e, xyz + 3 * first, cp, frequencies, false));
                }
            }
        } else {
            pr.add(ar.fill(dPe, n * e, 0f));
            net.backward(ar, pr, dPe, e, dShape, dApp, dSigma, dFeat, c, pe, e, shape, app);
            pr.add(ar.frequencyEncodeBackward(dXyz, dPe, e, xyz, n, frequencies, false));
        }
        // what the host needs, then the update
        pr.add(ar.copyOut(0, outFloats, loss, outFloats, 1, outFloats));
        pr.add(ar.adam(paramOff, gradOff, mOff, vOff, paramCount, lr, beta1, beta2, eps));
        this.program = Collections.unmodifiableList(pr);
        this.snapshot = List.of(ar.copySnap(0, paramCount, paramOff, paramCount, 1, paramCount));
    }

    /** Floats uploaded per step. */
    public int inputFloats() {
        return inFloats;
    }

    /** Floats downloaded per step. */
    public int outputFloats() {
        return outFloats;
    }

    /** Kernel launches per {@link #step}. */
    public int launchesPerStep() {
        return DeviceArena.kernelLaunches(program);
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

    /** Adam steps since {@link #setParameters}. */
    public int stepCount() {
        return step;
    }

    /** Sets the MLP parameters, zeroes the Adam moments and the step counter, uploads the heap (one copy). */
    public void setParameters(float[] params) {
        Checks.vector("DeviceStreamStep.setParameters", "params", params, 0, paramCount);
        float[] heap = arena.heap();
        System.arraycopy(params, 0, heap, paramOff, paramCount);
        java.util.Arrays.fill(heap, gradOff, vOff + paramCount, 0f);
        step = 0;
        arena.putHeap();
    }

    /**
     * One step; returns the loss before the update. Shapes as in the class comment: bg {@code (P, C)}, xyz
     * {@code (N, 3)}, delta and tvals {@code (N)}, shape {@code (B, S)}, appearance {@code (B, A)}, target
     * {@code (B P, C)}, all contiguous.
     */
    public float step(float[] bg, float[] xyz, float[] delta, float[] tvals, float[] shape, float[] appearance,
                      float[] target) {
        String op = "DeviceStreamStep.step";
        NerfMlpConfig cfg = mlp.config();
        int c = cfg.featureChannels();
        int n = points;
        int[] lens = {rays * c, 3 * n, n, n, images * cfg.shapeCodeWidth(), images * cfg.appearanceWidth(), images * rays * c};
        float[][] src = {bg, xyz, delta, tvals, shape, appearance, target};
        String[] names = {"bg", "xyz", "delta", "tvals", "shape", "appearance", "target"};
        for (int i = 0; i < src.length; i++) {
            Checks.vector(op, names[i], src[i], 0, lens[i]);
        }
        float[] in = arena.in();
        int at = 0;
        for (int i = 0; i < src.length; i++) {
            System.arraycopy(src[i], 0, in, at, lens[i]);
            at += lens[i];
        }
        arena.putIn();
        step++;
        arena.run(program, step);
        arena.getOut();
        return arena.out()[0];
    }

    /**
     * The last step's downloaded gradients, added ({@code +=}) into the given buffers (each may be null): dShape
     * {@code (B, S)}, dAppearance {@code (B, A)}, dXyz {@code (N, 3)}, dDelta {@code (N)}.
     */
    public void addGradients(float[] dShape, float[] dAppearance, float[] dXyz, float[] dDelta) {
        NerfMlpConfig cfg = mlp.config();
        int[] lens = {images * cfg.shapeCodeWidth(), images * cfg.appearanceWidth(), 3 * points, points};
        float[][] dst = {dShape, dAppearance, dXyz, dDelta};
        String[] names = {"dShape", "dAppearance", "dXyz", "dDelta"};
        float[] out = arena.out();
        int at = 1;
        for (int i = 0; i < dst.length; i++) {
            if (dst[i] != null) {
                Checks.vector("DeviceStreamStep.addGradients", names[i], dst[i], 0, lens[i]);
                for (int j = 0; j < lens[i]; j++) {
                    dst[i][j] += out[at + j];
                }
            }
            at += lens[i];
        }
    }

    /** Copies the current MLP parameters from the device into dst (one launch, one download). */
    public void parameters(float[] dst) {
        Checks.vector("DeviceStreamStep.parameters", "dst", dst, 0, paramCount);
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
