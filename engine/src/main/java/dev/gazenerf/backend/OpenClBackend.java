package dev.gazenerf.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import com.aparapi.internal.kernel.KernelManager;

import dev.gazenerf.backend.opencl.ActivationBackwardKernel;
import dev.gazenerf.backend.opencl.AdamKernel;
import dev.gazenerf.backend.opencl.AparapiLog;
import dev.gazenerf.backend.opencl.BiasActivationKernel;
import dev.gazenerf.backend.opencl.ColumnSumsKernel;
import dev.gazenerf.backend.opencl.Copy2dKernel;
import dev.gazenerf.backend.opencl.FrequencyEncodeBackwardKernel;
import dev.gazenerf.backend.opencl.FrequencyEncodeKernel;
import dev.gazenerf.backend.opencl.GemmKernel;
import dev.gazenerf.backend.opencl.OpenClDevices;
import dev.gazenerf.kernel.Activation;

/**
 * The {@code opencl} backend: every {@link Backend} primitive as an Aparapi kernel (package
 * {@link dev.gazenerf.backend.opencl}) whose {@code run()} calls the same per-element helpers as the scalar
 * specification ({@link Activation}, {@link dev.gazenerf.kernel.ScalarKernels}).
 *
 * <p><b>Device.</b> The no-arg constructor takes the device index from {@code -D}{@value Backends#DEVICE_PROPERTY}
 * (an index into {@link #listDevices()}), else the first GPU, else the first OpenCL device; without any device
 * it throws {@link IllegalStateException} saying how to install an OpenCL driver.
 *
 * <p><b>Buffers.</b> Kernels run in Aparapi's explicit mode: each call uploads every array the kernel touches
 * ({@code put}), launches, and downloads the arrays it wrote ({@code get}). Sizes, offsets and leading
 * dimensions are kernel fields. One kernel instance per op family is created with the backend and reused.
 * Because Aparapi gives each array field its own device buffer, an input that is the same Java array as
 * another argument is first copied to a snapshot buffer of the backend (so aliasing calls such as an in-place
 * {@link #activationBackward} give the scalar result).
 *
 * <p><b>No silent fallback.</b> Every kernel class is pinned to the selected device (Aparapi's preferred-device
 * list holds only it, and every launch names it in its {@link Range}); Aparapi then has no other device to fall
 * back to. After each launch the backend checks that Aparapi still targets that OpenCL device and recorded no
 * failed device, and throws {@code IllegalStateException("OpenCL kernel <name> did not run on the OpenCL device
 * ... fell back to Java threads: <reason>")} otherwise, with the reason Aparapi logged.
 *
 * <p><b>Matrix products</b> use {@link GemmKernel}: each work-group computes a {@code (tile, tile)} block of C
 * with both operand blocks staged in local memory, each work-item a 4 x 4 register block. {@code tile} is
 * the largest power of two (at most {@value #MAX_GEMM_TILE}) whose {@code (tile/4)^2} work-group fits the
 * device's maximum work-group size and work-item sizes and whose two operand tiles fit in three quarters of
 * the device's local memory.
 *
 * <p><b>For other kernels</b> (rendering ops written elsewhere): write an Aparapi {@link Kernel} whose fields
 * carry sizes and offsets, then
 * <pre>{@code
 *   MyKernel k = backend.prepare(new MyKernel());   // once: explicit mode, pinned to this device
 *   k.set(...); k.put(in).put(out);                   // per call
 *   backend.execute("myKernel", k, backend.range(items));  // launch and prove it ran on OpenCL
 *   k.get(out);
 * }</pre>
 * {@link #range(int)} rounds the item count up to whole work-groups (guard with {@code getGlobalId() < items});
 * {@link #openClDevice()}, {@link #maxWorkGroupSize()}, {@link #maxWorkItemSizes()} and
 * {@link #localMemoryBytes()} give the device's limits for kernels that size their own work-groups.
 * Methods are synchronized: one backend runs one kernel at a time; {@link #close()} disposes every kernel
 * prepared on it.
 *
 * <p>Pitfalls of Aparapi 3.0.2 found while writing these kernels:
 * <ul>
 *   <li>a static helper of another class must not call {@code java.lang.Math} (the translation fails); take
 *       the transcendental in {@code run()} and pass it in, as {@link Activation#applyGivenExp} and
 *       {@link dev.gazenerf.kernel.ScalarKernels#adamParamGivenSqrt} do. {@code Math} calls in {@code run()}
 *       itself are fine; double math needs a device with fp64.</li>
 *   <li>never bind one Java array to two fields: each field gets its own device buffer and only the first is
 *       uploaded by {@code put} (copy the input, as this class does for aliasing arguments).</li>
 *   <li>no allocation in {@code run()}: a kernel with {@code new float[..]} crashed the JVM (SIGSEGV) instead of
 *       failing to translate.</li>
 *   <li>Aparapi keeps device preferences per kernel class, so a kernel class serves one device per JVM at a
 *       time (the most recently prepared).</li>
 * </ul>
 */
public final class OpenClBackend implements Backend {
    /**
     * Upper bound of the gemm tile edge: a 64 x 64 block of C is 16 x 16 work-items with 4 x 4 outputs each
     * and two 16 KiB operand tiles; larger blocks exceed the local memory of most GPUs.
     */
    public static final int MAX_GEMM_TILE = 64;
    /** Upper bound of the work-group size of the element-wise kernels. */
    public static final int MAX_GROUP_SIZE = 256;

    private final OpenCLDevice device;
    private final int deviceIndex;
    private final String description;
    private final int groupSize;
    private final int gemmTile;

    private final GemmKernel gemm;
    private final BiasActivationKernel biasActivation;
    private final ActivationBackwardKernel activationBackward;
    private final ColumnSumsKernel columnSums;
    private final Copy2dKernel copy2d;
    private final FrequencyEncodeKernel frequencyEncode;
    private final FrequencyEncodeBackwardKernel frequencyEncodeBackward;
    private final AdamKernel adam;
    private final List<Kernel> kernels = new ArrayList<>();
    private final Set<Kernel> compiled = Collections.newSetFromMap(new IdentityHashMap<>());

    private final Snapshot snapA = new Snapshot();
    private final Snapshot snapB = new Snapshot();
    private final float[] placeholder = new float[1];
    private long launches;
    private boolean closed;

    /** The device from {@code -Dgazenerf.device}, else the first GPU, else the first OpenCL device. */
    public OpenClBackend() {
        this(indexFromProperty());
    }

    /**
     * The device with the given index in {@link #listDevices()}; a negative index picks the first GPU, else
     * the first device.
     */
    public OpenClBackend(int index) {
        List<OpenCLDevice> all;
        try {
            all = OpenClDevices.all();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("OpenCL backend: " + e.getMessage(), e);
        }
        if (all.isEmpty()) {
            throw new IllegalStateException("OpenCL backend: no OpenCL platform with a device was found; "
                    + OpenClDevices.INSTALL_HINT);
        }
        if (index >= all.size()) {
            throw new IllegalArgumentException("OpenCL backend: no OpenCL device with index " + index
                    + " (-D" + Backends.DEVICE_PROPERTY + "); there " + (all.size() == 1 ? "is 1 device" : "are " + all.size() + " devices")
                    + ": " + String.join("; ", listDevices()));
        }
        if (index < 0) {
            index = 0;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).getType() == Device.TYPE.GPU) {
                    index = i;
                    break;
                }
            }
        }
        this.device = all.get(index);
        this.deviceIndex = index;
        this.description = "OpenCL: " + OpenClDevices.label(device);
        this.groupSize = groupSize(device);
        this.gemmTile = gemmTile(device.getMaxWorkGroupSize(), device.getMaxWorkItemSize(), device.getLocalMemSize());
        AparapiLog.install();
        this.gemm = prepare(new GemmKernel(gemmTile));
        this.biasActivation = prepare(new BiasActivationKernel());
        this.activationBackward = prepare(new ActivationBackwardKernel());
        this.columnSums = prepare(new ColumnSumsKernel());
        this.copy2d = prepare(new Copy2dKernel());
        this.frequencyEncode = prepare(new FrequencyEncodeKernel());
        this.frequencyEncodeBackward = prepare(new FrequencyEncodeBackwardKernel());
        this.adam = prepare(new AdamKernel());
    }

    // ------------------------------------------------------------------ devices

    /** Null when an OpenCL device can be used, otherwise why not. Never throws. */
    public static String unavailableReason() {
        return OpenClDevices.unavailableReason();
    }

    /** Whether an OpenCL GPU is visible (false when OpenCL itself is missing). Never throws. */
    public static boolean hasGpu() {
        try {
            for (OpenCLDevice d : OpenClDevices.all()) {
                if (d.getType() == Device.TYPE.GPU) {
                    return true;
                }
            }
            return false;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * One line per OpenCL device: index, platform, name, type, compute units, global and local memory, maximum
     * work-group size. Empty when OpenCL is missing ({@link #unavailableReason()} says why).
     */
    public static List<String> listDevices() {
        List<String> lines = new ArrayList<>();
        try {
            List<OpenCLDevice> all = OpenClDevices.all();
            for (int i = 0; i < all.size(); i++) {
                lines.add(OpenClDevices.describe(i, all.get(i)));
            }
        } catch (Throwable t) {
            return List.of();
        }
        return lines;
    }

    private static int indexFromProperty() {
        String s = System.getProperty(Backends.DEVICE_PROPERTY);
        if (s == null || s.isBlank()) {
            return -1;
        }
        try {
            int i = Integer.parseInt(s.trim());
            if (i < 0) {
                throw new NumberFormatException();
            }
            return i;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("OpenCL backend: -D" + Backends.DEVICE_PROPERTY
                    + " must be a device index (0, 1, ...), got '" + s + "'; devices: " + String.join("; ", listDevices()));
        }
    }

    /** Largest power of two that is at most the device's work-group size, work-item size 0 and {@value #MAX_GROUP_SIZE}. */
    static int groupSize(Device d) {
        int limit = Math.min(MAX_GROUP_SIZE, Math.max(1, d.getMaxWorkGroupSize()));
        int[] items = d.getMaxWorkItemSize();
        if (items != null && items.length > 0 && items[0] > 0) {
            limit = Math.min(limit, items[0]);
        }
        return Integer.highestOneBit(limit);
    }

    /**
     * The gemm tile edge for a device: the largest power of two {@code t} with
     * {@code GemmKernel.BLOCK <= t <= }{@value #MAX_GEMM_TILE} whose work-group edge {@code e = t / BLOCK}
     * satisfies {@code e*e <= maxWorkGroupSize} and {@code e <=} the work-item sizes of dimensions 0 and 1, and
     * whose two {@code t x t} float tiles fit in three quarters of the local memory (the smallest tile when
     * nothing larger fits).
     */
    static int gemmTile(int maxWorkGroupSize, int[] maxWorkItemSizes, long localMemBytes) {
        int t = GemmKernel.BLOCK;
        while (true) {
            int next = t * 2;
            int edge = next / GemmKernel.BLOCK;
            if (next > MAX_GEMM_TILE || (long) edge * edge > maxWorkGroupSize) {
                break;
            }
            if (maxWorkItemSizes != null && maxWorkItemSizes.length >= 2
                    && (edge > maxWorkItemSizes[0] || edge > maxWorkItemSizes[1])) {
                break;
            }
            if (2L * next * next * Float.BYTES > localMemBytes * 3 / 4) {
                break;
            }
            t = next;
        }
        return t;
    }

    // ------------------------------------------------------------------ reusable launch support

    /** The selected OpenCL device. */
    public OpenCLDevice openClDevice() {
        return device;
    }

    /** Index of the selected device in {@link #listDevices()}. */
    public int deviceIndex() {
        return deviceIndex;
    }

    /** The device's maximum number of work-items in one work-group. */
    public int maxWorkGroupSize() {
        return device.getMaxWorkGroupSize();
    }

    /** The device's maximum work-items per dimension of a work-group. */
    public int[] maxWorkItemSizes() {
        return device.getMaxWorkItemSize().clone();
    }

    /** The device's local memory per work-group, in bytes. */
    public long localMemoryBytes() {
        return device.getLocalMemSize();
    }

    /** The work-group size of the element-wise kernels (see {@link #range(int)}). */
    public int groupSize() {
        return groupSize;
    }

    /** The edge of the block of C one gemm work-group computes (its work-groups are {@code tile/4 x tile/4}). */
    public int gemmTile() {
        return gemmTile;
    }

    /** How many kernel launches this backend has verified as run on the OpenCL device. */
    public synchronized long launches() {
        return launches;
    }

    /**
     * Readies a kernel for {@link #execute}: explicit buffer mode, and pinned to this backend's device (the only
     * device Aparapi may use for the kernel's class, which also turns Aparapi's fallback off). Call once per
     * kernel instance, before any {@code put}.
     */
    public <K extends Kernel> K prepare(K kernel) {
        kernel.setExplicit(true);
        LinkedHashSet<Device> only = new LinkedHashSet<>();
        only.add(device);
        KernelManager.instance().setPreferredDevices(kernel, only);
        synchronized (this) {
            kernels.add(kernel);
        }
        return kernel;
    }

    /**
     * A 1D range of {@code items} work-items rounded up to whole work-groups of {@link #groupSize()} (the
     * kernel must ignore ids {@code >= items}).
     */
    public Range range(int items) {
        if (items <= 0) {
            throw new IllegalArgumentException("OpenCL range: items must be positive, got " + items);
        }
        long global = ((long) items + groupSize - 1) / groupSize * groupSize;
        if (global > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("OpenCL range: " + items + " items is too many for one launch");
        }
        return Range.create(device, (int) global, groupSize);
    }

    /**
     * Launches {@code kernel} (prepared with {@link #prepare}) over {@code range} on this backend's device and
     * proves it ran there: throws {@link IllegalStateException} when Aparapi failed to compile or run it on the
     * OpenCL device, fell back to Java threads, or targets another device.
     */
    public synchronized void execute(String name, Kernel kernel, Range range) {
        if (closed) {
            throw new IllegalStateException("OpenCL backend is closed");
        }
        if (range.getDevice() == null || !range.getDevice().equals(device)) {
            throw new IllegalArgumentException("OpenCL kernel " + name + ": the range must name this backend's device "
                    + description + " (use range(...) or Range.create(openClDevice(), ...))");
        }
        if (!compiled.contains(kernel)) {
            try {
                kernel.compile(device);
            } catch (CompileFailedException | RuntimeException | AssertionError e) {
                throw notOnDevice(name, kernel, "compile failed: " + e.getMessage(), e);
            }
            compiled.add(kernel);
        }
        AparapiLog.clear();
        try {
            kernel.execute(range);
        } catch (RuntimeException | AssertionError e) {
            throw notOnDevice(name, kernel, String.valueOf(e), e);
        }
        Device target = kernel.getTargetDevice();
        List<Device> failed = KernelManager.instance().getPreferences(kernel).getFailedDevices();
        if (!kernel.isRunningCL() || !(target instanceof OpenCLDevice) || !target.equals(device) || !failed.isEmpty()) {
            throw notOnDevice(name, kernel, "Aparapi now targets " + (target == null ? "Java threads" : target.getShortDescription())
                    + (failed.isEmpty() ? "" : ", failed devices " + failed), null);
        }
        launches++;
    }

    private IllegalStateException notOnDevice(String name, Kernel kernel, String what, Throwable cause) {
        String logged = AparapiLog.last();
        // re-pin so that the next call tries the device again (and fails loudly again if it must)
        LinkedHashSet<Device> only = new LinkedHashSet<>();
        only.add(device);
        KernelManager.instance().setPreferredDevices(kernel, only);
        compiled.remove(kernel);
        return new IllegalStateException("OpenCL kernel " + name + " did not run on the OpenCL device " + description
                + "; it failed or fell back to Java threads: " + what + (logged == null ? "" : "; Aparapi: " + logged), cause);
    }

    // ------------------------------------------------------------------ Backend

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String device() {
        return description;
    }

    @Override
    public synchronized void gemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmNT", m, n, k, false, true, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        runGemm("gemmNT", GemmKernel.NT, m, n, k, a, aOff, lda, m, k, b, bOff, ldb, n, k, c, cOff, ldc, accumulate);
    }

    @Override
    public synchronized void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmNN", m, n, k, false, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        runGemm("gemmNN", GemmKernel.NN, m, n, k, a, aOff, lda, m, k, b, bOff, ldb, k, n, c, cOff, ldc, accumulate);
    }

    @Override
    public synchronized void gemmTN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                    float[] c, int cOff, int ldc, boolean accumulate) {
        Checks.gemm("gemmTN", m, n, k, true, false, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        runGemm("gemmTN", GemmKernel.TN, m, n, k, a, aOff, lda, k, m, b, bOff, ldb, k, n, c, cOff, ldc, accumulate);
    }

    /** aRows x aCols and bRows x bCols are the stored shapes of A and B (for snapshots of aliasing inputs). */
    private void runGemm(String op, int form, int m, int n, int k, float[] a, int aOff, int lda, int aRows, int aCols,
                         float[] b, int bOff, int ldb, int bRows, int bCols, float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            a = placeholder;
            aOff = 0;
            b = placeholder;
            bOff = 0;
        } else {
            if (a == c) {
                a = snapA.copy(a, aOff, span(aRows, aCols, lda));
                aOff = 0;
            }
            if (b == c || b == a) {
                b = snapB.copy(b, bOff, span(bRows, bCols, ldb));
                bOff = 0;
            }
        }
        gemm.set(form, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        gemm.put(a).put(b).put(c);
        int e = gemm.groupEdge();
        execute(op, gemm, Range.create2D(device, gemm.globalSize(n), gemm.globalSize(m), e, e));
        gemm.get(c);
    }

    @Override
    public synchronized void biasActivation(float[] y, int yOff, int ldy, int rows, int cols,
                                            float[] bias, int biasOff, int biasStride, int rowsPerBias, Activation act) {
        Checks.biasActivation(y, yOff, ldy, rows, cols, bias, biasOff, biasStride, rowsPerBias, act);
        if (rows == 0 || cols == 0) {
            return;
        }
        if (bias != null && bias == y) {
            int groups = (rows + rowsPerBias - 1) / rowsPerBias;
            bias = snapA.copy(bias, biasOff, span(groups, cols, biasStride));
            biasOff = 0;
        }
        biasActivation.set(y, yOff, ldy, rows, cols, bias, biasOff, biasStride, rowsPerBias, act.code);
        biasActivation.put(y).put(biasActivation.boundBias());
        execute("biasActivation", biasActivation, range(items("biasActivation", rows, cols)));
        biasActivation.get(y);
    }

    @Override
    public synchronized void activationBackward(float[] dx, int dxOff, int lddx, float[] dy, int dyOff, int lddy,
                                                float[] y, int yOff, int ldy, int rows, int cols, Activation act) {
        String op = "activationBackward";
        Checks.notNull(op, "act", act);
        Checks.matrix(op, "dx", dx, dxOff, lddx, rows, cols);
        Checks.matrix(op, "dy", dy, dyOff, lddy, rows, cols);
        Checks.matrix(op, "y", y, yOff, ldy, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        if (dy == dx) {
            dy = snapA.copy(dy, dyOff, span(rows, cols, lddy));
            dyOff = 0;
        }
        if (y == dx || y == dy) {
            y = snapB.copy(y, yOff, span(rows, cols, ldy));
            yOff = 0;
        }
        activationBackward.set(dx, dxOff, lddx, dy, dyOff, lddy, y, yOff, ldy, rows, cols, act.code);
        activationBackward.put(dx).put(dy).put(y);
        execute(op, activationBackward, range(items(op, rows, cols)));
        activationBackward.get(dx);
    }

    @Override
    public synchronized void columnSums(float[] out, int outOff, float[] d, int dOff, int ldd, int rows, int cols,
                                        int rowsPerGroup, boolean accumulate) {
        Checks.columnSums(out, outOff, d, dOff, ldd, rows, cols, rowsPerGroup);
        if (rows == 0 || cols == 0) {
            return;
        }
        if (d == out) {
            d = snapA.copy(d, dOff, span(rows, cols, ldd));
            dOff = 0;
        }
        columnSums.set(out, outOff, d, dOff, ldd, rows, cols, rowsPerGroup, accumulate);
        columnSums.put(out).put(d);
        execute("columnSums", columnSums, range(items("columnSums", rows / rowsPerGroup, cols)));
        columnSums.get(out);
    }

    @Override
    public synchronized void copy2d(float[] dst, int dstOff, int lddst, float[] src, int srcOff, int ldsrc, int rows, int cols,
                                    boolean accumulate) {
        Checks.matrix("copy2d", "dst", dst, dstOff, lddst, rows, cols);
        Checks.matrix("copy2d", "src", src, srcOff, ldsrc, rows, cols);
        if (rows == 0 || cols == 0) {
            return;
        }
        if (src == dst) {
            src = snapA.copy(src, srcOff, span(rows, cols, ldsrc));
            srcOff = 0;
        }
        copy2d.set(dst, dstOff, lddst, src, srcOff, ldsrc, rows, cols, accumulate);
        copy2d.put(dst).put(src);
        execute("copy2d", copy2d, range(items("copy2d", rows, cols)));
        copy2d.get(dst);
    }

    @Override
    public synchronized void frequencyEncode(float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int points, int frequencies) {
        String op = "frequencyEncode";
        Checks.size(op, "frequencies", frequencies);
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(op, "out", out, outOff, ldo, points, 3 + 6 * frequencies);
        if (points == 0) {
            return;
        }
        if (xyz == out) {
            xyz = snapA.copy(xyz, xyzOff, points * 3);
            xyzOff = 0;
        }
        frequencyEncode.set(out, outOff, ldo, xyz, xyzOff, points, frequencies);
        frequencyEncode.put(out).put(xyz);
        execute(op, frequencyEncode, range(points));
        frequencyEncode.get(out);
    }

    @Override
    public synchronized void frequencyEncodeBackward(float[] dXyz, int dXyzOff, float[] dOut, int dOutOff, int lddo,
                                                     float[] xyz, int xyzOff, int points, int frequencies, boolean accumulate) {
        String op = "frequencyEncodeBackward";
        Checks.size(op, "frequencies", frequencies);
        Checks.vector(op, "dXyz", dXyz, dXyzOff, points * 3);
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        Checks.matrix(op, "dOut", dOut, dOutOff, lddo, points, 3 + 6 * frequencies);
        if (points == 0) {
            return;
        }
        if (dOut == dXyz) {
            dOut = snapA.copy(dOut, dOutOff, span(points, 3 + 6 * frequencies, lddo));
            dOutOff = 0;
        }
        if (xyz == dXyz || xyz == dOut) {
            xyz = snapB.copy(xyz, xyzOff, points * 3);
            xyzOff = 0;
        }
        frequencyEncodeBackward.set(dXyz, dXyzOff, dOut, dOutOff, lddo, xyz, xyzOff, points, frequencies, accumulate);
        frequencyEncodeBackward.put(dXyz).put(dOut).put(xyz);
        execute(op, frequencyEncodeBackward, range(items(op, points, 3)));
        frequencyEncodeBackward.get(dXyz);
    }

    @Override
    public synchronized void adam(float[] param, float[] grad, float[] m, float[] v, int off, int n,
                                  float lr, float beta1, float beta2, float eps, int step) {
        String op = "adam";
        Checks.vector(op, "param", param, off, n);
        Checks.vector(op, "grad", grad, off, n);
        Checks.vector(op, "m", m, off, n);
        Checks.vector(op, "v", v, off, n);
        Checks.positive(op, "step", step);
        if (param == m || param == v || m == v) {
            throw new IllegalArgumentException(op + ": arguments 'param', 'm' and 'v' must be distinct arrays");
        }
        if (n == 0) {
            return;
        }
        if (grad == param || grad == m || grad == v) {
            // a copy at the same positions, so that one offset serves all four buffers
            grad = snapA.copyAt(grad, off, n, off);
        }
        // the same double-precision bias corrections as the scalar specification
        float stepSize = (float) (lr / (1.0 - Math.pow(beta1, step)));
        float sqrtBias2 = (float) Math.sqrt(1.0 - Math.pow(beta2, step));
        adam.set(param, grad, m, v, off, n, beta1, beta2, eps, stepSize, sqrtBias2);
        adam.put(param).put(grad).put(m).put(v);
        execute(op, adam, range(n));
        adam.get(param).get(m).get(v);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Kernel k : kernels) {
            k.dispose();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Elements of a (rows, cols) block spanned with leading dimension ld. */
    private static int span(int rows, int cols, int ld) {
        return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
    }

    /** rows * cols as one launch's item count; too many for int indexing is an IllegalArgumentException. */
    private static int items(String op, int rows, int cols) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - MAX_GROUP_SIZE) {
            throw new IllegalArgumentException(op + ": (" + rows + ", " + cols + ") has too many elements for one OpenCL launch");
        }
        return (int) n;
    }

    /** A host buffer that holds a copy of an aliasing input; grown when too small, never shrunk. */
    private static final class Snapshot {
        private float[] buf = new float[1];

        /** Copies {@code src[off, off + len)} to the start of the buffer and returns the buffer. */
        float[] copy(float[] src, int off, int len) {
            return copyAt(src, off, len, 0);
        }

        /** Copies {@code src[off, off + len)} to {@code [at, at + len)} of the buffer and returns the buffer. */
        float[] copyAt(float[] src, int off, int len, int at) {
            int need = Math.max(1, at + len);
            if (buf.length < need) {
                buf = new float[need];
            }
            System.arraycopy(src, off, buf, at, len);
            return buf;
        }
    }
}
