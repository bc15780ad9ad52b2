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
}
