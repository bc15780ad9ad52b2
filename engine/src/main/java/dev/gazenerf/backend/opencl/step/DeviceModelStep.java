package dev.gazenerf.backend.opencl.step;

import dev.gazenerf.backend.Checks;
import dev.gazenerf.backend.OpenClBackend;
import dev.gazenerf.backend.ResidentModelStep;
import dev.gazenerf.model.GazeNerfModel;

/**
 * A whole GazeNeRF training step as one device-resident plan (issue 6): both streams (frequency encoding, the
 * conditional MLPs of {@link MlpProgram}, compositing one work-item per ray over the learned background map),
 * the eye-feature rotation by the gaze, the max merge, the neural renderer on the merged, face, rotated-eye and
 * background maps ({@link RendererProgram}), the masked image terms of the trainer's loss with their gradients,
 * and the backward of all of it, in the order of {@link GazeNerfModel#backward}, to the parameters of the three
 * networks (the background map {@code bg_featmap} included), the shape and appearance codes, the sample points
 * and spacings. Then, in a second program run after the host has looked at the loss, Adam over the three
 * networks with one learning rate per network.
 *
 * <p>What stays on the host, because the host computes it anyway and it is small: the rays (points, spacings,
 * depths from the camera and its per-image corrections, {@link dev.gazenerf.render.Rays}), the codes with their
 * per-image offsets, the gaze rotation matrices (9 floats per image), the loss's mask counts (from the masks the
 * host loads), and, from the downloaded gradients, the camera-correction gradients, the offset penalties and Adam
 * over the offsets. The trainer's wiring is {@code dev.gazenerf.training.DeviceLossStep}.
 *
 * <p>Host copies per step: one upload of the input block
 * {@code [xyz (N,3), delta (N), tvals (N), face codes (B,Sf), eye codes (B,Se), appearance (B,A), R (B,9),
 * target (B,O^2,3), head mask (B,O^2), left eye (B,O^2), right eye (B,O^2), gradient scales (4)]}
 * and one download of {@code [non-finite flag, term sums (5), dFaceCode (B,Sf), dEyeCode (B,Se), dAppearance (B,A),
 * dXyz (N,3), dDelta (N)]}; {@link #load} uploads the heap once, {@link #store} downloads the parameters and
 * moments (checkpoints). Points: {@code N = B P S}, ray r of image b is row {@code b P + r}.
 *
 * <p>The term sums are the unnormalized sums of the loss's five terms (head, face, eyes, non-head, background) in
 * float, summed in two stages; the host divides them by its mask counts. Parameters are one block
 * {@code [face | eyes | renderer]}, and gradients and the two Adam moments blocks of the same shape.
 */
public final class DeviceModelStep implements AutoCloseable, ResidentModelStep {
    private final ModelStepPlan plan;
    private final DeviceArena arena;

    /**
     * Plans the step of {@code model} for batches of {@code images} images (the plan: {@link ModelStepPlan}).
     *
     * @param chunkRays  rays of one image per MLP pass (a divisor of the rays per image); below the rays per
     *                   image, the memory-saving plan: each chunk is composited straight from its MLP outputs and
     *                   its MLP forward is recomputed before its backward (activation checkpointing), and the four
     *                   renderer calls share one set of caches, each call's forward run again before its backward
     *                   (the face call's excepted: its forward runs last); {@code paper} needs it to stay under
     *                   Aparapi's 2 GiB per buffer
     * @param l1         L1 on the masked image terms (else squared error), as {@code LossWeights.l1}
     * @param bgScale    the background term's gradient scale: its weight / (3 O^2)
     */
    public DeviceModelStep(OpenClBackend backend, GazeNerfModel model, int images, int chunkRays, boolean l1,
                           float bgScale, float beta1, float beta2, float eps) {
        Checks.notNull("DeviceModelStep", "backend", backend);
        this.plan = new ModelStepPlan(model, images, chunkRays, l1, bgScale, beta1, beta2, eps,
                (heap, in, out, snap, cache, split) -> new DeviceArena(backend, heap, in, out, snap, cache, split));
        this.arena = (DeviceArena) plan.factory();
    }

    /** The plan this step replays. */
    public ModelStepPlan plan() {
        return plan;
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

    /** Floats uploaded per step. */
    public int inputFloats() {
        return plan.inputFloats();
    }

    /** Floats downloaded per step. */
    public int outputFloats() {
        return plan.outputFloats();
    }

    /** Floats of the device heap. */
    public int heapFloats() {
        return arena.heap().length;
    }

    /** Kernel launches of {@link #forwardBackward} and {@link #update} together. */
    public int launchesPerStep() {
        return DeviceArena.kernelLaunches(plan.program()) + DeviceArena.kernelLaunches(plan.update());
    }

    @Override
    public long uploads() {
        return arena.uploads();
    }

    @Override
    public long downloads() {
        return arena.downloads();
    }

    /** Kernel launches so far. */
    public long launches() {
        return arena.launches();
    }

    @Override
    public float[] inputs() {
        return arena.in();
    }

    @Override
    public int inputOffset(int part) {
        return plan.inputOffset(part);
    }

    @Override
    public void load(float[][] params, float[][] m, float[][] v) {
        plan.fill(arena.heap(), params, m, v);
        arena.putHeap();
    }

    @Override
    public void store(float[][] params, float[][] m, float[][] v) {
        arena.run(plan.snapshot(), 1);
        arena.getSnap();
        int p = plan.parameterCount();
        plan.unpack(arena.snap(), 0, p, 2 * p, params, m, v);
    }

    @Override
    public void forwardBackward() {
        arena.putIn();
        arena.run(plan.program(), 1);
        arena.getOut();
    }

    @Override
    public void update(int step, float lrFace, float lrEyes, float lrRenderer) {
        plan.setLearningRates(lrFace, lrEyes, lrRenderer);
        arena.run(plan.update(), step);
    }

    @Override
    public void termSums(double[] dst) {
        plan.termSums(arena.out(), dst);
    }

    @Override
    public boolean gradientsFinite() {
        return arena.out()[0] == 0f;
    }

    @Override
    public float[] outputs() {
        return arena.out();
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

    /** Releases the device buffers (once). */
    @Override
    public void close() {
        arena.close();
    }
}
