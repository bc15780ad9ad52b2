package dev.gazenerf.backend.opencl.step;

import dev.gazenerf.kernel.Activation;

/**
 * The launch factories of a device-resident plan, apart from what runs them: each factory checks its arguments
 * against the buffer sizes (heap, in, out, snap, compositing cache, split-k scratch, in floats) and returns a
 * {@link Launch}. {@link DeviceArena} is the factory that also runs the launches with Aparapi on an OpenCL device;
 * a plan laid out on a bare {@code LaunchFactory} can be replayed by another executor (the TornadoVM model step of
 * module {@code engine-tornadovm}), which then reads each launch's arguments through {@link Launch#pack}.
 *
 * <p>{@code tile} is the gemm tile edge (it sets a gemm launch's row groups, used by the Aparapi executor only) and
 * {@code computeUnits} the device's compute units (with the split scratch, how many k slices a TN gemm gets; a
 * factory with {@code splitFloats} 1 never splits).
 */
public class LaunchFactory {
    /** Floats of the heap. */
    protected final int heapFloats;
    /** Floats of the per-step input buffer. */
    protected final int inFloats;
    /** Floats of the per-step output buffer. */
    protected final int outFloats;
    /** Floats of the snapshot buffer. */
    protected final int snapFloats;
    /** Samples of the compositing caches. */
    protected final int cacheFloats;
    /** Floats of the split-k scratch. */
    protected final int splitFloats;
    /** The gemm tile edge. */
    protected final int tile;
    /** The device's compute units (at least 1). */
    protected final int computeUnits;

    /** A factory over buffers of these sizes (floats, each at least 1). */
    public LaunchFactory(int heapFloats, int inFloats, int outFloats, int snapFloats, int cacheFloats, int splitFloats,
                         int tile, int computeUnits) {
        positive("heapFloats", heapFloats);
        positive("inFloats", inFloats);
        positive("outFloats", outFloats);
        positive("snapFloats", snapFloats);
        positive("cacheFloats", cacheFloats);
        positive("splitFloats", splitFloats);
        positive("tile", tile);
        this.heapFloats = heapFloats;
        this.inFloats = inFloats;
        this.outFloats = outFloats;
        this.snapFloats = snapFloats;
        this.cacheFloats = cacheFloats;
        this.splitFloats = splitFloats;
        this.tile = tile;
        this.computeUnits = Math.max(1, computeUnits);
    }

    static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("DeviceArena: argument '" + name + "' must be positive, got " + v);
        }
    }

    /** Kernel launches a list of launches makes (split-k gemms count twice). */
    public static int kernelLaunches(java.util.List<Launch> program) {
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
        l.rowGroups = (m + tile - 1) / tile;
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
        int t = tile;
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
        int t = tile;
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
        Launch l = copyLaunch("copy2d", StepKernel.COPY, heapFloats, dstOff, lddst, heapFloats, srcOff, ldsrc, rows, cols);
        l.accumulate = accumulate ? 1 : 0;
        return l;
    }

    /** Copies a {@code (rows, cols)} block of the input buffer (at srcOff) into the heap (at dstOff). */
    public Launch copyIn(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols) {
        return copyLaunch("copyIn", StepKernel.COPY_IN, heapFloats, dstOff, lddst, inFloats, srcOff, ldsrc, rows, cols);
    }

    /** Copies a {@code (rows, cols)} block of the heap (at srcOff) into the output buffer (at dstOff). */
    public Launch copyOut(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols) {
        return copyLaunch("copyOut", StepKernel.COPY_OUT, outFloats, dstOff, lddst, heapFloats, srcOff, ldsrc, rows, cols);
    }

    /** Copies a {@code (rows, cols)} block of the heap (at srcOff) into the snapshot buffer (at dstOff). */
    public Launch copySnap(int dstOff, int lddst, int srcOff, int ldsrc, int rows, int cols) {
        return copyLaunch("copySnap", StepKernel.COPY_SNAP, snapFloats, dstOff, lddst, heapFloats, srcOff, ldsrc, rows, cols);
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
        region(op, arg, off, rows, cols, ld, heapFloats);
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
}
