package dev.gazenerf.backend.opencl.step;

import java.util.Random;

import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.backend.TestBackends;
import dev.gazenerf.render.RenderMath;
import dev.gazenerf.render.ScalarRenderKernels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The step kernel's feature-map ops of DeviceModelStep against the scalar render kernels (the specification):
 * pixel shuffle, blur, bilinear upsampling and the channel-repeat residual, forward and backward; the eye
 * rotation and its input gradient; the max merge and its gradient (ties included); the transpose; compositing's
 * background gradient. Each reads and writes regions of one heap at offsets, and the launches run on the OpenCL
 * device (grid-stride loops: more elements than work-items). The element orders are the scalar ones, so the
 * results agree to rounding (FMA contraction by the OpenCL compiler): tolerance 1e-6 relative to the largest value.
 */
class DeviceModelOpsTest {
    private static final int B = 2;
    private static final int H = 5;
    private static final int W = 4;
    private static final int C = 6;

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * r.nextDouble() - 1);
        }
        return a;
    }

    private static void near(String what, float[] want, float[] heap, int off) {
        double scale = 1e-30;
        for (float v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - heap[off + i]);
            assertTrue(d <= 1e-6 * scale, what + "[" + i + "]: device " + heap[off + i] + ", scalar " + want[i]);
        }
    }

    @Test
    void mapOpsMatchTheScalarKernels() {
        Random r = new Random(3);
        int px = B * H * W;
        int big = px * 4 * C * 4;
        ScalarRenderKernels sk = new ScalarRenderKernels();
        try (OpenClBackend be = (OpenClBackend) TestBackends.create("opencl");
             DeviceArena ar = new DeviceArena(be, 4 * big, 1, 1, 1)) {
            float[] heap = ar.heap();
            int in = 0;
            int in2 = big;
            int out = 2 * big;
            int out2 = 3 * big;
            float[] x = random(r, big);
            float[] y = random(r, big);
            System.arraycopy(x, 0, heap, in, big);
            System.arraycopy(y, 0, heap, in2, big);
            ar.putHeap();

            // shuffle: (B, H, W, 4C) -> (B, 2H, 2W, C), and back
            float[] want = new float[px * 4 * C];
            sk.pixelShuffleForward(want, x, B, H, W, C);
            run(ar, ar.mapOp(StepKernel.SHUFFLE, out, in, B, H, W, C, false));
            near("pixelShuffle", want, heap, out);
            sk.pixelShuffleBackward(want, x, B, H, W, C, false);
            run(ar, ar.mapOp(StepKernel.SHUFFLE_BACKWARD, out, in, B, H, W, C, false));
            near("pixelShuffleBackward", want, heap, out);
            // blur (B, H, W, C) both ways, the backward accumulating onto y
            want = new float[px * C];
            sk.blurForward(want, x, B, H, W, C);
            run(ar, ar.mapOp(StepKernel.BLUR, out, in, B, H, W, C, false));
            near("blur", want, heap, out);
            float[] acc = java.util.Arrays.copyOf(y, px * C);
            sk.blurBackward(acc, x, B, H, W, C, true);
            System.arraycopy(y, 0, heap, out2, px * C);
            ar.putHeap();
            run(ar, ar.mapOp(StepKernel.BLUR_BACKWARD, out2, in, B, H, W, C, true));
            near("blurBackward (accumulating)", acc, heap, out2);
            // upsampling (B, H, W, C) -> (B, 2H, 2W, C), and back
            want = new float[4 * px * C];
            sk.upsampleForward(want, x, B, H, W, C);
            run(ar, ar.mapOp(StepKernel.UPSAMPLE, out, in, B, H, W, C, false));
            near("upsample", want, heap, out);
            want = new float[px * C];
            sk.upsampleBackward(want, x, B, H, W, C, false);
            run(ar, ar.mapOp(StepKernel.UPSAMPLE_BACKWARD, out, in, B, H, W, C, false));
            near("upsampleBackward", want, heap, out);
            // residual: out (px, 4C) = y + repeat(x (px, C))
            want = new float[px * 4 * C];
            sk.repeatAddForward(want, y, x, 0, px, C, 4);
            run(ar, ar.repeatAdd(out, in2, in, px, C, 4));
            near("repeatAdd", want, heap, out);
            want = new float[px * C];
            sk.repeatAddBackward(want, 0, x, px, C, 4, false);
            run(ar, ar.repeatAddBackward(out, in, px, C, 4, false));
            near("repeatAddBackward", want, heap, out);
            // rotation by per-image gaze angles (pixels per image H W)
            float[] angles = {0.3f, -0.2f, -0.5f, 0.4f};
            float[] rot = new float[9 * B];
            for (int n = 0; n < B; n++) {
                RenderMath.rotationMatrix(rot, 9 * n, angles[2 * n], angles[2 * n + 1]);
            }
            int rOff = 4 * big - 9 * B;
            System.arraycopy(rot, 0, heap, rOff, 9 * B);
            ar.putHeap();
            want = new float[px * C];
            sk.rotateForward(want, x, angles, B, H * W, C);
            run(ar, ar.rotate(out, in, rOff, px, C, H * W, false, false));
            near("rotateForward", want, heap, out);
            float[] dAngles = new float[2 * B];
            sk.rotateBackward(want, dAngles, y, x, angles, B, H * W, C, false);
            run(ar, ar.rotate(out, in2, rOff, px, C, H * W, true, false));
            near("rotateBackward", want, heap, out);
            // max and its gradient, with ties
            int n = px * C;
            for (int i = 0; i < n; i += 7) {
                heap[in2 + i] = heap[in + i];
                y[i] = x[i];
            }
            ar.putHeap();
            want = new float[n];
            sk.maxForward(want, x, y, n);
            run(ar, ar.maxForward(out, in, in2, n));
            near("maxForward", want, heap, out);
            float[] g = random(r, n);
            float[] da = new float[n];
            float[] db = new float[n];
            sk.maxBackward(da, db, g, x, y, n, false);
            System.arraycopy(g, 0, heap, out2, n);
            ar.putHeap();
            run(ar, ar.maxBackward(out, out + n, out2, in, in2, n, false));
            near("maxBackward dA", da, heap, out);
            near("maxBackward dB", db, heap, out + n);
            // transpose (C, px) -> (px, C)
            want = new float[px * C];
            for (int p = 0; p < px; p++) {
                for (int c = 0; c < C; c++) {
                    want[p * C + c] = x[c * px + p];
                }
            }
            run(ar, ar.transpose(out, C, in, px, px, C, false));
            near("transpose", want, heap, out);
        }
    }

    private static void run(DeviceArena ar, Launch l) {
        ar.run(l, 1);
        ar.getHeap();
    }
}
