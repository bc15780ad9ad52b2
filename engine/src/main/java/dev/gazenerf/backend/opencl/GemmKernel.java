package dev.gazenerf.backend.opencl;

import com.aparapi.Kernel;

/**
 * Tiled, register-blocked matrix product on an OpenCL device, for the three forms of
 * {@link dev.gazenerf.backend.Backend}: {@code C = (accumulate ? C : 0) + op(A) op(B)} with NT
 * ({@code A (m,k)}, {@code B (n,k)}), NN ({@code A (m,k)}, {@code B (k,n)}) and TN ({@code A (k,m)},
 * {@code B (k,n)}), all row-major with offsets and leading dimensions.
 *
 * <p>Each work-group computes a {@code (tile, tile)} block of C; it is a {@code g x g} square of work-items
 * with {@code g = tile / }{@value #BLOCK}, and each item computes a {@value #BLOCK}{@code  x }{@value #BLOCK}
 * register block of C (rows {@code ty + r g}, columns {@code tx + c g}, strided so that neighbouring items
 * touch neighbouring columns). Per step along k the group stages a {@code (tile, tile)} block of A and of B in
 * local memory: every item loads {@value #BLOCK}{@code ^2} elements of each, at addresses consecutive across
 * neighbouring items in every storage form. Edge tiles load zeros outside the matrices and store nothing
 * outside C. Launched over a 2D range: dimension 0 runs over column groups, dimension 1 over row groups
 * ({@code ceil(n / tile) g} by {@code ceil(m / tile) g} items, work-groups {@code g x g}).
 *
 * <p>Every element of C sums over k in increasing order, the order of the scalar specification (padded
 * zeros add exact zeros); the OpenCL compiler may contract the multiply-add into fma. The tile size is
 * chosen by the backend from the device's limits; {@value #BLOCK} is the register block, a design constant
 * of this kernel (the accumulators are written out as scalars so they live in registers).
 */
public final class GemmKernel extends Kernel {
    /** Form codes: which operand is stored transposed. */
    public static final int NT = 0;
    public static final int NN = 1;
    public static final int TN = 2;
    /** Edge of the register block each work-item computes. */
    public static final int BLOCK = 4;

    private final int tile;
    private final int tileShift;
    private final int g;
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

    /** A kernel with {@code (tile, tile)} blocks of C; {@code tile} is a power of two and a multiple of {@value #BLOCK}. */
    public GemmKernel(int tile) {
        if (tile < BLOCK || Integer.bitCount(tile) != 1) {
            throw new IllegalArgumentException("GemmKernel: tile must be a power of two >= " + BLOCK + ", got " + tile);
        }
        this.tile = tile;
        this.tileShift = Integer.numberOfTrailingZeros(tile);
        this.g = tile / BLOCK;
        this.tileA = new float[tile * tile];
        this.tileB = new float[tile * tile];
    }

    /** The edge of the block of C one work-group computes. */
    public int tile() {
        return tile;
    }

    /** The edge of a work-group ({@code tile / BLOCK}). */
    public int groupEdge() {
        return g;
    }

    /** Global size of the launch along one dimension of C with {@code extent} rows or columns. */
    public int globalSize(int extent) {
        return (extent + tile - 1) / tile * g;
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
        int lid = ty * g + tx;
        int items = g * g;
        int mask = tile - 1;
        float acc00 = 0f;
        float acc01 = 0f;
        float acc02 = 0f;
        float acc03 = 0f;
        float acc10 = 0f;
        float acc11 = 0f;
        float acc12 = 0f;
        float acc13 = 0f;
        float acc20 = 0f;
        float acc21 = 0f;
        float acc22 = 0f;
        float acc23 = 0f;
        float acc30 = 0f;
        float acc31 = 0f;
        float acc32 = 0f;
        float acc33 = 0f;
        for (int p0 = 0; p0 < k; p0 += tile) {
            for (int l = 0; l < 16; l++) {
                int e = lid + l * items;
                int hi = e >> tileShift;
                int lo = e & mask;
                loadA(hi, lo, row0, p0);
                loadB(hi, lo, col0, p0);
            }
            localBarrier();
            for (int q = 0; q < tile; q++) {
                float a0 = tileA[ty * tile + q];
                float a1 = tileA[(ty + 1 * g) * tile + q];
                float a2 = tileA[(ty + 2 * g) * tile + q];
                float a3 = tileA[(ty + 3 * g) * tile + q];
                float b0 = tileB[q * tile + tx];
                float b1 = tileB[q * tile + tx + 1 * g];
                float b2 = tileB[q * tile + tx + 2 * g];
                float b3 = tileB[q * tile + tx + 3 * g];
                acc00 += a0 * b0;
                acc01 += a0 * b1;
                acc02 += a0 * b2;
                acc03 += a0 * b3;
                acc10 += a1 * b0;
                acc11 += a1 * b1;
                acc12 += a1 * b2;
                acc13 += a1 * b3;
                acc20 += a2 * b0;
                acc21 += a2 * b1;
                acc22 += a2 * b2;
                acc23 += a2 * b3;
                acc30 += a3 * b0;
                acc31 += a3 * b1;
                acc32 += a3 * b2;
                acc33 += a3 * b3;
            }
            localBarrier();
        }
        store(row0 + ty + 0 * g, col0 + tx + 0 * g, acc00);
        store(row0 + ty + 0 * g, col0 + tx + 1 * g, acc01);
        store(row0 + ty + 0 * g, col0 + tx + 2 * g, acc02);
        store(row0 + ty + 0 * g, col0 + tx + 3 * g, acc03);
        store(row0 + ty + 1 * g, col0 + tx + 0 * g, acc10);
        store(row0 + ty + 1 * g, col0 + tx + 1 * g, acc11);
        store(row0 + ty + 1 * g, col0 + tx + 2 * g, acc12);
        store(row0 + ty + 1 * g, col0 + tx + 3 * g, acc13);
        store(row0 + ty + 2 * g, col0 + tx + 0 * g, acc20);
        store(row0 + ty + 2 * g, col0 + tx + 1 * g, acc21);
        store(row0 + ty + 2 * g, col0 + tx + 2 * g, acc22);
        store(row0 + ty + 2 * g, col0 + tx + 3 * g, acc23);
        store(row0 + ty + 3 * g, col0 + tx + 0 * g, acc30);
        store(row0 + ty + 3 * g, col0 + tx + 1 * g, acc31);
        store(row0 + ty + 3 * g, col0 + tx + 2 * g, acc32);
        store(row0 + ty + 3 * g, col0 + tx + 3 * g, acc33);
    }

    /** Stages element {@code (hi, lo)} of this step's A block (coalesced along lo in both storages). */
    private void loadA(int hi, int lo, int row0, int p0) {
        float v = 0f;
        if (form == TN) {
            // A stored (k, m): hi is the k index, lo the row of C
            int p = p0 + hi;
            int r = row0 + lo;
            if (p < k && r < m) {
                v = a[aOff + p * lda + r];
            }
            tileA[lo * tile + hi] = v;
        } else {
            // A stored (m, k): hi is the row of C, lo the k index
            int r = row0 + hi;
            int p = p0 + lo;
            if (r < m && p < k) {
                v = a[aOff + r * lda + p];
            }
            tileA[hi * tile + lo] = v;
        }
    }

    /** Stages element {@code (hi, lo)} of this step's B block (coalesced along lo in both storages). */
    private void loadB(int hi, int lo, int col0, int p0) {
        float v = 0f;
        if (form == NT) {
            // B stored (n, k): hi is the column of C, lo the k index
            int j = col0 + hi;
            int p = p0 + lo;
            if (j < n && p < k) {
                v = b[bOff + j * ldb + p];
            }
            tileB[lo * tile + hi] = v;
        } else {
            // B stored (k, n): hi is the k index, lo the column of C
            int p = p0 + hi;
            int j = col0 + lo;
            if (p < k && j < n) {
                v = b[bOff + p * ldb + j];
            }
            tileB[hi * tile + lo] = v;
        }
    }

    /** Writes one element of C when it lies inside C. */
    private void store(int i, int j, float s) {
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
