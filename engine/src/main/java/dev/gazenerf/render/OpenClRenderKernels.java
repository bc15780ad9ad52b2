package dev.gazenerf.render;

import com.aparapi.Kernel;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.render.opencl.BlurKernel;
import dev.gazenerf.render.opencl.CompositeBackwardKernel;
import dev.gazenerf.render.opencl.CompositeBgBackwardKernel;
import dev.gazenerf.render.opencl.CompositeForwardKernel;
import dev.gazenerf.render.opencl.MaxKernel;
import dev.gazenerf.render.opencl.PixelShuffleKernel;
import dev.gazenerf.render.opencl.RepeatAddKernel;
import dev.gazenerf.render.opencl.RotateGradKernel;
import dev.gazenerf.render.opencl.RotateKernel;
import dev.gazenerf.render.opencl.UpsampleKernel;

/**
 * The render kernels on an OpenCL device: one Aparapi kernel per op family (package
 * {@link dev.gazenerf.render.opencl}), forward and backward in the same class, launched through the
 * {@code opencl} backend ({@link OpenClBackend#prepare}, {@link OpenClBackend#range},
 * {@link OpenClBackend#execute}): every launch is pinned to the backend's device and throws
 * {@link IllegalStateException} when it did not run there. There is no fallback to Java threads.
 *
 * <p>Work decomposition: compositing forward and backward one work-item per ray (the sample loop inside, in
 * the scalar order, through the {@link RenderMath} helpers); the background-map gradient one work-item per
 * (pixel, channel), gathering the rays of its pixel in increasing order; rotation, max merge, pixel shuffle,
 * channel-repeat residual, bilinear upsampling and blur one work-item per element written (channel-parallel),
 * their backward passes as gathers (each input element sums the outputs that read it), so nothing needs
 * atomics and every result is deterministic. The gaze-angle gradient: per (image, block of
 * {@value RenderMath#ROTATE_BLOCK} pixels, matrix entry) partial sums in double on the device, added in block
 * order on the host ({@link ScalarRenderKernels#angleGradients}), which gives the scalar bits.
 * Rotation matrices are computed on the host by {@link RenderMath#rotationMatrix}, as scalar does.
 *
 * <p>Differences from scalar: only multiply-adds that the OpenCL compiler contracts into fma (the compositing
 * sums, rotation, bilinear weights). The exponentials of compositing are taken in double and rounded to float
 * as scalar does (so the device needs fp64, as the backend's own kernels do); the max merge, pixel shuffle,
 * residual, blur (power-of-two weights) and the gaze-angle gradient give the scalar bits. Measured tolerances
 * are in the test {@code Tolerances} table under {@code render.*}.
 *
 * <p>Buffers: explicit mode; each call uploads every array it binds (outputs too, so that regions a call does
 * not write keep the host's values and accumulating outputs start from them) and downloads what it wrote. An
 * input that is the same array as an output or another input is uploaded from a host snapshot (Aparapi gives
 * each field its own device buffer); outputs of one call must be distinct arrays. Methods are synchronized.
 * The kernels are prepared on the backend, which disposes them when it closes; {@link #close()} releases
 * nothing.
 */
public final class OpenClRenderKernels implements RenderKernels {
    /** The most array inputs one method binds (compositeBackward's sample kernel). */
    private static final int MAX_INPUTS = 9;
    private final OpenClBackend cl;
    private final CompositeForwardKernel compositeForward;
    private final CompositeBackwardKernel compositeBackward;
    private final CompositeBgBackwardKernel compositeBg;
    private final RotateKernel rotate;
    private final RotateGradKernel rotateGrad;
    private final MaxKernel max;
    private final PixelShuffleKernel shuffle;
    private final RepeatAddKernel repeatAdd;
    private final UpsampleKernel upsample;
    private final BlurKernel blur;

    private final float[] rot9 = new float[9];
    private final float[] rotDPitch = new float[9];
    private final float[] rotDYaw = new float[9];
    /** Rotation matrices of the current call, (images, 9); grown when too small. */
    private float[] rot = new float[9];
    /** Per-(image, block) dL/dR of the current call, (images*blocks, 9); grown when too small. */
    private double[] partial = new double[9];
    /** Host copies of inputs that alias another argument; grown when too small. */
    private final float[][] snapshots = new float[MAX_INPUTS][];
    private int snapshotsUsed;

    /** Kernels on the device of {@code backend} (disposed when the backend closes). */
    public OpenClRenderKernels(OpenClBackend backend) {
        this.cl = Checks.notNull("OpenClRenderKernels", "backend", backend);
        compositeForward = cl.prepare(new CompositeForwardKernel());
        compositeBackward = cl.prepare(new CompositeBackwardKernel());
        compositeBg = cl.prepare(new CompositeBgBackwardKernel());
        rotate = cl.prepare(new RotateKernel());
        rotateGrad = cl.prepare(new RotateGradKernel());
        max = cl.prepare(new MaxKernel());
        shuffle = cl.prepare(new PixelShuffleKernel());
        repeatAdd = cl.prepare(new RepeatAddKernel());
        upsample = cl.prepare(new UpsampleKernel());
        blur = cl.prepare(new BlurKernel());
    }

    @Override
    public String name() {
        return "opencl";
    }

    /** The backend whose device runs the kernels. */
    public OpenClBackend backend() {
        return cl;
    }

    private void launch(String name, Kernel k, long items) {
        if (items > Integer.MAX_VALUE - OpenClBackend.MAX_GROUP_SIZE) {
            throw new IllegalArgumentException(name + ": " + items + " work-items are too many for one OpenCL launch");
        }
        cl.execute(name, k, cl.range((int) items));
    }

    // ---------------------------------------------------------------- aliasing

    /** Fails unless the outputs (nulls ignored) are pairwise distinct arrays. */
    private static void distinctOutputs(String op, String[] names, float[]... outputs) {
        for (int i = 0; i < outputs.length; i++) {
            for (int j = 0; j < i; j++) {
                if (outputs[i] != null && outputs[i] == outputs[j]) {
                    throw new IllegalArgumentException(op + ": arguments '" + names[j] + "' and '" + names[i]
                            + "' must be distinct arrays");
                }
            }
        }
    }

    /**
     * {@code in} itself, or a host copy of it when it is the same array as one of {@code bound} (the arrays
     * already bound to the kernel: outputs and earlier inputs).
     */
    private float[] unaliased(float[] in, float[]... bound) {
        if (in == null) {
            return null;
        }
        for (float[] b : bound) {
            if (b == in) {
                float[] s = snapshots[snapshotsUsed];
                if (s == null || s.length < in.length) {
                    s = new float[in.length];
                    snapshots[snapshotsUsed] = s;
                }
                snapshotsUsed++;
                System.arraycopy(in, 0, s, 0, in.length);
                return s;
            }
        }
        return in;
    }

    // ---------------------------------------------------------------- compositing

    @Override
    public synchronized void compositeForward(float[] merged, int mergedOff, float[] depth, float[] bgAlpha, int rayOff,
                                              float[] alpha, float[] trans, int cacheOff,
                                              float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                              float[] delta, float[] tvals, int sampleOff, float[] bg,
                                              int rays, int samples, int channels, int pixels, int firstPixel) {
        String op = "compositeForward";
        RenderChecks.composite(op, merged, mergedOff, depth, bgAlpha, rayOff, alpha, trans, cacheOff,
                sigma, sigmaOff, feat, featOff, ldf, delta, tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        distinctOutputs(op, new String[] {"merged", "depth", "bgAlpha", "alpha", "trans"}, merged, depth, bgAlpha, alpha, trans);
        if (rays == 0) {
            return;
        }
        snapshotsUsed = 0;
        float[] sigmaIn = unaliased(sigma, merged, depth, bgAlpha, alpha, trans);
        float[] featIn = unaliased(feat, merged, depth, bgAlpha, alpha, trans, sigmaIn);
        float[] deltaIn = unaliased(delta, merged, depth, bgAlpha, alpha, trans, sigmaIn, featIn);
        float[] tvalsIn = unaliased(tvals, merged, depth, bgAlpha, alpha, trans, sigmaIn, featIn, deltaIn);
        float[] bgIn = unaliased(bg, merged, depth, bgAlpha, alpha, trans, sigmaIn, featIn, deltaIn, tvalsIn);
        CompositeForwardKernel k = compositeForward;
        k.set(merged, mergedOff, depth, bgAlpha, rayOff, alpha, trans, cacheOff, sigmaIn, sigmaOff, featIn, featOff, ldf,
                deltaIn, tvalsIn, sampleOff, bgIn, rays, samples, channels, pixels, firstPixel);
        k.upload();
        launch(op, k, rays);
        k.download();
    }

    @Override
    public synchronized void compositeBackward(float[] dSigma, int dSigmaOff, float[] dFeat, int dFeatOff, int lddf,
                                               float[] dDelta, float[] dBg,
                                               float[] dMerged, int dMergedOff, float[] dDepth,
                                               float[] bgAlpha, int rayOff, float[] alpha, float[] trans, int cacheOff,
                                               float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                               float[] delta, float[] tvals, int sampleOff, float[] bg,
                                               int rays, int samples, int channels, int pixels, int firstPixel) {
        String op = "compositeBackward";
        ScalarRenderKernels.compositeBackwardChecks(dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dDelta, dBg, dMerged,
                dMergedOff, dDepth, bgAlpha, rayOff, alpha, trans, cacheOff, sigma, sigmaOff, feat, featOff, ldf, delta,
                tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        distinctOutputs(op, new String[] {"dSigma", "dFeat", "dDelta", "dBg"}, dSigma, dFeat, dDelta, dBg);
        if (rays == 0) {
            return;
        }
        snapshotsUsed = 0;
        float[] dMergedIn = unaliased(dMerged, dSigma, dFeat, dDelta);
        float[] dDepthIn = unaliased(dDepth, dSigma, dFeat, dDelta, dMergedIn);
        float[] alphaIn = unaliased(alpha, dSigma, dFeat, dDelta, dMergedIn, dDepthIn);
        float[] transIn = unaliased(trans, dSigma, dFeat, dDelta, dMergedIn, dDepthIn, alphaIn);
        float[] sigmaIn = unaliased(sigma, dSigma, dFeat, dDelta, dMergedIn, dDepthIn, alphaIn, transIn);
        float[] featIn = unaliased(feat, dSigma, dFeat, dDelta, dMergedIn, dDepthIn, alphaIn, transIn, sigmaIn);
        float[] deltaIn = unaliased(delta, dSigma, dFeat, dDelta, dMergedIn, dDepthIn, alphaIn, transIn, sigmaIn, featIn);
        float[] tvalsIn = unaliased(tvals, dSigma, dFeat, dDelta, dMergedIn, dDepthIn, alphaIn, transIn, sigmaIn, featIn,
                deltaIn);
        float[] bgIn = unaliased(bg, dSigma, dFeat, dDelta, dMergedIn, dDepthIn, alphaIn, transIn, sigmaIn, featIn,
                deltaIn, tvalsIn);
        CompositeBackwardKernel k = compositeBackward;
        k.set(dSigma, dSigmaOff, dFeat, dFeatOff, lddf, dDelta, dMergedIn, dMergedOff, dDepthIn, rayOff,
                alphaIn, transIn, cacheOff, sigmaIn, sigmaOff, featIn, featOff, ldf, deltaIn, tvalsIn, sampleOff, bgIn,
                rays, samples, channels, pixels, firstPixel);
        k.upload();
        launch(op, k, rays);
        k.download();

        snapshotsUsed = 0;
        float[] dMergedBg = unaliased(dMerged, dBg);
        float[] bgAlphaIn = unaliased(bgAlpha, dBg, dMergedBg);
        CompositeBgBackwardKernel b = compositeBg;
        b.set(dBg, dMergedBg, dMergedOff, bgAlphaIn, rayOff, rays, channels, pixels, firstPixel);
        b.upload();
        launch("compositeBgBackward", b, (long) pixels * channels);
        b.download();
    }

    // ---------------------------------------------------------------- rotation and merge

    /** R of every image into {@link #rot}, (images, 9), by the scalar helper. */
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
    public synchronized void rotateForward(float[] out, float[] in, float[] angles, int images, int pixels, int channels) {
        String op = "rotateForward";
        RenderChecks.rotate(op, out, in, angles, images, pixels, channels);
        if (images == 0 || pixels == 0) {
            return;
        }
        rotations(angles, images);
        snapshotsUsed = 0;
        RotateKernel k = rotate;
        k.set(out, unaliased(in, out), rot, images, pixels, channels, false, false);
        k.upload();
        launch(op, k, (long) images * pixels * channels);
        k.download();
    }

    @Override
    public synchronized void rotateBackward(float[] dIn, float[] dAngles, float[] dOut, float[] in, float[] angles,
                                            int images, int pixels, int channels, boolean accumulate) {
        String op = "rotateBackward";
        RenderChecks.rotate(op, dOut, in, angles, images, pixels, channels);
        Checks.matrix(op, "dIn", dIn, 0, channels, images * pixels, channels);
        Checks.vector(op, "dAngles", dAngles, 0, images * 2);
        distinctOutputs(op, new String[] {"dIn", "dAngles"}, dIn, dAngles);
        if (images == 0 || pixels == 0) {
            return;
        }
        rotations(angles, images);
        snapshotsUsed = 0;
        float[] dOutIn = unaliased(dOut, dIn);
        float[] inIn = unaliased(in, dIn, dOutIn);
        // dL/dR partials first: they read dOut and in, which may alias dIn (then they are snapshots anyway)
        int blocks = (pixels + RenderMath.ROTATE_BLOCK - 1) / RenderMath.ROTATE_BLOCK;
        if (partial.length < 9 * blocks * images) {
            partial = new double[9 * blocks * images];
        }
        RotateGradKernel g = rotateGrad;
        g.set(partial, inIn, dOutIn, images, pixels, channels, RenderMath.ROTATE_BLOCK);
        g.upload();
        launch("rotateAngleGradient", g, 9L * blocks * images);
        g.download();

        RotateKernel k = rotate;
        k.set(dIn, dOutIn, rot, images, pixels, channels, true, accumulate);
        k.upload();
        launch(op, k, (long) images * pixels * channels);
        k.download();
        for (int n = 0; n < images; n++) {
            ScalarRenderKernels.angleGradients(dAngles, n, angles, partial, n * blocks, blocks, rotDPitch, rotDYaw);
        }
    }

    @Override
    public synchronized void maxForward(float[] out, float[] a, float[] b, int n) {
        String op = "maxForward";
        RenderChecks.elementwise(op, n, new String[] {"out", "a", "b"}, out, a, b);
        if (n == 0) {
            return;
        }
        snapshotsUsed = 0;
        float[] aIn = unaliased(a, out);
        float[] bIn = unaliased(b, out, aIn);
        MaxKernel k = max;
        k.setForward(out, aIn, bIn, n);
        k.upload();
        launch(op, k, n);
        k.download();
    }

    @Override
    public synchronized void maxBackward(float[] dA, float[] dB, float[] dOut, float[] a, float[] b, int n,
                                         boolean accumulate) {
        String op = "maxBackward";
        RenderChecks.elementwise(op, n, new String[] {"dA", "dB", "dOut", "a", "b"}, dA, dB, dOut, a, b);
        distinctOutputs(op, new String[] {"dA", "dB"}, dA, dB);
        if (n == 0) {
            return;
        }
        snapshotsUsed = 0;
        float[] dOutIn = unaliased(dOut, dA, dB);
        float[] aIn = unaliased(a, dA, dB, dOutIn);
        float[] bIn = unaliased(b, dA, dB, dOutIn, aIn);
        MaxKernel k = max;
        k.setBackward(dA, dB, dOutIn, aIn, bIn, n, accumulate);
        k.upload();
        launch(op, k, n);
        k.download();
    }

    // ---------------------------------------------------------------- renderer pieces

    @Override
    public synchronized void pixelShuffleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        String op = "pixelShuffleForward";
        RenderChecks.map(op, "in", in, images, height, width, 4 * channels);
        RenderChecks.map(op, "out", out, images, 2 * height, 2 * width, channels);
        if (images == 0) {
            return;
        }
        snapshotsUsed = 0;
        PixelShuffleKernel k = shuffle;
        k.set(out, unaliased(in, out), images, height, width, channels, false, false);
        k.upload();
        launch(op, k, 4L * images * height * width * channels);
        k.download();
    }

    @Override
    public synchronized void pixelShuffleBackward(float[] dIn, float[] dOut, int images, int height, int width,
                                                  int channels, boolean accumulate) {
        String op = "pixelShuffleBackward";
        RenderChecks.map(op, "dIn", dIn, images, height, width, 4 * channels);
        RenderChecks.map(op, "dOut", dOut, images, 2 * height, 2 * width, channels);
        if (images == 0) {
            return;
        }
        snapshotsUsed = 0;
        PixelShuffleKernel k = shuffle;
        k.set(dIn, unaliased(dOut, dIn), images, height, width, channels, true, accumulate);
        k.upload();
        launch(op, k, 4L * images * height * width * channels);
        k.download();
    }

    @Override
    public synchronized void repeatAddForward(float[] out, float[] y, float[] x, int xOff, int rows, int channels,
                                              int repeats) {
        String op = "repeatAddForward";
        ScalarRenderKernels.repeatAddChecks(op, out, y, x, xOff, rows, channels, repeats);
        if (rows == 0) {
            return;
        }
        snapshotsUsed = 0;
        float[] yIn = unaliased(y, out);   // out == y is allowed (in place)
        float[] xIn = unaliased(x, out, yIn);
        RepeatAddKernel k = repeatAdd;
        k.setForward(out, yIn, xIn, xOff, rows, channels, repeats);
        k.upload();
        launch(op, k, (long) rows * channels * repeats);
        k.download();
    }

    @Override
    public synchronized void repeatAddBackward(float[] dX, int dxOff, float[] dOut, int rows, int channels, int repeats,
                                               boolean accumulate) {
        String op = "repeatAddBackward";
        ScalarRenderKernels.repeatAddChecks(op, dOut, null, dX, dxOff, rows, channels, repeats);
        if (rows == 0) {
            return;
        }
        snapshotsUsed = 0;
        RepeatAddKernel k = repeatAdd;
        k.setBackward(dX, dxOff, unaliased(dOut, dX), rows, channels, repeats, accumulate);
        k.upload();
        launch(op, k, (long) rows * channels);
        k.download();
    }

    @Override
    public synchronized void upsampleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        String op = "upsampleForward";
        RenderChecks.map(op, "in", in, images, height, width, channels);
        RenderChecks.map(op, "out", out, images, 2 * height, 2 * width, channels);
        if (images == 0) {
            return;
        }
        snapshotsUsed = 0;
        UpsampleKernel k = upsample;
        k.set(out, unaliased(in, out), images, height, width, channels, false, false);
        k.upload();
        launch(op, k, 4L * images * height * width * channels);
        k.download();
    }

    @Override
    public synchronized void upsampleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                              boolean accumulate) {
        String op = "upsampleBackward";
        RenderChecks.map(op, "dIn", dIn, images, height, width, channels);
        RenderChecks.map(op, "dOut", dOut, images, 2 * height, 2 * width, channels);
        if (images == 0) {
            return;
        }
        snapshotsUsed = 0;
        UpsampleKernel k = upsample;
        k.set(dIn, unaliased(dOut, dIn), images, height, width, channels, true, accumulate);
        k.upload();
        launch(op, k, (long) images * height * width * channels);
        k.download();
    }

    @Override
    public synchronized void blurForward(float[] out, float[] in, int images, int height, int width, int channels) {
        String op = "blurForward";
        RenderChecks.map(op, "in", in, images, height, width, channels);
        RenderChecks.map(op, "out", out, images, height, width, channels);
        RenderChecks.blurSize(op, height, width);
        if (images == 0) {
            return;
        }
        snapshotsUsed = 0;
        BlurKernel k = blur;
        k.set(out, unaliased(in, out), images, height, width, channels, false, false);
        k.upload();
        launch(op, k, (long) images * height * width * channels);
        k.download();
    }

    @Override
    public synchronized void blurBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                          boolean accumulate) {
        String op = "blurBackward";
        RenderChecks.map(op, "dIn", dIn, images, height, width, channels);
        RenderChecks.map(op, "dOut", dOut, images, height, width, channels);
        RenderChecks.blurSize(op, height, width);
        if (images == 0) {
            return;
        }
        snapshotsUsed = 0;
        BlurKernel k = blur;
        k.set(dIn, unaliased(dOut, dIn), images, height, width, channels, true, accumulate);
        k.upload();
        launch(op, k, (long) images * height * width * channels);
        k.download();
    }

    /**
     * Nothing to release: the kernels were prepared on the backend, which disposes them when it closes
     * (disposing a kernel twice crashes Aparapi's native runtime).
     */
    @Override
    public void close() {
        // the backend owns the kernels
    }
}
