package dev.gazenerf.backend.tornadovm;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.Activation;
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
 * A whole training step of a two-layer MLP as one TornadoVM {@link TaskGraph}, executed through one
 * {@link TornadoExecutionPlan}, with parameters, gradients, Adam moments and activations resident on the
 * device: they are transferred once (first execution); each step uploads only the batch, the target and
 * Adam's five step-dependent numbers, and downloads only the loss. Parameters come back on demand
 * ({@link #readParams}). This is how a GazeNeRF step runs on TornadoVM: the same {@link TornadoKernels}
 * the per-call backend launches, chained in one graph.
 *
 * <p>The step, with {@code x (batch, in)}, {@code t (batch, out)} and the parameters of {@link #layout}:
 * <pre>
 *   h  = act(x W1^T + b1)                 // (batch, hidden)   gemm NT, biasActivation
 *   y  = h W2^T + b2                      // (batch, out)      gemm NT, biasActivation(NONE)
 *   L  = sum (y - t)^2 / (batch*out)      //                   mseValue;  dy = 2 (y - t) / (batch*out)
 *   dW2 = dy^T h, db2 = colsum(dy)        // gemm TN, columnSums  (gradients zeroed first, then +=)
 *   dh = (dy W2) * act'(h)                // gemm NN, activationBackward
 *   dW1 = dh^T x, db1 = colsum(dh)        // gemm TN, columnSums
 *   Adam over all parameters              // adam, t = step number
 * </pre>
 * The loss returned by {@link #step} is that of the parameters before the step's update.
 */
public final class DeviceMlpStep extends ResidentStep {
    private static int instances;

    private final int batch;
    private final int in;
    private final int hidden;
    private final int out;
    private final String graphName;
    private final KernelContext context = new KernelContext();
    private final GridScheduler scheduler = new GridScheduler();

    private final FloatArray params;   // (layout.size())  fc1.weight (hidden, in), fc1.bias (hidden), fc2.weight (out, hidden), fc2.bias (out)
    private final FloatArray grads;    // (layout.size())  same layout
    private final FloatArray m;        // (layout.size())  Adam first moments
    private final FloatArray v;        // (layout.size())  Adam second moments
    private final FloatArray x;        // (batch, in)
    private final FloatArray target;   // (batch, out)
    private final FloatArray h;        // (batch, hidden)  act output, cached for backward
    private final FloatArray y;        // (batch, out)
    private final FloatArray dy;       // (batch, out)
    private final FloatArray dhRaw;    // (batch, hidden)  dy W2
    private final FloatArray dh;       // (batch, hidden)  dhRaw * act'(h)
    private final FloatArray loss;     // (1)
    private final FloatArray hyper;    // (5)  Adam: beta1, beta2, eps, stepSize, sqrtBias2

    /** The named parameter slices of the MLP, in the order they sit in the flat buffer. */
    public static ParamLayout layout(int in, int hidden, int out) {
        ParamLayout layout = new ParamLayout();
        layout.add("fc1.weight", hidden, in);
        layout.add("fc1.bias", hidden);
        layout.add("fc2.weight", out, hidden);
        layout.add("fc2.bias", out);
        return layout;
    }

    /**
     * Builds and compiles the step graph for fixed sizes on the configured TornadoVM device, with the given
     * initial parameters (in {@link #layout} order) and Adam settings; {@code profile} records kernel times.
     * The gemm kernel is the one {@link TornadoVmRuntime#tiledGemmByDefault} chooses for the device.
     */
    public DeviceMlpStep(int batch, int in, int hidden, int out, Activation act, float[] initialParams,
                         float lr, float beta1, float beta2, float eps, boolean profile) {
        this(batch, in, hidden, out, act, initialParams, lr, beta1, beta2, eps, profile, null);
    }

    /**
     * As above, with the gemm kernel chosen: {@code tiledGemm} true for {@link TornadoKernels#gemmTiled}, false
     * for {@link TornadoKernels#gemm}, null for the device's default.
     */
    public DeviceMlpStep(int batch, int in, int hidden, int out, Activation act, float[] initialParams,
                         float lr, float beta1, float beta2, float eps, boolean profile, Boolean tiledGemm) {
        String op = "DeviceMlpStep";
        Checks.positive(op, "batch", batch);
        Checks.positive(op, "in", in);
        Checks.positive(op, "hidden", hidden);
        Checks.positive(op, "out", out);
        Checks.notNull(op, "act", act);
        ParamLayout layout = layout(in, hidden, out);
        Checks.vector(op, "initialParams", initialParams, 0, layout.size());
        if (initialParams.length != layout.size()) {
            throw new IllegalArgumentException(op + ": argument 'initialParams' has length " + initialParams.length
                    + ", the layout has " + layout.size());
        }
        // Before super(), so before the field initialisers touch a TornadoVM class that may be missing.
        TornadoVmRuntime.requireDeviceOnly();
        super("DeviceMlpStep", tiledGemm, lr, beta1, beta2, eps, profile);
        this.batch = batch;
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        synchronized (DeviceMlpStep.class) {
            this.graphName = "gazenerfMlpStep" + (instances++);
        }
        int n = layout.size();
        params = FloatArray.fromArray(initialParams);
        grads = new FloatArray(n);
        m = new FloatArray(n);
        v = new FloatArray(n);
        x = new FloatArray(batch * in);
        target = new FloatArray(batch * out);
        h = new FloatArray(batch * hidden);
        y = new FloatArray(batch * out);
        dy = new FloatArray(batch * out);
        dhRaw = new FloatArray(batch * hidden);
        dh = new FloatArray(batch * hidden);
        loss = new FloatArray(1);
        hyper = new FloatArray(TornadoKernels.AD_HYPER);

        int w1 = layout.offset("fc1.weight");
        int b1 = layout.offset("fc1.bias");
        int w2 = layout.offset("fc2.weight");
        int b2 = layout.offset("fc2.bias");
        int count = batch * out;

        // Sizes of every task; constant for the graph, so uploaded once with the parameters.
        IntArray pZero = ints(0, n);
        IntArray pFc1 = gemmParams(batch, hidden, in, 0, in, 1, w1, 1, in, 0, hidden, false);        // h = x W1^T
        IntArray pAct1 = ints(batch, hidden, 0, hidden, 1, b1, 0, batch, act.code);
        IntArray pFc2 = gemmParams(batch, out, hidden, 0, hidden, 1, w2, 1, hidden, 0, out, false);   // y = h W2^T
        IntArray pAct2 = ints(batch, out, 0, out, 1, b2, 0, batch, Activation.NONE.code);
        IntArray pMse = ints(count);
        IntArray pDw2 = gemmParams(out, hidden, batch, 0, 1, out, 0, hidden, 1, w2, hidden, true);    // dW2 += dy^T h
        IntArray pDb2 = ints(1, out, batch, b2, 0, out, 1);
        IntArray pDh = gemmParams(batch, hidden, out, 0, out, 1, w2, hidden, 1, 0, hidden, false);    // dhRaw = dy W2
        IntArray pActB = ints(batch, hidden, 0, hidden, 0, hidden, 0, hidden, act.code);
        IntArray pDw1 = gemmParams(hidden, in, batch, 0, 1, hidden, 0, in, 1, w1, in, true);          // dW1 += dh^T x
        IntArray pDb1 = ints(1, hidden, batch, b1, 0, hidden, 1);
        IntArray pAdam = ints(0, n);

        TaskGraph g = new TaskGraph(graphName)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, pZero, pFc1, pAct1, pFc2, pAct2, pMse, pDw2, pDb2,
                        pDh, pActB, pDw1, pDb1, pAdam, params, grads, m, v, h, y, dy, dhRaw, dh, loss)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, target, hyper)
                .task("zeroGrads", TornadoKernels::fill, context, pZero, grads, 0f);
        gemm(g, "fc1", pFc1, x, params, h, batch, hidden);
        g.task("act1", TornadoKernels::biasActivation, context, pAct1, h, params);
        gemm(g, "fc2", pFc2, h, params, y, batch, out);
        g.task("bias2", TornadoKernels::biasActivation, context, pAct2, y, params)
                .task("mseValue", TornadoKernels::mseValue, context, pMse, loss, y, target)
                .task("mseGradient", TornadoKernels::mseGradient, context, pMse, dy, y, target);
        gemm(g, "dW2", pDw2, dy, h, grads, out, hidden);
        g.task("db2", TornadoKernels::columnSums, context, pDb2, grads, dy);
        gemm(g, "dh", pDh, dy, params, dhRaw, batch, hidden);
        g.task("act1Backward", TornadoKernels::activationBackward, context, pActB, dh, dhRaw, h);
        gemm(g, "dW1", pDw1, dh, x, grads, hidden, in);
        g.task("db1", TornadoKernels::columnSums, context, pDb1, grads, dh)
                .task("adam", TornadoKernels::adam, context, pAdam, hyper, params, grads, m, v)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, loss)
                .transferToHost(DataTransferMode.UNDER_DEMAND, params, grads);
        grid("zeroGrads", n);
        grid("act1", batch * hidden);
        grid("bias2", count);
        grid("mseValue", 1);
        grid("mseGradient", count);
        grid("db2", out);
        grid("act1Backward", batch * hidden);
        grid("db1", hidden);
        grid("adam", n);
        attach(g, scheduler, params, grads, hyper, loss);
    }

    /**
     * One training step on a batch: {@code x (batch, in)}, {@code t (batch, out)}, both read from offset 0.
     * Returns the loss before the update.
     */
    public float step(float[] xBatch, float[] t) {
        Checks.vector("DeviceMlpStep.step", "x", xBatch, 0, batch * in);
        Checks.vector("DeviceMlpStep.step", "t", t, 0, batch * out);
        TornadoVmBackend.copyIn(xBatch, 0, batch * in, x);
        TornadoVmBackend.copyIn(t, 0, batch * out, target);
        return execute();
    }

    /** Adds a gemm task producing a {@code (rows, cols)} C with the chosen kernel, and its launch grid. */
    private void gemm(TaskGraph g, String task, IntArray p, FloatArray a, FloatArray b, FloatArray c, int rows, int cols) {
        if (tiled) {
            g.task(task, TornadoKernels::gemmTiled, context, p, a, b, c);
            int tile = TornadoKernels.TILE;
            WorkerGrid2D w = new WorkerGrid2D(TornadoVmBackend.roundUp(cols, tile), TornadoVmBackend.roundUp(rows, tile));
            w.setLocalWork(tile, tile, 1);
            scheduler.addWorkerGrid(graphName + "." + task, w);
        } else {
            g.task(task, TornadoKernels::gemm, context, p, a, b, c);
            grid(task, rows * cols);
        }
    }

    private void grid(String task, int total) {
        WorkerGrid1D w = new WorkerGrid1D(TornadoVmBackend.grid(total));
        w.setLocalWork(TornadoVmBackend.LOCAL, 1, 1);
        scheduler.addWorkerGrid(graphName + "." + task, w);
    }

    private static IntArray ints(int... values) {
        return IntArray.fromArray(values);
    }

    /** Parameters of {@link TornadoKernels#gemm} in its {@code GEMM_*} layout. */
    private static IntArray gemmParams(int mm, int nn, int k, int aOff, int aRow, int aDepth, int bOff, int bDepth, int bCol,
                                       int cOff, int ldc, boolean acc) {
        return ints(mm, nn, k, aOff, aRow, aDepth, bOff, bDepth, bCol, cOff, ldc, acc ? 1 : 0);
    }
}
