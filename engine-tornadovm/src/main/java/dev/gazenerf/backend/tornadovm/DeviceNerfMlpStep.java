package dev.gazenerf.backend.tornadovm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.Activation;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;
import dev.gazenerf.tensor.ParamLayout;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * A whole training step of GazeNeRF's conditional NeRF MLP ({@link NerfMlp}: the trunk of {@code layers} ReLU
 * layers with the skip layer reading {@code [input, h]}, the density head, RGB_layer_0..2 with the appearance
 * code concatenated before RGB_layer_1), as one TornadoVM {@link TaskGraph} run through one
 * {@link TornadoExecutionPlan}: forward, a mean squared error against a target, backward, Adam. Parameters (in
 * {@link NerfMlp#layout()} order, so a {@code NerfMlp}'s buffer is used as it is), gradients, Adam's moments
 * and every activation stay on the device; each step uploads the batch (encoded points, per-image codes,
 * target) and Adam's five step-dependent numbers, and downloads only the loss.
 *
 * <p>It computes the function of {@link NerfMlp#forwardPlain}/{@link NerfMlp#backwardPlain} with the same
 * {@link TornadoKernels} as the per-call backend, in the reference's shape: the shape code is copied to every
 * point of its image (a {@code copy2d} with source stride 0) beside the encoded point, forming
 * {@code X = [pe, code]}; the output of layer {@code skip} is written straight into the columns after X of one
 * {@code (N, in + W)} buffer, so the skip layer is one gemm over {@code [X, h]}; RGB_layer_0 writes into the
 * first W columns of {@code [r0, appearance]}; sigma and the features are written into one {@code (N, 1 + F)}
 * output, {@code out = [sigma, features]}. The loss is {@code sum (out - target)^2 / (N (1 + F))}.
 * (Differences from the model's step: no hoisting of the code products, no gradients to the codes or the
 * encoded points, a stand-in loss on the MLP's outputs; the whole GazeNeRF step around it, rays, compositing,
 * renderer, is not in this graph.)
 */
public final class DeviceNerfMlpStep extends ResidentStep {
    /**
     * TornadoVM's bytecode buffer for one task graph ({@code tornado.tvm.maxbytecodesize}, 4,096 bytes by default)
     * overflows with this graph's 76+ tasks; the JVM must be started with at least this much.
     */
    public static final int MIN_BYTECODE_SIZE = 65536;
    private static int instances;

    private final NerfMlpConfig cfg;
    private final int images;
    private final int pointsPerImage;
    private final int n;
    private final String graphName;
    private final KernelContext context = new KernelContext();
    private final GridScheduler scheduler = new GridScheduler();
    private final List<Object> constants = new ArrayList<>();
    private int tasks;

    private final FloatArray params;
    private final FloatArray grads;
    private final FloatArray m;
    private final FloatArray v;
    private final FloatArray pe;        // (N, E)          uploaded every step
    private final FloatArray shape;     // (B, S)          uploaded every step
    private final FloatArray appearance; // (B, A)         uploaded every step
    private final FloatArray target;    // (N, 1 + F)      uploaded every step
    private final FloatArray hyper;     // (5)             uploaded every step
    private final FloatArray loss;      // (1)             downloaded every step

    /** Where a layer's activations live: a buffer, the offset of row 0 and the leading dimension. */
    private record Act(FloatArray buf, int off, int ld) {
    }

    /**
     * Builds and compiles the step for {@code images} images of {@code pointsPerImage} points on the configured
     * TornadoVM device, with the given initial parameters ({@code mlp.layout()} order) and Adam settings;
     * {@code tiledGemm} null for the device's default gemm kernel.
     */
    public DeviceNerfMlpStep(NerfMlp mlp, int images, int pointsPerImage, float[] initialParams,
                             float lr, float beta1, float beta2, float eps, boolean profile, Boolean tiledGemm) {
        String op = "DeviceNerfMlpStep";
        Checks.notNull(op, "mlp", mlp);
        Checks.positive(op, "images", images);
        Checks.positive(op, "pointsPerImage", pointsPerImage);
        ParamLayout layout = mlp.layout();
        Checks.vector(op, "initialParams", initialParams, 0, layout.size());
        if (initialParams.length != layout.size()) {
            throw new IllegalArgumentException(op + ": argument 'initialParams' has length " + initialParams.length
                    + ", the layout has " + layout.size());
        }
        // Before super(), so before the field initialisers touch a TornadoVM class that may be missing.
        TornadoVmRuntime.requireDeviceOnly();
        int bytecode = Integer.getInteger("tornado.tvm.maxbytecodesize", 4096);
        if (bytecode < MIN_BYTECODE_SIZE) {
            throw new IllegalStateException(op + ": one task graph of the whole MLP step needs TornadoVM's bytecode buffer of at least "
                    + MIN_BYTECODE_SIZE + " bytes, this JVM has " + bytecode + ": start java with -Dtornado.tvm.maxbytecodesize="
                    + MIN_BYTECODE_SIZE);
        }
        super("DeviceNerfMlpStep", tiledGemm, lr, beta1, beta2, eps, profile);
        this.cfg = mlp.config();
        this.images = images;
        this.pointsPerImage = pointsPerImage;
        this.n = images * pointsPerImage;
        synchronized (DeviceNerfMlpStep.class) {
            this.graphName = "gazenerfNerfStep" + (instances++);
        }
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int layers = cfg.layers();
        int skip = cfg.skip();
        int skipLayer = cfg.skipLayer();
        int xw = in + w;      // [X, h_skip]
        int r1In = w + a;     // [r0, appearance]
        int ow = 1 + f;       // [sigma, features]
        int size = layout.size();

        params = FloatArray.fromArray(initialParams);
        grads = new FloatArray(size);
        m = new FloatArray(size);
        v = new FloatArray(size);
        pe = new FloatArray(n * e);
        shape = new FloatArray(images * s);
        appearance = new FloatArray(images * a);
        target = new FloatArray(n * ow);
        hyper = new FloatArray(TornadoKernels.AD_HYPER);
        loss = new FloatArray(1);
        FloatArray xh = new FloatArray(n * xw);
        FloatArray[] h = new FloatArray[layers];
        for (int l = 0; l < layers; l++) {
            h[l] = l == skip ? xh : new FloatArray(n * w);
        }
        FloatArray out = new FloatArray(n * ow);
        FloatArray r0a = new FloatArray(n * r1In);
        FloatArray r1 = new FloatArray(n * hw);
        FloatArray dOut = new FloatArray(n * ow);
        FloatArray dR1Raw = new FloatArray(n * hw);
        FloatArray dR1 = new FloatArray(n * hw);
        FloatArray dZ = new FloatArray(n * w);
        FloatArray dSig = new FloatArray(n);
        FloatArray dHa = new FloatArray(n * w);
        FloatArray dHb = new FloatArray(n * w);
        Act[] act = new Act[layers];
        for (int l = 0; l < layers; l++) {
            act[l] = l == skip ? new Act(xh, in, xw) : new Act(h[l], 0, w);
        }
        int densityW = layout.offset("density_module.weight");
        int densityB = layout.offset("density_module.bias");
        int rgb0W = layout.offset("RGB_layer_0.weight");
        int rgb0B = layout.offset("RGB_layer_0.bias");
        int rgb1W = layout.offset("RGB_layer_1.weight");
        int rgb1B = layout.offset("RGB_layer_1.bias");
        int rgb2W = layout.offset("RGB_layer_2.weight");
        int rgb2B = layout.offset("RGB_layer_2.bias");
        int relu = Activation.RELU.code;
        int none = Activation.NONE.code;

        // ---- forward
        IntArray pZero = constant(0, size);
        FloatArray gr0 = grads;
        KernelContext ctx = context;
        task("zeroGrads", size, gr -> gr.task("zeroGrads", TornadoKernels::fill, ctx, pZero, gr0, 0f));
        copy("pe", n, e, xh, 0, xw, pe, 0, e);
        for (int b = 0; b < images; b++) {
            // the shape code of image b beside each of its points: source stride 0
            copy("code" + b, pointsPerImage, s, xh, b * pointsPerImage * xw + e, xw, shape, b * s, 0);
        }
        for (int l = 0; l < layers; l++) {
            String name = NerfMlp.trunkName(l);
            int wo = layout.offset(name + ".weight");
            int bo = layout.offset(name + ".bias");
            Act input = l == 0 ? new Act(xh, 0, xw) : l == skipLayer ? new Act(xh, 0, xw) : act[l - 1];
            int k = l == 0 ? in : l == skipLayer ? xw : w;
            // h_l = relu(input W^T + b), W (w, k) row-major
            gemm("fwd" + l, n, w, k, input.buf, input.off, input.ld, 1, params, wo, 1, k, act[l].buf, act[l].off, act[l].ld, false);
            bias("act" + l, n, w, act[l].buf, act[l].off, act[l].ld, bo, relu);
        }
        Act last = act[layers - 1];
        gemm("density", n, 1, w, last.buf, last.off, last.ld, 1, params, densityW, 1, w, out, 0, ow, false);
        bias("densityAct", n, 1, out, 0, ow, densityB, relu);
        gemm("rgb0", n, w, w, last.buf, last.off, last.ld, 1, params, rgb0W, 1, w, r0a, 0, r1In, false);
        bias("rgb0Bias", n, w, r0a, 0, r1In, rgb0B, none);
        for (int b = 0; b < images; b++) {
            copy("appearance" + b, pointsPerImage, a, r0a, b * pointsPerImage * r1In + w, r1In, appearance, b * a, 0);
        }
        gemm("rgb1", n, hw, r1In, r0a, 0, r1In, 1, params, rgb1W, 1, r1In, r1, 0, hw, false);
        bias("rgb1Act", n, hw, r1, 0, hw, rgb1B, relu);
        gemm("rgb2", n, f, hw, r1, 0, hw, 1, params, rgb2W, 1, hw, out, 1, ow, false);
        bias("rgb2Bias", n, f, out, 1, ow, rgb2B, none);
        IntArray pMse = constant(n * ow);
        FloatArray lossBuf = loss;
        FloatArray targetBuf = target;
        task("mseValue", 1, gr -> gr.task("mseValue", TornadoKernels::mseValue, ctx, pMse, lossBuf, out, targetBuf));
        task("mseGradient", n * ow, gr -> gr.task("mseGradient", TornadoKernels::mseGradient, ctx, pMse, dOut, out, targetBuf));
        // ---- backward (the order of NerfMlp.backwardPlain)
        // RGB_layer_2 (no activation): dW += df^T r1, db += colsum(df), dR1 = df W
        gemm("dRgb2W", f, hw, n, dOut, 1, 1, ow, r1, 0, hw, 1, grads, rgb2W, hw, true);
        colsum("dRgb2B", f, dOut, 1, ow, rgb2B);
        gemm("dR1", n, hw, f, dOut, 1, ow, 1, params, rgb2W, hw, 1, dR1Raw, 0, hw, false);
        actBackInto("rgb1ActBack", n, hw, dR1, 0, hw, dR1Raw, 0, hw, r1, 0, hw);
        gemm("dRgb1W", hw, r1In, n, dR1, 0, 1, hw, r0a, 0, r1In, 1, grads, rgb1W, r1In, true);
        colsum("dRgb1B", hw, dR1, 0, hw, rgb1B);
        // dr0 = dR1 W1[:, :w] (the appearance columns' gradient is not needed)
        gemm("dR0", n, w, hw, dR1, 0, hw, 1, params, rgb1W, r1In, 1, dHb, 0, w, false);
        gemm("dRgb0W", w, w, n, dHb, 0, 1, w, last.buf, last.off, last.ld, 1, grads, rgb0W, w, true);
        colsum("dRgb0B", w, dHb, 0, w, rgb0B);
        // density: dSig = dOut[:, 0] * relu'(sigma)
        actBackInto("densityActBack", n, 1, dSig, 0, 1, dOut, 0, ow, out, 0, ow);
        gemm("dDensityW", 1, w, n, dSig, 0, 1, 1, last.buf, last.off, last.ld, 1, grads, densityW, w, true);
        colsum("dDensityB", 1, dSig, 0, 1, densityB);
        // dh_last = dr0 W0 + dSig wd
        gemm("dLast", n, w, w, dHb, 0, w, 1, params, rgb0W, w, 1, dHa, 0, w, false);
        gemm("dLastDensity", n, w, 1, dSig, 0, 1, 1, params, densityW, w, 1, dHa, 0, w, true);
        // dh of the current layer's output lives in dHa; dZ = dh * relu'(h) in its own buffer (TornadoVM's
        // dependency analysis wants a task's inputs and outputs to be distinct objects), then dh_{l-1} = dZ W.
        for (int l = layers - 1; l >= 0; l--) {
            String name = NerfMlp.trunkName(l);
            int wo = layout.offset(name + ".weight");
            int bo = layout.offset(name + ".bias");
            int k = l == 0 ? in : l == skipLayer ? xw : w;
            Act input = l == 0 || l == skipLayer ? new Act(xh, 0, xw) : act[l - 1];
            actBackInto("back" + l, n, w, dZ, 0, w, dHa, 0, w, act[l].buf, act[l].off, act[l].ld);
            gemm("dW" + l, w, k, n, dZ, 0, 1, w, input.buf, input.off, input.ld, 1, grads, wo, k, true);
            colsum("dB" + l, w, dZ, 0, w, bo);
            if (l > 0) {
                // only the h columns of the skip layer's [X, h]
                int hOff = l == skipLayer ? in : 0;
                gemm("dH" + l, n, w, w, dZ, 0, w, 1, params, wo + hOff, k, 1, dHa, 0, w, false);
            }
        }
        IntArray pAdam = constant(0, size);
        FloatArray hy = hyper;
        FloatArray pr = params;
        FloatArray mm = m;
        FloatArray vv = v;
        task("adam", size, gr -> gr.task("adam", TornadoKernels::adam, ctx, pAdam, hy, pr, gr0, mm, vv));

        // Transfers: constants, parameters, moments and activations once; the batch every step.
        List<Object> once = new ArrayList<>(constants);
        Collections.addAll(once, params, grads, m, v, xh, out, r0a, r1, dOut, dR1Raw, dR1, dZ, dSig, dHa, dHb, loss);
        for (int l = 0; l < layers; l++) {
            if (l != skip) {
                once.add(h[l]);
            }
        }
        TaskGraph full = new TaskGraph(graphName)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray())
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, pe, shape, appearance, target, hyper);
        for (Consumer<TaskGraph> t : pending) {
            t.accept(full);
        }
        full.transferToHost(DataTransferMode.EVERY_EXECUTION, loss)
                .transferToHost(DataTransferMode.UNDER_DEMAND, params, grads);
        attach(full, scheduler, params, grads, hyper, loss);
    }

    // ---------------------------------------------------------------- building the graph

    private final List<Consumer<TaskGraph>> pending = new ArrayList<>();

    /** Records a task over {@code total} work-items (1D, rounded up to the work-group size). */
    private void task(String id, int total, Consumer<TaskGraph> add) {
        pending.add(add);
        WorkerGrid1D w = new WorkerGrid1D(TornadoVmBackend.grid(total));
        w.setLocalWork(TornadoVmBackend.LOCAL, 1, 1);
        scheduler.addWorkerGrid(graphName + "." + id, w);
        tasks++;
    }

    private IntArray constant(int... values) {
        IntArray a = IntArray.fromArray(values);
        constants.add(a);
        return a;
    }

    /** {@code C[i,j] (+)= sum_q A(i,q) B(q,j)} in the strides of {@link TornadoKernels#gemm}. */
    private void gemm(String id, int rows, int cols, int k, FloatArray a, int aOff, int aRow, int aDepth,
                      FloatArray b, int bOff, int bDepth, int bCol, FloatArray c, int cOff, int ldc, boolean acc) {
        IntArray p = constant(rows, cols, k, aOff, aRow, aDepth, bOff, bDepth, bCol, cOff, ldc, acc ? 1 : 0);
        KernelContext ctx = context;
        if (tiled) {
            pending.add(gr -> gr.task(id, TornadoKernels::gemmTiled, ctx, p, a, b, c));
            int tile = TornadoKernels.TILE;
            WorkerGrid2D w = new WorkerGrid2D(TornadoVmBackend.roundUp(cols, tile), TornadoVmBackend.roundUp(rows, tile));
            w.setLocalWork(tile, tile, 1);
            scheduler.addWorkerGrid(graphName + "." + id, w);
            tasks++;
        } else {
            task(id, rows * cols, gr -> gr.task(id, TornadoKernels::gemm, ctx, p, a, b, c));
        }
    }

    /** {@code y = act(y + bias)} over a {@code (rows, cols)} block, one bias row at {@code params[biasOff]}. */
    private void bias(String id, int rows, int cols, FloatArray y, int yOff, int ldy, int biasOff, int act) {
        IntArray p = constant(rows, cols, yOff, ldy, 1, biasOff, 0, rows, act);
        KernelContext ctx = context;
        FloatArray prm = params;
        task(id, rows * cols, gr -> gr.task(id, TornadoKernels::biasActivation, ctx, p, y, prm));
    }

    /** {@code dx = dy * relu'(y)}. */
    private void actBackInto(String id, int rows, int cols, FloatArray dx, int dxOff, int lddx,
                             FloatArray dy, int dyOff, int lddy, FloatArray y, int yOff, int ldy) {
        IntArray p = constant(rows, cols, dxOff, lddx, dyOff, lddy, yOff, ldy, Activation.RELU.code);
        KernelContext ctx = context;
        task(id, rows * cols, gr -> gr.task(id, TornadoKernels::activationBackward, ctx, p, dx, dy, y));
    }

    /** {@code grads[outOff + c] += sum over the n rows of d[dOff + r*ldd + c]}. */
    private void colsum(String id, int cols, FloatArray d, int dOff, int ldd, int outOff) {
        IntArray p = constant(1, cols, n, outOff, dOff, ldd, 1);
        KernelContext ctx = context;
        FloatArray gr0 = grads;
        task(id, cols, gr -> gr.task(id, TornadoKernels::columnSums, ctx, p, gr0, d));
    }

    /** {@code dst[r, c] = src[r, c]} with the given offsets and leading dimensions (ldsrc 0 broadcasts a row). */
    private void copy(String id, int rows, int cols, FloatArray dst, int dstOff, int lddst,
                      FloatArray src, int srcOff, int ldsrc) {
        IntArray p = constant(rows, cols, dstOff, lddst, srcOff, ldsrc, 0);
        KernelContext ctx = context;
        task(id, rows * cols, gr -> gr.task(id, TornadoKernels::copy2d, ctx, p, dst, src));
    }

    // ---------------------------------------------------------------- running

    /** The number of tasks in the graph (kernel launches per step). */
    public int taskCount() {
        return tasks;
    }

    /** Floats uploaded by every step: encoded points, shape and appearance codes, target, Adam's numbers. */
    public long batchFloats() {
        return (long) n * cfg.encodedWidth() + (long) images * (cfg.shapeCodeWidth() + cfg.appearanceWidth())
                + (long) n * (1 + cfg.featureChannels()) + TornadoKernels.AD_HYPER;
    }

    /**
     * One training step: {@code pe (N, E)}, {@code shapeCodes (B, S)}, {@code appearanceCodes (B, A)},
     * {@code target (N, 1 + F)} ({@code [sigma, features]} per point), all contiguous from offset 0.
     * Returns the loss before the update.
     */
    public float step(float[] encodedPoints, float[] shapeCodes, float[] appearanceCodes, float[] targets) {
        String op = "DeviceNerfMlpStep.step";
        Checks.vector(op, "pe", encodedPoints, 0, n * cfg.encodedWidth());
        Checks.vector(op, "shapeCodes", shapeCodes, 0, images * cfg.shapeCodeWidth());
        Checks.vector(op, "appearanceCodes", appearanceCodes, 0, images * cfg.appearanceWidth());
        Checks.vector(op, "target", targets, 0, n * (1 + cfg.featureChannels()));
        TornadoVmBackend.copyIn(encodedPoints, 0, n * cfg.encodedWidth(), pe);
        TornadoVmBackend.copyIn(shapeCodes, 0, images * cfg.shapeCodeWidth(), shape);
        TornadoVmBackend.copyIn(appearanceCodes, 0, images * cfg.appearanceWidth(), appearance);
        TornadoVmBackend.copyIn(targets, 0, n * (1 + cfg.featureChannels()), target);
        return execute();
    }
}
