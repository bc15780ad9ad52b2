package dev.gazenerf.backend.tornadovm;

import dev.gazenerf.backend.Checks;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What the device-resident training steps ({@link DeviceMlpStep}, {@link DeviceNerfMlpStep}) share: the device and
 * gemm kernel they run on, Adam's settings, the one {@link TornadoExecutionPlan} of their graph, running a step
 * (Adam's step-dependent numbers set, the plan executed, the loss read back), downloading parameters and gradients
 * on demand, the profiler's counts, and releasing the plan. A subclass builds its {@link TaskGraph} in its
 * constructor, after {@code TornadoVmRuntime.requireDeviceOnly()} and {@code super(...)}, and hands it over with
 * {@link #attach}; the graph must transfer {@code loss} to the host every execution and {@code params} and
 * {@code grads} under demand.
 */
abstract class ResidentStep implements AutoCloseable {
    private final String owner;
    /** The device the graph runs on. */
    final TornadoDevice device;
    /** Whether gemm tasks use {@link TornadoKernels#gemmTiled} (else {@link TornadoKernels#gemm}). */
    final boolean tiled;
    private final float lr;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final boolean profile;

    private TornadoExecutionPlan plan;
    private FloatArray params;
    private FloatArray grads;
    private FloatArray hyper;
    private FloatArray loss;
    private TornadoExecutionResult lastResult;
    private int step;
    private long kernelNanos;
    private long lastBytesIn;
    private long lastBytesOut;

    /**
     * {@code owner} names the class in messages; {@code tiledGemm} null for the device's default gemm kernel
     * ({@link TornadoVmRuntime#tiledGemmByDefault}); {@code profile} records kernel time and bytes per step.
     */
    ResidentStep(String owner, Boolean tiledGemm, float lr, float beta1, float beta2, float eps, boolean profile) {
        this.owner = owner;
        this.device = TornadoVmRuntime.selectDevice();
        this.tiled = tiledGemm != null ? tiledGemm : TornadoVmRuntime.tiledGemmByDefault(device);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.profile = profile;
    }

    /**
     * Makes the plan of the subclass's finished graph on {@link #device} with its worker grids, and keeps the
     * buffers a step reads: the parameters and gradients (downloaded on demand), Adam's numbers (set before each
     * execution) and the one-float loss (read after it).
     */
    final void attach(TaskGraph graph, GridScheduler scheduler, FloatArray params, FloatArray grads, FloatArray hyper,
                      FloatArray loss) {
        this.plan = new TornadoExecutionPlan(graph.snapshot()).withDevice(device).withGridScheduler(scheduler);
        if (profile) {
            plan.withProfiler(ProfilerMode.SILENT);
        }
        this.params = params;
        this.grads = grads;
        this.hyper = hyper;
        this.loss = loss;
    }

    /** Runs one step of the plan (the batch already copied into its buffers); returns the loss before the update. */
    final float execute() {
        step++;
        TornadoVmBackend.setAdamHyper(hyper, lr, beta1, beta2, eps, step);
        TornadoExecutionResult result = plan.execute();
        if (profile) {
            kernelNanos += result.getProfilerResult().getDeviceKernelTime();
            lastBytesIn = result.getProfilerResult().getTotalBytesCopyIn();
            lastBytesOut = result.getProfilerResult().getTotalBytesCopyOut();
        }
        lastResult = result;
        return loss.get(0);
    }

    /** Downloads the current parameters (in the subclass's layout order) into {@code dst}; needs one step first. */
    public void readParams(float[] dst) {
        read(params, dst, "params");
    }

    /** Downloads the gradients of the last step (same layout) into {@code dst}. */
    public void readGradients(float[] dst) {
        read(grads, dst, "grads");
    }

    private void read(FloatArray src, float[] dst, String what) {
        if (lastResult == null) {
            throw new IllegalStateException(owner + ": no step has run, the device holds no " + what + " yet");
        }
        Checks.vector(owner + ".read", "dst", dst, 0, src.getSize());
        lastResult.transferToHost(src);
        TornadoVmBackend.copyOut(src, dst, 0, src.getSize());
    }

    /** Steps taken so far (Adam's t of the last step). */
    public int steps() {
        return step;
    }

    /** Total device kernel time of all steps, in nanoseconds (0 unless profiling). */
    public long deviceKernelNanos() {
        return kernelNanos;
    }

    /** Bytes copied host to device by the last step, as TornadoVM's profiler counts them (0 unless profiling). */
    public long lastStepBytesIn() {
        return lastBytesIn;
    }

    /** Bytes copied device to host by the last step, as TornadoVM's profiler counts them (0 unless profiling). */
    public long lastStepBytesOut() {
        return lastBytesOut;
    }

    /** What runs the graph, for logs. */
    public String device() {
        return "TornadoVM " + TornadoVmRuntime.VERSION + ": " + device.getTornadoVMBackend() + " " + TornadoVmRuntime.describe(device)
                + (tiled ? ", tiled gemm" : "");
    }

    @Override
    public void close() {
        try {
            plan.freeDeviceMemory();
            plan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException(owner + ": releasing the plan failed: " + e, e);
        }
    }
}
