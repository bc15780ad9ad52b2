package dev.gazenerf.backend;

import dev.gazenerf.model.GazeNerfModel;

/**
 * A whole GazeNeRF training step kept on a device: the plan of {@code dev.gazenerf.backend.opencl.step.ModelStepPlan}
 * (both streams, rotation, max merge, the four renderer calls, the masked image terms, backward to the three
 * networks, a non-finite check, then Adam per network) replayed by a backend's executor, with the parameters, Adam
 * moments and activations on the device between steps. Two executors: {@code opencl}
 * ({@code dev.gazenerf.backend.opencl.step.DeviceModelStep}, Aparapi) and {@code tornadovm}
 * ({@code dev.gazenerf.backend.tornadovm.TornadoVmModelStep}, module {@code engine-tornadovm}: the same launches
 * as tasks of one TornadoVM task graph). The trainer's wiring is {@code dev.gazenerf.training.DeviceLossStep}.
 *
 * <p>Per step: fill {@link #inputs()} (parts at {@link #inputOffset}), {@link #forwardBackward()} (one upload, one
 * download), read {@link #termSums}, {@link #gradientsFinite()} and {@link #outputs()}, then {@link #update}.
 */
public interface ResidentModelStep extends AutoCloseable {
    /** Columns of the term table: head, face, eyes, non-head, background. */
    int TERMS = 5;
    /** Input block parts, in order, for {@link #inputOffset}. */
    int XYZ = 0, DELTA = 1, TVALS = 2, FACE_CODE = 3, EYE_CODE = 4, APPEARANCE = 5, ROTATION = 6,
            TARGET = 7, HEAD = 8, LEFT = 9, RIGHT = 10, SCALES = 11;

    /** Images per step. */
    int images();

    /** Rays of one image per MLP pass (below the rays per image: the memory-saving plan). */
    int chunkRays();

    /** Sample points per step, {@code B P S}. */
    int points();

    /** The host side of the input block: fill it (offsets from {@link #inputOffset}), then {@link #forwardBackward}. */
    float[] inputs();

    /** Offset of a part of the input block ({@link #XYZ} ... {@link #SCALES}); part + 1 gives its end. */
    int inputOffset(int part);

    /** Uploads the parameters {@code [face, eyes, renderer]} and their Adam moments (null: zero). */
    void load(float[][] params, float[][] m, float[][] v);

    /** Downloads the parameters and moments into the given buffers (each may be null). */
    void store(float[][] params, float[][] m, float[][] v);

    /** Uploads the input block and runs forward, loss and backward; nothing is updated yet. */
    void forwardBackward();

    /** Adam over the three networks (step {@code step >= 1}, learning rates per network). */
    void update(int step, float lrFace, float lrEyes, float lrRenderer);

    /** The last step's sums of the five loss terms (head, face, eyes, non-head, background), unnormalized. */
    void termSums(double[] dst);

    /** Whether every network gradient of the last step was finite. */
    boolean gradientsFinite();

    /** The downloaded output block: {@code [flag, term sums (5), dFaceCode, dEyeCode, dAppearance, dXyz, dDelta]}. */
    float[] outputs();

    /** Offset in {@link #outputs()} of dFaceCode {@code (B, Sf)}. */
    int dFaceCodeOffset();

    /** Offset in {@link #outputs()} of dEyeCode {@code (B, Se)}. */
    int dEyeCodeOffset();

    /** Offset in {@link #outputs()} of dAppearance {@code (B, A)}. */
    int dAppearanceOffset();

    /** Offset in {@link #outputs()} of dXyz {@code (N, 3)}. */
    int dXyzOffset();

    /** Offset in {@link #outputs()} of dDelta {@code (N)}. */
    int dDeltaOffset();

    /** Host-to-device copies so far (each whole-buffer transfer the step makes, counted once). */
    long uploads();

    /** Device-to-host copies so far. */
    long downloads();

    /** Releases the device buffers. */
    @Override
    void close();

    /** Whether {@link #create} has a resident step for this backend ({@code opencl}, {@code tornadovm}). */
    static boolean supports(Backend backend) {
        String n = backend.name();
        return n.equals("opencl") || n.equals("tornadovm");
    }

    /**
     * The resident step of {@code model} on {@code backend}'s device (see {@link #supports}); the arguments as
     * {@code DeviceModelStep}'s. {@code tornadovm}'s class is loaded by name (module {@code engine-tornadovm}).
     *
     * @throws IllegalArgumentException when the backend has no resident step
     * @throws IllegalStateException    when the TornadoVM module is not on the class path
     */
    static ResidentModelStep create(Backend backend, GazeNerfModel model, int images, int chunkRays, boolean l1,
                                    float bgScale, float beta1, float beta2, float eps) {
        Checks.notNull("ResidentModelStep.create", "backend", backend);
        switch (backend.name()) {
            case "opencl":
                return new dev.gazenerf.backend.opencl.step.DeviceModelStep((OpenClBackend) backend, model, images,
                        chunkRays, l1, bgScale, beta1, beta2, eps);
            case "tornadovm": {
                String cls = "dev.gazenerf.backend.tornadovm.TornadoVmModelStep";
                try {
                    return (ResidentModelStep) Class.forName(cls).getConstructor(Backend.class, GazeNerfModel.class,
                            int.class, int.class, boolean.class, float.class, float.class, float.class, float.class)
                            .newInstance(backend, model, images, chunkRays, l1, bgScale, beta1, beta2, eps);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException("ResidentModelStep.create: " + cls + " failed to start: " + e.getCause(),
                            e.getCause());
                } catch (ReflectiveOperationException | LinkageError e) {
                    throw new IllegalStateException("ResidentModelStep.create: backend 'tornadovm' needs " + cls
                            + " (module engine-tornadovm) on the class path: " + e, e);
                }
            }
            default:
                throw new IllegalArgumentException("ResidentModelStep.create: backend '" + backend.name()
                        + "' has no device-resident model step (opencl and tornadovm have)");
        }
    }
}
