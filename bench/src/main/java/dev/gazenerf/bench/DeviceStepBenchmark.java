package dev.gazenerf.bench;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.backend.opencl.step.DeviceMlpStep;
import dev.gazenerf.backend.opencl.step.DeviceStreamStep;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.nn.Adam;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;
import dev.gazenerf.render.RenderKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Training steps per second, {@code unit = mlp}: one NeRF MLP of a preset ({@code small} or {@code paper}; the face stream's MLP),
 * over one ray chunk of one image ({@code rayChunk x samples} points: 512 x 32 for small, 256 x 64 for paper,
 * both 16,384 points): forward, a mean-squared-error loss on sigma and the features, backward to the parameters
 * and both codes, and Adam over every parameter.
 * <ul>
 *   <li>{@code vector}: the host path, {@link NerfMlp} forward/backward and {@link Adam} on the {@code vector}
 *       backend, the loss on the host;</li>
 *   <li>{@code opencl}: {@link DeviceMlpStep} on the OpenCL device ({@code -Dgazenerf.device=N}, else the first
 *       GPU, else the first device): the inputs go up once per step, every launch reads what the previous one
 *       left on the device, and only the loss and the code gradients come back. Fails without a device.</li>
 * </ul>
 * {@code unit = stream}: the same chunk as one GazeNeRF stream step, {@link DeviceStreamStep} on the device
 * against the host path (frequency encoding, the MLP, compositing of the chunk's {@code rayChunk} rays with the
 * vector backend's render kernels, a mean-squared-error loss on the feature map, compositing / MLP / encoding
 * backward, Adam).
 * The device's name is printed at setup. Setup also runs one step of both paths from the same parameters and
 * throws when their losses differ by more than 1e-4 (relative), before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class DeviceStepBenchmark {
    private static final float LR = 1e-4f;

    @Param({"small", "paper"})
    public String preset;

    @Param({"vector", "opencl"})
    public String impl;

    @Param({"mlp", "stream"})
    public String unit;

    private NerfMlp mlp;
    private int points;
    private float[] params;
    private float[] grads;
    private float[][] x;
    private float[] sigma;
    private float[] feat;
    private float[] dSigma;
    private float[] dFeat;
    private float[] dShape;
    private float[] dApp;
    private NerfMlp.Workspace ws;
    private Adam adam;
    private Backend vector;
    private OpenClBackend openCl;
    private DeviceMlpStep plan;
    private DeviceStreamStep streamPlan;
    private RenderKernels rk;
    private int rays;
    private int samples;
    private int frequencies;
    private float[][] sx;
    private float[] pe;
    private float[] map;
    private float[] bgAlpha;
    private float[] alpha;
    private float[] trans;
    private float[] dMap;
    private float[] dBg;
    private float[] dPe;
    private float[] dXyz;
    private float[] dDelta;

    private static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    @Setup(Level.Trial)
    public void setup() {
        Preset p = Preset.load(preset);
        mlp = new GazeNerfModel(p).faceMlp();
        NerfMlpConfig c = mlp.config();
        points = p.rayChunk() * p.samples();
        SplittableRandom r = new SplittableRandom(1);
        x = new float[][] {
                uniform(r, points * c.encodedWidth(), -1, 1),
                uniform(r, c.shapeCodeWidth(), -0.5, 0.5),
                uniform(r, c.appearanceWidth(), -0.5, 0.5),
                uniform(r, points, 0, 1),
                uniform(r, points * c.featureChannels(), -1, 1)};
        float[] init = new float[mlp.parameterCount()];
        mlp.initialize(init, 1);
        params = init.clone();
        grads = new float[init.length];
        sigma = new float[points];
        feat = new float[points * c.featureChannels()];
        dSigma = new float[points];
        dFeat = new float[feat.length];
        dShape = new float[c.shapeCodeWidth()];
        dApp = new float[c.appearanceWidth()];
        ws = mlp.newWorkspace(1, points);
        vector = Backends.create("vector");
        adam = new Adam();
        adam.addGroup("net", params, grads, LR, 0, init.length);
        rays = p.rayChunk();
        samples = p.samples();
        frequencies = p.frequencies();
        boolean stream = unit.equals("stream");
        if (!stream && !unit.equals("mlp")) {
            throw new IllegalArgumentException("DeviceStepBenchmark: unit must be mlp or stream, got " + unit);
        }
        if (stream) {
            setupStream(c);
        }
        float hostLoss = stream ? hostStreamStep() : hostStep();
        if (impl.equals("opencl") && stream) {
            openCl = new OpenClBackend();
            System.out.println("\nDeviceStepBenchmark: " + openCl.device());
            streamPlan = new DeviceStreamStep(openCl, mlp, frequencies, 1, rays, samples, LR, 0.9f, 0.999f, 1e-8f);
            streamPlan.setParameters(init);
            float devLoss = streamPlan.step(sx[0], sx[1], sx[2], sx[3], x[1], x[2], sx[4]);
            if (!(Math.abs(devLoss - hostLoss) <= 1e-4 * hostLoss)) {
                throw new IllegalStateException("DeviceStepBenchmark: device loss " + devLoss + " != host loss " + hostLoss);
            }
        } else if (impl.equals("opencl")) {
            openCl = new OpenClBackend();
            System.out.println("\nDeviceStepBenchmark: " + openCl.device());
            plan = new DeviceMlpStep(openCl, mlp, 1, points, LR, 0.9f, 0.999f, 1e-8f);
            plan.setParameters(init);
            float devLoss = plan.step(x[0], x[1], x[2], x[3], x[4]);
            if (!(Math.abs(devLoss - hostLoss) <= 1e-4 * hostLoss)) {
                throw new IllegalStateException("DeviceStepBenchmark: device loss " + devLoss + " != host loss " + hostLoss);
            }
        } else if (!impl.equals("vector")) {
            throw new IllegalArgumentException("DeviceStepBenchmark: impl must be vector or opencl, got " + impl);
        } else {
            System.out.println("\nDeviceStepBenchmark: " + vector.device());
        }
    }

    private void setupStream(NerfMlpConfig c) {
        int ch = c.featureChannels();
        SplittableRandom r = new SplittableRandom(2);
        float[] tvals = new float[points];
        for (int i = 0; i < rays; i++) {
            for (int k = 0; k < samples; k++) {
                tvals[i * samples + k] = 2.5f - 6f * k / samples;
            }
        }
        sx = new float[][] {
                uniform(r, rays * ch, -1, 1),          // bg (P, C)
                uniform(r, 3 * points, -1, 1),         // xyz
                uniform(r, points, 0.5 / samples, 1.5 / samples), // delta
                tvals,
                uniform(r, rays * ch, -1, 1)};         // target map
        rk = RenderKernels.forBackend(vector);
        pe = new float[points * c.encodedWidth()];
        map = new float[rays * ch];
        bgAlpha = new float[rays];
        alpha = new float[points];
        trans = new float[points];
        dMap = new float[rays * ch];
        dBg = new float[rays * ch];
        dPe = new float[pe.length];
        dXyz = new float[3 * points];
        dDelta = new float[points];
    }

    private float hostStreamStep() {
        NerfMlpConfig c = mlp.config();
        int ch = c.featureChannels();
        int e = c.encodedWidth();
        vector.frequencyEncode(pe, 0, e, sx[1], 0, points, frequencies);
        mlp.forward(vector, ws, sigma, 0, feat, 0, ch, pe, 0, e, x[1], 0, x[2], 0, params, 1, points);
        rk.compositeForward(map, 0, null, bgAlpha, 0, alpha, trans, 0, sigma, 0, feat, 0, ch, sx[2], sx[3], 0, sx[0],
                rays, samples, ch, rays, 0);
        double loss = 0;
        float scale = 2f / (rays * ch);
        for (int i = 0; i < map.length; i++) {
            float d = map[i] - sx[4][i];
            dMap[i] = scale * d;
            loss += (double) d * d / map.length;
        }
        rk.compositeBackward(dSigma, 0, dFeat, 0, ch, dDelta, dBg, dMap, 0, null, bgAlpha, 0, alpha, trans, 0,
                sigma, 0, feat, 0, ch, sx[2], sx[3], 0, sx[0], rays, samples, ch, rays, 0);
        Arrays.fill(grads, 0f);
        Arrays.fill(dShape, 0f);
        Arrays.fill(dApp, 0f);
        Arrays.fill(dPe, 0f);
        mlp.backward(vector, ws, grads, dPe, 0, e, dShape, 0, dApp, 0, dSigma, 0, dFeat, 0, ch, pe, 0, e,
                x[1], 0, x[2], 0, params, 1, points);
        vector.frequencyEncodeBackward(dXyz, 0, dPe, 0, e, sx[1], 0, points, frequencies, false);
        adam.step(vector);
        return (float) loss;
    }

    private float hostStep() {
        NerfMlpConfig c = mlp.config();
        int f = c.featureChannels();
        mlp.forward(vector, ws, sigma, 0, feat, 0, f, x[0], 0, c.encodedWidth(), x[1], 0, x[2], 0, params, 1, points);
        double loss = 0;
        float sf = 2f / ((float) points * f);
        for (int i = 0; i < feat.length; i++) {
            float d = feat[i] - x[4][i];
            dFeat[i] = sf * d;
            loss += (double) d * d / ((double) points * f);
        }
        float ss = 2f / points;
        for (int i = 0; i < points; i++) {
            float d = sigma[i] - x[3][i];
            dSigma[i] = ss * d;
            loss += (double) d * d / points;
        }
        Arrays.fill(grads, 0f);
        Arrays.fill(dShape, 0f);
        Arrays.fill(dApp, 0f);
        mlp.backward(vector, ws, grads, null, 0, 0, dShape, 0, dApp, 0, dSigma, 0, dFeat, 0, f,
                x[0], 0, c.encodedWidth(), x[1], 0, x[2], 0, params, 1, points);
        adam.step(vector);
        return (float) loss;
    }

    /** One training step; the loss is returned so that nothing is optimized away. */
    @Benchmark
    public float step() {
        if (streamPlan != null) {
            return streamPlan.step(sx[0], sx[1], sx[2], sx[3], x[1], x[2], sx[4]);
        }
        if (sx != null) {
            return hostStreamStep();
        }
        if (plan != null) {
            return plan.step(x[0], x[1], x[2], x[3], x[4]);
        }
        return hostStep();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (plan != null) {
            plan.close();
        }
        if (streamPlan != null) {
            streamPlan.close();
        }
        if (rk != null) {
            rk.close();
        }
        if (openCl != null) {
            openCl.close();
        }
        vector.close();
    }
}
