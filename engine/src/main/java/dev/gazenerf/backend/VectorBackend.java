package dev.gazenerf.backend;

import dev.gazenerf.kernel.Activation;
import dev.gazenerf.kernel.VectorKernels;

/**
 * The CPU default: the Java Vector API ({@link VectorKernels#SPECIES}, the preferred width unless
 * {@code -Dgazenerf.vector.bits} says otherwise), cache- and register-blocked gemms ({@link VectorGemm}) and
 * vectorized element-wise kernels ({@link VectorKernels}), run on a fixed pool of daemon threads.
 *
 * <p>Deterministic: the same inputs give the same bits whatever the thread count. Work is split over rows
 * (element-wise ops), columns or groups (column sums) or blocks of C (gemms); no reduction is split across
 * threads. The element-wise ops give the same bits as {@link ScalarBackend}; the gemms differ from it by
 * rounding only (fused multiply-add, k summed in blocks of {@value VectorGemm#KC}).
 *
 * <p>Each large call already runs on all workers; calls from several threads at once are safe and are
 * serialized where they share the workers or scratch. {@link #close()} stops the worker threads.
 */
public final class VectorBackend implements Backend {
    /** Below this many elements an element-wise op runs on the calling thread only. */
    private static final int PARALLEL_ELEMENTS = 1 << 15;

    private final WorkerPool pool;
    private final VectorGemm gemm;
    private final int threads;
    private volatile boolean closed;

    private final BiasActivationJob biasActivationJob = new BiasActivationJob();
    private final ActivationBackwardJob activationBackwardJob = new ActivationBackwardJob();
    private final ColumnSumsJob columnSumsJob = new ColumnSumsJob();
    private final Copy2dJob copy2dJob = new Copy2dJob();
    private final EncodeJob encodeJob = new EncodeJob();
    private final EncodeBackwardJob encodeBackwardJob = new EncodeBackwardJob();
    private final AdamJob adamJob = new AdamJob();

    /** A backend with {@link Backends#defaultThreads()} workers. */
    public VectorBackend() {
        this(Backends.defaultThreads());
    }

    /** A backend with {@code threads} workers (the calling thread is one of them). */
    public VectorBackend(int threads) {
        String problem = VectorKernels.speciesProblem();
        if (problem != null) {
            throw new IllegalStateException("backend 'vector' cannot start: " + problem);
        }
        this.threads = threads;
        this.pool = new WorkerPool(threads);
        this.gemm = new VectorGemm(pool);
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String device() {
        return "Java Vector API, " + VectorKernels.SPECIES.vectorBitSize() + "-bit (" + VectorKernels.SPECIES.length()
                + " floats), " + threads + (threads == 1 ? " thread" : " threads");
    }

    /** The number of worker threads, the calling thread included. */
    public int threads() {
        return threads;
    }

    @Override
    public void gemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        ensureOpen();
        Checks.gemm("gemmNT", m, n, k, false, true, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        gemm.gemm(VectorGemm.FORM_NT, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        ensureOpen();
        Checks.gemm("gemmNN", m, n, k, false, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        gemm.gemm(VectorGemm.FORM_NN, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void gemmTN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean accumulate) {
        ensureOpen();
        Checks.gemm("gemmTN", m, n, k, true, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        gemm.gemm(VectorGemm.FORM_TN, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    @Override
    public void biasActivation(float[] y, int yOff, int ldy, int rows, int cols,
                               float[] bias, int biasOff, int biasStride, int rowsPerBias, Activation act) {
        ensureOpen();
        Checks.biasActivation(y, yOff, ldy, rows, cols, bias, biasOff, biasStride, rowsPerBias, act);
        if (rows == 0 || cols == 0) {
            return;
        }
        int tasks = rowTasks(rows, cols);
        if (tasks == 1) {
            VectorKernels.biasActivation(y, yOff, ldy, 0, rows, cols, bias, biasOff, biasStride, rowsPerBias, act.code);
            return;
        }
        BiasActivationJob j = biasActivationJob;
        synchronized (j) {
            j.y = y;
            j.yOff = yOff;
            j.ldy = ldy;
            j.rows = rows;
            j.cols = cols;
            j.bias = bias;
            j.biasOff = biasOff;
            j.biasStride = biasStride;
            j.rowsPerBias = rowsPerBias;
            j.act = act.code;
            j.tasks = tasks;
            try {
                pool.run(j, tasks);
            } finally {
                j.y = null;
                j.bias = null;
            }
        }
    }

    @Override
    public void activationBackward(float[] dx, int dxOff, int lddx, float[] dy, int dyOff, int lddy,
                                   float[] y, int yOff, int ldy, int rows, int cols, Activation act) {
        ensureOpen();
        String op = "activationBackward";
        Checks.notNull(op, "act", act);
        Checks.matrix(op, "dx", dx, dxOff, lddx, rows, cols);
        Checks.matrix(op, "dy", dy, dyOff, lddy, rows, cols);
        Checks.matrix(op, "y", y, yOff, ldy, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        int tasks = rowTasks(rows, cols);
        if (tasks == 1) {
            VectorKernels.activationBackward(dx, dxOff, lddx, dy, dyOff, lddy, y, yOff, ldy, 0, rows, cols, act.code);
            return;
        }
        ActivationBackwardJob j = activationBackwardJob;
        synchronized (j) {
            j.dx = dx;
            j.dxOff = dxOff;
            j.lddx = lddx;
            j.dy = dy;
            j.dyOff = dyOff;
            j.lddy = lddy;
            j.y = y;
            j.yOff = yOff;
            j.ldy = ldy;
            j.rows = rows;
            j.cols = cols;
            j.act = act.code;
            j.tasks = tasks;
            try {
                pool.run(j, tasks);
            } finally {
                j.dx = null;
                j.dy = null;
                j.y = null;
            }
        }
    }

    @Override
    public void columnSums(float[] out, int outOff, float[] d, int dOff, int ldd, int rows, int cols,
                           int rowsPerGroup, boolean accumulate) {
        ensureOpen();
        Checks.columnSums(out, outOff, d, dOff, ldd, rows, cols, rowsPerGroup);
        if (rows == 0 || cols == 0) {
            return;
        }
        int groups = rows / rowsPerGroup;
        // Tasks are (group range, column range) pairs: every sum still runs over all rows of its group in order.
        int colChunk = 4 * VectorKernels.SPECIES.length();
        int colTasks = (cols + colChunk - 1) / colChunk;
        long elements = (long) rows * cols;
        if (threads == 1 || elements < PARALLEL_ELEMENTS || groups * colTasks == 1) {
            VectorKernels.columnSums(out, outOff, d, dOff, ldd, cols, rowsPerGroup, 0, groups, 0, cols, accumulate);
            return;
        }
        int groupTasks = Math.min(groups, 4 * threads);
        ColumnSumsJob j = columnSumsJob;
        synchronized (j) {
            j.out = out;
            j.outOff = outOff;
            j.d = d;
            j.dOff = dOff;
            j.ldd = ldd;
            j.cols = cols;
            j.rowsPerGroup = rowsPerGroup;
            j.groups = groups;
            j.groupTasks = groupTasks;
            j.colChunk = colChunk;
            j.colTasks = colTasks;
            j.accumulate = accumulate;
            try {
                pool.run(j, groupTasks * colTasks);
            } finally {
                j.out = null;
                j.d = null;
            }
        }
    }

    @Override
    public void copy2d(float[] dst, int dstOff, int lddst, float[] src, int srcOff, int ldsrc, int rows, int cols,
                       boolean accumulate) {
        ensureOpen();
        Checks.matrix("copy2d", "dst", dst, dstOff, lddst, rows, cols);
        Checks.matrix("copy2d", "src", src, srcOff, ldsrc, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        int tasks = rowTasks(rows, cols);
        if (tasks == 1) {
            VectorKernels.copy2d(dst, dstOff, lddst, src, srcOff, ldsrc, 0, rows, cols, accumulate);
            return;
        }
        Copy2dJob j = copy2dJob;
        synchronized (j) {
            j.dst = dst;
            j.dstOff = dstOff;
            j.lddst = lddst;
            j.src = src;
            j.srcOff = srcOff;
            j.ldsrc = ldsrc;
            j.rows = rows;
            j.cols = cols;
            j.accumulate = accumulate;
            j.tasks = tasks;
            try {
                pool.run(j, tasks);
            } finally {
                j.dst = null;
                j.src = null;
            }
        }
    }

    @Override
    public void frequencyEncode(float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int points, int frequencies) {
        ensureOpen();
        String op = "frequencyEncode";
        Checks.size(op, "frequencies", frequencies);
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(op, "out", out, outOff, ldo, points, 3 + 6 * frequencies);
        if (points == 0) {
            return;
        }
        // sin and cos dominate: weigh each point by its 6F + 3 outputs, times 8 for the cost of sin/cos
        int tasks = rowTasks(points, 8 * (3 + 6 * frequencies));
        if (tasks == 1) {
            VectorKernels.frequencyEncode(out, outOff, ldo, xyz, xyzOff, 0, points, frequencies);
            return;
        }
        EncodeJob j = encodeJob;
        synchronized (j) {
            j.out = out;
            j.outOff = outOff;
            j.ldo = ldo;
            j.xyz = xyz;
            j.xyzOff = xyzOff;
            j.points = points;
            j.frequencies = frequencies;
            j.tasks = tasks;
            try {
                pool.run(j, tasks);
            } finally {
                j.out = null;
                j.xyz = null;
            }
        }
    }

    @Override
    public void frequencyEncodeBackward(float[] dXyz, int dXyzOff, float[] dOut, int dOutOff, int lddo,
                                        float[] xyz, int xyzOff, int points, int frequencies, boolean accumulate) {
        ensureOpen();
        String op = "frequencyEncodeBackward";
        Checks.size(op, "frequencies", frequencies);
        Checks.vector(op, "dXyz", dXyz, dXyzOff, points * 3);
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(op, "dOut", dOut, dOutOff, lddo, points, 3 + 6 * frequencies);
        if (points == 0) {
            return;
        }
        int tasks = rowTasks(points, 8 * (3 + 6 * frequencies));
        if (tasks == 1) {
            VectorKernels.frequencyEncodeBackward(dXyz, dXyzOff, dOut, dOutOff, lddo, xyz, xyzOff, 0, points,
                    frequencies, accumulate);
            return;
        }
        EncodeBackwardJob j = encodeBackwardJob;
        synchronized (j) {
            j.dXyz = dXyz;
            j.dXyzOff = dXyzOff;
            j.dOut = dOut;
            j.dOutOff = dOutOff;
            j.lddo = lddo;
            j.xyz = xyz;
            j.xyzOff = xyzOff;
            j.points = points;
            j.frequencies = frequencies;
            j.accumulate = accumulate;
            j.tasks = tasks;
            try {
                pool.run(j, tasks);
            } finally {
                j.dXyz = null;
                j.dOut = null;
                j.xyz = null;
            }
        }
    }

    @Override
    public void adam(float[] param, float[] grad, float[] m, float[] v, int off, int n,
                     float lr, float beta1, float beta2, float eps, int step) {
        ensureOpen();
        String op = "adam";
        Checks.vector(op, "param", param, off, n);
        Checks.vector(op, "grad", grad, off, n);
        Checks.vector(op, "m", m, off, n);
        Checks.vector(op, "v", v, off, n);
        Checks.positive(op, "step", step);
        if (n == 0) {
            return;
        }
        // the same constants, computed the same way, as ScalarBackend.adam
        float stepSize = (float) (lr / (1.0 - Math.pow(beta1, step)));
        float sqrtBias2 = (float) Math.sqrt(1.0 - Math.pow(beta2, step));
        int tasks = rowTasks(n, 4);
        if (tasks == 1) {
            VectorKernels.adam(param, grad, m, v, off, off + n, beta1, beta2, eps, stepSize, sqrtBias2);
            return;
        }
        AdamJob j = adamJob;
        synchronized (j) {
            j.param = param;
            j.grad = grad;
            j.m = m;
            j.v = v;
            j.off = off;
            j.n = n;
            j.beta1 = beta1;
            j.beta2 = beta2;
            j.eps = eps;
            j.stepSize = stepSize;
            j.sqrtBias2 = sqrtBias2;
            j.tasks = tasks;
            try {
                pool.run(j, tasks);
            } finally {
                j.param = null;
                j.grad = null;
                j.m = null;
                j.v = null;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        pool.close();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("backend 'vector' was used after close()");
        }
    }

    /**
     * How many row ranges to split {@code rows} rows of {@code weight} work units each into: one below
     * {@link #PARALLEL_ELEMENTS} units, otherwise about four per thread (row-wise results do not depend on it).
     */
    private int rowTasks(int rows, int weight) {
        long work = (long) rows * weight;
        if (threads == 1 || work < PARALLEL_ELEMENTS) {
            return 1;
        }
        long byWork = work / (PARALLEL_ELEMENTS / 2);
        return (int) Math.max(1, Math.min(Math.min(rows, 4L * threads), byWork));
    }

    /** Row range {@code [start, end)} of task {@code task} out of {@code tasks} over {@code rows} rows. */
    private static int rangeStart(int task, int tasks, int rows) {
        return (int) ((long) rows * task / tasks);
    }

    private static final class BiasActivationJob implements WorkerPool.Body {
        float[] y;
        int yOff;
        int ldy;
        int rows;
        int cols;
        float[] bias;
        int biasOff;
        int biasStride;
        int rowsPerBias;
        int act;
        int tasks;

        @Override
        public void run(int task, int worker) {
            VectorKernels.biasActivation(y, yOff, ldy, rangeStart(task, tasks, rows), rangeStart(task + 1, tasks, rows),
                    cols, bias, biasOff, biasStride, rowsPerBias, act);
        }
    }

    private static final class ActivationBackwardJob implements WorkerPool.Body {
        float[] dx;
        int dxOff;
        int lddx;
        float[] dy;
        int dyOff;
        int lddy;
        float[] y;
        int yOff;
        int ldy;
        int rows;
        int cols;
        int act;
        int tasks;

        @Override
        public void run(int task, int worker) {
            VectorKernels.activationBackward(dx, dxOff, lddx, dy, dyOff, lddy, y, yOff, ldy,
                    rangeStart(task, tasks, rows), rangeStart(task + 1, tasks, rows), cols, act);
        }
    }

    private static final class ColumnSumsJob implements WorkerPool.Body {
        float[] out;
        int outOff;
        float[] d;
        int dOff;
        int ldd;
        int cols;
        int rowsPerGroup;
        int groups;
        int groupTasks;
        int colChunk;
        int colTasks;
        boolean accumulate;

        @Override
        public void run(int task, int worker) {
            int gt = task / colTasks;
            int ct = task % colTasks;
            int c0 = ct * colChunk;
            int c1 = Math.min(cols, c0 + colChunk);
            VectorKernels.columnSums(out, outOff, d, dOff, ldd, cols, rowsPerGroup,
                    rangeStart(gt, groupTasks, groups), rangeStart(gt + 1, groupTasks, groups), c0, c1, accumulate);
        }
    }

    private static final class Copy2dJob implements WorkerPool.Body {
        float[] dst;
        int dstOff;
        int lddst;
        float[] src;
        int srcOff;
        int ldsrc;
        int rows;
        int cols;
        boolean accumulate;
        int tasks;

        @Override
        public void run(int task, int worker) {
            VectorKernels.copy2d(dst, dstOff, lddst, src, srcOff, ldsrc, rangeStart(task, tasks, rows),
                    rangeStart(task + 1, tasks, rows), cols, accumulate);
        }
    }

    private static final class EncodeJob implements WorkerPool.Body {
        float[] out;
        int outOff;
        int ldo;
        float[] xyz;
        int xyzOff;
        int points;
        int frequencies;
        int tasks;

        @Override
        public void run(int task, int worker) {
            VectorKernels.frequencyEncode(out, outOff, ldo, xyz, xyzOff, rangeStart(task, tasks, points),
                    rangeStart(task + 1, tasks, points), frequencies);
        }
    }

    private static final class EncodeBackwardJob implements WorkerPool.Body {
        float[] dXyz;
        int dXyzOff;
        float[] dOut;
        int dOutOff;
        int lddo;
        float[] xyz;
        int xyzOff;
        int points;
        int frequencies;
        boolean accumulate;
        int tasks;

        @Override
        public void run(int task, int worker) {
            VectorKernels.frequencyEncodeBackward(dXyz, dXyzOff, dOut, dOutOff, lddo, xyz, xyzOff,
                    rangeStart(task, tasks, points), rangeStart(task + 1, tasks, points), frequencies, accumulate);
        }
    }

    private static final class AdamJob implements WorkerPool.Body {
        float[] param;
        float[] grad;
        float[] m;
        float[] v;
        int off;
        int n;
        float beta1;
        float beta2;
        float eps;
        float stepSize;
        float sqrtBias2;
        int tasks;

        @Override
        public void run(int task, int worker) {
            VectorKernels.adam(param, grad, m, v, off + rangeStart(task, tasks, n), off + rangeStart(task + 1, tasks, n),
                    beta1, beta2, eps, stepSize, sqrtBias2);
        }
    }
}
