package dev.gazenerf.backend.tornadovm;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.render.RenderChecks;
import dev.gazenerf.render.RenderKernels;
import dev.gazenerf.render.RenderMath;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The render primitives on the {@code tornadovm} backend's device: every method is one launch (two for the
 * compositing and rotation backward) of a {@link TornadoRenderOps} kernel, through the backend's kernel plans
 * ({@link TornadoVmBackend#plan}), so launches, device time and release are the backend's. What
 * {@link RenderKernels#forBackend} returns for {@code tornadovm}; never a fallback to Java threads.
 *
 * <p>As with the backend's {@code Backend} primitives, each call copies its operands' spans into off-heap
 * buffers, runs the kernel, and copies the outputs back. Two small pieces stay on the host, in the same
 * arithmetic as {@link dev.gazenerf.render.ScalarRenderKernels}: the 3x3 rotation matrix of each image
 * ({@link RenderMath#rotationMatrix}, 9 floats per image, uploaded to the kernel), and the last step of the
 * rotation's angle gradient (the sum of the per-block partials, computed on the device, with dR/dpitch and
 * dR/dyaw: 18 multiply-adds per block and image).
 */
public final class TornadoVmRenderKernels implements RenderKernels {
    private final TornadoVmBackend backend;
    private final KernelContext context = new KernelContext();
    private final TornadoVmBackend.OpPlan compositeForward;
    private final TornadoVmBackend.OpPlan compositeBackward;
    private final TornadoVmBackend.OpPlan compositeBg;
    private final TornadoVmBackend.OpPlan rotateForward;
    private final TornadoVmBackend.OpPlan rotateRows;
    private final TornadoVmBackend.OpPlan rotateBlocks;
    private final TornadoVmBackend.OpPlan maxForward;
    private final TornadoVmBackend.OpPlan maxBackward;
    private final TornadoVmBackend.OpPlan shuffleForward;
    private final TornadoVmBackend.OpPlan shuffleBackward;
    private final TornadoVmBackend.OpPlan repeatForward;
    private final TornadoVmBackend.OpPlan repeatBackward;
    private final TornadoVmBackend.OpPlan upsampleForward;
    private final TornadoVmBackend.OpPlan upsampleBackward;
    private final TornadoVmBackend.OpPlan blurForward;
    private final TornadoVmBackend.OpPlan blurBackward;
    /** Host scratch: the rotation matrices of a call's images, and dR/dpitch, dR/dyaw of one image. */
    private float[] rot = new float[9];
    private final float[] rotDPitch = new float[9];
    private final float[] rotDYaw = new float[9];

    /** The render kernels of a {@code tornadovm} backend (what {@link RenderKernels#forBackend} calls). */
    public TornadoVmRenderKernels(Backend backend) {
        if (!(backend instanceof TornadoVmBackend tb)) {
            throw new IllegalArgumentException("TornadoVmRenderKernels: backend '" + (backend == null ? null : backend.name())
                    + "' is not a " + TornadoVmBackend.class.getName());
        }
        this.backend = tb;
        KernelContext k = context;
        compositeForward = tb.plan("compositeForward", TornadoRenderOps.C_PARAMS, false, 10, new int[] {0, 1, 2, 3, 4},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::compositeForward, k, p,
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]));
        compositeBackward = tb.plan("compositeBackward", TornadoRenderOps.C_PARAMS, false, 12, new int[] {0, 1, 2},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::compositeBackward, k, p,
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]));
        compositeBg = tb.plan("compositeBgBackward", TornadoRenderOps.C_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::compositeBgBackward, k, p, b[0], b[1], b[2]));
        rotateForward = tb.plan("rotateForward", TornadoRenderOps.R_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::rotateForward, k, p, b[0], b[1], b[2]));
        rotateRows = tb.plan("rotateBackwardRows", TornadoRenderOps.R_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::rotateBackwardRows, k, p, b[0], b[1], b[2]));
        rotateBlocks = tb.plan("rotateBlockGradR", TornadoRenderOps.R_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::rotateBlockGradR, k, p, b[0], b[1], b[2]));
        maxForward = tb.plan("maxForward", TornadoRenderOps.M_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::maxForward, k, p, b[0], b[1], b[2]));
        maxBackward = tb.plan("maxBackward", TornadoRenderOps.M_PARAMS, false, 5, new int[] {0, 1},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::maxBackward, k, p, b[0], b[1], b[2], b[3], b[4]));
        shuffleForward = tb.plan("pixelShuffleForward", TornadoRenderOps.F_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::pixelShuffleForward, k, p, b[0], b[1]));
        shuffleBackward = tb.plan("pixelShuffleBackward", TornadoRenderOps.F_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::pixelShuffleBackward, k, p, b[0], b[1]));
        repeatForward = tb.plan("repeatAddForward", TornadoRenderOps.F_PARAMS, false, 3, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::repeatAddForward, k, p, b[0], b[1], b[2]));
        repeatBackward = tb.plan("repeatAddBackward", TornadoRenderOps.F_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::repeatAddBackward, k, p, b[0], b[1]));
        upsampleForward = tb.plan("upsampleForward", TornadoRenderOps.F_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::upsampleForward, k, p, b[0], b[1]));
        upsampleBackward = tb.plan("upsampleBackward", TornadoRenderOps.F_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::upsampleBackward, k, p, b[0], b[1]));
        blurForward = tb.plan("blurForward", TornadoRenderOps.F_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::blurForward, k, p, b[0], b[1]));
        blurBackward = tb.plan("blurBackward", TornadoRenderOps.F_PARAMS, false, 2, new int[] {0},
                (g, t, p, h, b) -> g.task(t, TornadoRenderOps::blurBackward, k, p, b[0], b[1]));
    }

    @Override
    public String name() {
        return "tornadovm";
    }

    /** The backend whose device, plans and counters these kernels use. */
    public TornadoVmBackend backend() {
        return backend;
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
        distinctOutputs("compositeForward", new String[] {"merged", "depth", "bgAlpha", "alpha", "trans"},
                merged, depth, bgAlpha, alpha, trans);
        if (rays == 0 || samples == 0) {
            return;
        }
        synchronized (backend) {
            int points = rays * samples;
            int featSpan = TornadoVmBackend.span(points, channels, ldf);
            TornadoVmBackend.OpPlan op = compositeForward.ensure(rays * channels, rays, rays, points, points, points,
                    featSpan, points, points, pixels * channels);
            op.params(rays, samples, channels, pixels, firstPixel, ldf, depth != null ? 1 : 0, 0, 0, 0);
            TornadoVmBackend.copyIn(sigma, sigmaOff, points, op.buf[5]);
            TornadoVmBackend.copyIn(feat, featOff, featSpan, op.buf[6]);
            TornadoVmBackend.copyIn(delta, sampleOff, points, op.buf[7]);
            TornadoVmBackend.copyIn(tvals, sampleOff, points, op.buf[8]);
            TornadoVmBackend.copyIn(bg, 0, pixels * channels, op.buf[9]);
            op.run(rays);
            TornadoVmBackend.copyOut(op.buf[0], merged, mergedOff, rays * channels);
            if (depth != null) {
                TornadoVmBackend.copyOut(op.buf[1], depth, rayOff, rays);
            }
            TornadoVmBackend.copyOut(op.buf[2], bgAlpha, rayOff, rays);
            TornadoVmBackend.copyOut(op.buf[3], alpha, cacheOff, points);
            TornadoVmBackend.copyOut(op.buf[4], trans, cacheOff, points);
        }
    }

    @Override
    public void compositeBackward(float[] dSigma, int dSigmaOff, float[] dFeat, int dFeatOff, int lddf,
                                  float[] dDelta, float[] dBg,
                                  float[] dMerged, int dMergedOff, float[] dDepth,
                                  float[] bgAlpha, int rayOff, float[] alpha, float[] trans, int cacheOff,
                                  float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                                  float[] delta, float[] tvals, int sampleOff, float[] bg,
                                  int rays, int samples, int channels, int pixels, int firstPixel) {
        String name = "compositeBackward";
        RenderChecks.composite(name, dMerged, dMergedOff, dDepth, bgAlpha, rayOff, alpha, trans, cacheOff,
                sigma, sigmaOff, feat, featOff, ldf, delta, tvals, sampleOff, bg, rays, samples, channels, pixels, firstPixel);
        int points = rays * samples;
        Checks.vector(name, "dSigma", dSigma, dSigmaOff, points);
        Checks.matrix(name, "dFeat", dFeat, dFeatOff, lddf, points, channels);
        if (dDelta != null) {
            Checks.vector(name, "dDelta", dDelta, dSigmaOff, points);
        }
        Checks.matrix(name, "dBg", dBg, 0, channels, pixels, channels);
        if (rays == 0) {
            return;
        }
        distinctOutputs(name, new String[] {"dSigma", "dFeat", "dDelta", "dBg"}, dSigma, dFeat, dDelta, dBg);
        synchronized (backend) {
            // Every input of both launches is copied before any output is copied back, so an output may
            // be the same array as an input.
            TornadoVmBackend.OpPlan op = null;
            if (samples > 0) {
                int featSpan = TornadoVmBackend.span(points, channels, ldf);
                int dFeatSpan = TornadoVmBackend.span(points, channels, lddf);
                op = compositeBackward.ensure(points, dFeatSpan, points, rays * channels, rays,
                        points, points, points, featSpan, points, points, pixels * channels);
                op.params(rays, samples, channels, pixels, firstPixel, ldf, 0, lddf, dDepth != null ? 1 : 0,
                        dDelta != null ? 1 : 0);
                TornadoVmBackend.copyIn(dMerged, dMergedOff, rays * channels, op.buf[3]);
                if (dDepth != null) {
                    TornadoVmBackend.copyIn(dDepth, rayOff, rays, op.buf[4]);
                }
                TornadoVmBackend.copyIn(alpha, cacheOff, points, op.buf[5]);
                TornadoVmBackend.copyIn(trans, cacheOff, points, op.buf[6]);
                TornadoVmBackend.copyIn(sigma, sigmaOff, points, op.buf[7]);
                TornadoVmBackend.copyIn(feat, featOff, featSpan, op.buf[8]);
                TornadoVmBackend.copyIn(delta, sampleOff, points, op.buf[9]);
                TornadoVmBackend.copyIn(tvals, sampleOff, points, op.buf[10]);
                TornadoVmBackend.copyIn(bg, 0, pixels * channels, op.buf[11]);
            }
            TornadoVmBackend.OpPlan bgOp = null;
            if (channels > 0) {
                bgOp = compositeBg.ensure(pixels * channels, rays * channels, rays);
                bgOp.params(rays, samples, channels, pixels, firstPixel, 0, 0, 0, 0, 0);
                TornadoVmBackend.copyIn(dBg, 0, pixels * channels, bgOp.buf[0]);
                TornadoVmBackend.copyIn(dMerged, dMergedOff, rays * channels, bgOp.buf[1]);
                TornadoVmBackend.copyIn(bgAlpha, rayOff, rays, bgOp.buf[2]);
            }
            if (op != null) {
                op.run(rays);
            }
            if (bgOp != null) {
                bgOp.run(pixels);
            }
            if (op != null) {
                TornadoVmBackend.copyOut(op.buf[0], dSigma, dSigmaOff, points);
                TornadoVmBackend.copyOutRows(op.buf[1], dFeat, dFeatOff, lddf, points, channels);
                if (dDelta != null) {
                    TornadoVmBackend.copyOut(op.buf[2], dDelta, dSigmaOff, points);
                }
            }
            if (bgOp != null) {
                TornadoVmBackend.copyOut(bgOp.buf[0], dBg, 0, pixels * channels);
            }
        }
    }

    /** Fails unless the outputs (nulls ignored) are pairwise distinct arrays (as the OpenCL kernels demand). */
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

    // ---------------------------------------------------------------- rotation and merge

    /** Writes the rotation matrix of every image into {@code rot} (host, as scalar computes it) and uploads it. */
    private void rotationMatrices(float[] angles, int images, FloatArray dst) {
        if (rot.length < 9 * images) {
            rot = new float[9 * images];
        }
        for (int n = 0; n < images; n++) {
            RenderMath.rotationMatrix(rot, 9 * n, angles[2 * n], angles[2 * n + 1]);
        }
        TornadoVmBackend.copyIn(rot, 0, 9 * images, dst);
    }

    @Override
    public void rotateForward(float[] out, float[] in, float[] angles, int images, int pixels, int channels) {
        RenderChecks.rotate("rotateForward", out, in, angles, images, pixels, channels);
        int len = images * pixels * channels;
        if (len == 0) {
            return;
        }
        synchronized (backend) {
            TornadoVmBackend.OpPlan op = rotateForward.ensure(len, len, 9 * images);
            op.params(images, pixels, channels, 0, 0);
            TornadoVmBackend.copyIn(in, 0, len, op.buf[1]);
            rotationMatrices(angles, images, op.buf[2]);
            op.run(images * pixels);
            TornadoVmBackend.copyOut(op.buf[0], out, 0, len);
        }
    }

    @Override
    public void rotateBackward(float[] dIn, float[] dAngles, float[] dOut, float[] in, float[] angles,
                               int images, int pixels, int channels, boolean accumulate) {
        RenderChecks.rotate("rotateBackward", dOut, in, angles, images, pixels, channels);
        Checks.matrix("rotateBackward", "dIn", dIn, 0, channels, images * pixels, channels);
        Checks.vector("rotateBackward", "dAngles", dAngles, 0, images * 2);
        distinctOutputs("rotateBackward", new String[] {"dIn", "dAngles"}, dIn, dAngles);
        int len = images * pixels * channels;
        if (len == 0) {
            return;
        }
        int blocks = (pixels + RenderMath.ROTATE_BLOCK - 1) / RenderMath.ROTATE_BLOCK;
        synchronized (backend) {
            TornadoVmBackend.OpPlan rows = rotateRows.ensure(len, len, 9 * images);
            rows.params(images, pixels, channels, accumulate ? 1 : 0, blocks);
            if (accumulate) {
                TornadoVmBackend.copyIn(dIn, 0, len, rows.buf[0]);
            }
            TornadoVmBackend.copyIn(dOut, 0, len, rows.buf[1]);
            rotationMatrices(angles, images, rows.buf[2]);
            TornadoVmBackend.OpPlan gr = rotateBlocks.ensure(9 * images * blocks, len, len);
            gr.params(images, pixels, channels, 0, blocks);
            TornadoVmBackend.copyIn(in, 0, len, gr.buf[1]);
            TornadoVmBackend.copyIn(dOut, 0, len, gr.buf[2]);
            rows.run(images * pixels);
            gr.run(images * blocks);
            TornadoVmBackend.copyOut(rows.buf[0], dIn, 0, len);
            FloatArray partial = gr.buf[0];
            // The same combination as ScalarRenderKernels.angleGradients, over the device's block partials.
            for (int n = 0; n < images; n++) {
                RenderMath.rotationMatrixDPitch(rotDPitch, 0, angles[2 * n], angles[2 * n + 1]);
                RenderMath.rotationMatrixDYaw(rotDYaw, 0, angles[2 * n], angles[2 * n + 1]);
                double gp = 0.0;
                double gy = 0.0;
                for (int q = 0; q < 9; q++) {
                    double dR = 0.0;
                    for (int b = 0; b < blocks; b++) {
                        dR += partial.get(9 * (n * blocks + b) + q);
                    }
                    gp += dR * rotDPitch[q];
                    gy += dR * rotDYaw[q];
                }
                dAngles[2 * n] += (float) gp;
                dAngles[2 * n + 1] += (float) gy;
            }
        }
    }

    @Override
    public void maxForward(float[] out, float[] a, float[] b, int n) {
        RenderChecks.elementwise("maxForward", n, new String[] {"out", "a", "b"}, out, a, b);
        if (n == 0) {
            return;
        }
        synchronized (backend) {
            TornadoVmBackend.OpPlan op = maxForward.ensure(n, n, n);
            op.params(n, 0);
            TornadoVmBackend.copyIn(a, 0, n, op.buf[1]);
            TornadoVmBackend.copyIn(b, 0, n, op.buf[2]);
            op.run(n);
            TornadoVmBackend.copyOut(op.buf[0], out, 0, n);
        }
    }

    @Override
    public void maxBackward(float[] dA, float[] dB, float[] dOut, float[] a, float[] b, int n, boolean accumulate) {
        RenderChecks.elementwise("maxBackward", n, new String[] {"dA", "dB", "dOut", "a", "b"}, dA, dB, dOut, a, b);
        distinctOutputs("maxBackward", new String[] {"dA", "dB"}, dA, dB);
        if (n == 0) {
            return;
        }
        synchronized (backend) {
            TornadoVmBackend.OpPlan op = maxBackward.ensure(n, n, n, n, n);
            op.params(n, accumulate ? 1 : 0);
            if (accumulate) {
                TornadoVmBackend.copyIn(dA, 0, n, op.buf[0]);
                TornadoVmBackend.copyIn(dB, 0, n, op.buf[1]);
            }
            TornadoVmBackend.copyIn(dOut, 0, n, op.buf[2]);
            TornadoVmBackend.copyIn(a, 0, n, op.buf[3]);
            TornadoVmBackend.copyIn(b, 0, n, op.buf[4]);
            op.run(n);
            TornadoVmBackend.copyOut(op.buf[0], dA, 0, n);
            TornadoVmBackend.copyOut(op.buf[1], dB, 0, n);
        }
    }

    // ---------------------------------------------------------------- neural renderer pieces

    /**
     * One launch of a map kernel: {@code in} (length inLen) uploaded to buffer 1, buffer 0 (length outLen)
     * uploaded too when accumulating, {@code items} work-items, buffer 0 copied back to {@code out}.
     */
    private void mapOp(TornadoVmBackend.OpPlan plan, float[] out, int outLen, float[] in, int inLen, int items,
                       int images, int height, int width, int channels, boolean accumulate) {
        if (items == 0 || channels == 0) {
            return;
        }
        synchronized (backend) {
            TornadoVmBackend.OpPlan op = plan.ensure(outLen, inLen);
            op.params(images, height, width, channels, accumulate ? 1 : 0, 0);
            if (accumulate) {
                TornadoVmBackend.copyIn(out, 0, outLen, op.buf[0]);
            }
            TornadoVmBackend.copyIn(in, 0, inLen, op.buf[1]);
            op.run(items);
            TornadoVmBackend.copyOut(op.buf[0], out, 0, outLen);
        }
    }

    @Override
    public void pixelShuffleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("pixelShuffleForward", "in", in, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleForward", "out", out, images, 2 * height, 2 * width, channels);
        int len = images * height * width * 4 * channels;
        mapOp(shuffleForward, out, len, in, len, images * 4 * height * width, images, height, width, channels, false);
    }

    @Override
    public void pixelShuffleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                     boolean accumulate) {
        RenderChecks.map("pixelShuffleBackward", "dIn", dIn, images, height, width, 4 * channels);
        RenderChecks.map("pixelShuffleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        int len = images * height * width * 4 * channels;
        mapOp(shuffleBackward, dIn, len, dOut, len, images * height * width, images, height, width, channels, accumulate);
    }

    /** The argument checks of {@code ScalarRenderKernels.repeatAddChecks}. */
    private static void repeatAddChecks(String op, float[] out, float[] y, float[] x, int xOff, int rows, int channels,
                                        int repeats) {
        Checks.size(op, "rows", rows);
        Checks.positive(op, "channels", channels);
        Checks.positive(op, "repeats", repeats);
        Checks.matrix(op, "out", out, 0, channels * repeats, rows, channels * repeats);
        if (y != null) {
            Checks.matrix(op, "y", y, 0, channels * repeats, rows, channels * repeats);
        }
        Checks.matrix(op, "x", x, xOff, channels, rows, channels);
    }

    @Override
    public void repeatAddForward(float[] out, float[] y, float[] x, int xOff, int rows, int channels, int repeats) {
        repeatAddChecks("repeatAddForward", out, y, x, xOff, rows, channels, repeats);
        if (rows == 0) {
            return;
        }
        int len = rows * channels * repeats;
        synchronized (backend) {
            TornadoVmBackend.OpPlan op = repeatForward.ensure(len, len, rows * channels);
            op.params(rows, 0, 0, channels, 0, repeats);
            TornadoVmBackend.copyIn(y, 0, len, op.buf[1]);
            TornadoVmBackend.copyIn(x, xOff, rows * channels, op.buf[2]);
            op.run(rows);
            TornadoVmBackend.copyOut(op.buf[0], out, 0, len);
        }
    }

    @Override
    public void repeatAddBackward(float[] dX, int dxOff, float[] dOut, int rows, int channels, int repeats,
                                  boolean accumulate) {
        repeatAddChecks("repeatAddBackward", dOut, null, dX, dxOff, rows, channels, repeats);
        if (rows == 0) {
            return;
        }
        int len = rows * channels * repeats;
        synchronized (backend) {
            TornadoVmBackend.OpPlan op = repeatBackward.ensure(rows * channels, len);
            op.params(rows, 0, 0, channels, accumulate ? 1 : 0, repeats);
            if (accumulate) {
                TornadoVmBackend.copyIn(dX, dxOff, rows * channels, op.buf[0]);
            }
            TornadoVmBackend.copyIn(dOut, 0, len, op.buf[1]);
            op.run(rows);
            TornadoVmBackend.copyOut(op.buf[0], dX, dxOff, rows * channels);
        }
    }

    @Override
    public void upsampleForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("upsampleForward", "in", in, images, height, width, channels);
        RenderChecks.map("upsampleForward", "out", out, images, 2 * height, 2 * width, channels);
        int len = images * height * width * channels;
        mapOp(upsampleForward, out, 4 * len, in, len, images * 4 * height * width, images, height, width, channels, false);
    }

    @Override
    public void upsampleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                                 boolean accumulate) {
        RenderChecks.map("upsampleBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("upsampleBackward", "dOut", dOut, images, 2 * height, 2 * width, channels);
        int len = images * height * width * channels;
        mapOp(upsampleBackward, dIn, len, dOut, 4 * len, images * height * width, images, height, width, channels,
                accumulate);
    }

    @Override
    public void blurForward(float[] out, float[] in, int images, int height, int width, int channels) {
        RenderChecks.map("blurForward", "in", in, images, height, width, channels);
        RenderChecks.map("blurForward", "out", out, images, height, width, channels);
        RenderChecks.blurSize("blurForward", height, width);
        int len = images * height * width * channels;
        mapOp(blurForward, out, len, in, len, images * height * width, images, height, width, channels, false);
    }

    @Override
    public void blurBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                             boolean accumulate) {
        RenderChecks.map("blurBackward", "dIn", dIn, images, height, width, channels);
        RenderChecks.map("blurBackward", "dOut", dOut, images, height, width, channels);
        RenderChecks.blurSize("blurBackward", height, width);
        int len = images * height * width * channels;
        mapOp(blurBackward, dIn, len, dOut, len, images * height * width, images, height, width, channels, accumulate);
    }

    /** Nothing of its own: the plans belong to the backend and are released when it closes. */
    @Override
    public void close() {
    }
}
