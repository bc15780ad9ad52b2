package dev.gazenerf.backend.tornadovm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.kernel.Activation;
import dev.gazenerf.tensor.ParamLayout;

/**
 * The device-resident training step ({@link DeviceMlpStep}: one task graph, parameters and activations kept
 * on the device) against the same chain of {@link Backend} calls on the scalar specification, step by step:
 * the loss of every step, and after the last step the gradients and the parameters; and, from TornadoVM's
 * profiler, that after the first step only the batch goes up and only the loss comes down.
 *
 * <p>Tolerance measured on TornadoVM 5.2.0-jdk25 / PoCL 3.1 CPU device, 8 steps of a (batch 24, in 11,
 * hidden 19, out 5) MLP with ReLU and with sigmoid: worst absolute error seen 6.0e-8 (losses and parameters;
 * gradients 3.0e-8); {@link #ATOL} is twice that.
 */
class DeviceMlpStepTest {
    static final double ATOL = 1.2e-7, RTOL = 0;
    static final int BATCH = 24, IN = 11, HIDDEN = 19, OUT = 5, STEPS = 8;
    static final float LR = 1e-2f, BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f;

    @BeforeEach
    void runtime() {
        TornadoVmTests.requireRuntime();
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (r.nextFloat() * 2f - 1f) * scale;
        }
        return a;
    }

    @Test
    void deviceStepMatchesScalarChainStepByStep() {
        deviceStepMatchesScalarChain(Activation.RELU, false);
        deviceStepMatchesScalarChain(Activation.SIGMOID, false);
    }

    @Test
    void deviceStepWithTheTiledGemmMatchesScalarChain() {
        deviceStepMatchesScalarChain(Activation.RELU, true);
    }

    private static void deviceStepMatchesScalarChain(Activation act, boolean tiled) {
        {
            ParamLayout layout = DeviceMlpStep.layout(IN, HIDDEN, OUT);
            int n = layout.size();
            Random r = new Random(7);
            float[] init = random(r, n, 0.4f);
            MlpChainReference reference = new MlpChainReference(BATCH, IN, HIDDEN, OUT, act, init, LR, BETA1, BETA2, EPS);
            Backend scalar = new ScalarBackend();
            try (DeviceMlpStep device = new DeviceMlpStep(BATCH, IN, HIDDEN, OUT, act, init, LR, BETA1, BETA2, EPS, true, tiled)) {
                float firstLoss = Float.NaN;
                float lastLoss = Float.NaN;
                long firstBytesIn = 0;
                for (int s = 1; s <= STEPS; s++) {
                    float[] x = random(r, BATCH * IN, 1f);
                    float[] t = random(r, BATCH * OUT, 0.5f);
                    float want = reference.step(scalar, x, t);
                    float got = device.step(x, t);
                    TornadoVmTests.assertClose(act + (tiled ? " tiled" : "") + " loss of step " + s, new float[] {want}, new float[] {got}, ATOL, RTOL);
                    if (s == 1) {
                        firstBytesIn = device.lastStepBytesIn();
                    } else {
                        // Only the batch, the target and Adam's numbers go up; parameters and moments stay on the device.
                        long perStep = 4L * (BATCH * IN + BATCH * OUT + 5);
                        assertTrue(device.lastStepBytesIn() >= perStep && device.lastStepBytesIn() < perStep + 4L * n,
                                "step " + s + " uploaded " + device.lastStepBytesIn() + " bytes, the batch is " + perStep);
                        assertTrue(firstBytesIn - device.lastStepBytesIn() >= 3L * 4 * n,
                                "the first step uploaded " + firstBytesIn + " bytes, less than parameters and moments");
                        assertTrue(device.lastStepBytesOut() < 4L * n, "step " + s + " downloaded " + device.lastStepBytesOut() + " bytes");
                    }
                    firstLoss = s == 1 ? got : firstLoss;
                    lastLoss = got;
                }
                float[] gotGrads = new float[n];
                device.readGradients(gotGrads);
                TornadoVmTests.assertClose(act + (tiled ? " tiled" : "") + " gradients of step " + STEPS, reference.grads, gotGrads, ATOL, RTOL);
                float[] gotParams = new float[n];
                device.readParams(gotParams);
                TornadoVmTests.assertClose(act + (tiled ? " tiled" : "") + " parameters after " + STEPS + " steps", reference.params, gotParams, ATOL, RTOL);
                assertEquals(STEPS, device.steps());
                assertTrue(lastLoss < firstLoss, act + ": the loss did not fall (" + firstLoss + " -> " + lastLoss + ")");
                assertTrue(device.deviceKernelNanos() > 0, "TornadoVM's profiler recorded no device kernel time");
            }
        }
    }

    @Test
    void badSizesAndReadsBeforeAStepAreErrors() {
        ParamLayout layout = DeviceMlpStep.layout(IN, HIDDEN, OUT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DeviceMlpStep(BATCH, IN, HIDDEN, OUT, Activation.RELU, new float[layout.size() - 1],
                        LR, BETA1, BETA2, EPS, false));
        assertTrue(e.getMessage().contains("DeviceMlpStep") && e.getMessage().contains("initialParams"), e.getMessage());
        try (DeviceMlpStep device = new DeviceMlpStep(BATCH, IN, HIDDEN, OUT, Activation.RELU, new float[layout.size()],
                LR, BETA1, BETA2, EPS, false)) {
            assertThrows(IllegalStateException.class, () -> device.readParams(new float[layout.size()]));
            e = assertThrows(IllegalArgumentException.class, () -> device.step(new float[3], new float[BATCH * OUT]));
            assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        }
    }
}
