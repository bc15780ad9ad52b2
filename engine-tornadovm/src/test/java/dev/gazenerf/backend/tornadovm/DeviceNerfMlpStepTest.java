package dev.gazenerf.backend.tornadovm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;

/**
 * {@link DeviceNerfMlpStep}, the NeRF MLP's training step as one task graph, against the same step on the scalar
 * backend: {@link NerfMlp#forwardPlain}, the same mean squared error on {@code [sigma, features]} computed on
 * the host in the kernels' order, {@link NerfMlp#backwardPlain}, then {@link Backend#adam} over every parameter.
 * Each step's loss, the last step's gradients and the final parameters; the bytes of every step after the
 * first (only the batch up, only the loss down); the loss falls. On the paper's shape (8 layers of 384, skip
 * after layer 4, 258 features) and on a narrow one of the same depth with both gemm kernels.
 *
 * <p>Bounds measured on TornadoVM 5.2.0-jdk25, PoCL 3.1 CPU device: see the constants.
 */
class DeviceNerfMlpStepTest {
    /** Losses, relative: worst seen 1.5e-8 absolute on losses near 0.1 (paper shape, step 2). */
    static final double LOSS_RTOL = 1e-5;
    /**
     * Gradients and parameters, |err| <= ATOL + RTOL |ref|: worst seen, gradients 1.7e-9, parameters 1.6e-6
     * (paper shape after 2 steps; Adam's normalised step turns last-bit gradient differences of near-zero
     * gradients into larger parameter differences), narrow shape 4.5e-8.
     */
    static final double ATOL = 1e-5, RTOL = 1e-4;
    static final float LR = 1e-3f, BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;

    @BeforeEach
    void runtime() {
        TornadoVmTests.requireRuntime();
    }

    @Test
    void narrowEightLayerStepMatchesScalar() {
        NerfMlpConfig narrow = new NerfMlpConfig(9, 3, 2, 2, 4, 16, 8, 4, 5);
        stepMatchesScalar(narrow, 2, 24, 6, false);
        stepMatchesScalar(narrow, 2, 24, 3, true);
    }

    @Test
    void paperShapeStepMatchesScalar() {
        stepMatchesScalar(NerfMlpConfig.paper(), 1, 64, 2, null);
    }

    /** The scalar reference: plain forward, host MSE, plain backward, Adam. Returns the loss before the update. */
    static float referenceStep(NerfMlp mlp, NerfMlp.Workspace ws, Backend be, float[] params, float[] grads,
                                       float[] m, float[] v, int step, float[] pe, float[] shape, float[] app,
                                       float[] target, int images, int points) {
        NerfMlpConfig c = mlp.config();
        int n = images * points;
        int f = c.featureChannels();
        int ow = 1 + f;
        float[] sigma = new float[n];
        float[] feat = new float[n * f];
        mlp.forwardPlain(be, ws, sigma, 0, feat, 0, f, pe, 0, c.encodedWidth(), shape, 0, app, 0, params, images, points);
        int count = n * ow;
        float sum = 0f;
        float[] dSigma = new float[n];
        float[] dFeat = new float[n * f];
        for (int e = 0; e < count; e++) {
            int r = e / ow;
            int col = e - r * ow;
            float y = col == 0 ? sigma[r] : feat[r * f + col - 1];
            float diff = y - target[e];
            sum += diff * diff;
            float d = 2f * (y - target[e]) / count;
            if (col == 0) {
                dSigma[r] = d;
            } else {
                dFeat[r * f + col - 1] = d;
            }
        }
        java.util.Arrays.fill(grads, 0f);
        mlp.backwardPlain(be, ws, grads, null, 0, 0, null, 0, null, 0, dSigma, 0, dFeat, 0, f,
                pe, 0, c.encodedWidth(), shape, 0, app, 0, params, images, points);
        be.adam(params, grads, m, v, 0, params.length, LR, BETA1, BETA2, EPS, step);
        return sum / count;
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (r.nextFloat() * 2f - 1f) * scale;
        }
        return a;
    }

    private static void stepMatchesScalar(NerfMlpConfig cfg, int images, int points, int steps, Boolean tiled) {
        NerfMlp mlp = new NerfMlp(cfg);
        int size = mlp.parameterCount();
        float[] params = new float[size];
        mlp.initialize(params, 11);
        float[] grads = new float[size];
        float[] m = new float[size];
        float[] v = new float[size];
        int n = images * points;
        Backend scalar = new ScalarBackend();
        NerfMlp.Workspace ws = mlp.newWorkspace(images, n);
        Random r = new Random(3);
        String what = "NerfMlp " + cfg.width() + "x" + cfg.layers() + (tiled == null ? "" : tiled ? " tiled" : " simple");
        try (DeviceNerfMlpStep device = new DeviceNerfMlpStep(mlp, images, points, params.clone(), LR, BETA1, BETA2, EPS,
                true, tiled)) {
            System.out.println("# " + what + " on " + device.device() + ", " + device.taskCount() + " tasks in one graph");
            float first = Float.NaN;
            float last = Float.NaN;
            long firstBytesIn = 0;
            float[] pe = random(r, n * cfg.encodedWidth(), 1f);
            float[] shape = random(r, images * cfg.shapeCodeWidth(), 1f);
            float[] app = random(r, images * cfg.appearanceWidth(), 1f);
            float[] target = random(r, n * (1 + cfg.featureChannels()), 0.5f);
            for (int s = 1; s <= steps; s++) {
                float want = referenceStep(mlp, ws, scalar, params, grads, m, v, s, pe, shape, app, target, images, points);
                float got = device.step(pe, shape, app, target);
                TornadoVmTests.assertClose(what + " loss of step " + s, new float[] {want}, new float[] {got}, 0, LOSS_RTOL);
                if (s == 1) {
                    firstBytesIn = device.lastStepBytesIn();
                } else {
                    // The batch, plus TornadoVM's own per-launch upload of each task's arguments (25 bytes per task
                    // measured on PoCL), never a parameter, gradient, moment or activation buffer.
                    long perStep = 4L * device.batchFloats();
                    assertTrue(device.lastStepBytesIn() >= perStep && device.lastStepBytesIn() <= perStep + 32L * device.taskCount(),
                            what + " step " + s + " uploaded " + device.lastStepBytesIn() + " bytes, the batch is " + perStep);
                    System.out.printf("# %s step %d: %d bytes up (batch %d, %d tasks), %d bytes down; first step %d bytes up%n",
                            what, s, device.lastStepBytesIn(), perStep, device.taskCount(), device.lastStepBytesOut(), firstBytesIn);
                    assertTrue(firstBytesIn - device.lastStepBytesIn() >= 4L * 4 * size,
                            what + ": the first step uploaded " + firstBytesIn + " bytes, less than parameters, gradients and moments");
                    assertTrue(device.lastStepBytesOut() <= 64, what + " step " + s + " downloaded " + device.lastStepBytesOut() + " bytes");
                }
                first = s == 1 ? got : first;
                last = got;
            }
            float[] got = new float[size];
            device.readGradients(got);
            TornadoVmTests.assertClose(what + " gradients of step " + steps, grads, got, ATOL, RTOL);
            device.readParams(got);
            TornadoVmTests.assertClose(what + " parameters after " + steps + " steps", params, got, ATOL, RTOL);
            assertEquals(steps, device.steps());
            assertTrue(last < first, what + ": the loss did not fall (" + first + " -> " + last + ")");
            assertTrue(device.deviceKernelNanos() > 0, "TornadoVM's profiler recorded no device kernel time");
        }
    }
}
