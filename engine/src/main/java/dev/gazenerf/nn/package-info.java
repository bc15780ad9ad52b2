/**
 * Network ops with forward and backward side by side, written only in {@link dev.gazenerf.backend.Backend}
 * calls so that they run on every backend: {@link dev.gazenerf.nn.Dense} (1x1 convolution with a fused
 * activation), {@link dev.gazenerf.nn.ActivationOp}, {@link dev.gazenerf.nn.FrequencyEncoding} (section 2.3),
 * {@link dev.gazenerf.nn.Concat} and {@link dev.gazenerf.nn.RowBroadcast}; the conditional NeRF MLP
 * {@link dev.gazenerf.nn.NerfMlp} (section 2.4, with the per-image code products hoisted, section 7); and the
 * optimizer {@link dev.gazenerf.nn.Adam} with parameter groups (section 3.1).
 *
 * <p>Conventions: {@code forward(out, cache.., in, params.., dims)} and
 * {@code backward(dIn, dParams.., dOut, in, cache.., params.., dims)}; buffers are flat row-major
 * {@code float[]} slices (offset and leading dimension); parameter gradients accumulate ({@code +=}) and the
 * trainer zeroes them once per step; arguments are checked once per public call and a bad one throws
 * {@link java.lang.IllegalArgumentException} naming the op and the argument; nothing is allocated per call
 * on the hot paths (caches live in preallocated workspaces that only grow).
 */
package dev.gazenerf.nn;
