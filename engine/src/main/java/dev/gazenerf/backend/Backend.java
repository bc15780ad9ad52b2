package dev.gazenerf.backend;

import dev.gazenerf.kernel.Activation;

/**
 * The compute primitives every network op is written in. Three implementations: {@code scalar} (the
 * specification: plain single-threaded loops), {@code vector} (Java Vector API, blocked, parallel and
 * deterministic) and {@code opencl} (Aparapi kernels over the same per-element helpers).
 *
 * <p>All tensors are flat row-major {@code float[]} with an explicit offset and leading dimension
 * ({@code ld}, the distance between two rows), so a slice of a wider buffer (a channel concatenation)
 * is just an offset and an ld. Rows are points (or pixels), columns are channels. Weights follow
 * PyTorch's {@code [out, in]} layout, so a dense layer's forward is {@link #gemmNT}, its input gradient
 * {@link #gemmNN} and its weight gradient {@link #gemmTN}.
 *
 * <p>Contract shared by all methods: sizes may be zero (nothing happens); outputs never alias inputs
 * unless a method says so; arguments are checked once here by {@link Checks} in every implementation,
 * and a bad one throws {@link IllegalArgumentException} naming the method and the argument. Results of a
 * backend are deterministic: same inputs, same bits, whatever the thread count.
 */
public interface Backend extends AutoCloseable {

    /** Short name: {@code scalar}, {@code vector} or {@code opencl}. */
    String name();

    /** What runs the kernels, for logs: "Java, 1 thread", "Vector API 512-bit, 2 threads", "OpenCL: ...". */
    String device();

    /**
     * {@code C[m,n] = (accumulate ? C : 0) + sum_k A[m,k] * B[n,k]}: A is {@code (m, k)} with leading
     * dimension lda, B is {@code (n, k)} with ldb (a weight matrix {@code [out, in]}), C is {@code (m, n)}.
     */
    void gemmNT(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float[] c, int cOff, int ldc, boolean accumulate);

    /** {@code C[m,n] = (accumulate ? C : 0) + sum_k A[m,k] * B[k,n]}: A {@code (m, k)}, B {@code (k, n)}. */
    void gemmNN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float[] c, int cOff, int ldc, boolean accumulate);

    /** {@code C[m,n] = (accumulate ? C : 0) + sum_k A[k,m] * B[k,n]}: A {@code (k, m)}, B {@code (k, n)}. */
    void gemmTN(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                float[] c, int cOff, int ldc, boolean accumulate);

    /**
     * In place: {@code y[r,c] = act(y[r,c] + bias[biasOff + (r / rowsPerBias) * biasStride + c])}.
     * One bias row serves {@code rowsPerBias} consecutive rows (pass {@code rows} for an ordinary bias,
     * the points of one image for a per-image hoisted code product). {@code bias} may be null (no bias).
     */
    void biasActivation(float[] y, int yOff, int ldy, int rows, int cols,
                        float[] bias, int biasOff, int biasStride, int rowsPerBias, Activation act);

    /**
     * {@code dx[r,c] = dy[r,c] * act'(x)} written with the activation's output {@code y}
     * (see {@link Activation#backward}). {@code dx} may be the same array, offset and ld as {@code dy}.
     */
    void activationBackward(float[] dx, int dxOff, int lddx, float[] dy, int dyOff, int lddy,
                            float[] y, int yOff, int ldy, int rows, int cols, Activation act);

    /**
     * Column sums over groups of rows: {@code out[g, c] = (accumulate ? out[g,c] : 0) + sum_{r in group g} d[r, c]},
     * groups of {@code rowsPerGroup} consecutive rows ({@code rows} must be a multiple of it), out row
     * stride {@code cols}. With {@code rowsPerGroup == rows} this is a bias gradient.
     * The summation order is fixed (rows in increasing order), whatever the backend's parallelism.
     */
    void columnSums(float[] out, int outOff, float[] d, int dOff, int ldd, int rows, int cols,
                    int rowsPerGroup, boolean accumulate);

    /**
     * Copies a {@code (rows, cols)} block: {@code dst[r, c] = (accumulate ? dst[r,c] : 0) + src[r, c]}.
     * Channel concatenation is two copies into column slices of one wider buffer.
     */
    void copy2d(float[] dst, int dstOff, int lddst, float[] src, int srcOff, int ldsrc, int rows, int cols,
                boolean accumulate);

    /**
     * Frequency encoding (section 2.3), per point {@code p} with {@code x = xyz[p*3 .. p*3+2]}:
     * {@code out[p, :] = [x, sin(2^0 x), cos(2^0 x), ..., sin(2^(F-1) x), cos(2^(F-1) x)]}, each entry 3 wide,
     * no pi factor; {@code 3 + 6F} columns written at {@code out[outOff + p*ldo ..]}.
     */
    void frequencyEncode(float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int points, int frequencies);

    /**
     * Backward of {@link #frequencyEncode} to the raw xyz:
     * {@code dXyz[p, i] (+)= dOut[p, i] + sum_f 2^f (cos(2^f x_i) dOut[p, sin_f i] - sin(2^f x_i) dOut[p, cos_f i])}.
     */
    void frequencyEncodeBackward(float[] dXyz, int dXyzOff, float[] dOut, int dOutOff, int lddo,
                                 float[] xyz, int xyzOff, int points, int frequencies, boolean accumulate);

    /**
     * One Adam step on {@code n} parameters starting at {@code off} of each buffer, exactly as PyTorch's
     * {@code torch.optim.Adam} (no weight decay, no amsgrad): {@code m = b1 m + (1-b1) g},
     * {@code v = b2 v + (1-b2) g^2}, {@code p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)},
     * where {@code t = step >= 1}.
     */
    void adam(float[] param, float[] grad, float[] m, float[] v, int off, int n,
              float lr, float beta1, float beta2, float eps, int step);

    /** Releases device resources and threads; the backend is unusable afterwards. */
    @Override
    void close();
}
