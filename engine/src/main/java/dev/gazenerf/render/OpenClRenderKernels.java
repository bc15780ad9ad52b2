package dev.gazenerf.render;

import com.aparapi.Kernel;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.backend.OpenClBackend;

/**
 * The render kernels on an OpenCL device through Aparapi, run with the {@code opencl} backend's helper
 * ({@link OpenClBackend#prepare}, {@link OpenClBackend#execute}): each launch is pinned to the backend's
 * device and fails loudly ({@link IllegalStateException}) when it did not run there; there is no fallback to
 * Java threads. Every kernel's {@code run()} calls the same {@link RenderMath} helper as the scalar loop, for
 * one ray, pixel row or pixel per work-item (the exponentials of compositing are taken in {@code run()}, as
 * Aparapi cannot translate {@code java.lang.Math} inside helpers of another class).
 *
 * <p>Buffers: explicit mode, every call uploads the arrays it binds (outputs too, so that regions a call does
 * not write keep their values and accumulating outputs start from the host's) and downloads the arrays it
 * wrote. An output that is the same array as an input (allowed only by {@link #repeatAddForward}) is handled
 * by uploading a snapshot of the input. The rotation's angle gradient sums per-block partials computed on the
 * device (in double, so the device needs fp64) on the host, in block order, as the other implementations do.
 */
public final class OpenClRenderKernels implements RenderKernels {
    private final OpenClBackend cl;
    private final CompositeForwardKernel compositeForward;
    private final CompositeBackwardKernel compositeBackward;
    private final CompositeBgKernel compositeBg;
    private final RotateKernel rotate;
    private final ElementKernel element;
    private final MapKernel map;
    private final float[] rot9 = new float[9];
    private final float[] rotDPitch = new float[9];
    private final float[] rotDYaw = new float[9];
    private float[] rot = new float[9];
    private double[] partial = new double[9];
    private float[] snapshot = new float[1];

    /** Kernels on the device of {@code backend}; they are disposed when the backend closes. */
    public OpenClRenderKernels(OpenClBackend backend) {
        this.cl = Checks.notNull("OpenClRenderKernels", "backend", backend);
        compositeForward = cl.prepare(new CompositeForwardKernel());
        compositeBackward = cl.prepare(new CompositeBackwardKernel());
        compositeBg = cl.prepare(new CompositeBgKernel());
        rotate = cl.prepare(new RotateKernel());
        element = cl.prepare(new ElementKernel());
        map = cl.prepare(new MapKernel());
    }

    @Override
    public String name() {
        return "opencl";
    }

    private void launch(String name, Kernel k, int items) {
        if (items > 0) {
            cl.execute(name, k, cl.range(items));
        }
    }

    // ---------------------------------------------------------------- compositing

    @Override
    public void compositeForward(float[] merged, int mergedOff, float[] depth, float[] bgAlpha, int rayOff,
                                 float[] alpha, float[] trans, int cacheOff,
                                 float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                 float[] delta, float[] tvals, int sampleOff, float[] bg,
                                 int rays, int samples, int channels, int pixels, int firstPixel) {
        RenderChecks.composite("compositeForward", merged, mergedOff, depth, bgAlpha, rayOff, alpha, trans, cacheOff,
                sigma, sigmaOff, feat, featOff, ldf, delta, tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        if (rays == 0) {
            return;
        }
        CompositeForwardKernel k = compositeForward;
        k.merged = merged;
        k.mergedOff = mergedOff;
        k.depth = depth == null ? k.depthPlaceholder : depth;
        k.hasDepth = depth == null ? 0 : 1;
        k.bgAlpha = bgAlpha;
        k.rayOff = rayOff;
        k.alpha = alpha;
        k.trans = trans;
        k.cacheOff = cacheOff;
        k.sigma = sigma;
        k.sigmaOff = sigmaOff;
        k.feat = feat;
        k.featOff = featOff;
        k.ldf = ldf;
        k.delta = delta;
        k.tvals = tvals;
        k.sampleOff = sampleOff;
        k.bg = bg;
        k.rays = rays;
        k.samples = samples;
        k.channels = channels;
        k.pixels = pixels;
        k.firstPixel = firstPixel;
        k.put(k.merged).put(k.depth).put(k.bgAlpha).put(k.alpha).put(k.trans).put(k.sigma).put(k.feat)
                .put(k.delta).put(k.tvals).put(k.bg);
        launch("compositeForward", k, rays);
        k.get(k.merged).get(k.depth).get(k.bgAlpha).get(k.alpha).get(k.trans);
    }

    @Override
    public void compositeBackward(float[] dSigma, int dSigmaOff, float[] dFeat, int dFeatOff, int lddf,
                                  float[] dDelta, float[] dBg,
                                  float[] dMerged, int dMergedOff, float[] dDepth,
                                  float[] bgAlpha, int rayOff, float[] alpha, float[] trans, int cacheOff,
                                  float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                  float[] delta, float[] tvals, int sampleOff, float[] bg,
                                  int rays, int samples, int channels, int pixels, int firstPixel) {
        ScalarRenderKernels.compositeBackwardChecks(dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dDelta, dBg, dMerged,
                dMergedOff, dDepth, bgAlpha, rayOff, alpha, trans, cacheOff, sigma, sigmaOff, feat, featOff, ldf, delta,
                tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        if (rays == 0) {
            return;
        }
        CompositeBackwardKernel k = compositeBackward;
        k.dSigma = dSigma;
        k.dSigmaOff = dSigmaOff;
        k.dFeat = dFeat;
        k.dFeatOff = dFeatOff;
        k.lddf = lddf;
        k.dDelta = dDelta == null ? k.dDeltaPlaceholder : dDelta;
        k.hasDDelta = dDelta == null ? 0 : 1;
        k.dMerged = dMerged;
        k.dMergedOff = dMergedOff;
        k.dDepth = dDepth == null ? k.dDepthPlaceholder : dDepth;
        k.hasDDepth = dDepth == null ? 0 : 1;
        k.rayOff = rayOff;
        k.alpha = alpha;
        k.trans = trans;
        k.cacheOff = cacheOff;
        k.sigma = sigma;
        k.sigmaOff = sigmaOff;
        k.feat = feat;
        k.featOff = featOff;
        k.ldf = ldf;
        k.delta = delta;
        k.tvals = tvals;
        k.sampleOff = sampleOff;
        k.bg = bg;
        k.rays = rays;
        k.samples = samples;
        k.channels = channels;
        k.pixels = pixels;
        k.firstPixel = firstPixel;
        k.put(k.dSigma).put(k.dFeat).put(k.dDelta).put(k.dMerged).put(k.dDepth).put(k.alpha).put(k.trans)
                .put(k.sigma).put(k.feat).put(k.delta).put(k.tvals).put(k.bg);
        launch("compositeBackward", k, rays);
        k.get(k.dSigma).get(k.dFeat).get(k.dDelta);

        CompositeBgKernel b = compositeBg;
        b.dBg = dBg;
        b.dMerged = dMerged;
        b.dMergedOff = dMergedOff;
        b.bgAlpha = bgAlpha;
        b.rayOff = rayOff;
        b.rays = rays;
        b.channels = channels;
        b.pixels = pixels;
        b.firstPixel = firstPixel;
        b.put(b.dBg).put(b.dMerged).put(b.bgAlpha);
        launch("compositeBgBackward", b, pixels);
        b.get(b.dBg);
    }

    // ---------------------------------------------------------------- rotation and merge

    private void rotations(float[] angles, int images) {
        if (rot.length < 9 * images) {
            rot = new float[9 * images];
        }
        for (int n = 0; n < images; n++) {
            RenderMath.rotationMatrix(rot9, 0, angles[2 * n], angles[2 * n + 1]);
            System.arraycopy(rot9, 0, rot, 9 * n, 9);
        }
    }

    @Override
    public void rotateForward(float[] out, float[] in, float[] angles, int images, int pixels, int channels) {
        RenderChecks.rotate("rotateForward", out, in, angles, images, pixels, channels);
        if (images * pixels == 0) {
            return;
        }
        rotations(angles, images);
        RotateKernel k = rotate;
        k.op = 0;
        k.out = out;
        k.in = in;
        k.x = k.placeholder;
        k.partial = k.partialPlaceholder;
        k.rot = rot;
        k.pixels = pixels;
        k.channels = channels;
        k.blocks = 1;
        k.items = images * pixels;
        k.put(k.out).put(k.in).put(k.x).put(k.rot).put(k.partial);
        launch("rotateForward", k, k.items);
        k.get(k.out);
    }

    @Override
    public void rotateBackward(float[] dIn, float[] dAngles, float[] dOut, float[] in, float[] angles,
                               int images, int pixels, int channels, boolean accumulate) {
        RenderChecks.rotate("rotateBackward", dOut, in, angles, images, pixels, channels);
        Checks.matrix("rotateBackward", "dIn", dIn, 0, channels, images * pixels, channels);
        Checks.vector("rotateBackward", "dAngles", dAngles, 0, images * 2);
        if (images * pixels == 0) {
            return;
        }
        rotations(angles, images);
        int blocks = (pixels + RenderMath.ROTATE_BLOCK - 1) / RenderMath.ROTATE_BLOCK;
        if (partial.length < 9 * blocks * images) {
            partial = new double[9 * blocks * images];
        }
        RotateKernel k = rotate;
        k.op = 1;
        k.out = dIn;
        k.in = dOut;
        k.x = in;
        k.rot = rot;
        k.partial = partial;
        k.pixels = pixels;
        k.channels = channels;
        k.blocks = blocks;
        k.accumulate = accumulate ? 1 : 0;
        k.items = images * pixels;
        k.put(k.out).put(k.in).put(k.x).put(k.rot).put(k.partial);
        launch("rotateBackward", k, k.items);
        k.op = 2;
        k.items = images * blocks;
        launch("rotateAngleGradient", k, k.items);
        k.get(k.out).get(k.partial);
        for (int n = 0; n < images; n++) {
            ScalarRenderKernels.angleGradients(dAngles, n, angles, partial, n * blocks, blocks, rotDPitch, rotDYaw);
        }
    }

    @Override
    public void maxForward(float[] out, float[] a, float[] b, int n) {
        RenderChecks.elementwise("maxForward", n, new String[] {"out", "a", "b"}, out, a, b);
        if (n == 0) {
            return;
        }
        ElementKernel k = element;
        k.op = 0;
        k.a = a;
        k.b = b;
        k.out = out;
        k.out2 = k.placeholder;
        k.g = k.placeholder2;
        k.n = n;
        k.put(k.a).put(k.b).put(k.out).put(k.out2).put(k.g);
        launch("maxForward", k, n);
        k.get(k.out);
    }

    @Override
    public void maxBackward(float[] dA, float[] dB, float[] dOut, float[] a, float[] b, int n, boolean accumulate) {
        RenderChecks.elementwise("maxBackward", n, new String[] {"dA", "dB", "dOut", "a", "b"}, dA, dB, dOut, a, b);
        if (n == 0) {
            return;
        }
        ElementKernel k = element;
        k.op = 1;
        k.a = a;
        k.b = b;
        k.out = dA;
        k.out2 = dB;
        k.g = dOut;
        k.n = n;
        k.accumulate = accumulate ? 1 : 0;
        k.put(k.a).put(k.b).put(k.out).put(k.out2).put(k.g);
        launch("maxBackward", k, n);
        k.get(k.out).get(k.out2);
    }

    // ---------------------------------------------------------------- renderer pieces

    private void runMap(String name, int op, float[] out, float[] in, int images, int height, int width, int channels,
                        boolean accumulate, int items) {
        if (items == 0) {
            return;
        }
        MapKernel k = map;
        k.op = op;
        k.out = out;
        k.in = in;
        k.x = k.placeholder;
        k.images = images;
        k.height = height;
        k.width = width;
        k.channels = channels;
        k.accumulate = accumulate ? 1 : 0;
        k.items = items;
        k.put(k.out).put(k.in).put(k.x);
        launch(name, k, items);
        k.get(k.out);
    }

    @Override
    public void pixelShuffleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("pixelShuffleForward", "in", in, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleForward", "out", out, images, 2 * height, 2 * width, channels);
        runMap("pixelShuffleForward", MapKernel.SHUFFLE, out, in, images, height, width, channels, false,
                images * 2 * height);
    }

    @Override
    public void pixelShuffleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                     boolean accumulate) {
        RenderChecks.map("pixelShuffleBackward", "dIn", dIn, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        runMap("pixelShuffleBackward", MapKernel.SHUFFLE_BACKWARD, dIn, dOut, images, height, width, channels,
                accumulate, images * height);
    }

    @Override
    public void repeatAddForward(float[] out, float[] y, float[] x, int xOff, int rows, int channels, int repeats) {
        ScalarRenderKernels.repeatAddChecks("repeatAddForward", out, y, x, xOff, rows, channels, repeats);
        if (rows == 0) {
            return;
        }
        float[] yIn = y;
        if (y == out) {
            int len = rows * channels * repeats;
            if (snapshot.length < len) {
                snapshot = new float[len];
            }
            System.arraycopy(y, 0, snapshot, 0, len);
            yIn = snapshot;
        }
        MapKernel k = map;
        k.op = MapKernel.REPEAT_ADD;
        k.out = out;
        k.in = yIn;
        k.x = x;
        k.xOff = xOff;
        k.channels = channels;
        k.repeats = repeats;
        k.items = rows;
        k.put(k.out).put(k.in).put(k.x);
        launch("repeatAddForward", k, rows);
        k.get(k.out);
    }

    @Override
    public void repeatAddBackward(float[] dX, int dxOff, float[] dOut, int rows, int channels, int repeats,
                                  boolean accumulate) {
        ScalarRenderKernels.repeatAddChecks("repeatAddBackward", dOut, null, dX, dxOff, rows, channels, repeats);
        if (rows == 0) {
            return;
        }
        MapKernel k = map;
        k.op = MapKernel.REPEAT_ADD_BACKWARD;
        k.out = dX;
        k.in = dOut;
        k.x = k.placeholder;
        k.xOff = dxOff;
        k.channels = channels;
        k.repeats = repeats;
        k.accumulate = accumulate ? 1 : 0;
        k.items = rows;
        k.put(k.out).put(k.in).put(k.x);
        launch("repeatAddBackward", k, rows);
        k.get(k.out);
    }

    @Override
    public void upsampleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("upsampleForward", "in", in, images, height, width, channels);
        RenderChecks.map("upsampleForward", "out", out, images, 2 * height, 2 * width, channels);
        runMap("upsampleForward", MapKernel.UPSAMPLE, out, in, images, height, width, channels, false,
                images * 2 * height);
    }

    @Override
    public void upsampleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                 boolean accumulate) {
        RenderChecks.map("upsampleBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("upsampleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        runMap("upsampleBackward", MapKernel.UPSAMPLE_BACKWARD, dIn, dOut, images, height, width, channels,
                accumulate, images * height);
    }

    @Override
    public void blurForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("blurForward", "in", in, images, height, width, channels);
        RenderChecks.map("blurForward", "out", out, images, height, width, channels);
        RenderChecks.blurSize("blurForward", height, width);
        runMap("blurForward", MapKernel.BLUR, out, in, images, height, width, channels, false, images * height);
    }

    @Override
    public void blurBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                             boolean accumulate) {
        RenderChecks.map("blurBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("blurBackward", "dOut", dOut, images, height, width, channels);
        RenderChecks.blurSize("blurBackward", height, width);
        runMap("blurBackward", MapKernel.BLUR_BACKWARD, dIn, dOut, images, height, width, channels, accumulate,
                images * height);
    }

    /**
     * Nothing to release here: the kernels were prepared on the backend, which disposes them when it closes
     * (disposing them twice crashes Aparapi's native runtime). Create one instance per backend.
     */
    @Override
    public void close() {
        // the backend owns the kernels
    }

    // ---------------------------------------------------------------- the Aparapi kernels

    /** One work-item per ray: alphas ({@code exp} here), then {@link RenderMath#compositeRayWeights} and features. */
    static final class CompositeForwardKernel extends Kernel {
        float[] merged = new float[1];
        float[] depth = new float[1];
        final float[] depthPlaceholder = new float[1];
        float[] bgAlpha = new float[1];
        float[] alpha = new float[1];
        float[] trans = new float[1];
        float[] sigma = new float[1];
        float[] feat = new float[1];
        float[] delta = new float[1];
        float[] tvals = new float[1];
        float[] bg = new float[1];
        int mergedOff;
        int hasDepth;
        int rayOff;
        int cacheOff;
        int sigmaOff;
        int featOff;
        int ldf;
        int sampleOff;
        int rays;
        int samples;
        int channels;
        int pixels;
        int firstPixel;

        @Override
        public void run() {
            int r = getGlobalId();
            if (r < rays) {
                for (int s = r * samples; s < (r + 1) * samples; s++) {
                    alpha[cacheOff + s] = RenderMath.alphaFromExp((float) exp(-sigma[sigmaOff + s] * delta[sampleOff + s]));
                }
                RenderMath.compositeRayWeights(r, depth, hasDepth != 0, bgAlpha, rayOff, alpha, trans, cacheOff,
                        tvals, sampleOff, samples);
                RenderMath.compositeRayFeatures(r, merged, mergedOff, bgAlpha, rayOff, alpha, trans, cacheOff,
                        feat, featOff, ldf, bg, samples, channels, (firstPixel + r) % pixels);
            }
        }
    }

    /** One work-item per ray: feature backward, the alpha recurrence, then sigma and delta per sample. */
    static final class CompositeBackwardKernel extends Kernel {
        float[] dSigma = new float[1];
        float[] dFeat = new float[1];
        float[] dDelta = new float[1];
        final float[] dDeltaPlaceholder = new float[1];
        float[] dMerged = new float[1];
        float[] dDepth = new float[1];
        final float[] dDepthPlaceholder = new float[1];
        float[] alpha = new float[1];
        float[] trans = new float[1];
        float[] sigma = new float[1];
        float[] feat = new float[1];
        float[] delta = new float[1];
        float[] tvals = new float[1];
        float[] bg = new float[1];
        int dSigmaOff;
        int dFeatOff;
        int lddf;
        int hasDDelta;
        int dMergedOff;
        int hasDDepth;
        int rayOff;
        int cacheOff;
        int sigmaOff;
        int featOff;
        int ldf;
        int sampleOff;
        int rays;
        int samples;
        int channels;
        int pixels;
        int firstPixel;

        @Override
        public void run() {
            int r = getGlobalId();
            if (r < rays) {
                RenderMath.compositeRayFeatureBackward(r, dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dMerged, dMergedOff,
                        dDepth, hasDDepth != 0, rayOff, alpha, trans, cacheOff, feat, featOff, ldf, tvals, sampleOff, bg,
                        samples, channels, (firstPixel + r) % pixels);
                RenderMath.compositeRayAlphaBackward(r, dSigma, dSigmaOff, alpha, trans, cacheOff, samples);
                for (int s = r * samples; s < (r + 1) * samples; s++) {
                    float e = (float) exp(-sigma[sigmaOff + s] * delta[sampleOff + s]);
                    RenderMath.compositeSampleBackward(s, dSigma, dSigmaOff, dDelta, hasDDelta != 0, sigma, sigmaOff,
                            delta, sampleOff, e);
                }
            }
        }
    }

    /** One work-item per pixel of the background map: {@link RenderMath#compositePixelBgBackward}. */
    static final class CompositeBgKernel extends Kernel {
        float[] dBg = new float[1];
        float[] dMerged = new float[1];
        float[] bgAlpha = new float[1];
        int dMergedOff;
        int rayOff;
        int rays;
        int channels;
        int pixels;
        int firstPixel;

        @Override
        public void run() {
            int p = getGlobalId();
            if (p < pixels) {
                RenderMath.compositePixelBgBackward(p, dBg, dMerged, dMergedOff, bgAlpha, rayOff, rays, channels,
                        pixels, firstPixel);
            }
        }
    }

    /** Rotation: op 0 forward per pixel row, op 1 input gradient per row, op 2 dL/dR partial per (image, block). */
    static final class RotateKernel extends Kernel {
        float[] out = new float[1];
        float[] in = new float[1];
        float[] x = new float[1];
        float[] rot = new float[9];
        double[] partial = new double[9];
        final float[] placeholder = new float[1];
        final double[] partialPlaceholder = new double[9];
        int op;
        int pixels;
        int channels;
        int blocks;
        int accumulate;
        int items;

        @Override
        public void run() {
            int i = getGlobalId();
            if (i < items) {
                if (op == 0) {
                    RenderMath.rotateRow(i, out, in, rot, 9 * (i / pixels), channels);
                } else if (op == 1) {
                    RenderMath.rotateRowBackward(i, out, in, rot, 9 * (i / pixels), channels, accumulate != 0);
                } else {
                    int n = i / blocks;
                    int b = i % blocks;
                    int start = n * pixels + b * RenderMath.ROTATE_BLOCK;
                    int end = (b + 1) * RenderMath.ROTATE_BLOCK;
                    if (end > pixels) {
                        end = pixels;
                    }
                    RenderMath.rotateBlockGradR(partial, 9 * i, x, in, start, n * pixels + end, channels);
                }
            }
        }
    }

    /** Element-wise max merge: op 0 forward, op 1 backward with PyTorch's tie rule ({@link RenderMath#maxGradA}). */
    static final class ElementKernel extends Kernel {
        float[] a = new float[1];
        float[] b = new float[1];
        float[] out = new float[1];
        float[] out2 = new float[1];
        float[] g = new float[1];
        final float[] placeholder = new float[1];
        final float[] placeholder2 = new float[1];
        int op;
        int n;
        int accumulate;

        @Override
        public void run() {
            int i = getGlobalId();
            if (i < n) {
                if (op == 0) {
                    out[i] = max(a[i], b[i]);
                } else {
                    float ga = RenderMath.maxGradA(g[i], a[i], b[i]);
                    float gb = RenderMath.maxGradA(g[i], b[i], a[i]);
                    if (accumulate != 0) {
                        out[i] = out[i] + ga;
                        out2[i] = out2[i] + gb;
                    } else {
                        out[i] = ga;
                        out2[i] = gb;
                    }
                }
            }
        }
    }

    /** The renderer's maps, one work-item per pixel row (or per row of the residual), selected by {@code op}. */
    static final class MapKernel extends Kernel {
        static final int SHUFFLE = 0;
        static final int SHUFFLE_BACKWARD = 1;
        static final int UPSAMPLE = 2;
        static final int UPSAMPLE_BACKWARD = 3;
        static final int BLUR = 4;
        static final int BLUR_BACKWARD = 5;
        static final int REPEAT_ADD = 6;
        static final int REPEAT_ADD_BACKWARD = 7;
        float[] out = new float[1];
        float[] in = new float[1];
        float[] x = new float[1];
        final float[] placeholder = new float[1];
        int op;
        int images;
        int height;
        int width;
        int channels;
        int repeats;
        int xOff;
        int accumulate;
        int items;

        @Override
        public void run() {
            int i = getGlobalId();
            if (i < items) {
                boolean acc = accumulate != 0;
                if (op == SHUFFLE) {
                    for (int ox = 0; ox < 2 * width; ox++) {
                        RenderMath.shufflePixel(out, in, i / (2 * height), i % (2 * height), ox, height, width, channels);
                    }
                } else if (op == SHUFFLE_BACKWARD) {
                    for (int w = 0; w < width; w++) {
                        RenderMath.shufflePixelBackward(out, in, i / height, i % height, w, height, width, channels, acc);
                    }
                } else if (op == UPSAMPLE) {
                    for (int ox = 0; ox < 2 * width; ox++) {
                        RenderMath.upsamplePixel(out, in, i / (2 * height), i % (2 * height), ox, height, width, channels);
                    }
                } else if (op == UPSAMPLE_BACKWARD) {
                    for (int ix = 0; ix < width; ix++) {
                        RenderMath.upsamplePixelBackward(out, in, i / height, i % height, ix, height, width, channels, acc);
                    }
                } else if (op == BLUR) {
                    for (int ox = 0; ox < width; ox++) {
                        RenderMath.blurPixel(out, in, i / height, i % height, ox, height, width, channels);
                    }
                } else if (op == BLUR_BACKWARD) {
                    for (int ix = 0; ix < width; ix++) {
                        RenderMath.blurPixelBackward(out, in, i / height, i % height, ix, height, width, channels, acc);
                    }
                } else if (op == REPEAT_ADD) {
                    RenderMath.repeatAddRow(i, out, in, x, xOff, channels, repeats);
                } else {
                    RenderMath.repeatAddRowBackward(i, out, xOff, in, channels, repeats, acc);
                }
            }
        }
    }
}
