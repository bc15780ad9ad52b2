package dev.gazenerf.backend.opencl.step;

import java.util.List;

import com.aparapi.Range;

import dev.gazenerf.backend.OpenClBackend;

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
public final class DeviceArena extends LaunchFactory implements AutoCloseable {
    private final OpenClBackend backend;
    private final StepKernel kernel;
    private final float[] heap;
    private final float[] in;
    private final float[] out;
    private final float[] snap;
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
        super(heapFloats, inFloats, outFloats, snapFloats, cacheFloats, splitFloats, checked(backend).gemmTile(),
                backend.openClDevice().getMaxComputeUnits());
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
        this.kernel = backend.prepare(new StepKernel(heap, in, out, snap, new float[cacheFloats], new float[cacheFloats],
                new float[splitFloats], backend.gemmTile()));
    }

    private static OpenClBackend checked(OpenClBackend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("DeviceArena: argument 'backend' is null");
        }
        return backend;
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
            l.f3 = l.adamStepSize(step);
            l.f4 = l.adamSqrtBias2(step);
        }
        kernel.load(l);
        Range range;
        if (l.op == StepKernel.GEMM) {
            int t = tile;
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
