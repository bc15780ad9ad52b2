/**
 * Device-resident training steps on OpenCL (issue 6): data goes up once, every kernel of the step reads the
 * buffers the previous kernel left on the device, and only the loss and what the host needs come back.
 *
 * <h2>The technique</h2>
 * Aparapi keeps one device buffer per Java array <em>per kernel instance</em> and transfers whole arrays, so the
 * per-op kernels of {@link dev.gazenerf.backend.OpenClBackend} each upload and download their operands on every
 * call. Here one kernel class, {@link dev.gazenerf.backend.opencl.step.StepKernel}, holds every buffer of a step
 * in a few arrays bound once (a {@code heap} addressed by offsets, an {@code in} buffer the host uploads each
 * step, a small {@code out} buffer it downloads, a parameter {@code snap}shot, and two compositing caches), and its
 * {@code run()} dispatches on an {@code op} field to the per-op code: tiled gemm in local memory (three forms, an
 * optional fused bias + activation epilogue, and split-k for the weight gradients, whose k runs over the points
 * while m x n is one small weight matrix: slices are added in order by a reduce launch, their count chosen from
 * the device's compute units), bias + activation, activation backward, grouped column sums,
 * copies, fill, Adam, squared error, frequency encoding and its backward, compositing forward and backward (one
 * work-item per ray). The math is that of the {@link dev.gazenerf.backend.Backend} and
 * {@link dev.gazenerf.render.RenderKernels} specifications, through the same helpers
 * ({@link dev.gazenerf.kernel.Activation}, {@link dev.gazenerf.kernel.ScalarKernels},
 * {@link dev.gazenerf.render.RenderMath}). Aparapi runs it in explicit mode; {@link
 * dev.gazenerf.backend.opencl.step.DeviceArena} owns the arrays, counts every host copy, and launches through
 * {@link dev.gazenerf.backend.OpenClBackend#execute}, which throws when a launch did not run on the OpenCL device
 * (never a silent run on Java threads). The gemm tile comes from the device's work-group, work-item and local
 * memory limits, the 1D work-group size from its work-group limit.
 *
 * <h2>Plans</h2>
 * A plan lays out the heap once, builds its list of {@link dev.gazenerf.backend.opencl.step.Launch}es once, and
 * replays it every step (no allocation per step):
 * <ul>
 *   <li>{@link dev.gazenerf.backend.opencl.step.DeviceMlpStep}: one NeRF MLP: forward, a mean-squared-error loss
 *       on sigma and features, backward to the parameters and both codes, Adam. Per step: 1 upload, 1 download,
 *       86 launches for the 8-layer MLP.</li>
 *   <li>{@link dev.gazenerf.backend.opencl.step.DeviceStreamStep}: one GazeNeRF stream: frequency encoding, the
 *       MLP, compositing to a feature map, a mean-squared-error loss on the map, compositing / MLP / encoding
 *       backward (to the parameters, codes, points and sample spacings), Adam. Per step: 1 upload, 1 download.
 *       Optionally the MLP runs in chunks of rays recomputed before their backward (activation checkpointing,
 *       as GazeNerfModel does), so the device holds one chunk's activations; {@link DeviceModelStep} then also
 *       composites each chunk straight from the MLP and shares one set of renderer caches between the renderer
 *       calls (the memory-saving plan that {@code paper} needs to stay under Aparapi's 2 GiB per buffer).</li>
 *   <li>{@link dev.gazenerf.backend.opencl.step.DeviceModelStep}: the whole GazeNeRF training step: both streams
 *       ({@link dev.gazenerf.backend.opencl.step.MlpProgram} twice, compositing over the learned background map
 *       into caches at two offsets), the eye rotation by the gaze, the max merge, the neural renderer on the
 *       merged, face, rotated-eye and background maps ({@link dev.gazenerf.backend.opencl.step.RendererProgram}:
 *       gemms with fused bias + activation, channel-parallel pixel shuffle, blur, bilinear upsampling and residual,
 *       forward and backward), the trainer's masked image terms with their gradients (term sums reduced in two
 *       stages), backward in GazeNerfModel's order to all three networks (bg_featmap included), a device-side
 *       non-finite check of the gradients, then (a second launch list, after the host has checked the loss) Adam
 *       per network with its own learning rate. Per step: 1 upload, 1 download. The trainer uses it for
 *       {@code --backend opencl} ({@code dev.gazenerf.training.DeviceLossStep}); rays, camera gradients, codes and
 *       offsets stay on the host.</li>
 * </ul>
 * The model step's plan is {@link dev.gazenerf.backend.opencl.step.ModelStepPlan}, laid out through the factories of
 * {@link dev.gazenerf.backend.opencl.step.LaunchFactory} (which {@link dev.gazenerf.backend.opencl.step.DeviceArena}
 * extends with Aparapi's execution), so another executor replays the same launches: module {@code engine-tornadovm}'s
 * {@code TornadoVmModelStep} makes each launch a TornadoVM task, reading its arguments through
 * {@link dev.gazenerf.backend.opencl.step.Launch#pack}. The trainer reaches either through
 * {@link dev.gazenerf.backend.ResidentModelStep}.
 * Both are tested against the host path on {@code vector} over 20 steps (loss curve, final parameters,
 * gradients) and for their exact transfer counts.
 *
 * <h2>Limits</h2>
 * A plan's heap is one Java array, so a step is limited to 2^31 - 9 floats and the device's largest allocation
 * (DeviceArena says so when exceeded). DeviceModelStep keeps every MLP activation when both streams' fit 1 GiB
 * ({@code tiny}, {@code small} at batch 2), else it runs the MLPs in ray chunks recomputed before their backward.
 * The rotation's gradient to the gaze (gaze inversion) is not on the device: the trainer does not need it.
 *
 * <h2>Observed on PoCL</h2>
 * On PoCL's CPU device the buffers Aparapi creates live in the host arrays' memory, so host arrays show device
 * writes and the device sees host writes made after a put; residency is witnessed by the transfer counts. PoCL
 * pays about 250 ns per work-item of a kernel that contains barriers (all of StepKernel does, through its gemm
 * branch): 1D launches therefore use at most 4 work-groups per compute unit and loop over their elements. A
 * long {@code else if} chain in {@code run()} made Aparapi 3.0.2 fail with "child list broken": the dispatch is a
 * flat sequence of independent {@code if}s.
 *
 * <h2>Running on a GPU</h2>
 * Any OpenCL 1.2+ device works; the JVM needs the vendor's OpenCL ICD and the ICD loader
 * ({@code libOpenCL.so.1}, Debian/Ubuntu {@code ocl-icd-libopencl1}): NVIDIA: the proprietary driver's OpenCL
 * ICD ({@code nvidia-opencl-icd} or the driver's {@code libnvidia-compute}); AMD: ROCm's OpenCL runtime
 * ({@code rocm-opencl-runtime}) or Mesa's {@code mesa-opencl-icd}; Intel: {@code intel-opencl-icd} (NEO).
 * {@code clinfo -l} must list the device; {@code gazenerf info} lists what Aparapi sees and
 * {@code -Dgazenerf.device=N} (the command line's {@code --device N}) picks one.
 */
package dev.gazenerf.backend.opencl.step;
