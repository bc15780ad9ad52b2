package dev.gazenerf.backend.opencl.step;

import java.util.List;

import com.aparapi.Range;

import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.kernel.Activation;

/**
 * Device-resident memory for a step, and the launches over it: one {@link StepKernel} bound to four arrays
 * ({@code heap}, {@code in}, {@code out}, {@code snap}, see there), run in Aparapi's explicit mode on an
 * {@link OpenClBackend}'s device. Host copies happen only in {@link #putHeap}, {@link #putIn}, {@link #getOut}
 * and {@link #getSnap} (each one whole-array transfer, counted by {@link #uploads()} and {@link #downloads()});
 * every launch reads the buffers the previous one left on the device.
 *
 * <p>The factories ({@link #gemm}, {@link #biasActivation}, ...) check their arguments against the arena's
 * sizes and return a {@link Launch}; {@link #run(List, int)} replays a list of them. Work-group sizes come from
 * the backend: the gemm tile from {@link OpenClBackend#gemmTile()} (the device's work-group, work-item and
 * local-memory limits), 1D launches in groups of {@link OpenClBackend#groupSize()}.
 *
 * <p>Every launch goes through {@link OpenClBackend#execute}, which throws when the kernel did not run on the
 * OpenCL device (no silent run on Java threads). The arena's arrays never change after construction (Aparapi
 * binds a device buffer to each array of a kernel instance). One arena per backend at a time: Aparapi keeps the
 * device preference per kernel class.
 */
public final class DeviceArena implements AutoCloseable {
    private final OpenClBackend backend;
    private final StepKernel kernel;
    private final float[] heap;
    private final float[] in;
    private final float[] out;
    private final float[] snap;
    private final int cacheFloats;
    private final int splitFloats;
    private final int computeUnits;
    private long uploads;
    private boolean closed;
    private long downloads;
    private long launches;
    private long uploadedBytes;
    private long downloadedBytes;

    /**
     * An arena of the given sizes (floats; each at least 1) on the backend's device.
     *
     * @throws IllegalArgumentException when a size is not positive or a buffer exceeds the device's largest
     *                                  allocation
     */
    public DeviceArena(OpenClBackend backend, int heapFloats, int inFloats, int outFloats, int snapFloats) {
        this(backend, heapFloats, inFloats, outFloats, snapFloats, 1);
    }

    /**
     * As {@link #DeviceArena(OpenClBackend, int, int, int, int)}, with compositing caches (alpha and
     * transmittance) for {@code cacheFloats} samples, for {@link #compositeForward} and {@link #compositeBackward}.
     */
    public DeviceArena(OpenClBackend backend, int heapFloats, int inFloats, int outFloats, int snapFloats, int cacheFloats) {
        this(backend, heapFloats, inFloats, outFloats, snapFloats, cacheFloats, 1);
    }

    /**
     * As above, with {@code splitFloats} floats of scratch for split-k gemms: {@link #gemm} of form TN (the
     * weight gradients: k runs over the points, m x n is one weight matrix) splits k into slices when the
     * product alone has fewer work-groups than twice the device's compute units and
     * {@code splits * m * n <= splitFloats}.
     */
    public DeviceArena(OpenClBackend backend, int heapFloats, int inFloats, int outFloats, int snapFloats, int cacheFloats,
                       int splitFloats) {
        if (backend == null) {
            throw new IllegalArgumentException("DeviceArena: argument 'backend' is null");
        }
        positive("heapFloats", heapFloats);
        positive("inFloats", inFloats);
        positive("outFloats", outFloats);
        positive("snapFloats", snapFloats);
        positive("cacheFloats", cacheFloats);
        positive("splitFloats", splitFloats);
        for (long f : new long[] {heapFloats, cacheFloats, splitFloats}) {
            if (f > MAX_BUFFER_FLOATS) {
                throw new IllegalArgumentException("DeviceArena: a buffer of " + f + " floats (" + (f * Float.BYTES >> 20)
                        + " MiB) exceeds the 2 GiB that Aparapi 3.0.2 can move in one buffer (a larger heap failed"
                        + " at its first launch on an NVIDIA H200 with error -9999); use a smaller batch or preset");
            }
        }
        long maxAlloc = backend.openClDevice().getMaxMemAllocSize();
        if (maxAlloc > 0 && (long) heapFloats * Float.BYTES > maxAlloc) {
            throw new IllegalArgumentException("DeviceArena: the heap of " + heapFloats + " floats exceeds the device's"
                    + " largest allocation of " + maxAlloc + " bytes (" + backend.device() + "); use fewer points per step");
        }
        this.backend = backend;
        this.heap = new float[heapFloats];
        this.in = new float[inFloats];
        this.out = new float[outFloats];
        this.snap = new float[snapFloats];
        this.cacheFloats = cacheFloats;
        this.splitFloats = splitFloats;
        this.computeUnits = Math.max(1, backend.openClDevice().getMaxComputeUnits());
        this.kernel = backend.prepare(new StepKernel(heap, in, out, snap, new float[cacheFloats], new float[cacheFloats],
                new float[splitFloats], backend.gemmTile()));
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("DeviceArena: argument '" + name + "' must be positive, got " + v);
        }
    }

    /** The host copy of the heap (valid on the device after {@link #putHeap}). */
    public float[] heap() {
        return heap;
    }

    /** The host side of the per-step input buffer: fill it, then {@link #putIn}. */
    public float[] in() {
        return in;
    }

    /** The host side of the per-step output buffer, valid after {@link #getOut}. */
    public float[] out() {
        return out;
    }

    /** The host side of the snapshot buffer, valid after {@link #getSnap}. */
    public float[] snap() {
        return snap;
    }

    /** The backend whose device runs the launches. */
    public OpenClBackend backend() {
        return backend;
    }

    /** Uploads the whole heap (once, after the host filled parameters and moments). */
    public void putHeap() {
        kernel.put(heap);
        count(true, heap.length);
    }

    /** Uploads the per-step input buffer. */
    public void putIn() {
        kernel.put(in);
        count(true, in.length);
    }

    /** Downloads the per-step output buffer. */
    public void getOut() {
        kernel.get(out);
        count(false, out.length);
    }

    /** Downloads the snapshot buffer. */
    public void getSnap() {
        kernel.get(snap);
        count(false, snap.length);
    }

    /**
     * Downloads the whole heap, for tests and debugging only (a plan never calls it); counted like any other
     * download.
     */
    public void getHeap() {
        kernel.get(heap);
        count(false, heap.length);
    }

    private void count(boolean up, int floats) {
        if (up) {
            uploads++;
            uploadedBytes += (long) floats * Float.BYTES;
        } else {
            downloads++;
            downloadedBytes += (long) floats * Float.BYTES;
        }
    }

    /** Debugging aid: {@code -Dgazenerf.step.profile=true} sums the wall time of every launch by name. */
    static final boolean PROFILE = Boolean.getBoolean("gazenerf.step.profile");
    /** Wall nanoseconds per launch name (only with {@link #PROFILE}). */
    public static final java.util.Map<String, Long> PROFILE_NANOS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Host-to-device copies so far. */
    public long uploads() {
        return uploads;
    }

    /** Device-to-host copies so far. */
    public long downloads() {
        return downloads;
    }

    /** Bytes uploaded so far. */
    public long uploadedBytes() {
        return uploadedBytes;
    }

    /** Bytes downloaded so far. */
    public long downloadedBytes() {
        return downloadedBytes;
    }

    /** Launches run so far (each verified as run on the OpenCL device). */
    public long launches() {
        return launches;
    }

    /** Runs the launches in order; {@code step >= 1} is Adam's step counter for {@link StepKernel#ADAM} launches. */
    public void run(List<Launch> program, int step) {
        for (int i = 0; i < program.size(); i++) {
            run(program.get(i), step);
        }
    }

    /** Runs one launch; {@code step} as in {@link #run(List, int)}. */
    public void run(Launch l, int step) {
        if (l.op == StepKernel.ADAM) {
            if (step < 1) {
                throw new IllegalArgumentException("DeviceArena.run: argument 'step' must be at least 1 for adam, got " + step);
            }
            // the same bias corrections as the scalar specification (ScalarBackend.adam)
            l.f3 = (float) (l.lr / (1.0 - Math.pow(l.f0, step)));
            l.f4 = (float) Math.sqrt(1.0 - Math.pow(l.f1, step));
        }
        kernel.load(l);
        Range range;
        if (l.op == StepKernel.GEMM) {
            int t = kernel.tile();
            int e = kernel.groupEdge();
            range = Range.create2D(backend.openClDevice(), (l.n + t - 1) / t * e, l.rowGroups * l.splits * e, e, e);
        } else {
            range = backend.range((int) Math.min(l.items, itemCap()));
        }
        long t0 = PROFILE ? System.nanoTime() : 0;
        backend.execute(l.name, kernel, range);
        if (PROFILE) {
            PROFILE_NANOS.merge(l.name, System.nanoTime() - t0, Long::sum);
        }
        launches++;
        if (l.then != null) {
            run(l.then, step);
        }
    }

    /**
     * The largest buffer in floats: 2 GiB - 1 byte. Aparapi 3.0.2 sizes a buffer's bytes with a 32-bit int
     * ({@code KernelRunner} computes elements x element size with {@code imul} into {@code KernelArg.setSizeInBytes(int)}),
     * so a larger array's size wraps (a 4.5 GB heap failed at its first launch on an NVIDIA H200 with error -9999).
     */
    public static final long MAX_BUFFER_FLOATS = Integer.MAX_VALUE / Float.BYTES;

    /** Work-groups per compute unit of a 1D launch: its work-items loop over the elements past that. */
    public static final int GROUPS_PER_UNIT = 4;

    /**
     * The most work-items of a 1D launch: {@value #GROUPS_PER_UNIT} work-groups per compute unit (enough to fill
     * a GPU's multiprocessors several times); longer ops loop (grid-stride), which keeps PoCL's CPU device from
     * paying its per-work-item cost for every element.
     */
    long itemCap() {
        return (long) computeUnits * backend.groupSize() * GROUPS_PER_UNIT;
    }

    /** Kernel launches a list of launches makes (split-k gemms count twice). */
    public static int kernelLaunches(List<Launch> program) {
        int count = 0;
        for (Launch l : program) {
            count += l.kernelLaunches();
        }
        return count;
    }

    // ------------------------------------------------------------------ launch factories (heap offsets)

    /**
     * {@code C = (accumulate ? C : 0) + op(A) op(B)} as {@link dev.gazenerf.backend.Backend#gemmNT} (form
     * {@link StepKernel#NT}), {@code gemmNN} ({@link StepKernel#NN}) or {@code gemmTN} ({@link StepKernel#TN}).
     */
    public Launch gemm(int form, int m, int n, int k, int aOff, int lda, int bOff, int ldb, int cOff, int ldc,
                       boolean accumulate) {
        String name = form == StepKernel.NT ? "gemmNT" : form == StepKernel.NN ? "gemmNN" : form == StepKernel.TN ? "gemmTN" : null;
        if (name == null) {
            throw new IllegalArgumentException("DeviceArena.gemm: argument 'form' must be NT, NN or TN, got " + form);
        }
        sizes(name, m, n);
        if (k < 0) {
            throw new IllegalArgumentException("DeviceArena." + name + ": argument 'k' must not be negative, got " + k);
        }
        boolean ta = form == StepKernel.TN;
        boolean tb = form == StepKernel.NT;
        region(name, "a", aOff, ta ? k : m, ta ? m : k, lda);
        region(name, "b", bOff, tb ? n : k, tb ? k : n, ldb);
        region(name, "c", cOff, m, n, ldc);
        Launch l = new Launch(name, StepKernel.GEMM);
        l.form = form;
        l.m = m;
        l.n = n;
        l.k = k;
        l.aOff = aOff;
        l.lda = lda;
        l.bOff = bOff;
        l.ldb = ldb;
        l.cOff = cOff;
        l.ldc = ldc;
        l.accumulate = accumulate ? 1 : 0;
        l.rowGroups = (m + kernel.tile() - 1) / kernel.tile();
        l.kChunk = Math.max(k, 1);
        if (form == StepKernel.TN) {
            int splits = autoSplits(m, n, k);
            if (splits > 1) {
                split(l, splits);
            }
        }
        return l;
    }

    /** Most k slices of one split gemm. */
    public static final int MAX_SPLITS = 16;

    /**
     * How many k slices a TN product gets: enough that the work-groups reach twice the device's compute units,
     * at most {@value #MAX_SPLITS}, each slice at least four tiles deep, and the partial products within the
     * arena's split scratch; 1 means not split.
     */
    int autoSplits(int m, int n, int k) {
        int t = kernel.tile();
        long tiles = (long) ((m + t - 1) / t) * ((n + t - 1) / t);
        long want = (2L * computeUnits + tiles - 1) / tiles;
        long byDepth = k / (4L * t);
        long byScratch = splitFloats / ((long) m * n);
        long s = Math.min(Math.min(want, byDepth), Math.min(byScratch, MAX_SPLITS));
        return (int) Math.max(1, s);
    }

    /**
     * A gemm ({@link #gemm} arguments) split into {@code splits} slices along k: each slice's product goes to the
     * split scratch, then a reduce launch adds the slices in order into C ({@code accumulate} as usual). Sums
     * over k in a different order than the unsplit product (slice by slice), deterministic for a given split.
     */
    public Launch gemmSplit(int form, int m, int n, int k, int aOff, int lda, int bOff, int ldb, int cOff, int ldc,
                            boolean accumulate, int splits) {
        Launch l = gemm(form, m, n, k, aOff, lda, bOff, ldb, cOff, ldc, accumulate);
        if (l.then != null) {
            // undo an automatic split: this call names its own
            l.then = null;
            l.splits = 1;
            l.kChunk = Math.max(k, 1);
        }
        if (splits < 1 || (long) splits * m * n > splitFloats) {
            throw new IllegalArgumentException("DeviceArena.gemmSplit: argument 'splits' " + splits + " needs "
                    + (long) splits * m * n + " floats of split scratch, the arena has " + splitFloats);
        }
        if (splits > 1) {
            split(l, splits);
        }
        return l;
    }

    private void split(Launch l, int splits) {
        int t = kernel.tile();
        int perSlice = (l.k + splits - 1) / splits;
        l.kChunk = (perSlice + t - 1) / t * t;
        l.splits = (l.k + l.kChunk - 1) / l.kChunk;
        if (l.splits <= 1) {
            l.splits = 1;
            l.kChunk = Math.max(l.k, 1);
            return;
        }
        Launch r = new Launch(l.name + "/reduce", StepKernel.SPLIT_REDUCE);
        r.m = l.m;
        r.n = l.n;
        r.cOff = l.cOff;
        r.ldc = l.ldc;
        r.accumulate = l.accumulate;
        r.splits = l.splits;
        r.items = l.m * l.n;
        l.then = r;
    }

    /**
     * A gemm ({@link #gemm}) whose every finished element of C then gets {@link #biasActivation}'s math in the same
     * launch: {@code C[i, j] = act(C[i, j] + bias[biasOff + (i / rowsPerBias) * biasStride + j])} (one pass over C
     * instead of two).
     */
    public Launch gemmBiasActivation(int form, int m, int n, int k, int aOff, int lda, int bOff, int ldb, int cOff,
                                     int ldc, boolean accumulate, int biasOff, int biasStride, int rowsPerBias,
                                     Activation act) {
        Launch l = gemm(form, m, n, k, aOff, lda, bOff, ldb, cOff, ldc, accumulate);
        if (l.then != null) {
            throw new IllegalArgumentException("DeviceArena.gemmBiasActivation: a split product has no epilogue (form TN)");
        }
        if (rowsPerBias <= 0) {
            throw new IllegalArgumentException("DeviceArena.gemmBiasActivation: argument 'rowsPerBias' must be positive, got "
                    + rowsPerBias);
        }
        region(l.name + "+biasActivation", "bias", biasOff, (m + rowsPerBias - 1) / rowsPerBias, n, biasStride);
        l.epilogue = 1;
        l.epiBiasOff = biasOff;
        l.epiBiasStride = biasStride;
        l.epiRowsPerBias = rowsPerBias;
        l.act = act.code;
        return l;
    }

    /** As {@link dev.gazenerf.backend.Backend#biasActivation}; {@code biasOff < 0} means no bias. */
    public Launch biasActivation(int yOff, int ldy, int rows, int cols, int biasOff, int biasStride, int rowsPerBias,
                                 Activation act) {
        String name = "biasActivation";
        sizes(name, rows, cols);
        region(name, "y", yOff, rows, cols, ldy);
        if (rowsPerBias <= 0) {
            throw new IllegalArgumentException("DeviceArena.biasActivation: argument 'rowsPerBias' must be positive, got " + rowsPerBias);
        }
        if (biasOff >= 0) {
            region(name, "bias", biasOff, (rows + rowsPerBias - 1) / rowsPerBias, cols, biasStride);
        }
        Launch l = new Launch(name, StepKernel.BIAS_ACT);
        l.m = rows;
        l.n = cols;
        l.cOff = yOff;
        l.ldc = ldy;
        l.hasBias = biasOff >= 0 ? 1 : 0;
        l.bOff = Math.max(biasOff, 0);
        l.ldb = biasStride;
        l.rowsPerGroup = rowsPerBias;
        l.act = act.code;
        l.items = rows * cols;
        return l;
    }

    /** As {@link dev.gazenerf.backend.Backend#activationBackward} ({@code dx} may be {@code dy}). */
    public Launch activationBackward(int dxOff, int lddx, int dyOff, int lddy, int yOff, int ldy, int rows, int cols,
                                     Activation act) {
        String name = "activationBackward";
        sizes(name, rows, cols);
        region(name, "dx", dxOff, rows, cols, lddx);
        region(name, "dy", dyOff, rows, cols, lddy);
        region(name, "y", yOff, rows, cols, ldy);
        Launch l = new Launch(name, StepKernel.ACT_BACKWARD);
        l.m = rows;
        l.n = cols;
        l.cOff = dxOff;
        l.ldc = lddx;
        l.aOff = dyOff;
        l.lda = lddy;
        l.bOff = yOff;
        l.ldb = ldy;
        l.act = act.code;
        l.items = rows * cols;
        return l;
    }

    /** As {@link dev.gazenerf.backend.Backend#columnSums} (the output is contiguous with row stride {@code cols}). */
    public Launch columnSums(int outOff, int dOff, int ldd, int rows, int cols, int rowsPerGroup, boolean accumulate) {
        String name = "columnSums";
        sizes(name, rows, cols);
        if (rowsPerGroup <= 0 || rows % rowsPerGroup != 0) {
            throw new IllegalArgumentException("DeviceArena.columnSums: argument 'rowsPerGroup' must divide rows " + rows
                    + ", got " + rowsPerGroup);
        }
        region(name, "d", dOff, rows, cols, ldd);
        region(name, "out", outOff, rows / rowsPerGroup, cols, cols);
        Launch l = new Launch(name, StepKernel.COLUMN_SUMS);
        l.m = rows;
        l.n = cols;
        l.aOff = dOff;
        l.lda = ldd;
        l.cOff = outOff;
        l.rowsPerGroup = rowsPerGroup;
        l.accumulate = accumulate ? 1 : 0;
        l.items = rows / rowsPerGroup * cols;
        return l;
    }

    /** As {@link dev.gazenerf.backend.Backend#copy2d}, heap to heap. */
    public Launch copy(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols, boolean accumulate) {
        Launch l = copyLaunch("copy2d", StepKernel.COPY, heap.length, dstOff, lddst, heap.length, srcOff, ldsrc, rows, cols);
        l.accumulate = accumulate ? 1 : 0;
        return l;
    }

    /** Copies a {@code (rows, cols)} block of the input buffer (at srcOff) into the heap (at dstOff). */
    public Launch copyIn(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols) {
        return copyLaunch("copyIn", StepKernel.COPY_IN, heap.length, dstOff, lddst, in.length, srcOff, ldsrc, rows, cols);
    }

    /** Copies a {@code (rows, cols)} block of the heap (at srcOff) into the output buffer (at dstOff). */
    public Launch copyOut(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols) {
        return copyLaunch("copyOut", StepKernel.COPY_OUT, out.length, dstOff, lddst, heap.length, srcOff, ldsrc, rows, cols);
    }

    /** Copies a {@code (rows, cols)} block of the heap (at srcOff) into the snapshot buffer (at dstOff). */
    public Launch copySnap(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols) {
        return copyLaunch("copySnap", StepKernel.COPY_SNAP, snap.length, dstOff, lddst, heap.length, srcOff, ldsrc, rows, cols);
    }

    private Launch copyLaunch(String name, int op, int dstLen, int dstOff, int lddst, int srcLen, int srcOff, int ldsrc,
                              int rows, int cols) {
        sizes(name, rows, cols);
        region(name, "dst", dstOff, rows, cols, lddst, dstLen);
        region(name, "src", srcOff, rows, cols, ldsrc, srcLen);
        Launch l = new Launch(name, op);
        l.m = rows;
        l.n = cols;
        l.cOff = dstOff;
        l.ldc = lddst;
        l.aOff = srcOff;
        l.lda = ldsrc;
        l.items = rows * cols;
        return l;
    }

    /** {@code heap[off .. off+n) = value}. */
    public Launch fill(int off, int n, float value) {
        sizes("fill", 1, n);
        region("fill", "heap", off, 1, n, n);
        Launch l = new Launch("fill", StepKernel.FILL);
        l.cOff = off;
        l.n = n;
        l.f0 = value;
        l.items = n;
        return l;
    }

    /**
     * One Adam step over {@code n} parameters, as {@link dev.gazenerf.backend.Backend#adam} (PyTorch's Adam), with
     * the parameters, gradients and moments at their own heap offsets; the bias corrections follow the step
     * passed to {@link #run}.
     */
    public Launch adam(int paramOff, int gradOff, int mOff, int vOff, int n, float lr, float beta1, float beta2, float eps) {
        String name = "adam";
        sizes(name, 1, n);
        region(name, "param", paramOff, 1, n, n);
        region(name, "grad", gradOff, 1, n, n);
        region(name, "m", mOff, 1, n, n);
        region(name, "v", vOff, 1, n, n);
        Launch l = new Launch(name, StepKernel.ADAM);
        l.cOff = paramOff;
        l.aOff = gradOff;
        l.bOff = mOff;
        l.dOff = vOff;
        l.n = n;
        l.lr = lr;
        l.f0 = beta1;
        l.f1 = beta2;
        l.f2 = eps;
        l.items = n;
        return l;
    }

    /**
     * Over {@code n} contiguous elements: {@code grad[i] = scale (y[i] - t[i])} and
     * {@code err[i] = scale (y[i] - t[i])^2 / 2}, so {@code grad} is the gradient of {@code sum err}; with
     * {@code scale = 2 / N} that sum is the mean squared error.
     */
    public Launch squaredError(int gradOff, int errOff, int yOff, int targetOff, int n, float scale) {
        String name = "squaredError";
        sizes(name, 1, n);
        region(name, "grad", gradOff, 1, n, n);
        region(name, "err", errOff, 1, n, n);
        region(name, "y", yOff, 1, n, n);
        region(name, "target", targetOff, 1, n, n);
        Launch l = new Launch(name, StepKernel.SQUARED_ERROR);
        l.cOff = gradOff;
        l.dOff = errOff;
        l.aOff = yOff;
        l.bOff = targetOff;
        l.n = n;
        l.f0 = scale;
        l.items = n;
        return l;
    }

    /**
     * {@link dev.gazenerf.backend.Backend#frequencyEncode}: pe {@code (points, 3 + 6F)} at peOff with ld ldpe from
     * xyz {@code (points, 3)} at xyzOff.
     */
    public Launch frequencyEncode(int peOff, int ldpe, int xyzOff, int points, int frequencies) {
        String name = "frequencyEncode";
        sizes(name, points, 3 + 6 * frequencies);
        region(name, "out", peOff, points, 3 + 6 * frequencies, ldpe);
        region(name, "xyz", xyzOff, points, 3, 3);
        Launch l = new Launch(name, StepKernel.FREQ_ENCODE);
        l.cOff = peOff;
        l.ldc = ldpe;
        l.aOff = xyzOff;
        l.m = points;
        l.k = frequencies;
        l.items = points;
        return l;
    }

    /** {@link dev.gazenerf.backend.Backend#frequencyEncodeBackward}: dXyz {@code (points, 3)} (+)= from dPe (ld lddpe) and xyz. */
    public Launch frequencyEncodeBackward(int dXyzOff, int dPeOff, int lddpe, int xyzOff, int points, int frequencies,
                                          boolean accumulate) {
        String name = "frequencyEncodeBackward";
        sizes(name, points, 3 + 6 * frequencies);
        region(name, "dXyz", dXyzOff, points, 3, 3);
        region(name, "dOut", dPeOff, points, 3 + 6 * frequencies, lddpe);
        region(name, "xyz", xyzOff, points, 3, 3);
        Launch l = new Launch(name, StepKernel.FREQ_ENCODE_BACKWARD);
        l.cOff = dXyzOff;
        l.aOff = dPeOff;
        l.lda = lddpe;
        l.bOff = xyzOff;
        l.m = points;
        l.k = frequencies;
        l.accumulate = accumulate ? 1 : 0;
        l.items = points * 3;
        return l;
    }

    /**
     * {@link dev.gazenerf.render.RenderKernels#compositeForward} without depth, one work-item per ray, over
     * {@code rays} rays of {@code samples} samples: sigma {@code (rays*S)}, features {@code (rays*S, C)} with ld ldf,
     * delta and tvals {@code (rays*S)}, into merged {@code (rays, C)} and bgAlpha {@code (rays)}; the alphas and
     * transmittances go to the arena's caches. Ray r is pixel {@code r mod pixels}, and the background map
     * {@code (pixels, C)} must be at heap offset 0 (the render helpers index it from 0).
     */
    public Launch compositeForward(int mergedOff, int bgAlphaOff, int sigmaOff, int featOff, int ldf, int deltaOff,
                                   int tvalsOff, int rays, int samples, int channels, int pixels) {
        String name = "compositeForward";
        Launch l = composite(name, StepKernel.COMPOSITE_FORWARD, mergedOff, bgAlphaOff, sigmaOff, featOff, ldf, deltaOff,
                tvalsOff, rays, samples, channels, pixels);
        region(name, "merged", mergedOff, rays, channels, channels);
        region(name, "bgAlpha", bgAlphaOff, 1, rays, rays);
        return l;
    }

    /**
     * {@link dev.gazenerf.render.RenderKernels#compositeBackward} of the last {@link #compositeForward} over the same
     * regions, without depth and background gradients: dSigma {@code (rays*S)}, dFeat {@code (rays*S, C)} with ld
     * lddf and dDelta {@code (rays*S)} are written from dMerged {@code (rays, C)}.
     */
    public Launch compositeBackward(int dSigmaOff, int dFeatOff, int lddf, int dDeltaOff, int dMergedOff,
                                    int sigmaOff, int featOff, int ldf, int deltaOff, int tvalsOff,
                                    int rays, int samples, int channels, int pixels) {
        String name = "compositeBackward";
        Launch l = composite(name, StepKernel.COMPOSITE_BACKWARD, 0, 0, sigmaOff, featOff, ldf, deltaOff, tvalsOff,
                rays, samples, channels, pixels);
        int pts = rays * samples;
        region(name, "dSigma", dSigmaOff, 1, pts, pts);
        region(name, "dFeat", dFeatOff, pts, channels, lddf);
        region(name, "dDelta", dDeltaOff, 1, pts, pts);
        region(name, "dMerged", dMergedOff, rays, channels, channels);
        l.dSigmaOff = dSigmaOff;
        l.dFeatOff = dFeatOff;
        l.lddf = lddf;
        l.dDeltaOff = dDeltaOff;
        l.dMergedOff = dMergedOff;
        return l;
    }

    private Launch composite(String name, int op, int mergedOff, int bgAlphaOff, int sigmaOff, int featOff, int ldf,
                             int deltaOff, int tvalsOff, int rays, int samples, int channels, int pixels) {
        sizes(name, rays, samples);
        sizes(name, channels, pixels);
        long pts = (long) rays * samples;
        if (pts > cacheFloats) {
            throw new IllegalArgumentException("DeviceArena." + name + ": " + pts + " samples exceed the compositing cache of "
                    + cacheFloats);
        }
        int n = (int) pts;
        region(name, "sigma", sigmaOff, 1, n, n);
        region(name, "feat", featOff, n, channels, ldf);
        region(name, "delta", deltaOff, 1, n, n);
        region(name, "tvals", tvalsOff, 1, n, n);
        region(name, "bg", 0, pixels, channels, channels);
        Launch l = new Launch(name, op);
        l.rays = rays;
        l.samples = samples;
        l.n = channels;
        l.pixels = pixels;
        l.mergedOff = mergedOff;
        l.bgAlphaOff = bgAlphaOff;
        l.sigmaOff = sigmaOff;
        l.featOff = featOff;
        l.ldf = ldf;
        l.deltaOff = deltaOff;
        l.tvalsOff = tvalsOff;
        l.items = rays;
        return l;
    }

    // ------------------------------------------------------------------ model-step ops (DeviceModelStep)

    /** As {@link #compositeForward}, with the alpha / transmittance caches at {@code cacheOff} (two streams share them). */
    public Launch compositeForward(int mergedOff, int bgAlphaOff, int sigmaOff, int featOff, int ldf, int deltaOff,
                                   int tvalsOff, int rays, int samples, int channels, int pixels, int cacheOff) {
        Launch l = compositeForward(mergedOff, bgAlphaOff, sigmaOff, featOff, ldf, deltaOff, tvalsOff, rays, samples,
                channels, pixels);
        cache(l, cacheOff);
        return l;
    }

    /** As {@link #compositeBackward}, with the caches at {@code cacheOff}. */
    public Launch compositeBackward(int dSigmaOff, int dFeatOff, int lddf, int dDeltaOff, int dMergedOff,
                                    int sigmaOff, int featOff, int ldf, int deltaOff, int tvalsOff,
                                    int rays, int samples, int channels, int pixels, int cacheOff) {
        Launch l = compositeBackward(dSigmaOff, dFeatOff, lddf, dDeltaOff, dMergedOff, sigmaOff, featOff, ldf, deltaOff,
                tvalsOff, rays, samples, channels, pixels);
        cache(l, cacheOff);
        return l;
    }

    /**
     * As the compositing launches above, over a chunk of an image's rays: ray r of the launch is pixel
     * {@code (r + rayBase) mod pixels} of the background map (the launch's regions start at the chunk).
     */
    public static Launch rayBase(Launch l, int rayBase) {
        if (l.op != StepKernel.COMPOSITE_FORWARD && l.op != StepKernel.COMPOSITE_BACKWARD) {
            throw new IllegalArgumentException("DeviceArena.rayBase: " + l.name + " is not a compositing launch");
        }
        if (rayBase < 0) {
            throw new IllegalArgumentException("DeviceArena.rayBase: argument 'rayBase' must not be negative, got " + rayBase);
        }
        l.rayBase = rayBase;
        return l;
    }

    private void cache(Launch l, int cacheOff) {
        if (cacheOff < 0 || (long) cacheOff + (long) l.rays * l.samples > cacheFloats) {
            throw new IllegalArgumentException("DeviceArena." + l.name + ": cache offset " + cacheOff + " with "
                    + (long) l.rays * l.samples + " samples exceeds the compositing cache of " + cacheFloats);
        }
        l.cacheOff = cacheOff;
    }

    /**
     * Compositing's background gradient ({@link dev.gazenerf.render.RenderMath#compositePixelBgBackward} over
     * whole images): {@code dBg (pixels, C) += sum over images of dMap[b P + p] bgAlpha[b P + p]}, one work-item
     * per (pixel, channel).
     */
    public Launch compositeBgBackward(int dBgOff, int dMapOff, int bgAlphaOff, int images, int pixels, int channels) {
        String name = "compositeBgBackward";
        sizes(name, images, pixels);
        region(name, "dBg", dBgOff, pixels, channels, channels);
        region(name, "dMap", dMapOff, images * pixels, channels, channels);
        region(name, "bgAlpha", bgAlphaOff, 1, images * pixels, images * pixels);
        Launch l = new Launch(name, StepKernel.COMPOSITE_BG_BACKWARD);
        l.cOff = dBgOff;
        l.aOff = dMapOff;
        l.bOff = bgAlphaOff;
        l.images = images;
        l.pixels = pixels;
        l.n = channels;
        l.items = pixels * channels;
        return l;
    }

    /** {@code dst (rows, cols) (+)= src^T} with src {@code (cols, rows)}. */
    public Launch transpose(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols, boolean accumulate) {
        String name = "transpose";
        sizes(name, rows, cols);
        region(name, "dst", dstOff, rows, cols, lddst);
        region(name, "src", srcOff, cols, rows, ldsrc);
        Launch l = new Launch(name, StepKernel.TRANSPOSE);
        l.m = rows;
        l.n = cols;
        l.cOff = dstOff;
        l.ldc = lddst;
        l.aOff = srcOff;
        l.lda = ldsrc;
        l.accumulate = accumulate ? 1 : 0;
        l.items = rows * cols;
        return l;
    }

    /**
     * The eye-feature rotation ({@link dev.gazenerf.render.RenderKernels#rotateForward}): every channel triplet v of
     * the {@code (rows, channels)} map becomes {@code v R} with R {@code (3, 3)} of image {@code row / rowsPerImage}
     * at {@code rOff + 9 image}; {@code backward} gives {@code dIn (+)= dOut R^T} instead.
     */
    public Launch rotate(int outOff, int inOff, int rOff, int rows, int channels, int rowsPerImage, boolean backward,
                         boolean accumulate) {
        String name = backward ? "rotateBackward" : "rotateForward";
        sizes(name, rows, channels);
        if (channels % 3 != 0 || rowsPerImage <= 0 || rows % rowsPerImage != 0) {
            throw new IllegalArgumentException("DeviceArena." + name + ": channels " + channels
                    + " must be a multiple of 3 and rowsPerImage " + rowsPerImage + " divide rows " + rows);
        }
        region(name, "out", outOff, rows, channels, channels);
        region(name, "in", inOff, rows, channels, channels);
        region(name, "R", rOff, rows / rowsPerImage, 9, 9);
        Launch l = new Launch(name, StepKernel.ROTATE);
        l.m = rows;
        l.n = channels;
        l.cOff = outOff;
        l.aOff = inOff;
        l.bOff = rOff;
        l.rowsPerGroup = rowsPerImage;
        l.form = backward ? 1 : 0;
        l.accumulate = accumulate ? 1 : 0;
        l.items = rows * (channels / 3);
        return l;
    }

    /** {@code out = max(a, b)} over n elements. */
    public Launch maxForward(int outOff, int aOff, int bOff, int n) {
        String name = "maxForward";
        sizes(name, 1, n);
        region(name, "out", outOff, 1, n, n);
        region(name, "a", aOff, 1, n, n);
        region(name, "b", bOff, 1, n, n);
        Launch l = new Launch(name, StepKernel.MAX_FORWARD);
        l.cOff = outOff;
        l.aOff = aOff;
        l.bOff = bOff;
        l.n = n;
        l.items = n;
        return l;
    }

    /** The max merge's backward ({@link dev.gazenerf.render.RenderMath#maxGradA}): dA, dB (+)= from dOut. */
    public Launch maxBackward(int dAOff, int dBOff, int dOutOff, int aOff, int bOff, int n, boolean accumulate) {
        String name = "maxBackward";
        sizes(name, 1, n);
        region(name, "dA", dAOff, 1, n, n);
        region(name, "dB", dBOff, 1, n, n);
        region(name, "dOut", dOutOff, 1, n, n);
        region(name, "a", aOff, 1, n, n);
        region(name, "b", bOff, 1, n, n);
        Launch l = new Launch(name, StepKernel.MAX_BACKWARD);
        l.cOff = dAOff;
        l.dOff = dBOff;
        l.q0 = dOutOff;
        l.aOff = aOff;
        l.bOff = bOff;
        l.n = n;
        l.accumulate = accumulate ? 1 : 0;
        l.items = n;
        return l;
    }

    /** {@code out (rows, repeats C) = y + x (rows, C)} repeated along the channels, all contiguous. */
    public Launch repeatAdd(int outOff, int yOff, int xOff, int rows, int channels, int repeats) {
        String name = "repeatAdd";
        sizes(name, rows, channels * repeats);
        region(name, "out", outOff, rows, channels * repeats, channels * repeats);
        region(name, "y", yOff, rows, channels * repeats, channels * repeats);
        region(name, "x", xOff, rows, channels, channels);
        Launch l = new Launch(name, StepKernel.REPEAT_ADD);
        l.cOff = outOff;
        l.aOff = yOff;
        l.bOff = xOff;
        l.m = rows;
        l.n = channels;
        l.k = repeats;
        l.items = rows * channels * repeats;
        return l;
    }

    /** {@code dX (rows, C) (+)= sum over the repeats of dOut (rows, repeats C)}. */
    public Launch repeatAddBackward(int dXOff, int dOutOff, int rows, int channels, int repeats, boolean accumulate) {
        String name = "repeatAddBackward";
        sizes(name, rows, channels * repeats);
        region(name, "dX", dXOff, rows, channels, channels);
        region(name, "dOut", dOutOff, rows, channels * repeats, channels * repeats);
        Launch l = new Launch(name, StepKernel.REPEAT_ADD_BACKWARD);
        l.cOff = dXOff;
        l.aOff = dOutOff;
        l.m = rows;
        l.n = channels;
        l.k = repeats;
        l.accumulate = accumulate ? 1 : 0;
        l.items = rows * channels;
        return l;
    }

    /**
     * A channels-last map op over {@code (images, height, width, channels)} (the input's size for shuffle and
     * upsample, whose outputs are twice as high and wide; the shuffle's input has 4 channels per output channel).
     */
    public Launch mapOp(int op, int outOff, int inOff, int images, int height, int width, int channels, boolean accumulate) {
        String name;
        long in;
        long out;
        long px = (long) images * height * width;
        switch (op) {
            case StepKernel.SHUFFLE -> { name = "pixelShuffle"; in = px * 4 * channels; out = in; }
            case StepKernel.SHUFFLE_BACKWARD -> { name = "pixelShuffleBackward"; in = px * 4 * channels; out = in; }
            case StepKernel.BLUR -> { name = "blur"; in = px * channels; out = in; }
            case StepKernel.BLUR_BACKWARD -> { name = "blurBackward"; in = px * channels; out = in; }
            case StepKernel.UPSAMPLE -> { name = "upsample"; in = px * channels; out = 4 * in; }
            case StepKernel.UPSAMPLE_BACKWARD -> { name = "upsampleBackward"; in = 4 * px * channels; out = px * channels; }
            default -> throw new IllegalArgumentException("DeviceArena.mapOp: not a map op: " + op);
        }
        sizes(name, images, height);
        sizes(name, width, channels);
        if (out > Integer.MAX_VALUE || in > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("DeviceArena." + name + ": map too large");
        }
        region(name, "out", outOff, 1, (int) out, (int) out);
        region(name, "in", inOff, 1, (int) in, (int) in);
        Launch l = new Launch(name, op);
        l.cOff = outOff;
        l.aOff = inOff;
        l.images = images;
        l.height = height;
        l.width = width;
        l.n = channels;
        l.accumulate = accumulate ? 1 : 0;
        l.items = (int) out;
        return l;
    }

    /**
     * The masked image terms of the trainer's loss over {@code n = B O^2 3} elements (see
     * {@link StepKernel}'s reconLoss): images, target and masks in, image gradients and the (rows, 5) term table out;
     * {@code scalesOff} holds the four gradient scales (head, face, eyes, non-head).
     */
    public Launch reconLoss(int dMergedOff, int dFaceOff, int dEyesOff, int termsOff, int mergedOff, int faceOff,
                            int eyesOff, int targetOff, int headOff, int leftOff, int rightOff, int scalesOff, int n,
                            boolean l1) {
        String name = "reconLoss";
        sizes(name, 1, n);
        for (int off : new int[] {dMergedOff, dFaceOff, dEyesOff, mergedOff, faceOff, eyesOff, targetOff}) {
            region(name, "image", off, 1, n, n);
        }
        for (int off : new int[] {headOff, leftOff, rightOff}) {
            region(name, "mask", off, 1, n / 3, n / 3);
        }
        region(name, "scales", scalesOff, 1, 4, 4);
        region(name, "terms", termsOff, n, 5, 5);
        Launch l = new Launch(name, StepKernel.RECON_LOSS);
        l.cOff = dMergedOff;
        l.q5 = dFaceOff;
        l.q6 = dEyesOff;
        l.featOff = termsOff;
        l.aOff = mergedOff;
        l.bOff = faceOff;
        l.dOff = eyesOff;
        l.q0 = targetOff;
        l.q1 = headOff;
        l.q2 = leftOff;
        l.q3 = rightOff;
        l.q4 = scalesOff;
        l.form = l1 ? 1 : 0;
        l.n = n;
        l.items = n;
        return l;
    }

    /** The background term over {@code n = O^2 3} elements: dBg = scale 2 (bg - 1), term (bg - 1)^2 into column 4. */
    public Launch backgroundLoss(int dBgOff, int termsOff, int bgOff, int n, float scale) {
        String name = "backgroundLoss";
        sizes(name, 1, n);
        region(name, "dBg", dBgOff, 1, n, n);
        region(name, "bg", bgOff, 1, n, n);
        region(name, "terms", termsOff, n, 5, 5);
        Launch l = new Launch(name, StepKernel.BG_LOSS);
        l.cOff = dBgOff;
        l.aOff = bgOff;
        l.featOff = termsOff;
        l.f0 = scale;
        l.n = n;
        l.items = n;
        return l;
    }

    /** {@code heap[flagOff] = 1} when one of the n floats at off is not finite (else unchanged). */
    public Launch nonFinite(int flagOff, int off, int n) {
        String name = "nonFinite";
        sizes(name, 1, n);
        region(name, "flag", flagOff, 1, 1, 1);
        region(name, "values", off, 1, n, n);
        Launch l = new Launch(name, StepKernel.NONFINITE);
        l.cOff = flagOff;
        l.aOff = off;
        l.n = n;
        l.items = n;
        return l;
    }

    private static void sizes(String op, int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("DeviceArena." + op + ": sizes must be positive, got (" + rows + ", " + cols + ")");
        }
    }

    private void region(String op, String arg, int off, int rows, int cols, int ld) {
        region(op, arg, off, rows, cols, ld, heap.length);
    }

    private static void region(String op, String arg, int off, int rows, int cols, int ld, int length) {
        if (off < 0 || ld < cols) {
            throw new IllegalArgumentException("DeviceArena." + op + ": argument '" + arg + "' has offset " + off
                    + " and leading dimension " + ld + " for " + cols + " columns");
        }
        long end = off + (long) (rows - 1) * ld + cols;
        if (end > length) {
            throw new IllegalArgumentException("DeviceArena." + op + ": argument '" + arg + "' (" + rows + ", " + cols
                    + ") at offset " + off + " ld " + ld + " ends at " + end + ", past the buffer of " + length + " floats");
        }
    }

    /** Disposes the kernel's device buffers. */
    @Override
    public void close() {
        if (closed) {
            return; // a second dispose crashes Aparapi
        }
        closed = true;
        kernel.dispose();
    }
}
