package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

/**
 * Tiled matrix product on an OpenCL device, for the three forms of {@link dev.gazenerf.backend.Backend}:
 * {@code C = (accumulate ? C : 0) + op(A) op(B)} with NT ({@code A (m,k)}, {@code B (n,k)}), NN
 * ({@code A (m,k)}, {@code B (k,n)}) and TN ({@code A (k,m)}, {@code B (k,n)}), all row-major with offsets and
 * leading dimensions.
 *
 * <p>Launched over a 2D range: dimension 0 runs over columns of C, dimension 1 over rows, work-groups of
 * {@code tile x tile} items (the tile size is chosen by the backend from the device's limits). Each
 * work-group stages a {@code (tile, tile)} block of A and of B in local memory per step along k, each
 * item computes one element of C. Loads are arranged so that neighbouring items (dimension 0) read
 * neighbouring addresses in every form. Edge tiles load zeros outside the matrices and store nothing
 * outside C. The sum over k runs in increasing k, the order of the scalar specification (the padded zeros
 * add exact zeros); the OpenCL compiler may contract multiply and add into fma.
 */
public final class GemmKernel extends Kernel {
    /** Form codes: which operand is stored transposed. */
    public static final int NT = 0;
    public static final int NN = 1;
    public static final int TN = 2;

    private int tile;
    private int form;
    private int m;
    private int n;
    private int k;
    private float[] a = new float[1];
    private int aOff;
    private int lda;
    private float[] b = new float[1];
    private int bOff;
    private int ldb;
    private float[] c = new float[1];
    private int cOff;
    private int ldc;
    private int accumulate;
    /** (tile, tile): rows of C in this tile by k within the step. */
    @Local
    private final float[] tileA;
    /** (tile, tile): k within the step by columns of C in this tile. */
    @Local
    private final float[] tileB;

    /** A kernel with square tiles of {@code tile x tile} (the work-group shape). */
    public GemmKernel(int tile) {
        if (tile < 1) {
            throw new IllegalArgumentException("GemmKernel: tile must be positive, got " + tile);
        }
        this.tile = tile;
        this.tileA = new float[tile * tile];
        this.tileB = new float[tile * tile];
    }

    /** The tile edge (work-group edge) this kernel was built for. */
    public int tile() {
        return tile;
    }

    /** Binds the arguments of one product; {@code form} is {@link #NT}, {@link #NN} or {@link #TN}. */
    public void set(int form, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                    float[] c, int cOff, int ldc, boolean accumulate) {
        this.form = form;
        this.m = m;
        this.n = n;
        this.k = k;
        this.a = a;
        this.aOff = aOff;
        this.lda = lda;
        this.b = b;
        this.bOff = bOff;
        this.ldb = ldb;
        this.c = c;
        this.cOff = cOff;
        this.ldc = ldc;
        this.accumulate = accumulate ? 1 : 0;
    }

    @Override
    public void run() {
        int tx = getLocalId(0);
        int ty = getLocalId(1);
        int col0 = getGroupId(0) * tile;
        int row0 = getGroupId(1) * tile;
        int i = row0 + ty;
        int j = col0 + tx;
        float s = 0f;
        for (int p0 = 0; p0 < k; p0 += tile) {
            if (form == TN) {
                // A stored (k, m): item (tx, ty) reads k index p0+ty, row row0+tx.
                int p = p0 + ty;
                int r = row0 + tx;
                float v = 0f;
                if (p < k && r < m) {
                    v = a[aOff + p * lda + r];
                }
                tileA[tx * tile + ty] = v;
            } else {
                // A stored (m, k): item (tx, ty) reads row i, k index p0+tx.
                int p = p0 + tx;
                float v = 0f;
                if (i < m && p < k) {
                    v = a[aOff + i * lda + p];
                }
                tileA[ty * tile + tx] = v;
            }
            if (form == NT) {
                // B stored (n, k): item (tx, ty) reads column col0+ty, k index p0+tx.
                int p = p0 + tx;
                int cc = col0 + ty;
                float v = 0f;
                if (p < k && cc < n) {
                    v = b[bOff + cc * ldb + p];
                }
                tileB[tx * tile + ty] = v;
            } else {
                // B stored (k, n): item (tx, ty) reads k index p0+ty, column j.
                int p = p0 + ty;
                float v = 0f;
                if (p < k && j < n) {
                    v = b[bOff + p * ldb + j];
                }
                tileB[ty * tile + tx] = v;
            }
            localBarrier();
            for (int q = 0; q < tile; q++) {
                s += tileA[ty * tile + q] * tileB[q * tile + tx];
            }
            localBarrier();
        }
        if (i < m && j < n) {
            int ci = cOff + i * ldc + j;
            if (accumulate != 0) {
                c[ci] = c[ci] + s;
            } else {
                c[ci] = s;
            }
        }
    }
}
