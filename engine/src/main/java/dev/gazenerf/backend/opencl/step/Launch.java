package dev.gazenerf.backend.opencl.step;

/**
 * The arguments of one {@link StepKernel} launch, built once when a plan is built and replayed every step
 * (no allocation per step). Create with the factories of {@link DeviceArena}; all offsets are into the arena's
 * heap unless an op says otherwise. An {@link StepKernel#ADAM} launch takes its bias corrections from the step
 * counter at replay time.
 */
public final class Launch {
    final String name;
    final int op;
    int form;
    int m;
    int n;
    int k;
    int aOff;
    int lda;
    int bOff;
    int ldb;
    int cOff;
    int ldc;
    int dOff;
    int accumulate;
    int hasBias;
    int rowsPerGroup = 1;
    int act;
    float f0;
    float f1;
    float f2;
    float f3;
    float f4;
    // compositing: rays, samples per ray, pixels per image (n = channels) and heap offsets
    int rays;
    int samples;
    int pixels;
    int sigmaOff;
    int featOff;
    int ldf;
    int deltaOff;
    int tvalsOff;
    int bgAlphaOff;
    int mergedOff;
    int dSigmaOff;
    int dFeatOff;
    int lddf;
    int dDeltaOff;
    int dMergedOff;
    // compositing cache offset (two streams share the alpha / transmittance caches)
    int cacheOff;
    /** Compositing: ray r of the launch is pixel {@code (r + rayBase) mod pixels} (a chunk of an image's rays). */
    int rayBase;
    // feature-map ops (renderer, rotation, merge): images and the map's height and width (n = channels)
    int images;
    int height;
    int width;
    // further heap offsets of the model-step ops (see StepKernel, per op)
    int q0;
    int q1;
    int q2;
    int q3;
    int q4;
    int q5;
    int q6;
    // gemm epilogue (fused bias + activation)
    int epilogue;
    int epiBiasOff;
    int epiBiasStride;
    int epiRowsPerBias = 1;
    // split-k gemm (splits 1: not split) and the reduce launch that follows a split gemm
    int splits = 1;
    int rowGroups = 1;
    int kChunk;
    Launch then;
    /** Adam's learning rate (f3 and f4 are derived from it and the step at replay). */
    float lr;
    /** Work-items of a 1D launch (unused by gemm). */
    int items;

    Launch(String name, int op) {
        this.name = name;
        this.op = op;
    }

    /** A short name for error messages ("gemmNT", "adam", ...). */
    public String name() {
        return name;
    }

    /** Kernel launches this launch makes: 2 for a split-k gemm (the product, then the reduce), else 1. */
    public int kernelLaunches() {
        return then == null ? 1 : 1 + then.kernelLaunches();
    }

    /** Sets an {@link StepKernel#ADAM} launch's learning rate for the next replays (a schedule; no copy). */
    public void setLearningRate(float lr) {
        if (op != StepKernel.ADAM || !(lr >= 0f) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("Launch.setLearningRate: " + name + " with learning rate " + lr);
        }
        this.lr = lr;
    }

    /** The op code ({@link StepKernel#GEMM}, ...). */
    public int op() {
        return op;
    }

    // ------------------------------------------------------------------ for executors outside this package

    /** Positions of the integer arguments in a record written by {@link #pack(int[], int)}. */
    public static final int OP = 0, FORM = 1, M = 2, N = 3, K = 4, A_OFF = 5,
            LDA = 6, B_OFF = 7, LDB = 8, C_OFF = 9, LDC = 10, D_OFF = 11,
            ACCUMULATE = 12, HAS_BIAS = 13, ROWS_PER_GROUP = 14, ACT = 15, RAYS = 16, SAMPLES = 17,
            PIXELS = 18, SIGMA_OFF = 19, FEAT_OFF = 20, LDF = 21, DELTA_OFF = 22, TVALS_OFF = 23,
            BG_ALPHA_OFF = 24, MERGED_OFF = 25, D_SIGMA_OFF = 26, D_FEAT_OFF = 27, LDDF = 28, D_DELTA_OFF = 29,
            D_MERGED_OFF = 30, CACHE_OFF = 31, RAY_BASE = 32, IMAGES = 33, HEIGHT = 34, WIDTH = 35,
            Q0 = 36, Q1 = 37, Q2 = 38, Q3 = 39, Q4 = 40, Q5 = 41,
            Q6 = 42, EPILOGUE = 43, EPI_BIAS_OFF = 44, EPI_BIAS_STRIDE = 45, EPI_ROWS_PER_BIAS = 46, SPLITS = 47,
            ROW_GROUPS = 48, K_CHUNK = 49, ITEMS = 50;
    /** Ints of one record of {@link #pack(int[], int)}. */
    public static final int INTS = 51;
    /** Positions of the float arguments in a record written by {@link #packFloats(float[], int)}. */
    public static final int F0 = 0, F1 = 1, F2 = 2, F3 = 3, F4 = 4;
    /** Floats of one record of {@link #packFloats(float[], int)}. */
    public static final int FLOATS = 5;

    /**
     * Writes this launch's integer arguments into {@code dst[at .. at + INTS)} at the positions {@link #OP} ...
     * {@link #ITEMS} (the fields of {@link StepKernel} of the same names): what an executor other than Aparapi's
     * (module {@code engine-tornadovm}) reads to replay the launch. A split gemm's reduce ({@link #next()}) is a
     * launch of its own.
     */
    public void pack(int[] dst, int at) {
        dst[at + OP] = op;
        dst[at + FORM] = form;
        dst[at + M] = m;
        dst[at + N] = n;
        dst[at + K] = k;
        dst[at + A_OFF] = aOff;
        dst[at + LDA] = lda;
        dst[at + B_OFF] = bOff;
        dst[at + LDB] = ldb;
        dst[at + C_OFF] = cOff;
        dst[at + LDC] = ldc;
        dst[at + D_OFF] = dOff;
        dst[at + ACCUMULATE] = accumulate;
        dst[at + HAS_BIAS] = hasBias;
        dst[at + ROWS_PER_GROUP] = rowsPerGroup;
        dst[at + ACT] = act;
        dst[at + RAYS] = rays;
        dst[at + SAMPLES] = samples;
        dst[at + PIXELS] = pixels;
        dst[at + SIGMA_OFF] = sigmaOff;
        dst[at + FEAT_OFF] = featOff;
        dst[at + LDF] = ldf;
        dst[at + DELTA_OFF] = deltaOff;
        dst[at + TVALS_OFF] = tvalsOff;
        dst[at + BG_ALPHA_OFF] = bgAlphaOff;
        dst[at + MERGED_OFF] = mergedOff;
        dst[at + D_SIGMA_OFF] = dSigmaOff;
        dst[at + D_FEAT_OFF] = dFeatOff;
        dst[at + LDDF] = lddf;
        dst[at + D_DELTA_OFF] = dDeltaOff;
        dst[at + D_MERGED_OFF] = dMergedOff;
        dst[at + CACHE_OFF] = cacheOff;
        dst[at + RAY_BASE] = rayBase;
        dst[at + IMAGES] = images;
        dst[at + HEIGHT] = height;
        dst[at + WIDTH] = width;
        dst[at + Q0] = q0;
        dst[at + Q1] = q1;
        dst[at + Q2] = q2;
        dst[at + Q3] = q3;
        dst[at + Q4] = q4;
        dst[at + Q5] = q5;
        dst[at + Q6] = q6;
        dst[at + EPILOGUE] = epilogue;
        dst[at + EPI_BIAS_OFF] = epiBiasOff;
        dst[at + EPI_BIAS_STRIDE] = epiBiasStride;
        dst[at + EPI_ROWS_PER_BIAS] = epiRowsPerBias;
        dst[at + SPLITS] = splits;
        dst[at + ROW_GROUPS] = rowGroups;
        dst[at + K_CHUNK] = kChunk;
        dst[at + ITEMS] = items;
    }

    /** Writes {@code f0 .. f4} into {@code dst[at .. at + FLOATS)} (Adam's f3, f4 as of the last replay). */
    public void packFloats(float[] dst, int at) {
        dst[at + F0] = f0;
        dst[at + F1] = f1;
        dst[at + F2] = f2;
        dst[at + F3] = f3;
        dst[at + F4] = f4;
    }

    /** The launch that follows this one (a split gemm's reduce), or null. */
    public Launch next() {
        return then;
    }

    /**
     * An {@link StepKernel#ADAM} launch's step size at Adam step {@code step >= 1}: {@code lr / (1 - beta1^step)}
     * in double, rounded (the bias correction of the scalar specification, ScalarBackend.adam).
     */
    public float adamStepSize(int step) {
        adamStep(step);
        return (float) (lr / (1.0 - Math.pow(f0, step)));
    }

    /** An {@link StepKernel#ADAM} launch's {@code sqrt(1 - beta2^step)} at step {@code step >= 1}, as above. */
    public float adamSqrtBias2(int step) {
        adamStep(step);
        return (float) Math.sqrt(1.0 - Math.pow(f1, step));
    }

    private void adamStep(int step) {
        if (op != StepKernel.ADAM) {
            throw new IllegalStateException("Launch: " + name + " is not an adam launch");
        }
        if (step < 1) {
            throw new IllegalArgumentException("DeviceArena.run: argument 'step' must be at least 1 for adam, got " + step);
        }
    }
}
