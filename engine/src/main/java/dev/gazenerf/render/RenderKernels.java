package dev.gazenerf.render;

import dev.gazenerf.backend.Backend;

/**
 * The non-matrix primitives of GazeNeRF's rendering side, forward and backward side by side: volume
 * compositing with the background map (reference section 2.5), the eye-feature rotation and the max merge
 * (2.6), and the pieces of the neural renderer (2.7): pixel shuffle, the channel-repeat residual, bilinear
 * x2 upsampling and the 3x3 blur. The matrix work (1x1 convolutions, the MLPs) goes through {@link Backend}.
 *
 * <p>Layout (binding for the whole project): feature maps are channels-last, {@code (images, H, W, C)}
 * row-major, so pixel {@code y*W + x} of image {@code n} is row {@code n*H*W + y*W + x} and a 1x1
 * convolution is a {@link Backend#gemmNT} over those rows. Point rows are ray-major
 * ({@code point = ray*S + s}), so the MLP's output feeds {@link #compositeForward} directly.
 *
 * <p>Implementations: {@link ScalarRenderKernels} (the specification, plain loops),
 * {@link ParallelRenderKernels} (CPU threads, Vector API where it pays, deterministic),
 * {@link OpenClRenderKernels} (Aparapi kernels on the {@code opencl} backend's device) and, in the optional
 * module {@code engine-tornadovm}, {@code TornadoVmRenderKernels} (TornadoVM kernels over off-heap arrays, which
 * transcribe the per-ray / per-pixel loops of {@link RenderMath} and call its scalar helpers). Both call the
 * per-ray / per-pixel helpers of {@link RenderMath}, so apart from the vectorized channel loops the two
 * agree bit for bit. Every method checks its arguments once and throws {@link IllegalArgumentException}
 * naming the op and the argument. Outputs never alias inputs unless a method says so. "{@code (+)=}"
 * means: accumulate when {@code accumulate} is true, overwrite otherwise; parameter gradients (the
 * background map) and gaze-angle gradients always accumulate.
 */
public interface RenderKernels extends AutoCloseable {

    /** Epsilon of the transmittance product, {@code T_k = prod_{j<k} (1 - alpha_j + 1e-10)} (section 2.5). */
    float TRANSMITTANCE_EPS = 1e-10f;

    /** {@code scalar} or {@code parallel}. */
    String name();

    /**
     * The kernels that go with a backend: {@code scalar} gets {@link ScalarRenderKernels}, {@code vector}
     * gets {@link ParallelRenderKernels} (with the backend's thread count, {@code gazenerf.threads});
     * {@code opencl} gets {@link OpenClRenderKernels} on the backend's device; {@code tornadovm} gets
     * {@code dev.gazenerf.backend.tornadovm.TornadoVmRenderKernels} (module {@code engine-tornadovm}, loaded by
     * name) on that backend's device. Never a silent fallback.
     */
    static RenderKernels forBackend(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("RenderKernels.forBackend: argument 'backend' is null");
        }
        String n = backend.name();
        switch (n) {
            case "scalar":
                return new ScalarRenderKernels();
            case "vector":
                return new ParallelRenderKernels(dev.gazenerf.backend.Backends.defaultThreads());
            case "opencl":
                if (!(backend instanceof dev.gazenerf.backend.OpenClBackend)) {
                    throw new IllegalArgumentException("RenderKernels.forBackend: backend 'opencl' is a "
                            + backend.getClass().getName() + ", not dev.gazenerf.backend.OpenClBackend");
                }
                return new OpenClRenderKernels((dev.gazenerf.backend.OpenClBackend) backend);
            case "tornadovm":
                return tornadoVm(backend);
            default:
                throw new IllegalArgumentException("RenderKernels.forBackend: unknown backend '" + n + "'");
        }
    }

    /** The TornadoVM render kernels of the optional module {@code engine-tornadovm}, loaded by name. */
    private static RenderKernels tornadoVm(Backend backend) {
        String cls = "dev.gazenerf.backend.tornadovm.TornadoVmRenderKernels";
        try {
            return (RenderKernels) Class.forName(cls).getConstructor(Backend.class).newInstance(backend);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("RenderKernels.forBackend: " + cls + " failed to start: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("RenderKernels.forBackend: backend 'tornadovm' needs " + cls
                    + " (module engine-tornadovm) on the class path: " + e, e);
        }
    }

    // ---------------------------------------------------------------- volume compositing (2.5)

    /**
     * Volume compositing of {@code rays} rays of {@code S} samples and {@code C} feature channels, with the
     * background feature map. Per ray r (pixel {@code p = (firstPixel + r) mod pixels}) and sample k:
     * <pre>
     *   alpha_k = 1 - exp(-sigma_k * delta_k)
     *   T_k     = prod_{j<k} (1 - alpha_j + 1e-10),  T_0 = 1
     *   w_k     = alpha_k * T_k
     *   bgAlpha = 1 - sum_k w_k
     *   depth   = sum_k w_k * t_k
     *   merged[r, c] = sum_k w_k * feat[r*S + k, c] + bgAlpha * bg[p, c]
     * </pre>
     * Shapes: merged {@code (rays, C)} at mergedOff with row stride C; depth, bgAlpha {@code (rays)} at
     * rayOff (depth may be null); alpha, trans {@code (rays, S)} at cacheOff (caches for backward);
     * sigma {@code (rays*S)} at sigmaOff; feat {@code (rays*S, C)} at featOff with leading dimension ldf;
     * delta, tvals {@code (rays*S)} at sampleOff; bg {@code (pixels, C)} channels-last at 0.
     * Cached for backward: alpha and T per sample (w = alpha*T is recomputed with the same float product)
     * and bgAlpha per ray; sigma, feat, delta, tvals and bg must be unchanged at backward.
     */
    void compositeForward(float[] merged, int mergedOff, float[] depth, float[] bgAlpha, int rayOff,
                          float[] alpha, float[] trans, int cacheOff,
                          float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                          float[] delta, float[] tvals, int sampleOff, float[] bg,
                          int rays, int samples, int channels, int pixels, int firstPixel);

    /**
     * Backward of {@link #compositeForward}. With {@code g = dMerged[r, :]}, {@code dd = dDepth[r]} (0 when
     * dDepth is null) and {@code G_k = dL/dw_k = g . feat_k - g . bg_p + dd * t_k}:
     * <pre>
     *   dFeat[r*S+k, c] = w_k * g_c                                   (written)
     *   S_{K-1} = 0,  S_{k-1} = G_k alpha_k + (1 - alpha_k + 1e-10) S_k
     *   dL/dalpha_k = T_k (G_k - S_k)                                  (no division by 1 - alpha)
     *   dSigma_k = dL/dalpha_k * delta_k * exp(-sigma_k delta_k)       (written)
     *   dDelta_k = dL/dalpha_k * sigma_k * exp(-sigma_k delta_k)       (written when dDelta is not null)
     *   dBg[p, c] += sum over rays r of pixel p (increasing r) of g_c * bgAlpha_r
     * </pre>
     * The depth's dependence on tvals is not propagated (depth is an output for inspection only).
     * dSigma {@code (rays*S)} at dSigmaOff; dFeat {@code (rays*S, C)} at dFeatOff with ld lddf; dDelta
     * {@code (rays*S)} at dSigmaOff; dMerged {@code (rays, C)} at dMergedOff; dDepth {@code (rays)} at
     * rayOff; the other arguments as in forward.
     */
    void compositeBackward(float[] dSigma, int dSigmaOff, float[] dFeat, int dFeatOff, int lddf,
                           float[] dDelta, float[] dBg,
                           float[] dMerged, int dMergedOff, float[] dDepth,
                           float[] bgAlpha, int rayOff, float[] alpha, float[] trans, int cacheOff,
                           float[] sigma, int sigmaOff, float[] feat, int featOff, int ldf,
                           float[] delta, float[] tvals, int sampleOff, float[] bg,
                           int rays, int samples, int channels, int pixels, int firstPixel);

    // ---------------------------------------------------------------- eye rotation and merge (2.6)

    /**
     * Eye-feature rotation: for image n with {@code pitch = angles[2n]}, {@code yaw = angles[2n+1]},
     * {@code R = R_y(yaw) R_x(pitch)}, and every pixel's channel triplet {@code v = in[row, 3j..3j+2]} as a
     * row vector: {@code out[row, 3j..3j+2] = v R}. Shapes: in, out {@code (images*pixels, C)}, C a multiple
     * of 3; angles {@code (images, 2)}. Nothing is cached (backward needs in and angles).
     */
    void rotateForward(float[] out, float[] in, float[] angles, int images, int pixels, int channels);

    /**
     * Backward of {@link #rotateForward}: {@code dIn[row, 3j+i] (+)= sum_m dOut[row, 3j+m] R[i][m]} and
     * {@code dAngles[2n..2n+1] += (dL/dpitch, dL/dyaw)} from {@code dL/dR = sum_rows,j v^T dOut_j}
     * (summed in a fixed order of pixel blocks, independent of the thread count).
     */
    void rotateBackward(float[] dIn, float[] dAngles, float[] dOut, float[] in, float[] angles,
                        int images, int pixels, int channels, boolean accumulate);

    /** Elementwise {@code out[i] = max(a[i], b[i])} over {@code n} floats (the face/eye merge). */
    void maxForward(float[] out, float[] a, float[] b, int n);

    /**
     * Backward of {@link #maxForward}, matching PyTorch's {@code torch.maximum}: the larger input gets the
     * whole gradient; on a tie ({@code a == b}) each input gets half. {@code dA, dB (+)= ...}.
     */
    void maxBackward(float[] dA, float[] dB, float[] dOut, float[] a, float[] b, int n, boolean accumulate);

    // ---------------------------------------------------------------- neural renderer pieces (2.7)

    /**
     * Pixel shuffle by 2 (PyTorch {@code F.pixel_shuffle(x, 2)} in channels-last):
     * {@code out[n, 2h+i, 2w+j, c] = in[n, h, w, 4c + 2i + j]}. in {@code (images, H, W, 4C)},
     * out {@code (images, 2H, 2W, C)}.
     */
    void pixelShuffleForward(float[] out, float[] in, int images, int height, int width, int channels);

    /** Backward of the pixel shuffle (its inverse permutation): {@code dIn[n,h,w,4c+2i+j] (+)= dOut[n,2h+i,2w+j,c]}. */
    void pixelShuffleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                              boolean accumulate);

    /**
     * Channel-repeat residual of PixelShuffleUpsample ({@code x.repeat(1, 4, 1, 1)} added):
     * {@code out[r, k] = y[r, k] + x[xOff + r*C + (k mod C)]} for {@code k < repeats*C}.
     * y, out {@code (rows, repeats*C)}; x {@code (rows, C)} at xOff. out may be the same array as y.
     */
    void repeatAddForward(float[] out, float[] y, float[] x, int xOff, int rows, int channels, int repeats);

    /**
     * Backward of {@link #repeatAddForward} to x: {@code dX[dxOff + r*C + c] (+)= sum_q dOut[r, q*C + c]}
     * (q increasing). The gradient to y is dOut itself.
     */
    void repeatAddBackward(float[] dX, int dxOff, float[] dOut, int rows, int channels, int repeats,
                           boolean accumulate);

    /**
     * Bilinear x2 upsampling, PyTorch {@code interpolate(scale_factor=2, mode='bilinear',
     * align_corners=False)}: source coordinate {@code max(0, (o + 0.5)/2 - 0.5)}, the upper neighbour
     * clamped to the edge (see {@link RenderMath#bilinearIndex}). in {@code (images, H, W, C)}, out
     * {@code (images, 2H, 2W, C)}.
     */
    void upsampleForward(float[] out, float[] in, int images, int height, int width, int channels);

    /** Backward of {@link #upsampleForward}, in gather form (each input pixel sums its output taps). */
    void upsampleBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                          boolean accumulate);

    /**
     * The 3x3 blur of {@code Blur} (kornia {@code filter2d}, normalized [1,2,1]^T[1,2,1]/16, 'same' size,
     * reflect border: index -1 reads 1, index H reads H-2, the edge itself is not repeated).
     * in, out {@code (images, H, W, C)}, H and W at least 2.
     */
    void blurForward(float[] out, float[] in, int images, int height, int width, int channels);

    /** Backward of {@link #blurForward}: the adjoint, with the reflected taps folded back in gather form. */
    void blurBackward(float[] dIn, float[] dOut, int images, int height, int width, int channels,
                      boolean accumulate);

    /** Releases worker threads (nothing for the scalar kernels). */
    @Override
    void close();
}
