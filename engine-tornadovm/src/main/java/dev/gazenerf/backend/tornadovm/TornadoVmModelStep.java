package dev.gazenerf.backend.tornadovm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.backend.ResidentModelStep;
import dev.gazenerf.backend.opencl.step.Launch;
import dev.gazenerf.backend.opencl.step.LaunchFactory;
import dev.gazenerf.backend.opencl.step.ModelStepPlan;
import dev.gazenerf.backend.opencl.step.StepKernel;
import dev.gazenerf.model.GazeNerfModel;
import uk.ac.manchester.tornado.api.DataRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The whole GazeNeRF training step device-resident on TornadoVM, run through one {@link TornadoExecutionPlan}: the
 * very plan of the OpenCL step ({@link ModelStepPlan}: both streams, eye rotation, max merge, compositing, the four
 * neural-renderer calls, the masked image terms, backward to the three networks, the non-finite check, Adam per
 * network), laid out on a bare {@link LaunchFactory}, each of its launches one task (a {@link TornadoStepOps} kernel
 * per op code, its arguments the launch's {@link Launch#pack} record in a small {@link IntArray} of its own).
 * Parameters, gradients, Adam moments, activations and the compositing caches live in one {@link FloatArray} heap
 * that goes to the device once ({@link DataTransferMode#FIRST_EXECUTION}) and stays there; each step uploads the
 * input block (with {@link #CTL} control floats at its end) and downloads the output block. What
 * {@code train --backend tornadovm} runs (through {@link ResidentModelStep#create}).
 *
 * <p>The tasks are cut into task graphs of at most {@link #TASKS_PER_GRAPH} (TornadoVM 5.2.0 cannot hold the ~450
 * tasks of {@code tiny} in one graph), all in the one plan and run in order with {@code withGraph(i).execute()}: the
 * first transfers the heap and the input block, the others {@code consumeFromDevice} them, and every graph
 * {@code persistOnDevice}s them, so the graphs share one device buffer each. Every graph starts with a
 * {@link TornadoStepOps#share} task naming all shared buffers (a graph hands on only what it holds).
 *
 * <p>Adam's three tasks come first, the forward/backward tasks after them, and every task first reads its run flag
 * in the input block. Adam of step t (requested by {@link #update}, after the host has checked the loss) therefore
 * runs at the start of the execution of step t + 1, or of {@link #store} (which runs the first graph with only
 * Adam's flag set): the same kernels on the same data in the same order as the OpenCL step's two launch lists, one
 * execution per step.
 *
 * <p>Differences from the OpenCL executor: weight-gradient gemms are not split along k (the factory has no split
 * scratch; every product sums k in increasing order, one work-item per element of C, no local-memory tiles);
 * TornadoVM compiles OpenCL with {@code -cl-mad-enable -cl-fast-relaxed-math} by default, this step's kernels are
 * built without both ({@link #OPENCL_FLAGS}). {@link #load} after the first step is refused (the heap is a
 * first-execution transfer).
 */
public final class TornadoVmModelStep implements ResidentModelStep {
    /** Control floats after the input block: run forward/backward, run Adam, then (step size, sqrt bias2) x 3. */
    static final int CTL_PROGRAM = 0, CTL_ADAM = 1, CTL_HYPER = 2, CTL = 8;
    /**
     * Tasks per task graph: TornadoVM 5.2.0 records a graph's tasks in a fixed 8,192-byte buffer
     * ({@code TornadoTaskGraph.highLevelCode}, 15 bytes per task plus 5 per argument, not configurable), so the
     * step's ~450 tasks ({@code tiny}) cannot be one graph; they are cut into graphs of at most this many, run one
     * after the other, sharing their buffers on the device.
     */
    static final int TASKS_PER_GRAPH = 96;
    /**
     * OpenCL build options of the step's kernels: TornadoVM's defaults without {@code -cl-mad-enable
     * -cl-fast-relaxed-math}, so the device rounds by the OpenCL C defaults (no contraction licence from the flags) and the
     * non-finite check is not folded away (fast-relaxed-math lets the compiler assume finite values).
     */
    static final String OPENCL_FLAGS = "-w";
    /** Most work-items of one task: longer ops loop grid-stride. */
    static final int MAX_ITEMS = 1 << 16;
    private static int instances;

    private final ModelStepPlan plan;
    private final TornadoDevice device;
    private final int inFloats;
    private final int outFloats;
    private final int heapFloats;
    private final FloatArray heap;
    private final FloatArray in;
    private final FloatArray out;
    private final float[] inHost;
    private final float[] outHost;
    private final float[] pendingHyper = new float[6];
    private final List<Launch> adam;
    private final int tasks;
    private final int graphCount;
    private final boolean profile;
    private final TornadoExecutionPlan executionPlan;
    private TornadoExecutionResult last;
    private boolean pending;
    private boolean started;
    private boolean closed;
    private long uploads;
    private long downloads;
    private long lastBytesIn;
    private long kernelNanos;
    private float[] snapshot;

    /**
     * Plans and builds the step of {@code model} for batches of {@code images} images on the configured TornadoVM
     * device (arguments as {@code DeviceModelStep}'s); {@code backend} must be the {@code tornadovm} backend.
     */
    public TornadoVmModelStep(Backend backend, GazeNerfModel model, int images, int chunkRays, boolean l1, float bgScale,
                              float beta1, float beta2, float eps) {
        String op = "TornadoVmModelStep";
        Checks.notNull(op, "backend", backend);
        if (!(backend instanceof TornadoVmBackend tb)) {
            throw new IllegalArgumentException(op + ": argument 'backend' is '" + backend.name() + "', not tornadovm");
        }
        TornadoVmRuntime.requireDeviceOnly();
        this.profile = tb.profiling();
        int[] sizes = new int[5];
        this.plan = new ModelStepPlan(model, images, chunkRays, l1, bgScale, beta1, beta2, eps,
                (heapF, inF, outF, snapF, cacheF, splitF) -> {
                    sizes[0] = heapF;
                    sizes[1] = inF;
                    sizes[2] = outF;
                    sizes[3] = cacheF;
                    // no split scratch: every gemm sums k in order in one launch
                    return new LaunchFactory(heapF, inF, outF, snapF, cacheF, 1, 16, 1);
                });
        this.heapFloats = sizes[0];
        this.inFloats = sizes[1];
        this.outFloats = sizes[2];
        int cacheFloats = sizes[3];
        this.device = TornadoVmRuntime.selectDevice();

        this.adam = plan.update();
        List<Launch> all = new ArrayList<>(adam);
        all.addAll(plan.program());
        int bytecode = Integer.getInteger("tornado.tvm.maxbytecodesize", 4096);
        if (bytecode < DeviceNerfMlpStep.MIN_BYTECODE_SIZE) {
            throw new IllegalStateException(op + ": task graphs of " + TASKS_PER_GRAPH + " tasks need TornadoVM's "
                    + "bytecode buffer of at least " + DeviceNerfMlpStep.MIN_BYTECODE_SIZE + " bytes, this JVM has " + bytecode
                    + ": start java with -Dtornado.tvm.maxbytecodesize=" + DeviceNerfMlpStep.MIN_BYTECODE_SIZE);
        }
        int[] args = new int[all.size() * TornadoStepOps.RECORD];
        float[] fargs = new float[all.size() * Launch.FLOATS];
        for (int i = 0; i < all.size(); i++) {
            Launch l = all.get(i);
            if (l.next() != null) {
                throw new IllegalStateException(op + ": launch " + l.name() + " is a split gemm, which this executor does not run");
            }
            int at = i * TornadoStepOps.RECORD;
            l.pack(args, at);
            l.packFloats(fargs, i * Launch.FLOATS);
            boolean isAdam = i < adam.size();
            args[at + TornadoStepOps.GUARD] = inFloats + (isAdam ? CTL_ADAM : CTL_PROGRAM);
            args[at + TornadoStepOps.HYPER] = inFloats + CTL_HYPER + (isAdam ? 2 * i : 0);
            args[at + TornadoStepOps.CACHES] = heapFloats;
            args[at + TornadoStepOps.CACHES + 1] = heapFloats + cacheFloats;
            args[at + TornadoStepOps.INDEX] = i;
        }
        // each task gets its own record (TornadoVM's scalar task arguments crashed PoCL's enqueue in this graph)
        IntArray[] records = new IntArray[all.size()];
        for (int i = 0; i < records.length; i++) {
            records[i] = IntArray.fromArray(java.util.Arrays.copyOfRange(args, i * TornadoStepOps.RECORD,
                    (i + 1) * TornadoStepOps.RECORD));
        }
        FloatArray fargArray = FloatArray.fromArray(fargs);
        // the compositing caches (alpha, then transmittance) after the plan's heap: one buffer for every task
        if ((long) heapFloats + 2L * cacheFloats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(op + ": the heap of " + heapFloats + " floats and two caches of " + cacheFloats
                    + " exceed one TornadoVM array; use a smaller batch");
        }
        this.heap = new FloatArray(heapFloats + 2 * cacheFloats);
        heap.init(0f);
        this.in = new FloatArray(inFloats + CTL);
        this.out = new FloatArray(outFloats);
        this.inHost = new float[inFloats];
        this.outHost = new float[outFloats];

        String base;
        synchronized (TornadoVmModelStep.class) {
            base = "gazenerfModelStep" + (instances++);
        }
        KernelContext k = new KernelContext();
        GridScheduler scheduler = new GridScheduler();
        FloatArray h = heap;
        FloatArray x = in;
        FloatArray o = out;
        Object[] shared = {fargArray, heap, out, in};
        int graphCount = (all.size() + TASKS_PER_GRAPH - 1) / TASKS_PER_GRAPH;
        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        for (int gi = 0; gi < graphCount; gi++) {
            String graphName = base + "g" + gi;
            TaskGraph g = new TaskGraph(graphName);
            if (gi == 0) {
                g.transferToDevice(DataTransferMode.FIRST_EXECUTION, fargArray, heap, out)
                        .transferToDevice(DataTransferMode.EVERY_EXECUTION, in);
            } else {
                g.consumeFromDevice(shared);
            }
            // every graph names every shared buffer in a task, so the next graph finds them all here
            int first = gi * TASKS_PER_GRAPH;
            int end = Math.min(all.size(), (gi + 1) * TASKS_PER_GRAPH);
            g.transferToDevice(DataTransferMode.FIRST_EXECUTION, (Object[]) java.util.Arrays.copyOfRange(records, first, end));
            g.task("share", TornadoStepOps::share, k, records[first], x, h, fargArray, o);
            WorkerGrid1D one = new WorkerGrid1D(TornadoVmBackend.LOCAL);
            one.setLocalWork(TornadoVmBackend.LOCAL, 1, 1);
            scheduler.addWorkerGrid(graphName + ".share", one);
            for (int i = first; i < end; i++) {
                Launch l = all.get(i);
                String id = "t" + i + "_" + l.name().replaceAll("[^A-Za-z0-9]", "");
                IntArray r = records[i];
                int items = l.op() == StepKernel.GEMM ? args[i * TornadoStepOps.RECORD + Launch.M] * args[i * TornadoStepOps.RECORD + Launch.N]
                        : args[i * TornadoStepOps.RECORD + Launch.ITEMS];
                switch (l.op()) {
                    case StepKernel.FILL -> g.task(id, TornadoStepOps::fill, k, r, x, h, fargArray);
                    case StepKernel.COPY_IN -> g.task(id, TornadoStepOps::copyIn, k, r, x, h);
                    case StepKernel.COPY_OUT -> g.task(id, TornadoStepOps::copyOut, k, r, x, h, o);
                    case StepKernel.COPY -> g.task(id, TornadoStepOps::copy, k, r, x, h);
                    case StepKernel.TRANSPOSE -> g.task(id, TornadoStepOps::transpose, k, r, x, h);
                    case StepKernel.FREQ_ENCODE -> g.task(id, TornadoStepOps::frequencyEncode, k, r, x, h);
                    case StepKernel.FREQ_ENCODE_BACKWARD -> g.task(id, TornadoStepOps::frequencyEncodeBackward, k, r, x, h);
                    case StepKernel.GEMM -> g.task(id, TornadoStepOps::gemm, k, r, x, h);
                    case StepKernel.BIAS_ACT -> g.task(id, TornadoStepOps::biasActivation, k, r, x, h);
                    case StepKernel.ACT_BACKWARD -> g.task(id, TornadoStepOps::activationBackward, k, r, x, h);
                    case StepKernel.COLUMN_SUMS -> g.task(id, TornadoStepOps::columnSums, k, r, x, h);
                    case StepKernel.ADAM -> g.task(id, TornadoStepOps::adam, k, r, x, h, fargArray);
                    case StepKernel.COMPOSITE_FORWARD -> g.task(id, TornadoStepOps::compositeForward, k, r, x, h);
                    case StepKernel.COMPOSITE_BACKWARD -> g.task(id, TornadoStepOps::compositeBackward, k, r, x, h);
                    case StepKernel.COMPOSITE_BG_BACKWARD -> g.task(id, TornadoStepOps::compositeBgBackward, k, r, x, h);
                    case StepKernel.ROTATE -> g.task(id, TornadoStepOps::rotateTriplets, k, r, x, h);
                    case StepKernel.MAX_FORWARD -> g.task(id, TornadoStepOps::maxForward, k, r, x, h);
                    case StepKernel.MAX_BACKWARD -> g.task(id, TornadoStepOps::maxBackward, k, r, x, h);
                    case StepKernel.REPEAT_ADD -> g.task(id, TornadoStepOps::repeatAdd, k, r, x, h);
                    case StepKernel.REPEAT_ADD_BACKWARD -> g.task(id, TornadoStepOps::repeatAddBackward, k, r, x, h);
                    case StepKernel.SHUFFLE -> g.task(id, TornadoStepOps::pixelShuffle, k, r, x, h);
                    case StepKernel.SHUFFLE_BACKWARD -> g.task(id, TornadoStepOps::shuffleBackward, k, r, x, h);
                    case StepKernel.BLUR -> g.task(id, TornadoStepOps::blur, k, r, x, h);
                    case StepKernel.BLUR_BACKWARD -> g.task(id, TornadoStepOps::blurBackward, k, r, x, h);
                    case StepKernel.UPSAMPLE -> g.task(id, TornadoStepOps::upsampleBilinear, k, r, x, h);
                    case StepKernel.UPSAMPLE_BACKWARD -> g.task(id, TornadoStepOps::upsampleBackward, k, r, x, h);
                    case StepKernel.RECON_LOSS -> g.task(id, TornadoStepOps::reconLoss, k, r, x, h);
                    case StepKernel.BG_LOSS -> g.task(id, TornadoStepOps::backgroundLoss, k, r, x, h, fargArray);
                    case StepKernel.NONFINITE -> g.task(id, TornadoStepOps::nonFinite, k, r, x, h);
                    default -> throw new IllegalStateException(op + ": launch " + l.name() + " (op " + l.op()
                            + ") has no TornadoVM kernel");
                }
                WorkerGrid1D w = new WorkerGrid1D(Math.min(TornadoVmBackend.grid(Math.max(items, 1)), MAX_ITEMS));
                w.setLocalWork(TornadoVmBackend.LOCAL, 1, 1);
                scheduler.addWorkerGrid(graphName + "." + id, w);
            }
            // keep every shared buffer on the device after this graph (and let the host pull parts on demand)
            g.persistOnDevice(shared);
            graphs.add(g.snapshot());
        }
        this.tasks = all.size();
        this.graphCount = graphCount;
        this.executionPlan = new TornadoExecutionPlan(graphs.toArray(new ImmutableTaskGraph[0])).withDevice(device)
                .withGridScheduler(scheduler).withCompilerFlags(TornadoVMBackendType.OPENCL, OPENCL_FLAGS);
        if (profile) {
            executionPlan.withProfiler(ProfilerMode.SILENT);
        }
    }

    /** The plan this step replays. */
    public ModelStepPlan plan() {
        return plan;
    }

    /** Tasks of the step: the Adam tasks and the forward/backward tasks (the plan's launches). */
    public int taskCount() {
        return tasks;
    }

    /** Task graphs the tasks are cut into (see {@link #TASKS_PER_GRAPH}). */
    public int graphCount() {
        return graphCount;
    }

    /** Floats of the device heap. */
    public int heapFloats() {
        return heapFloats;
    }

    @Override
    public int images() {
        return plan.images();
    }

    @Override
    public int chunkRays() {
        return plan.chunkRays();
    }

    @Override
    public int points() {
        return plan.points();
    }

    @Override
    public float[] inputs() {
        return inHost;
    }

    @Override
    public int inputOffset(int part) {
        return plan.inputOffset(part);
    }

    @Override
    public void load(float[][] params, float[][] m, float[][] v) {
        if (started) {
            throw new IllegalStateException("TornadoVmModelStep.load: the heap went to the device with the first step "
                    + "(a first-execution transfer); load before the first step, or build a new step");
        }
        float[] host = new float[heapFloats];
        plan.fill(host, params, m, v);
        // parameters and moments only; the rest of the heap is written by the step before it is read
        int from = plan.parameterOffset();
        int to = plan.secondMomentOffset() + plan.parameterCount();
        MemorySegment.copy(host, from, heap.getSegment(), ValueLayout.JAVA_FLOAT, (long) from * Float.BYTES, to - from);
        if (uploads == 0) {
            uploads++; // the heap goes up with the first execution
        }
    }

    @Override
    public void store(float[][] params, float[][] m, float[][] v) {
        if (!started) {
            throw new IllegalStateException("TornadoVmModelStep.store: no step has run, the device holds no parameters yet");
        }
        if (pending) {
            execute(false);
        }
        int from = plan.parameterOffset();
        int len = plan.secondMomentOffset() + plan.parameterCount() - from;
        last.transferToHost(new DataRange(heap).withOffset(from).withSize(len));
        downloads++;
        if (snapshot == null) {
            snapshot = new float[len];
        }
        MemorySegment.copy(heap.getSegment(), ValueLayout.JAVA_FLOAT, (long) from * Float.BYTES, snapshot, 0, len);
        plan.unpack(snapshot, 0, plan.firstMomentOffset() - from, plan.secondMomentOffset() - from, params, m, v);
    }

    @Override
    public void forwardBackward() {
        MemorySegment.copy(inHost, 0, in.getSegment(), ValueLayout.JAVA_FLOAT, 0, inFloats);
        execute(true);
        last.transferToHost(out);
        downloads++;
        MemorySegment.copy(out.getSegment(), ValueLayout.JAVA_FLOAT, 0, outHost, 0, outFloats);
    }

    /** One execution of the graph: the pending Adam (if any), then forward/backward when {@code program}. */
    private void execute(boolean program) {
        if (closed) {
            throw new IllegalStateException("TornadoVmModelStep: closed");
        }
        in.set(inFloats + CTL_PROGRAM, program ? 1f : 0f);
        in.set(inFloats + CTL_ADAM, pending ? 1f : 0f);
        for (int i = 0; i < pendingHyper.length; i++) {
            in.set(inFloats + CTL_HYPER + i, pendingHyper[i]);
        }
        // store (Adam alone) runs the first graph only: it holds the Adam tasks, the rest is switched off anyway
        int graphsToRun = program ? graphCount : 1;
        long bytesIn = 0;
        for (int gi = 0; gi < graphsToRun; gi++) {
            TornadoExecutionResult r = executionPlan.withGraph(gi).execute();
            if (profile) {
                kernelNanos += r.getProfilerResult().getDeviceKernelTime();
                bytesIn += r.getProfilerResult().getTotalBytesCopyIn();
            }
            last = r;
        }
        lastBytesIn = bytesIn;
        started = true;
        pending = false;
        uploads++;
    }

    @Override
    public void update(int step, float lrFace, float lrEyes, float lrRenderer) {
        if (pending) {
            throw new IllegalStateException("TornadoVmModelStep.update: the last update has not run yet (call "
                    + "forwardBackward or store between updates)");
        }
        plan.setLearningRates(lrFace, lrEyes, lrRenderer);
        for (int i = 0; i < adam.size(); i++) {
            pendingHyper[2 * i] = adam.get(i).adamStepSize(step);
            pendingHyper[2 * i + 1] = adam.get(i).adamSqrtBias2(step);
        }
        pending = true;
    }

    @Override
    public void termSums(double[] dst) {
        plan.termSums(outHost, dst);
    }

    @Override
    public boolean gradientsFinite() {
        return outHost[0] == 0f;
    }

    @Override
    public float[] outputs() {
        return outHost;
    }

    @Override
    public int dFaceCodeOffset() {
        return plan.outOffset(0);
    }

    @Override
    public int dEyeCodeOffset() {
        return plan.outOffset(1);
    }

    @Override
    public int dAppearanceOffset() {
        return plan.outOffset(2);
    }

    @Override
    public int dXyzOffset() {
        return plan.outOffset(3);
    }

    @Override
    public int dDeltaOffset() {
        return plan.outOffset(4);
    }

    @Override
    public long uploads() {
        return uploads;
    }

    @Override
    public long downloads() {
        return downloads;
    }

    /** Bytes TornadoVM copied host to device in the last execution (0 unless profiling). */
    public long lastBytesIn() {
        return lastBytesIn;
    }

    /** Device kernel time of all executions, nanoseconds (0 unless profiling). */
    public long deviceKernelNanos() {
        return kernelNanos;
    }

    /** Bytes of the per-step input block with its control floats. */
    public long inputBytes() {
        return (long) (inFloats + CTL) * Float.BYTES;
    }

    /** What runs the graph, for logs. */
    public String device() {
        return "TornadoVM " + TornadoVmRuntime.VERSION + ": " + device.getTornadoVMBackend() + " "
                + TornadoVmRuntime.describe(device) + ", " + tasks + " tasks in " + graphCount + " graphs";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            executionPlan.freeDeviceMemory();
            executionPlan.close();
        } catch (TornadoExecutionPlanException e) {
            throw new IllegalStateException("TornadoVmModelStep: releasing the plan failed: " + e, e);
        }
    }
}
