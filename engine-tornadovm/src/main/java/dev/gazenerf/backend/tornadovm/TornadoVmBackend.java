package dev.gazenerf.backend.tornadovm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.kernel.Activation;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The {@code tornadovm} backend: every {@link Backend} primitive is a {@link TornadoKernels} kernel in its own
 * {@link TaskGraph}, compiled once by TornadoVM for the selected device and reused for every call.
 *
 * <p>Each call copies its operands' spans from the caller's {@code float[]} into off-heap {@link FloatArray}s,
 * runs the graph (one upload of the inputs, one launch, one download of the output) and copies the output
 * elements back (row by row: the gaps between rows are left alone). Sizes, offsets and leading dimensions travel in a small {@link IntArray}, so a new shape does not
 * recompile; the buffers grow (doubling) when a call needs more, which rebuilds that one graph. This per-call
 * path is what the {@code Backend} contract over heap arrays allows; a training step that keeps parameters
 * and activations on the device is a whole task graph of the same kernels, {@link DeviceMlpStep}.
 *
 * <p>gemm runs {@link TornadoKernels#gemm} (one work-item per element) or, by default on GPUs,
 * {@link TornadoKernels#gemmTiled} (local-memory tiles); {@value TornadoVmRuntime#GEMM_PROPERTY} overrides.
 * Runs on TornadoVM's default device or on {@value TornadoVmRuntime#DEVICE_PROPERTY}{@code =b:d}. Start-up
 * fails (never falls back) when the runtime is absent or TornadoVM's Java fallback is on
 * ({@link TornadoVmRuntime#requireDeviceOnly()}). With profiling on ({@code -Dgazenerf.tornadovm.profile=true}
 * or the constructor flag) the device kernel time of every launch is added to {@link #deviceKernelNanos()},
 * which the tests use to prove the kernels ran on the device.
 */
public final class TornadoVmBackend implements Backend {
    /** System property turning on TornadoVM's profiler for every launch (see {@link #deviceKernelNanos()}). */
    public static final String PROFILE_PROPERTY = "gazenerf.tornadovm.profile";
    /** Work-group size of every launch; grids are rounded up to a multiple of it. */
    static final int LOCAL = 64;
    private static final int MIN_CAPACITY = 1024;
    private static int instances;

    private final TornadoDevice device;
    private final boolean profile;
    private final boolean tiledGemm;
    private final String id;
    private final KernelContext context = new KernelContext();
    private final List<OpPlan> plans = new ArrayList<>();
    private final OpPlan gemm;
    private final OpPlan biasActivation;
    private final OpPlan activationBackward;
    private final OpPlan columnSums;
    private final OpPlan copy2d;
    private final OpPlan frequencyEncode;
    private final OpPlan frequencyEncodeBackward;
    private final OpPlan adam;
    private long kernelNanos;
    private long launches;
    private boolean closed;

    /**
     * The backend on the configured device, profiling as {@value #PROFILE_PROPERTY} says, with the gemm kernel
     * {@link TornadoVmRuntime#tiledGemmByDefault} chooses.
     */
    public TornadoVmBackend() {
        // Before this(), so that a missing runtime is reported before any TornadoVM class is touched.
        TornadoVmRuntime.requireDeviceOnly();
        this(Boolean.getBoolean(PROFILE_PROPERTY), TornadoVmRuntime.tiledGemmByDefault(TornadoVmRuntime.selectDevice()));
    }

    /**
     * The backend on the configured device; {@code profile} records device kernel times, {@code tiledGemm}
     * chooses {@link TornadoKernels#gemmTiled} (local-memory tiles, for GPUs) over {@link TornadoKernels#gemm}.
     */
    public TornadoVmBackend(boolean profile, boolean tiledGemm) {
        // Before super(), so before the field initialisers touch a TornadoVM class that may be missing.
        TornadoVmRuntime.requireDeviceOnly();
        super();
        this.device = TornadoVmRuntime.selectDevice();
        this.profile = profile;
        this.tiledGemm = tiledGemm;
        synchronized (TornadoVmBackend.class) {
            this.id = "gazenerf" + (instances++);
        }
        // Buffer order per kernel: inputs and outputs as the kernel takes them; the last list names the outputs.
        gemm = plan("gemm", TornadoKernels.GEMM_PARAMS, false, 3, new int[] {2},
                (g, t, p, h, b) -> tiledGemm
                        ? g.task(t, TornadoKernels::gemmTiled, context, p, b[0], b[1], b[2])
                        : g.task(t, TornadoKernels::gemm, context, p, b[0], b[1], b[2]));
        biasActivation = plan("biasActivation", TornadoKernels.BA_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoKernels::biasActivation, context, p, b[0], b[1]));
        activationBackward = plan("activationBackward", TornadoKernels.AB_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoKernels::activationBackward, context, p, b[0], b[1], b[2]));
        columnSums = plan("columnSums", TornadoKernels.CS_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoKernels::columnSums, context, p, b[0], b[1]));
        copy2d = plan("copy2d", TornadoKernels.CP_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoKernels::copy2d, context, p, b[0], b[1]));
        frequencyEncode = plan("frequencyEncode", TornadoKernels.FE_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoKernels::frequencyEncode, context, p, b[0], b[1]));
        frequencyEncodeBackward = plan("frequencyEncodeBackward", TornadoKernels.FE_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoKernels::frequencyEncodeBackward, context, p, b[0], b[1], b[2]));
        adam = plan("adam", TornadoKernels.AD_PARAMS, true, 4, new int[] {0, 2, 3},
                (g, t, p, h, b) -> g.task(t, TornadoKernels::adam, context, p, h, b[0], b[1], b[2], b[3]));
    }

    @Override
    public String name() {
        return "tornadovm";
    }

    @Override
    public String device() {
        return "TornadoVM " + TornadoVmRuntime.VERSION + ": " + device.getTornadoVMBackend() + " "
                + TornadoVmRuntime.describe(device) + (tiledGemm ? ", tiled gemm" : "");
    }

    /** Whether gemm runs {@link TornadoKernels#gemmTiled}. */
    public boolean tiledGemm() {
        return tiledGemm;
    }

    /** Total device kernel time of all launches so far, in nanoseconds (0 unless profiling is on). */
    public synchronized long deviceKernelNanos() {
        return kernelNanos;
    }

    /** Number of kernel launches so far. */
    public synchronized long launches() {
        return launches;
    }

    /**
     * Launches so far of the kernel plan of that name (a {@link TornadoKernels} or {@link TornadoRenderOps}
     * kernel, e.g. {@code "gemm"}, {@code "compositeForward"}); 0 for a name without a plan. The tests use it to
     * show which parts of a training step ran on the device.
     */
    public synchronized long launches(String kernel) {
        long n = 0;
        for (OpPlan op : plans) {
            if (op.name.equals(kernel)) {
                n += op.count;
            }
        }
        return n;
    }

    /** Whether this backend records device kernel times. */
    public boolean profiling() {
        return profile;
    }

    @Override
    public void gemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmNT", m, n, k, false, true, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        runGemm(m, n, k, a, aOff, span(m, k, lda), lda, 1, b, bOff, span(n, k, ldb), 1, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmNN", m, n, k, false, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        runGemm(m, n, k, a, aOff, span(m, k, lda), lda, 1, b, bOff, span(k, n, ldb), ldb, 1, c, cOff, ldc, accumulate);
    }

    @Override
    public void gemmTN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmTN", m, n, k, true, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        runGemm(m, n, k, a, aOff, span(k, m, lda), 1, lda, b, bOff, span(k, n, ldb), ldb, 1, c, cOff, ldc, accumulate);
    }

    /** One launch of {@link TornadoKernels#gemm} with A and B given by their spans and strides. */
    private synchronized void runGemm(int m, int n, int k, float[] a, int aOff, int aSpan, int aRow, int aDepth,
                                      float[] b, int bOff, int bSpan, int bDepth, int bCol,
                                      float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        int cSpan = span(m, n, ldc);
        OpPlan op = gemm.ensure(aSpan, bSpan, cSpan);
        op.params(m, n, k, 0, aRow, aDepth, 0, bDepth, bCol, 0, ldc, accumulate ? 1 : 0);
        copyIn(a, aOff, aSpan, op.buf[0]);
        copyIn(b, bOff, bSpan, op.buf[1]);
        copyIn(c, cOff, cSpan, op.buf[2]);
        if (tiledGemm) {
            op.run2d(roundUp(n, TornadoKernels.TILE), roundUp(m, TornadoKernels.TILE), TornadoKernels.TILE);
        } else {
            op.run(m * n);
        }
        copyOutRows(op.buf[2], c, cOff, ldc, m, n);
    }

    @Override
    public synchronized void biasActivation(float[] y, int yOff, int ldy, int rows, int cols,
                                            float[] bias, int biasOff, int biasStride, int rowsPerBias, Activation act) {
        Checks.biasActivation(y, yOff, ldy, rows, cols, bias, biasOff, biasStride, rowsPerBias, act);
        if (rows == 0 || cols == 0) {
            return;
        }
        int ySpan = span(rows, cols, ldy);
        int bSpan = bias == null ? 1 : span((rows + rowsPerBias - 1) / rowsPerBias, cols, biasStride);
        OpPlan op = biasActivation.ensure(ySpan, bSpan);
        op.params(rows, cols, 0, ldy, bias == null ? 0 : 1, 0, biasStride, bias == null ? 1 : rowsPerBias, act.code);
        copyIn(y, yOff, ySpan, op.buf[0]);
        if (bias != null) {
            copyIn(bias, biasOff, bSpan, op.buf[1]);
        }
        op.run(rows * cols);
        copyOutRows(op.buf[0], y, yOff, ldy, rows, cols);
    }

    @Override
    public synchronized void activationBackward(float[] dx, int dxOff, int lddx, float[] dy, int dyOff, int lddy,
                                                float[] y, int yOff, int ldy, int rows, int cols, Activation act) {
        String name = "activationBackward";
        Checks.notNull(name, "act", act);
        Checks.matrix(name, "dx", dx, dxOff, lddx, rows, cols);
        Checks.matrix(name, "dy", dy, dyOff, lddy, rows, cols);
        Checks.matrix(name, "y", y, yOff, ldy, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        int dxSpan = span(rows, cols, lddx);
        int dySpan = span(rows, cols, lddy);
        int ySpan = span(rows, cols, ldy);
        OpPlan op = activationBackward.ensure(dxSpan, dySpan, ySpan);
        op.params(rows, cols, 0, lddx, 0, lddy, 0, ldy, act.code);
        copyIn(dy, dyOff, dySpan, op.buf[1]);
        copyIn(y, yOff, ySpan, op.buf[2]);
        op.run(rows * cols);
        copyOutRows(op.buf[0], dx, dxOff, lddx, rows, cols);
    }

    @Override
    public synchronized void columnSums(float[] out, int outOff, float[] d, int dOff, int ldd, int rows, int cols,
                                        int rowsPerGroup, boolean accumulate) {
        Checks.columnSums(out, outOff, d, dOff, ldd, rows, cols, rowsPerGroup);
        int groups = rows / rowsPerGroup;
        if (groups == 0 || cols == 0) {
            return;
        }
        int outSpan = groups * cols;
        int dSpan = span(rows, cols, ldd);
        OpPlan op = columnSums.ensure(outSpan, dSpan);
        op.params(groups, cols, rowsPerGroup, 0, 0, ldd, accumulate ? 1 : 0);
        if (accumulate) {
            copyIn(out, outOff, outSpan, op.buf[0]);
        }
        copyIn(d, dOff, dSpan, op.buf[1]);
        op.run(groups * cols);
        copyOut(op.buf[0], out, outOff, outSpan);
    }

    @Override
    public synchronized void copy2d(float[] dst, int dstOff, int lddst, float[] src, int srcOff, int ldsrc,
                                    int rows, int cols, boolean accumulate) {
        Checks.matrix("copy2d", "dst", dst, dstOff, lddst, rows, cols);
        Checks.matrix("copy2d", "src", src, srcOff, ldsrc, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        int dstSpan = span(rows, cols, lddst);
        int srcSpan = span(rows, cols, ldsrc);
        OpPlan op = copy2d.ensure(dstSpan, srcSpan);
        op.params(rows, cols, 0, lddst, 0, ldsrc, accumulate ? 1 : 0);
        copyIn(dst, dstOff, dstSpan, op.buf[0]);
        copyIn(src, srcOff, srcSpan, op.buf[1]);
        op.run(rows * cols);
        copyOutRows(op.buf[0], dst, dstOff, lddst, rows, cols);
    }

    @Override
    public synchronized void frequencyEncode(float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int points,
                                             int frequencies) {
        String name = "frequencyEncode";
        Checks.size(name, "frequencies", frequencies);
        Checks.vector(name, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(name, "out", out, outOff, ldo, points, 3 + 6 * frequencies);
        if (points == 0) {
            return;
        }
        int outSpan = span(points, 3 + 6 * frequencies, ldo);
        OpPlan op = frequencyEncode.ensure(outSpan, points * 3);
        op.params(points, frequencies, 0, ldo, 0, 0);
        copyIn(xyz, xyzOff, points * 3, op.buf[1]);
        op.run(points * 3);
        copyOutRows(op.buf[0], out, outOff, ldo, points, 3 + 6 * frequencies);
    }

    @Override
    public synchronized void frequencyEncodeBackward(float[] dXyz, int dXyzOff, float[] dOut, int dOutOff, int lddo,
                                                     float[] xyz, int xyzOff, int points, int frequencies,
                                                     boolean accumulate) {
        String name = "frequencyEncodeBackward";
        Checks.size(name, "frequencies", frequencies);
        Checks.vector(name, "dXyz", dXyz, dXyzOff, points * 3);
        Checks.vector(name, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(name, "dOut", dOut, dOutOff, lddo, points, 3 + 6 * frequencies);
        if (points == 0) {
            return;
        }
        int dOutSpan = span(points, 3 + 6 * frequencies, lddo);
        OpPlan op = frequencyEncodeBackward.ensure(points * 3, dOutSpan, points * 3);
        op.params(points, frequencies, 0, lddo, 0, accumulate ? 1 : 0);
        if (accumulate) {
            copyIn(dXyz, dXyzOff, points * 3, op.buf[0]);
        }
        copyIn(dOut, dOutOff, dOutSpan, op.buf[1]);
        copyIn(xyz, xyzOff, points * 3, op.buf[2]);
        op.run(points * 3);
        copyOut(op.buf[0], dXyz, dXyzOff, points * 3);
    }

    @Override
    public synchronized void adam(float[] param, float[] grad, float[] m, float[] v, int off, int n,
                                  float lr, float beta1, float beta2, float eps, int step) {
        String name = "adam";
        Checks.vector(name, "param", param, off, n);
        Checks.vector(name, "grad", grad, off, n);
        Checks.vector(name, "m", m, off, n);
        Checks.vector(name, "v", v, off, n);
        Checks.positive(name, "step", step);
        if (n == 0) {
            return;
        }
        OpPlan op = adam.ensure(n, n, n, n);
        op.params(0, n);
        setAdamHyper(op.hyper, lr, beta1, beta2, eps, step);
        copyIn(param, off, n, op.buf[0]);
        copyIn(grad, off, n, op.buf[1]);
        copyIn(m, off, n, op.buf[2]);
        copyIn(v, off, n, op.buf[3]);
        op.run(n);
        copyOut(op.buf[0], param, off, n);
        copyOut(op.buf[2], m, off, n);
        copyOut(op.buf[3], v, off, n);
    }

    /**
     * Writes Adam's hyper-parameters in the layout of {@link TornadoKernels#adam}: the bias corrections are
     * computed on the host exactly as {@link dev.gazenerf.backend.ScalarBackend#adam} computes them.
     */
    static void setAdamHyper(FloatArray h, float lr, float beta1, float beta2, float eps, int step) {
        h.set(TornadoKernels.AD_BETA1, beta1);
        h.set(TornadoKernels.AD_BETA2, beta2);
        h.set(TornadoKernels.AD_EPS, eps);
        h.set(TornadoKernels.AD_STEP_SIZE, (float) (lr / (1.0 - Math.pow(beta1, step))));
        h.set(TornadoKernels.AD_SQRT_BIAS2, (float) Math.sqrt(1.0 - Math.pow(beta2, step)));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (OpPlan op : plans) {
            op.release();
        }
    }

    /** Elements from the first to one past the last of a {@code (rows, cols)} block with leading dimension ld. */
    static int span(int rows, int cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
    }

    /** Rounds a work-item count up to a multiple of the work-group size. */
    static int grid(int total) {
        return roundUp(total, LOCAL);
    }

    static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    static void copyIn(float[] src, int off, int len, FloatArray dst) {
        MemorySegment.copy(src, off, dst.getSegment(), ValueLayout.JAVA_FLOAT, 0, len);
    }

    static void copyOut(FloatArray src, float[] dst, int off, int len) {
        MemorySegment.copy(src.getSegment(), ValueLayout.JAVA_FLOAT, 0, dst, off, len);
    }

    /**
     * Copies back only the {@code (rows, cols)} elements of a block whose span starts at 0 of {@code src}: the
     * gaps between rows (ld &gt; cols) are never sent back, because TornadoVM does not upload a buffer that a
     * kernel only writes, so the device copy of the gaps holds whatever the device memory held.
     */
    static void copyOutRows(FloatArray src, float[] dst, int off, int ld, int rows, int cols) {
        MemorySegment seg = src.getSegment();
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, (long) r * ld * Float.BYTES, dst, off + r * ld, cols);
        }
    }

    /** Adds one kernel's task to a graph, given its parameter array, hyper-parameters and buffers. */
    @FunctionalInterface
    interface TaskAdder {
        TaskGraph add(TaskGraph graph, String taskId, IntArray p, FloatArray hyper, FloatArray[] buffers);
    }

    /**
     * A new kernel plan on this backend's device (also used by {@link TornadoVmRenderKernels}, so that its
     * launches and device time count with the backend's and close with it).
     */
    OpPlan plan(String name, int nParams, boolean hyper, int nBuffers, int[] outputs, TaskAdder adder) {
        OpPlan op = new OpPlan(name, nParams, hyper, nBuffers, outputs, adder);
        plans.add(op);
        return op;
    }

    /**
     * One kernel's task graph and execution plan, with its off-heap buffers (capacities grow by doubling; a
     * growth rebuilds the graph, which recompiles the kernel) and its launch grid.
     */
    final class OpPlan {
        final String name;
        final IntArray p;
        final FloatArray hyper;
        final FloatArray[] buf;
        final int[] outputs;
        final TaskAdder adder;
        final WorkerGrid workers;
        TornadoExecutionPlan plan;
        int generation;
        long count;

        OpPlan(String name, int nParams, boolean hasHyper, int nBuffers, int[] outputs, TaskAdder adder) {
            this.name = name;
            this.p = new IntArray(nParams);
            this.hyper = hasHyper ? new FloatArray(TornadoKernels.AD_HYPER) : null;
            this.buf = new FloatArray[nBuffers];
            this.outputs = outputs;
            this.adder = adder;
            this.workers = name.equals("gemm") && tiledGemm ? new WorkerGrid2D(TornadoKernels.TILE, TornadoKernels.TILE)
                    : new WorkerGrid1D(LOCAL);
        }

        /** Makes every buffer at least as large as asked, rebuilding the graph when one grows; returns this. */
        OpPlan ensure(int... sizes) {
            if (closed) {
                throw new IllegalStateException("backend 'tornadovm' is closed");
            }
            boolean rebuild = plan == null;
            for (int i = 0; i < buf.length; i++) {
                if (buf[i] == null || buf[i].getSize() < sizes[i]) {
                    int capacity = Math.max(MIN_CAPACITY, buf[i] == null ? sizes[i] : Math.max(sizes[i], 2 * buf[i].getSize()));
                    buf[i] = new FloatArray(capacity);
                    rebuild = true;
                }
            }
            if (rebuild) {
                build();
            }
            return this;
        }

        void params(int... values) {
            for (int i = 0; i < values.length; i++) {
                p.set(i, values[i]);
            }
        }

        private void build() {
            release();
            String graphName = id + "_" + name + "_" + (generation++);
            TaskGraph graph = new TaskGraph(graphName);
            Object[] inputs = new Object[buf.length + (hyper == null ? 1 : 2)];
            inputs[0] = p;
            int at = 1;
            if (hyper != null) {
                inputs[at++] = hyper;
            }
            for (FloatArray b : buf) {
                inputs[at++] = b;
            }
            graph.transferToDevice(DataTransferMode.EVERY_EXECUTION, inputs);
            adder.add(graph, "k", p, hyper, buf);
            Object[] outs = new Object[outputs.length];
            for (int i = 0; i < outputs.length; i++) {
                outs[i] = buf[outputs[i]];
            }
            graph.transferToHost(DataTransferMode.EVERY_EXECUTION, outs);
            ImmutableTaskGraph immutable = graph.snapshot();
            GridScheduler scheduler = new GridScheduler(graphName + ".k", workers);
            plan = new TornadoExecutionPlan(immutable).withDevice(device).withGridScheduler(scheduler);
            if (profile) {
                plan.withProfiler(ProfilerMode.SILENT);
            }
        }

        /** Launches the kernel over {@code total} work-items (rounded up to the work-group size). */
        void run(int total) {
            workers.setGlobalWork(grid(total), 1, 1);
            workers.setLocalWork(LOCAL, 1, 1);
            execute();
        }

        /** Launches the kernel over a 2D grid of {@code (x, y)} work-items in {@code (local, local)} groups. */
        void run2d(int x, int y, int local) {
            workers.setGlobalWork(x, y, 1);
            workers.setLocalWork(local, local, 1);
            execute();
        }

        private void execute() {
            TornadoExecutionResult result = plan.execute();
            launches++;
            count++;
            if (profile) {
                kernelNanos += result.getProfilerResult().getDeviceKernelTime();
            }
        }

        void release() {
            if (plan != null) {
                try {
                    plan.freeDeviceMemory();
                    plan.close();
                } catch (TornadoExecutionPlanException e) {
                    throw new IllegalStateException("backend 'tornadovm': releasing the " + name + " plan failed: " + e, e);
                }
                plan = null;
            }
        }
    }
}
