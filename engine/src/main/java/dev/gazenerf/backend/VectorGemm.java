package dev.gazenerf.backend;

import dev.gazenerf.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The three gemm forms of the {@code vector} backend: packed panels, a register-blocked micro-kernel of
 * {@value #MR} rows by 2 vectors with fused multiply-add, cache blocking over k, parallel over blocks of C.
 *
 * <p>All forms compute {@code C[i,j] (+)= sum_p A'(i,p) B'(p,j)} with {@code A'} and {@code B'} read through
 * the form's layout while packing:
 * <ul>
 *   <li>NT (forward, {@code Y = X W^T}): A' = A {@code (m, k)}, B'(p,j) = B[j,p] with B {@code (n, k)};</li>
 *   <li>NN (input gradient, {@code dX = dY W}): A' = A {@code (m, k)}, B' = B {@code (k, n)};</li>
 *   <li>TN (weight gradient, {@code dW = dY^T X}): A'(i,p) = A[p,i] with A {@code (k, m)}, B' = B {@code (k, n)}.</li>
 * </ul>
 * In the NT and NN forms A' is A itself (row-major) and is read in place, {@value #MR} rows at a time
 * ({@link #kernelRows}). In the TN form A'(i..i+MR, p) are {@value #MR} consecutive floats of row p of A, also read
 * in place ({@link #kernelTN}) when every panel of the block is full. A last group of fewer than {@value #MR}
 * rows, and the TN form's A' beside an edge panel, are packed into micro-panels of {@code MR} rows
 * ({@code ap[q*kc + p*MR + r]}). B' is packed into panels of
 * {@code NR = NV * VL} columns ({@code bp[t*kc + p*NR + c]}); edges are padded with zeros and written back
 * through a small tile.
 *
 * <p>Determinism: k is cut into fixed blocks of {@value #KC}, independent of the thread count. Each element
 * of C is {@code C = ((C0 + s_0) + s_1) + ...} where {@code s_b} is the fma chain over block b in
 * increasing p, and C0 is the old C (accumulate) or nothing. Work is split only over blocks of C (blocks of
 * rows, and groups of column panels when the rows are few); B' is packed once per k block and shared; each
 * block of C runs every k block in order. So the same inputs give the same bits whatever the thread count
 * and whichever worker ran which block. The same structure serves the weight gradient (TN), whose k is the
 * large point count: its B' is shared, and narrow ones (at most {@value #TN_IN_PLACE_PANELS} panels) read B in
 * place too.
 *
 * <p>Scratch (the shared packed B', the per-worker packed A' and edge tile, the padded or transposed copies of the
 * TN shortcuts) is kept and grown when a call needs more; a warm backend allocates nothing per call.
 */
final class VectorGemm {
    static final int FORM_NT = 0;
    static final int FORM_NN = 1;
    static final int FORM_TN = 2;

    private static final VectorSpecies<Float> S = VectorKernels.SPECIES;
    private static final int VL = S.length();
    /** The species' vector class: every store casts to it first (see {@link VectorKernels#VECTOR_CLASS}). */
    private static final Class<?> VECTOR_CLASS = S.vectorType();
    /**
     * Rows of the micro-kernel. 6 rows by 2 vectors: 12 accumulators, which with the 2 loaded vectors of B and
     * the broadcast fit in the 16 vector registers of AVX2 as well as in AVX-512's 32. (A 4 by 4 kernel was as
     * fast on a fresh JVM at 512 bits, but once weight-gradient calls had run, C2's recompiled kernel ran at
     * about 58% of its first speed for every form; 6 by 2 stayed at 90-100 GFLOP/s per core in any call order.)
     */
    static final int MR = 6;  // kernel() and the A packers are unrolled for exactly 6 rows
    /** Vectors per row of the micro-kernel. */
    private static final int NV = 2;
    /** Columns of the micro-kernel. */
    static final int NR = NV * VL;
    /** The k block. Part of the definition of the result (block sums are added in order): never derive it from threads. */
    static final int KC = 384;
    /** Most rows of C per task. */
    private static final int MC = 120;
    /** Columns of B' packed per column round. */
    private static final int NC = 24 * NR;
    /** k blocks per round: packed together, then consumed by every block of C (fewer hand-offs to the workers). */
    private static final int ROUND = 4;
    /** Below this many flops a gemm runs on the calling thread only. */
    private static final long PARALLEL_FLOPS = 1L << 21;

    private final WorkerPool pool;
    private final float[][] aPack;   // per worker: (ceil(rows/MR)*MR, kc) micro-panels
    private final float[][] tile;    // per worker: (MR, NR) edge tile
    private float[] bShared = new float[0];  // per k block of the round: (kc, ceil(nc/NR)*NR) panels of B'

    // The current call, set by the caller before the pool runs the tasks below.
    private int form;
    private int m;
    private int n;
    private int k;
    private float[] a;
    private int aOff;
    private int lda;
    private float[] b;
    private int bOff;
    private int ldb;
    private float[] c;
    private int cOff;
    private int ldc;
    private boolean accumulate;
    private int jc;
    private int nc;
    private int panels;
    private int mcBlock;
    private int blockStride;
    private int roundK0;
    private int roundBlocks;
    private int panelGroups;

    private final boolean shortcuts;
    // thin products (m, n or k = 1): A'(i, p) = a[aOff + i * aI + p * aP], B'(p, j) = b[bOff + p * bP + j * bJ]
    private int aI;
    private int aP;
    private int bP;
    private int bJ;
    private int thinOutputs;
    private int thinTasks;
    private final WorkerPool.Body thinTask = this::thinTask;
    private final WorkerPool.Body packSharedB = this::packSharedPanel;
    private final WorkerPool.Body rowBlock = this::rowBlock;
    /**
     * The TN form reads both operands in place ({@link #kernelTN}, {@link #kernelTNPackedA}) when a column round has
     * at most this many panels (n <= 192): then each packed float would serve only a few tiles and packing cost about
     * as much as the multiply-adds (the {@code tiny} step's profile: packATransposed 7.9%, packBRows 7.4%; see
     * bench/PROFILE.md). GemmBenchmark.gemmTN on 2 threads, 2026-11-26: n = 64, k = 12,288: 141 against 85 GFLOP/s
     * packed; n = 128: 134 against 123; n = 384, k = 4,096: 143 against 157, so wider weight gradients pack B'.
     * In-process alternation (2 threads, median of 20 rounds, same bits), 2026-11-26 stop 6: 258 x 192 x 4,096 (the
     * paper's RGB_layer_2 weight gradient, 6 panels) in place 164.7-165.6 against 147.3 GFLOP/s packed; 384 x 384 x
     * 4,096 in place 176.0 against 171.5, but the A-in-place path below is faster there.
     */
    static final int TN_IN_PLACE_PANELS = 6;

    /**
     * Whether the current TN column round reads both operands in place: at most {@value #TN_IN_PLACE_PANELS} panels,
     * all full. Narrow products with an edge panel (n = 63: the encoded points' weight gradients) get there through
     * {@link #paddedTN}.
     */
    private boolean tnInPlace() {
        return form == FORM_TN && panels <= TN_IN_PLACE_PANELS && nc % NR == 0;
    }

    VectorGemm(WorkerPool pool) {
        this(pool, true);
    }

    /**
     * With {@code shortcuts} false every product takes the blocked path, without {@link #thin} products or the
     * {@link #paddedTN} and {@link #swappedTN} forms (tests compare the two, bit for bit).
     */
    VectorGemm(WorkerPool pool, boolean shortcuts) {
        this.pool = pool;
        this.shortcuts = shortcuts;
        int w = pool.threads();
        this.aPack = new float[w][0];
        this.tile = new float[w][MR * NR];
    }

    /** One gemm of the given form; arguments were checked by the caller. */
    synchronized void gemm(int form, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float[] c, int cOff, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
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
        this.accumulate = accumulate;
        boolean parallel = pool.threads() > 1 && 2L * m * n * k >= PARALLEL_FLOPS;
        try {
            if (shortcuts && (m == 1 || n == 1 || k == 1)) {
                thin(parallel);
                return;
            }
            if (shortcuts && form == FORM_TN && n % NR != 0 && n <= TN_IN_PLACE_PANELS * NR) {
                paddedTN(parallel);
                return;
            }
            if (shortcuts && form == FORM_TN && 2 * n < m && n % NR != 0) {
                swappedTN(parallel);
                return;
            }
            blocks(parallel);
        } finally {
            this.a = null;
            this.b = null;
            this.c = null;
        }
    }

    private float[] bPad = new float[0];  // paddedTN's B with zero columns up to a multiple of NR
    private float[] cPad = new float[0];  // paddedTN's C, as wide

    /** paddedTN widens B one slab of this many rows at a time (whole k rounds), so its copy stays small. */
    private static final int PAD_SLAB = 4 * ROUND * KC;

    /**
     * A narrow TN product whose last panel is not full ({@code n % NR != 0}, n at most {@value #TN_IN_PLACE_PANELS}
     * panels: the encoded points' 384 x 63 weight gradients) on copies of B and C widened with zero columns to whole
     * panels, so that both operands are read in place ({@link #tnInPlace}) instead of packed. B is widened one slab
     * of {@link #PAD_SLAB} rows at a time (at most 6,144 x 192 floats, whatever k), each slab a whole number of k
     * blocks run in order on the widened C. The padding columns of B only feed the padding columns of C, which are
     * dropped; every element of C is the same fma chain in the same k blocks added to the same old value as on the
     * blocked path, so the same bits (VectorGemmShortcutTest). The copies move k x n + 2 x m x n floats against
     * 2 m n k flops. In-process alternation, 384 x 63 x 4,096 on 2 threads (median of 30 rounds, 2026-11-26 stop 6):
     * 163.7 against 136.4 GFLOP/s for the transposed product ({@link #swappedTN}) used before; in the paper MLP step
     * (MlpCallProfile) 129 against 92 GFLOP/s.
     */
    private void paddedTN(boolean parallel) {
        int nPad = roundUp(n, NR);
        int slabRows = Math.min(k, PAD_SLAB);
        if (bPad.length < slabRows * nPad) {
            bPad = new float[slabRows * nPad];
        }
        if (cPad.length < m * nPad) {
            cPad = new float[m * nPad];
        }
        float[] bp = bPad;
        float[] cp = cPad;
        float[] bOrig = b;
        int bOffOrig = bOff;
        int ldbOrig = ldb;
        int aOffOrig = aOff;
        int kOrig = k;
        boolean accumulateOrig = accumulate;
        float[] cOrig = c;
        int cOffOrig = cOff;
        int ldcOrig = ldc;
        int nOrig = n;
        if (accumulateOrig) {
            for (int i = 0; i < m; i++) {
                System.arraycopy(cOrig, cOffOrig + i * ldcOrig, cp, i * nPad, nOrig);
            }
        }
        b = bp;
        bOff = 0;
        ldb = nPad;
        c = cp;
        cOff = 0;
        ldc = nPad;
        n = nPad;
        for (int s0 = 0; s0 < kOrig; s0 += PAD_SLAB) {
            int rows = Math.min(PAD_SLAB, kOrig - s0);
            for (int p = 0; p < rows; p++) {
                System.arraycopy(bOrig, bOffOrig + (s0 + p) * ldbOrig, bp, p * nPad, nOrig);
                Arrays.fill(bp, p * nPad + nOrig, (p + 1) * nPad, 0f);
            }
            aOff = aOffOrig + s0 * lda;
            k = rows;
            accumulate = accumulateOrig || s0 > 0;
            blocks(parallel);
        }
        for (int i = 0; i < m; i++) {
            System.arraycopy(cp, i * nPad, cOrig, cOffOrig + i * ldcOrig, nOrig);
        }
    }

    private float[] cT = new float[0];  // swappedTN's transposed C

    /**
     * A weight gradient with less than half as many columns as rows and an edge panel computed as its transpose,
     * {@code C^T = B^T A} (still the TN form, operands swapped): the wide operand dY is then packed as B' panels
     * (vector copies) and the narrow one transposed into A' micro-panels, instead of transposing all of dY for a few
     * panels. (Written for the encoded points' 384 x 63 weight gradients, which {@link #paddedTN} now serves.) Each element is the same fma chain over p (fma(x, y, s) = fma(y, x, s))
     * in the same k blocks, added to the same old value, so the same bits (VectorGemmShortcutTest). GemmAB
     * (in-process alternation), 384 x 63 x 4,096 on 2 threads: 101.9 against 117.4 and 101.2 against 110.4
     * GFLOP/s in two runs, the same on one thread; 258 x 192 gained nothing (so n < m / 2 only). Since stop 6 the
     * narrow products with an edge panel take {@link #paddedTN}, and products whose panels are all full read A in
     * place (faster than this: 500 x 224 x 4,096 on 2 threads, 167.9 against 146.3 GFLOP/s), so this serves
     * n > 192 with an edge panel only (500 x 200 x 4,096: 158.7 against 139.6; 1,000 x 250 x 4,096 146.9 against
     * 161.0, so not always a gain there either; no model of ours has such a shape).
     */
    private void swappedTN(boolean parallel) {
        float[] aOrig = a;
        int aOffOrig = aOff;
        int ldaOrig = lda;
        float[] cOrig = c;
        int cOffOrig = cOff;
        int ldcOrig = ldc;
        int mOrig = m;
        int nOrig = n;
        if (cT.length < mOrig * nOrig) {
            cT = new float[mOrig * nOrig];
        }
        float[] t = cT;
        if (accumulate) {
            transpose(cOrig, cOffOrig, ldcOrig, mOrig, nOrig, t, 0, mOrig);
        }
        m = nOrig;
        n = mOrig;
        a = b;
        aOff = bOff;
        lda = ldb;
        b = aOrig;
        bOff = aOffOrig;
        ldb = ldaOrig;
        c = t;
        cOff = 0;
        ldc = mOrig;
        blocks(parallel);
        transpose(t, 0, mOrig, nOrig, mOrig, cOrig, cOffOrig, ldcOrig);
    }

    /** {@code dst[j, i] = src[i, j]} for a {@code (rows, cols)} block of src. */
    private static void transpose(float[] src, int srcOff, int ldSrc, int rows, int cols, float[] dst, int dstOff,
                                  int ldDst) {
        for (int i = 0; i < rows; i++) {
            int from = srcOff + i * ldSrc;
            for (int j = 0; j < cols; j++) {
                dst[dstOff + j * ldDst + i] = src[from + j];
            }
        }
    }

    /**
     * Products with a dimension of 1 (the density head's one output column, the per-image code products' one row,
     * outer products with k = 1) without packing: packing a (k, NR) panel to use one of its columns, or a whole
     * weight matrix for one row, cost more than the multiply-adds (1.5 ms of the paper MLP's 180 ms step for 3 M
     * multiply-adds, bench/PROFILE.md). Each element of C is computed exactly as the blocked path computes it: per
     * k block of {@value #KC} an fma chain over p from zero, added to C in block order (to the old C when
     * accumulating), so both paths give the same bits (VectorGemmShortcutTest) and determinism is unchanged.
     * Where one operand is contiguous along the output's long dimension the lanes run along it; otherwise eight
     * independent scalar fma chains run side by side.
     */
    private void thin(boolean parallel) {
        if (form == FORM_TN) {
            aI = 1;
            aP = lda;
        } else {
            aI = lda;
            aP = 1;
        }
        if (form == FORM_NT) {
            bP = 1;
            bJ = ldb;
        } else {
            bP = ldb;
            bJ = 1;
        }
        // outputs handed out to tasks: column chunks for a single row with contiguous B' columns, rows otherwise
        thinOutputs = m == 1 && bJ == 1 ? ceilDiv(n, THIN_COLUMNS) : m;
        thinTasks = parallel ? Math.min(thinOutputs, 4 * pool.threads()) : 1;
        if (thinTasks > 1) {
            pool.run(thinTask, thinTasks);
        } else {
            thinTask(0, 0);
        }
    }

    /** Columns of C per task when a single row runs along contiguous B' columns. */
    private static final int THIN_COLUMNS = 4 * VL;

    private void thinTask(int task, int worker) {
        int o0 = (int) ((long) thinOutputs * task / thinTasks);
        int o1 = (int) ((long) thinOutputs * (task + 1) / thinTasks);
        if (m == 1 && bJ == 1) {
            int j1 = Math.min(n, o1 * THIN_COLUMNS);
            for (int j = o0 * THIN_COLUMNS; j < j1; j += THIN_COLUMNS) {
                rowAlongColumns(j, Math.min(THIN_COLUMNS, j1 - j));
            }
        } else if (n == 1 && aI == 1 && k > 1) {
            columnAlongRows(o0, o1);
        } else if (k == 1 && bJ == 1) {
            for (int i = o0; i < o1; i++) {
                outerRow(i);
            }
        } else if (n == 1) {
            rowChains(o0, o1);
        } else {
            // row by row, eight chains at a time along j
            for (int i = o0; i < o1; i++) {
                for (int j = 0; j < n; j += 8) {
                    chains(aOff + i * aI, 0, bOff + j * bJ, bJ, cOff + i * ldc + j, 1, Math.min(8, n - j));
                }
            }
        }
    }

    /** C[i0 .. i1, 0] for n = 1, eight rows' fma chains at a time. */
    private void rowChains(int i0, int i1) {
        for (int i = i0; i < i1; i += 8) {
            chains(aOff + i * aI, aI, bOff, 0, cOff + i * ldc, ldc, Math.min(8, i1 - i));
        }
    }

    /** C[0, j0 .. j0+cols) for m = 1 with B' rows contiguous: lanes along j, one fma chain per lane. */
    private void rowAlongColumns(int j0, int cols) {
        int ci = cOff + j0;
        int vecEnd = cols - cols % VL;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            boolean load = accumulate || p0 > 0;
            int j = 0;
            if (vecEnd == 4 * VL) {
                FloatVector s0 = FloatVector.zero(S);
                FloatVector s1 = s0;
                FloatVector s2 = s0;
                FloatVector s3 = s0;
                int bi = bOff + p0 * bP + j0;
                int ai = aOff + p0 * aP;
                for (int p = 0; p < kc; p++, bi += bP, ai += aP) {
                    FloatVector x = FloatVector.broadcast(S, a[ai]);
                    s0 = x.fma(FloatVector.fromArray(S, b, bi), s0);
                    s1 = x.fma(FloatVector.fromArray(S, b, bi + VL), s1);
                    s2 = x.fma(FloatVector.fromArray(S, b, bi + 2 * VL), s2);
                    s3 = x.fma(FloatVector.fromArray(S, b, bi + 3 * VL), s3);
                }
                storeSum(s0, ci, load);
                storeSum(s1, ci + VL, load);
                storeSum(s2, ci + 2 * VL, load);
                storeSum(s3, ci + 3 * VL, load);
                j = vecEnd;
            }
            for (; j < vecEnd; j += VL) {
                FloatVector s0 = FloatVector.zero(S);
                int bi = bOff + p0 * bP + j0 + j;
                int ai = aOff + p0 * aP;
                for (int p = 0; p < kc; p++, bi += bP, ai += aP) {
                    s0 = FloatVector.broadcast(S, a[ai]).fma(FloatVector.fromArray(S, b, bi), s0);
                }
                storeSum(s0, ci + j, load);
            }
            for (; j < cols; j++) {
                float s0 = 0f;
                int bi = bOff + p0 * bP + j0 + j;
                int ai = aOff + p0 * aP;
                for (int p = 0; p < kc; p++, bi += bP, ai += aP) {
                    s0 = Math.fma(a[ai], b[bi], s0);
                }
                c[ci + j] = load ? c[ci + j] + s0 : s0;
            }
        }
    }

    private void storeSum(FloatVector s, int ci, boolean load) {
        ((FloatVector) VECTOR_CLASS.cast(load ? s.add(FloatVector.fromArray(S, c, ci)) : s)).intoArray(c, ci);
    }

    /** C[i0 .. i1, 0] for n = 1 with A' columns contiguous (TN): lanes along i, one fma chain per lane. */
    private void columnAlongRows(int i0, int i1) {
        int i = i0;
        for (; i + VL <= i1; i += VL) {
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                boolean load = accumulate || p0 > 0;
                FloatVector s0 = FloatVector.zero(S);
                int ai = aOff + p0 * aP + i;
                int bi = bOff + p0 * bP;
                for (int p = 0; p < kc; p++, ai += aP, bi += bP) {
                    s0 = FloatVector.fromArray(S, a, ai).fma(FloatVector.broadcast(S, b[bi]), s0);
                }
                for (int r = 0; r < VL; r++) {
                    int ci = cOff + (i + r) * ldc;
                    float v = s0.lane(r);
                    c[ci] = load ? c[ci] + v : v;
                }
            }
        }
        rowChains(i, i1);
    }

    /** Row i of an outer product (k = 1) with B' contiguous along j: C[i, j] (+)= fma(A'(i, 0), B'(0, j), 0). */
    private void outerRow(int i) {
        float x = a[aOff + i * aI];
        FloatVector xv = FloatVector.broadcast(S, x);
        FloatVector zero = FloatVector.zero(S);
        int ci = cOff + i * ldc;
        int j = 0;
        for (; j <= n - VL; j += VL) {
            storeSum(xv.fma(FloatVector.fromArray(S, b, bOff + j), zero), ci + j, accumulate);
        }
        for (; j < n; j++) {
            float s0 = Math.fma(x, b[bOff + j], 0f);
            c[ci + j] = accumulate ? c[ci + j] + s0 : s0;
        }
    }

    /**
     * Up to eight outputs, each its own scalar fma chain: output r reads A' from {@code a0 + r * aStep + p * aP} and
     * B' from {@code b0 + r * bStep + p * bP} and is written at {@code c0 + r * cStep}; one of the steps is zero
     * (eight rows of a one-column product, or eight columns of a one-row product).
     */
    private void chains(int a0, int aStep, int b0, int bStep, int c0, int cStep, int count) {
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            boolean load = accumulate || p0 > 0;
            int ai = a0 + p0 * aP;
            int bi = b0 + p0 * bP;
            if (count == 8) {
                float s0 = 0f;
                float s1 = 0f;
                float s2 = 0f;
                float s3 = 0f;
                float s4 = 0f;
                float s5 = 0f;
                float s6 = 0f;
                float s7 = 0f;
                if (bStep == 0) {
                    // eight rows against one column: eight A' streams, one B' value per step
                    int a1 = ai + aStep;
                    int a2 = a1 + aStep;
                    int a3 = a2 + aStep;
                    int a4 = a3 + aStep;
                    int a5 = a4 + aStep;
                    int a6 = a5 + aStep;
                    int a7 = a6 + aStep;
                    for (int p = 0; p < kc; p++) {
                        float bv = b[bi + p * bP];
                        int o = p * aP;
                        s0 = Math.fma(a[ai + o], bv, s0);
                        s1 = Math.fma(a[a1 + o], bv, s1);
                        s2 = Math.fma(a[a2 + o], bv, s2);
                        s3 = Math.fma(a[a3 + o], bv, s3);
                        s4 = Math.fma(a[a4 + o], bv, s4);
                        s5 = Math.fma(a[a5 + o], bv, s5);
                        s6 = Math.fma(a[a6 + o], bv, s6);
                        s7 = Math.fma(a[a7 + o], bv, s7);
                    }
                } else {
                    // one row against eight columns (aStep = 0): one A' value per step, eight B' streams
                    int b1 = bi + bStep;
                    int b2 = b1 + bStep;
                    int b3 = b2 + bStep;
                    int b4 = b3 + bStep;
                    int b5 = b4 + bStep;
                    int b6 = b5 + bStep;
                    int b7 = b6 + bStep;
                    for (int p = 0; p < kc; p++) {
                        float av = a[ai + p * aP];
                        int o = p * bP;
                        s0 = Math.fma(av, b[bi + o], s0);
                        s1 = Math.fma(av, b[b1 + o], s1);
                        s2 = Math.fma(av, b[b2 + o], s2);
                        s3 = Math.fma(av, b[b3 + o], s3);
                        s4 = Math.fma(av, b[b4 + o], s4);
                        s5 = Math.fma(av, b[b5 + o], s5);
                        s6 = Math.fma(av, b[b6 + o], s6);
                        s7 = Math.fma(av, b[b7 + o], s7);
                    }
                }
                addTo(c0, s0, load);
                addTo(c0 + cStep, s1, load);
                addTo(c0 + 2 * cStep, s2, load);
                addTo(c0 + 3 * cStep, s3, load);
                addTo(c0 + 4 * cStep, s4, load);
                addTo(c0 + 5 * cStep, s5, load);
                addTo(c0 + 6 * cStep, s6, load);
                addTo(c0 + 7 * cStep, s7, load);
            } else {
                for (int r = 0; r < count; r++) {
                    float s0 = 0f;
                    int ar = ai + r * aStep;
                    int br = bi + r * bStep;
                    for (int p = 0; p < kc; p++, ar += aP, br += bP) {
                        s0 = Math.fma(a[ar], b[br], s0);
                    }
                    addTo(c0 + r * cStep, s0, load);
                }
            }
        }
    }

    private void addTo(int ci, float s, boolean load) {
        c[ci] = load ? c[ci] + s : s;
    }

    /**
     * Per column round of up to {@code NC} columns and per k round of up to {@value #ROUND} k blocks: pack those
     * blocks of B' once, shared (parallel over panels), then all blocks of C (rows of C, and groups of panels
     * when the rows are few) in parallel, each packing its own rows of A' and running the round's k blocks in order.
     */
    private void blocks(boolean parallel) {
        int kcMax = Math.min(KC, k);
        for (int j = 0; j < n; j += NC) {
            jc = j;
            nc = Math.min(NC, n - j);
            panels = ceilDiv(nc, NR);
            blockStride = panels * NR * kcMax;
            for (int k0 = 0; k0 < k; k0 += ROUND * KC) {
                roundK0 = k0;
                roundBlocks = ceilDiv(Math.min(ROUND * KC, k - k0), KC);
                int need = roundBlocks * blockStride;
                if (bShared.length < need) {
                    bShared = new float[need];
                }
                // blocks of at most MC rows, their count a multiple of the workers when that is possible; with
                // fewer row blocks than workers (small m), also split the panels into groups
                int threads = parallel ? pool.threads() : 1;
                int rowBlocks = roundUp(Math.max(ceilDiv(m, MC), threads), threads);
                mcBlock = roundUp(ceilDiv(m, rowBlocks), MR);
                rowBlocks = ceilDiv(m, mcBlock);
                panelGroups = rowBlocks < threads ? Math.min(panels, ceilDiv(threads, rowBlocks)) : 1;
                int packs = roundBlocks * panels;
                int blocks = rowBlocks * panelGroups;
                if (parallel) {
                    pool.run(packSharedB, packs);
                    pool.run(rowBlock, blocks);
                } else {
                    for (int t = 0; t < packs; t++) {
                        packSharedPanel(t, 0);
                    }
                    for (int t = 0; t < blocks; t++) {
                        rowBlock(t, 0);
                    }
                }
            }
        }
    }

    private void packSharedPanel(int task, int worker) {
        int blk = task / panels;
        int panel = task % panels;
        int p0 = roundK0 + blk * KC;
        int kcB = Math.min(KC, k - p0);
        if (form == FORM_NT) {
            packBTransposed(b, bOff, ldb, jc, nc, p0, kcB, panel * NR, bShared, blk * blockStride);
        } else if (tnInPlace()) {
            return;  // the TN form's B' is read in place (kernelTN, kernelTNPackedA)
        } else {
            packBRows(b, bOff, ldb, jc, nc, p0, kcB, panel * NR, bShared, blk * blockStride);
        }
    }

    private void rowBlock(int task, int worker) {
        int ic = (task / panelGroups) * mcBlock;
        int mc = Math.min(mcBlock, m - ic);
        int group = task % panelGroups;
        int j0 = (int) ((long) panels * group / panelGroups) * NR;
        int j1 = Math.min(nc, (int) ((long) panels * (group + 1) / panelGroups) * NR);
        float[] ap = aPack[worker];
        if (ap.length < roundUp(mc, MR) * Math.min(KC, k)) {
            ap = new float[roundUp(MC, MR) * KC];
            aPack[worker] = ap;
        }
        int cols = j1 - j0;
        int col0 = jc + j0;
        for (int blk = 0; blk < roundBlocks; blk++) {
            int p0 = roundK0 + blk * KC;
            int kcB = Math.min(KC, k - p0);
            boolean load = accumulate || p0 > 0;
            int bBase = blk * blockStride + j0 * kcB;
            int cBase = cOff + ic * ldc + col0;
            int full = 0;  // rows done in place
            if (tnInPlace()) {
                // A' (i, p) = A[p, i] and B' (p, j) = B[p, j] are consecutive floats of row p of A and of B: full groups
                // of MR rows read both in place; a last group of fewer rows is packed (zero-padded) and reads B in
                // place. (Every panel is full here: see tnInPlace.)
                full = mc - mc % MR;
                int aBase = aOff + p0 * lda + ic;
                int bRow = bOff + p0 * ldb + col0;
                for (int q = 0; q < full; q += MR) {
                    int ci = cBase + q * ldc;
                    for (int t = 0; t < cols; t += NR) {
                        kernelTN(kcB, a, aBase + q, lda, b, bRow + t, ldb, c, ci + t, ldc, load);
                    }
                }
                if (full < mc) {
                    packATransposed(a, aOff, lda, ic + full, mc - full, p0, kcB, ap, 0);
                    int ci = cBase + full * ldc;
                    for (int t = 0; t < cols; t += NR) {
                        kernelTNPackedA(kcB, ap, 0, b, bRow + t, ldb, c, ci + t, ldc, load, mc - full, tile[worker]);
                    }
                }
                continue;
            } else if (form == FORM_TN && cols % NR == 0) {
                // wider weight gradients, every panel full: B' is packed (shared), and A' (i, p) = A[p, i], MR
                // consecutive floats of row p, is read in place for full groups of MR rows; a last group of fewer
                // rows is packed (zero-padded). Against packing every row (in-process alternation, 2 threads, median
                // of 20-30 rounds, same bits, 2026-11-26 stop 6): 384 x 384 x 4,096 +4.3% to +7.1% in five JVMs,
                // 192 x 384 x 4,096 +5.2% and +8.6%; the dY transposition was the TN form's largest loss.
                full = mc - mc % MR;
                int aBase = aOff + p0 * lda + ic;
                for (int q = 0; q < full; q += MR) {
                    int ci = cBase + q * ldc;
                    for (int t = 0; t < cols; t += NR) {
                        kernelTN(kcB, a, aBase + q, lda, bShared, bBase + t * kcB, NR, c, ci + t, ldc, load);
                    }
                }
                if (full < mc) {
                    packATransposed(a, aOff, lda, ic + full, mc - full, p0, kcB, ap, 0);
                }
            } else if (form == FORM_TN) {
                packATransposed(a, aOff, lda, ic, mc, p0, kcB, ap, 0);
            } else {
                // A is row-major: full groups of MR rows are read in place (packing them cost 5% of the paper
                // MLP's train step and 16% of a small training step in JFR samples); a last group of fewer rows
                // is packed, zero-padded
                full = mc - mc % MR;
                int aBase = aOff + ic * lda + p0;
                for (int q = 0; q < full; q += MR) {
                    int ci = cBase + q * ldc;
                    for (int t = 0; t < cols; t += NR) {
                        if (cols - t >= NR) {
                            kernelRows(kcB, a, aBase + q * lda, lda, bShared, bBase + t * kcB, c, ci + t, ldc, load);
                        } else {
                            kernelRowsEdge(kcB, a, aBase + q * lda, lda, bShared, bBase + t * kcB, c, ci + t, ldc,
                                    load, cols - t, tile[worker]);
                        }
                    }
                }
                if (full < mc) {
                    packARows(a, aOff, lda, ic + full, mc - full, p0, kcB, ap);
                }
            }
            if (full < mc) {
                macro(kcB, ap, bShared, bBase, mc - full, cols, cBase + full * ldc, load, tile[worker]);
            }
        }
    }

    /** All micro-tiles of one packed (mc, kc) block of A' against one packed (kc, nc) block of B'. */
    private void macro(int kc, float[] ap, float[] bp, int bBase, int mc, int nc, int cBase, boolean load,
                       float[] tile) {
        for (int q = 0; q < mc; q += MR) {
            int mr = Math.min(MR, mc - q);
            int ci = cBase + q * ldc;
            for (int t = 0; t < nc; t += NR) {
                kernel(kc, ap, q * kc, bp, bBase + t * kc, c, ci + t, ldc, load, mr, Math.min(NR, nc - t), tile);
            }
        }
    }

    /**
     * The micro-kernel: {@code C[0..mr, 0..nr] = (load ? C : 0) + sum_p ap[p, 0..6] outer bp[p, 0..NR]} with
     * 12 vector accumulators (6 rows by 2 vectors) held in registers over the whole k block; edges (mr < MR or
     * nr < NR, computed on zero padding) go through {@code tile}.
     */
    private static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc,
                                  boolean load, int mr, int nr, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        for (int p = 0; p < kc; p++) {
            int o = ai + p * MR;
            int bo = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bo);
            FloatVector b1 = FloatVector.fromArray(S, bp, bo + VL);
            FloatVector x = FloatVector.broadcast(S, ap[o]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[o + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[o + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[o + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[o + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[o + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        if (mr == MR && nr == NR) {
            // The stores are written out here: passed to a helper, the accumulators were boxed by C2 when it did not
            // inline the helper into this large method (4-8 MB allocated per gemm; bench/PROFILE.md).
            int r0 = ci;
            int r1 = r0 + ldc;
            int r2 = r1 + ldc;
            int r3 = r2 + ldc;
            int r4 = r3 + ldc;
            int r5 = r4 + ldc;
            if (load) {
                c00 = c00.add(FloatVector.fromArray(S, c, r0));
                c01 = c01.add(FloatVector.fromArray(S, c, r0 + VL));
                c10 = c10.add(FloatVector.fromArray(S, c, r1));
                c11 = c11.add(FloatVector.fromArray(S, c, r1 + VL));
                c20 = c20.add(FloatVector.fromArray(S, c, r2));
                c21 = c21.add(FloatVector.fromArray(S, c, r2 + VL));
                c30 = c30.add(FloatVector.fromArray(S, c, r3));
                c31 = c31.add(FloatVector.fromArray(S, c, r3 + VL));
                c40 = c40.add(FloatVector.fromArray(S, c, r4));
                c41 = c41.add(FloatVector.fromArray(S, c, r4 + VL));
                c50 = c50.add(FloatVector.fromArray(S, c, r5));
                c51 = c51.add(FloatVector.fromArray(S, c, r5 + VL));
            }
            ((FloatVector) VECTOR_CLASS.cast(c00)).intoArray(c, r0);
            ((FloatVector) VECTOR_CLASS.cast(c01)).intoArray(c, r0 + VL);
            ((FloatVector) VECTOR_CLASS.cast(c10)).intoArray(c, r1);
            ((FloatVector) VECTOR_CLASS.cast(c11)).intoArray(c, r1 + VL);
            ((FloatVector) VECTOR_CLASS.cast(c20)).intoArray(c, r2);
            ((FloatVector) VECTOR_CLASS.cast(c21)).intoArray(c, r2 + VL);
            ((FloatVector) VECTOR_CLASS.cast(c30)).intoArray(c, r3);
            ((FloatVector) VECTOR_CLASS.cast(c31)).intoArray(c, r3 + VL);
            ((FloatVector) VECTOR_CLASS.cast(c40)).intoArray(c, r4);
            ((FloatVector) VECTOR_CLASS.cast(c41)).intoArray(c, r4 + VL);
            ((FloatVector) VECTOR_CLASS.cast(c50)).intoArray(c, r5);
            ((FloatVector) VECTOR_CLASS.cast(c51)).intoArray(c, r5 + VL);
            return;
        }
        ((FloatVector) VECTOR_CLASS.cast(c00)).intoArray(tile, 0);
        ((FloatVector) VECTOR_CLASS.cast(c01)).intoArray(tile, VL);
        ((FloatVector) VECTOR_CLASS.cast(c10)).intoArray(tile, NR);
        ((FloatVector) VECTOR_CLASS.cast(c11)).intoArray(tile, NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c20)).intoArray(tile, 2 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c21)).intoArray(tile, 2 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c30)).intoArray(tile, 3 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c31)).intoArray(tile, 3 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c40)).intoArray(tile, 4 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c41)).intoArray(tile, 4 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c50)).intoArray(tile, 5 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c51)).intoArray(tile, 5 * NR + VL);
        writeTile(tile, c, ci, ldc, load, mr, nr);
    }

    /**
     * {@link #kernel} on {@value #MR} rows of a row-major A read in place: {@code A'(r, p) = a[a0 + r * lda + p]}
     * instead of a packed micro-panel. The same fma order, so the same bits as packing those rows first (a
     * separate method rather than strides in {@link #kernel}, so that the packed kernel's code stays as it was).
     */
    private static void kernelRows(int kc, float[] a, int a0, int lda, float[] bp, int bi, float[] c, int ci, int ldc,
                                   boolean load) {
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        // Two k steps per iteration, B' indexed from the loop counter: the six row addresses are computed once per two
        // steps and the B' loads lose their bounds checks (C2's code had 20 scalar instructions per 12 FMAs). Same fma
        // order, so the same bits. GemmAB (in-process alternation, 4096x384x384): NT +6.3% and NN +3.0% on one thread,
        // +3.3-4.5% and +1.7% on two; unrolling four steps made C2 give up (4x slower), and the packed kernel() gained
        // nothing from two (bench/PROFILE.md). Keep the loop in this canonical form (a precomputed even limit): written
        // as 'p + 1 < kc', C2 kept every bounds check in 3 of 8 JVM starts (20% slower).
        int kcEven = kc & ~1;
        int p = 0;
        for (; p < kcEven; p += 2) {
            int bb = bi + p * NR;
            FloatVector b0;
            FloatVector b1;
            FloatVector x;
            b0 = FloatVector.fromArray(S, bp, bb);
            b1 = FloatVector.fromArray(S, bp, bb + VL);
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + p]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            b0 = FloatVector.fromArray(S, bp, bb + NR);
            b1 = FloatVector.fromArray(S, bp, bb + NR + VL);
            x = FloatVector.broadcast(S, a[a0 + p + 1]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p + 1]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p + 1]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p + 1]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + p + 1]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        if (p < kc) {
            int bb = bi + p * NR;
            FloatVector b0;
            FloatVector b1;
            FloatVector x;
            b0 = FloatVector.fromArray(S, bp, bb);
            b1 = FloatVector.fromArray(S, bp, bb + VL);
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + p]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // written out, as in kernel()
        int r0 = ci;
        int r1 = r0 + ldc;
        int r2 = r1 + ldc;
        int r3 = r2 + ldc;
        int r4 = r3 + ldc;
        int r5 = r4 + ldc;
        if (load) {
            c00 = c00.add(FloatVector.fromArray(S, c, r0));
            c01 = c01.add(FloatVector.fromArray(S, c, r0 + VL));
            c10 = c10.add(FloatVector.fromArray(S, c, r1));
            c11 = c11.add(FloatVector.fromArray(S, c, r1 + VL));
            c20 = c20.add(FloatVector.fromArray(S, c, r2));
            c21 = c21.add(FloatVector.fromArray(S, c, r2 + VL));
            c30 = c30.add(FloatVector.fromArray(S, c, r3));
            c31 = c31.add(FloatVector.fromArray(S, c, r3 + VL));
            c40 = c40.add(FloatVector.fromArray(S, c, r4));
            c41 = c41.add(FloatVector.fromArray(S, c, r4 + VL));
            c50 = c50.add(FloatVector.fromArray(S, c, r5));
            c51 = c51.add(FloatVector.fromArray(S, c, r5 + VL));
        }
        ((FloatVector) VECTOR_CLASS.cast(c00)).intoArray(c, r0);
        ((FloatVector) VECTOR_CLASS.cast(c01)).intoArray(c, r0 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c10)).intoArray(c, r1);
        ((FloatVector) VECTOR_CLASS.cast(c11)).intoArray(c, r1 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c20)).intoArray(c, r2);
        ((FloatVector) VECTOR_CLASS.cast(c21)).intoArray(c, r2 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c30)).intoArray(c, r3);
        ((FloatVector) VECTOR_CLASS.cast(c31)).intoArray(c, r3 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c40)).intoArray(c, r4);
        ((FloatVector) VECTOR_CLASS.cast(c41)).intoArray(c, r4 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c50)).intoArray(c, r5);
        ((FloatVector) VECTOR_CLASS.cast(c51)).intoArray(c, r5 + VL);
    }

    /**
     * {@link #kernelRows} for an edge panel of {@code nr < NR} columns, written through {@code tile}: one k step per
     * iteration, the same fma order, so the same bits. A method of its own so that the full-tile kernel stays small:
     * with both epilogues in one method C2 sometimes ran out of its node budget while inlining the Vector API and
     * compiled the fma and the stores as calls that allocate (13x slower products; bench/PROFILE.md, stop 5).
     */
    private static void kernelRowsEdge(int kc, float[] a, int a0, int lda, float[] bp, int bi, float[] c, int ci,
                                       int ldc, boolean load, int nr, float[] tile) {
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        for (int p = 0; p < kc; p++) {
            int bb = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bb);
            FloatVector b1 = FloatVector.fromArray(S, bp, bb + VL);
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[a4 + p]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[a5 + p]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        ((FloatVector) VECTOR_CLASS.cast(c00)).intoArray(tile, 0);
        ((FloatVector) VECTOR_CLASS.cast(c01)).intoArray(tile, VL);
        ((FloatVector) VECTOR_CLASS.cast(c10)).intoArray(tile, NR);
        ((FloatVector) VECTOR_CLASS.cast(c11)).intoArray(tile, NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c20)).intoArray(tile, 2 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c21)).intoArray(tile, 2 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c30)).intoArray(tile, 3 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c31)).intoArray(tile, 3 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c40)).intoArray(tile, 4 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c41)).intoArray(tile, 4 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c50)).intoArray(tile, 5 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c51)).intoArray(tile, 5 * NR + VL);
        writeTile(tile, c, ci, ldc, load, MR, nr);
    }

    /**
     * {@link #kernel} for the TN form on a full {@value #MR} x {@code NR} tile with both operands read in place:
     * {@code A'(r, p) = a[a0 + p * lda + r]} (row p of A, {@value #MR} consecutive floats) and
     * {@code B'(p, j) = b[b0 + p * ldb + j]} (row p of B, {@code NR} consecutive floats). The same fma order as
     * packing both first, so the same bits.
     */
    private static void kernelTN(int kc, float[] a, int a0, int lda, float[] b, int b0, int ldb, float[] c, int ci,
                                 int ldc, boolean load) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        int ai = a0;
        int bi = b0;
        for (int p = 0; p < kc; p++) {
            FloatVector b0v = FloatVector.fromArray(S, b, bi);
            FloatVector b1v = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = FloatVector.broadcast(S, a[ai + 1]);
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = FloatVector.broadcast(S, a[ai + 2]);
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = FloatVector.broadcast(S, a[ai + 3]);
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            x = FloatVector.broadcast(S, a[ai + 4]);
            c40 = x.fma(b0v, c40);
            c41 = x.fma(b1v, c41);
            x = FloatVector.broadcast(S, a[ai + 5]);
            c50 = x.fma(b0v, c50);
            c51 = x.fma(b1v, c51);
            ai += lda;
            bi += ldb;
        }
        // written out, as in kernel()
        int r0 = ci;
        int r1 = r0 + ldc;
        int r2 = r1 + ldc;
        int r3 = r2 + ldc;
        int r4 = r3 + ldc;
        int r5 = r4 + ldc;
        if (load) {
            c00 = c00.add(FloatVector.fromArray(S, c, r0));
            c01 = c01.add(FloatVector.fromArray(S, c, r0 + VL));
            c10 = c10.add(FloatVector.fromArray(S, c, r1));
            c11 = c11.add(FloatVector.fromArray(S, c, r1 + VL));
            c20 = c20.add(FloatVector.fromArray(S, c, r2));
            c21 = c21.add(FloatVector.fromArray(S, c, r2 + VL));
            c30 = c30.add(FloatVector.fromArray(S, c, r3));
            c31 = c31.add(FloatVector.fromArray(S, c, r3 + VL));
            c40 = c40.add(FloatVector.fromArray(S, c, r4));
            c41 = c41.add(FloatVector.fromArray(S, c, r4 + VL));
            c50 = c50.add(FloatVector.fromArray(S, c, r5));
            c51 = c51.add(FloatVector.fromArray(S, c, r5 + VL));
        }
        ((FloatVector) VECTOR_CLASS.cast(c00)).intoArray(c, r0);
        ((FloatVector) VECTOR_CLASS.cast(c01)).intoArray(c, r0 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c10)).intoArray(c, r1);
        ((FloatVector) VECTOR_CLASS.cast(c11)).intoArray(c, r1 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c20)).intoArray(c, r2);
        ((FloatVector) VECTOR_CLASS.cast(c21)).intoArray(c, r2 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c30)).intoArray(c, r3);
        ((FloatVector) VECTOR_CLASS.cast(c31)).intoArray(c, r3 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c40)).intoArray(c, r4);
        ((FloatVector) VECTOR_CLASS.cast(c41)).intoArray(c, r4 + VL);
        ((FloatVector) VECTOR_CLASS.cast(c50)).intoArray(c, r5);
        ((FloatVector) VECTOR_CLASS.cast(c51)).intoArray(c, r5 + VL);
    }

    /**
     * {@link #kernel} for a last group of {@code mr < MR} rows of the TN form: A' packed (zero-padded micro-panel at
     * {@code ai}), B' read in place ({@code B'(p, j) = b[b0 + p * ldb + j]}, a full panel), written through
     * {@code tile}. The same fma order as packing B' too, so the same bits.
     */
    private static void kernelTNPackedA(int kc, float[] ap, int ai, float[] b, int b0, int ldb, float[] c, int ci,
                                        int ldc, boolean load, int mr, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        int bi = b0;
        for (int p = 0; p < kc; p++) {
            int o = ai + p * MR;
            FloatVector b0v = FloatVector.fromArray(S, b, bi);
            FloatVector b1v = FloatVector.fromArray(S, b, bi + VL);
            FloatVector x = FloatVector.broadcast(S, ap[o]);
            c00 = x.fma(b0v, c00);
            c01 = x.fma(b1v, c01);
            x = FloatVector.broadcast(S, ap[o + 1]);
            c10 = x.fma(b0v, c10);
            c11 = x.fma(b1v, c11);
            x = FloatVector.broadcast(S, ap[o + 2]);
            c20 = x.fma(b0v, c20);
            c21 = x.fma(b1v, c21);
            x = FloatVector.broadcast(S, ap[o + 3]);
            c30 = x.fma(b0v, c30);
            c31 = x.fma(b1v, c31);
            x = FloatVector.broadcast(S, ap[o + 4]);
            c40 = x.fma(b0v, c40);
            c41 = x.fma(b1v, c41);
            x = FloatVector.broadcast(S, ap[o + 5]);
            c50 = x.fma(b0v, c50);
            c51 = x.fma(b1v, c51);
            bi += ldb;
        }
        ((FloatVector) VECTOR_CLASS.cast(c00)).intoArray(tile, 0);
        ((FloatVector) VECTOR_CLASS.cast(c01)).intoArray(tile, VL);
        ((FloatVector) VECTOR_CLASS.cast(c10)).intoArray(tile, NR);
        ((FloatVector) VECTOR_CLASS.cast(c11)).intoArray(tile, NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c20)).intoArray(tile, 2 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c21)).intoArray(tile, 2 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c30)).intoArray(tile, 3 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c31)).intoArray(tile, 3 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c40)).intoArray(tile, 4 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c41)).intoArray(tile, 4 * NR + VL);
        ((FloatVector) VECTOR_CLASS.cast(c50)).intoArray(tile, 5 * NR);
        ((FloatVector) VECTOR_CLASS.cast(c51)).intoArray(tile, 5 * NR + VL);
        writeTile(tile, c, ci, ldc, load, mr, NR);
    }

    private static void writeTile(float[] tile, float[] c, int ci, int ldc, boolean load, int mr, int nr) {
        for (int r = 0; r < mr; r++) {
            int row = ci + r * ldc;
            for (int j = 0; j < nr; j++) {
                float s = tile[r * NR + j];
                c[row + j] = load ? c[row + j] + s : s;
            }
        }
    }

    /** Packs rows {@code [i0, i0+mc)}, k range {@code [p0, p0+kc)} of a row-major A {@code (m, k)} into micro-panels. */
    private static void packARows(float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] ap) {
        for (int q = 0; q < mc; q += MR) {
            int d = q * kc;
            int s0 = aOff + (i0 + q) * lda + p0;
            if (q + MR <= mc) {
                int s1 = s0 + lda;
                int s2 = s1 + lda;
                int s3 = s2 + lda;
                int s4 = s3 + lda;
                int s5 = s4 + lda;
                for (int p = 0; p < kc; p++, d += MR) {
                    ap[d] = a[s0 + p];
                    ap[d + 1] = a[s1 + p];
                    ap[d + 2] = a[s2 + p];
                    ap[d + 3] = a[s3 + p];
                    ap[d + 4] = a[s4 + p];
                    ap[d + 5] = a[s5 + p];
                }
            } else {
                int rows = Math.min(MR, mc - q);
                for (int r = 0; r < MR; r++) {
                    int src = s0 + r * lda;
                    for (int p = 0, dr = d + r; p < kc; p++, dr += MR) {
                        ap[dr] = r < rows ? a[src + p] : 0f;
                    }
                }
            }
        }
    }

    /** Packs columns {@code [i0, i0+mc)}, rows {@code [p0, p0+kc)} of A {@code (k, m)} (read transposed) into micro-panels. */
    private static void packATransposed(float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] ap,
                                        int apOff) {
        // micro-panel by micro-panel: sequential writes, MR floats read from each row of A
        int full = mc - mc % MR;
        for (int q = 0; q < full; q += MR) {
            int src = aOff + p0 * lda + i0 + q;
            int d = apOff + q * kc;
            for (int p = 0; p < kc; p++, src += lda, d += MR) {
                ap[d] = a[src];
                ap[d + 1] = a[src + 1];
                ap[d + 2] = a[src + 2];
                ap[d + 3] = a[src + 3];
                ap[d + 4] = a[src + 4];
                ap[d + 5] = a[src + 5];
            }
        }
        if (full < mc) {
            int src = aOff + p0 * lda + i0 + full;
            int d = apOff + full * kc;
            for (int p = 0; p < kc; p++, src += lda, d += MR) {
                for (int r = 0; r < MR; r++) {
                    ap[d + r] = full + r < mc ? a[src + r] : 0f;
                }
            }
        }
    }

    /** Packs the NR-column panel at {@code t} of columns {@code [j0, j0+nc)}, rows {@code [p0, p0+kc)} of B {@code (k, n)}. */
    private static void packBRows(float[] b, int bOff, int ldb, int j0, int nc, int p0, int kc, int t, float[] bp,
                                  int bpOff) {
        int d = bpOff + t * kc;
        int src = bOff + p0 * ldb + j0 + t;
        if (t + NR <= nc) {
            for (int p = 0; p < kc; p++, d += NR, src += ldb) {
                for (int v = 0; v < NR; v += VL) {
                    ((FloatVector) VECTOR_CLASS.cast(FloatVector.fromArray(S, b, src + v))).intoArray(bp, d + v);
                }
            }
        } else {
            int cols = nc - t;
            for (int p = 0; p < kc; p++, d += NR, src += ldb) {
                for (int j = 0; j < NR; j++) {
                    bp[d + j] = j < cols ? b[src + j] : 0f;
                }
            }
        }
    }

    /** Packs the NR-column panel at {@code t} of B'(p, j) = B[j, p] for B {@code (n, k)}: rows of B become columns. */
    private static void packBTransposed(float[] b, int bOff, int ldb, int j0, int nc, int p0, int kc, int t, float[] bp,
                                        int bpOff) {
        int d = bpOff + t * kc;
        int cols = Math.min(NR, nc - t);
        for (int j = 0; j < NR; j++) {
            if (j < cols) {
                int src = bOff + (j0 + t + j) * ldb + p0;
                for (int p = 0; p < kc; p++) {
                    bp[d + p * NR + j] = b[src + p];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    bp[d + p * NR + j] = 0f;
                }
            }
        }
    }

    private static int roundUp(int x, int unit) {
        return (x + unit - 1) / unit * unit;
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
