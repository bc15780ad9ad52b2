package dev.gazenerf.backend.opencl.step;

import java.util.List;

import dev.gazenerf.kernel.Activation;
import dev.gazenerf.nn.NerfMlp;
import dev.gazenerf.nn.NerfMlpConfig;
import dev.gazenerf.tensor.ParamLayout;

/**
 * The launches of {@link NerfMlp#forward} and {@link NerfMlp#backward} (the hoisted path with RGB_layer_0 folded
 * into RGB_layer_1, same math and summation orders; every per-point gemm of forward carries its bias + activation
 * as a fused epilogue, so forward makes one pass over each activation instead of two) over regions of a
 * {@link DeviceArena}'s heap. The constructor lays out the activations backward needs (all of them: no chunking) in
 * a {@link HeapLayout}; {@link #forward} and {@link #backward} append the launches once the arena exists.
 */
final class MlpProgram {
    private final NerfMlpConfig cfg;
    private final int b;
    private final int p;
    private final int n;
    private final int paramOff;
    private final int gradOff;
    private final int[] h;          // per trunk layer: (N, W) after ReLU
    private final int sigma;        // (N) after ReLU
    private final int fold;         // (W/2, W) Wr1[:, :W] Wr0: RGB_layer_0 folded into RGB_layer_1, as in NerfMlp
    private final int foldBias;     // (W/2) Wr1[:, :W] br0
    private final int foldG;        // (W/2, W) backward: dZ(RGB_layer_1)^T h(L-1)
    private final int foldS;        // (W/2) backward: dZ(RGB_layer_1) summed over all points
    private final int r1;           // (N, W/2) after ReLU
    private final int feat;         // (N, F)
    private final int codeBias0;    // (B, W)
    private final int codeBiasSkip; // (B, W)
    private final int codeBiasRgb1; // (B, W/2)
    private final int dSigma;       // (N) through the ReLU
    private final int dR1;          // (N, W/2)
    private final int dHa;          // (N, W)
    private final int dHb;          // (N, W)
    private final int groupSums;    // (B, W)
    private final int[] wOff;
    private final int[] bOff;
    private final int densityW;
    private final int densityB;
    private final int rgb0W;
    private final int rgb0B;
    private final int rgb1W;
    private final int rgb1B;
    private final int rgb2W;
    private final int rgb2B;

    /** Lays out the activations of {@code images * pointsPerImage} points; the parameters and gradients are at the given offsets. */
    MlpProgram(NerfMlp mlp, HeapLayout heap, int paramOff, int gradOff, int images, int pointsPerImage) {
        this.cfg = mlp.config();
        this.b = images;
        this.p = pointsPerImage;
        long nl = (long) images * pointsPerImage;
        if (nl > Integer.MAX_VALUE / Math.max(cfg.width() + cfg.inputWidth(), cfg.featureChannels() + 1)) {
            throw new IllegalArgumentException("MlpProgram: " + nl + " points is too many for one step; use fewer points per step");
        }
        this.n = (int) nl;
        this.paramOff = paramOff;
        this.gradOff = gradOff;
        int w = cfg.width();
        int hw = cfg.rgbHiddenWidth();
        h = new int[cfg.layers()];
        for (int l = 0; l < h.length; l++) {
            h[l] = heap.alloc("trunk layer " + l, (long) n * w);
        }
        sigma = heap.alloc("sigma", n);
        fold = heap.alloc("fold", (long) hw * w);
        foldBias = heap.alloc("foldBias", hw);
        foldG = heap.alloc("foldG", (long) hw * w);
        foldS = heap.alloc("foldS", hw);
        r1 = heap.alloc("r1", (long) n * hw);
        feat = heap.alloc("features", (long) n * cfg.featureChannels());
        codeBias0 = heap.alloc("codeBias0", (long) b * w);
        codeBiasSkip = heap.alloc("codeBiasSkip", (long) b * w);
        codeBiasRgb1 = heap.alloc("codeBiasRgb1", (long) b * hw);
        dSigma = heap.alloc("dSigma", n);
        dR1 = heap.alloc("dR1", (long) n * hw);
        dHa = heap.alloc("dHa", (long) n * w);
        dHb = heap.alloc("dHb", (long) n * w);
        groupSums = heap.alloc("groupSums", (long) b * Math.max(w, hw));
        ParamLayout lay = mlp.layout();
        wOff = new int[cfg.layers()];
        bOff = new int[cfg.layers()];
        for (int l = 0; l < h.length; l++) {
            wOff[l] = paramOff + lay.offset(NerfMlp.trunkName(l) + ".weight");
            bOff[l] = paramOff + lay.offset(NerfMlp.trunkName(l) + ".bias");
        }
        densityW = paramOff + lay.offset("density_module.weight");
        densityB = paramOff + lay.offset("density_module.bias");
        rgb0W = paramOff + lay.offset("RGB_layer_0.weight");
        rgb0B = paramOff + lay.offset("RGB_layer_0.bias");
        rgb1W = paramOff + lay.offset("RGB_layer_1.weight");
        rgb1B = paramOff + lay.offset("RGB_layer_1.bias");
        rgb2W = paramOff + lay.offset("RGB_layer_2.weight");
        rgb2B = paramOff + lay.offset("RGB_layer_2.bias");
    }

    /** The largest weight matrix (m x n of a TN product of backward), for the arena's split-k scratch. */
    int maxWeightGradient() {
        int w = cfg.width();
        int hw = cfg.rgbHiddenWidth();
        int best = Math.max(w * w, cfg.featureChannels() * hw);
        best = Math.max(best, hw * Math.max(w, cfg.appearanceWidth()));
        return Math.max(best, w * Math.max(cfg.encodedWidth(), cfg.shapeCodeWidth()));
    }

    /** Heap offset of sigma {@code (N)} after forward. */
    int sigma() {
        return sigma;
    }

    /** Heap offset of the features {@code (N, F)}, contiguous, after forward. */
    int features() {
        return feat;
    }

    /** Appends forward: pe {@code (N, E)} at peOff with ld ldpe, shape codes {@code (B, S)} and appearance {@code (B, A)} contiguous. */
    void forward(LaunchFactory ar, List<Launch> pr, int peOff, int ldpe, int shapeOff, int appOff) {
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int r1In = w + a;
        int nt = StepKernel.NT;
        pr.add(ar.gemm(nt, b, w, s, shapeOff, s, wOff[0] + e, in, codeBias0, w, false));
        pr.add(ar.biasActivation(codeBias0, w, b, w, bOff[0], w, b, Activation.NONE));
        pr.add(ar.gemmBiasActivation(nt, n, w, e, peOff, ldpe, wOff[0], in, h[0], w, false, codeBias0, w, p, Activation.RELU));
        for (int l = 1; l < cfg.layers(); l++) {
            if (l == cfg.skipLayer()) {
                int ld = in + w;
                pr.add(ar.gemm(nt, b, w, s, shapeOff, s, wOff[l] + e, ld, codeBiasSkip, w, false));
                pr.add(ar.biasActivation(codeBiasSkip, w, b, w, bOff[l], w, b, Activation.NONE));
                pr.add(ar.gemm(nt, n, w, e, peOff, ldpe, wOff[l], ld, h[l], w, false));
                pr.add(ar.gemmBiasActivation(nt, n, w, w, h[l - 1], w, wOff[l] + in, ld, h[l], w, true,
                        codeBiasSkip, w, p, Activation.RELU));
            } else {
                pr.add(ar.gemmBiasActivation(nt, n, w, w, h[l - 1], w, wOff[l], w, h[l], w, false, bOff[l], w, n, Activation.RELU));
            }
        }
        int last = h[cfg.layers() - 1];
        pr.add(ar.gemmBiasActivation(nt, n, 1, w, last, w, densityW, w, sigma, 1, false, densityB, 1, n, Activation.RELU));
        pr.add(ar.gemm(StepKernel.NN, hw, w, w, rgb1W, r1In, rgb0W, w, fold, w, false));
        pr.add(ar.gemm(nt, hw, 1, w, rgb1W, r1In, rgb0B, w, foldBias, 1, false));
        pr.add(ar.gemm(nt, b, hw, a, appOff, a, rgb1W + w, r1In, codeBiasRgb1, hw, false));
        pr.add(ar.biasActivation(codeBiasRgb1, hw, b, hw, rgb1B, hw, b, Activation.NONE));
        pr.add(ar.biasActivation(codeBiasRgb1, hw, b, hw, foldBias, hw, b, Activation.NONE));
        pr.add(ar.gemmBiasActivation(nt, n, hw, w, last, w, fold, w, r1, hw, false, codeBiasRgb1, hw, p, Activation.RELU));
        pr.add(ar.gemmBiasActivation(nt, n, f, hw, r1, hw, rgb2W, hw, feat, f, false, rgb2B, f, n, Activation.NONE));
    }

    /**
     * Appends backward, accumulating into the gradients, dShape {@code (B, S)}, dApp {@code (B, A)} and (when
     * {@code dPeOff >= 0}) dPe {@code (N, E)} with ld lddpe; dSigmaIn {@code (N)} and dFeat {@code (N, F)} (ld
     * lddf) are read only. The inputs are those given to {@link #forward}.
     */
    void backward(LaunchFactory ar, List<Launch> pr, int dPeOff, int lddpe, int dShape, int dApp, int dSigmaIn,
                  int dFeat, int lddf, int peOff, int ldpe, int shapeOff, int appOff) {
        int w = cfg.width();
        int e = cfg.encodedWidth();
        int s = cfg.shapeCodeWidth();
        int in = cfg.inputWidth();
        int a = cfg.appearanceWidth();
        int hw = cfg.rgbHiddenWidth();
        int f = cfg.featureChannels();
        int r1In = w + a;
        int g = gradOff - paramOff; // a parameter's gradient is g floats after it
        int nn = StepKernel.NN;
        int tn = StepKernel.TN;
        int last = h[cfg.layers() - 1];
        pr.add(ar.gemm(tn, f, hw, n, dFeat, lddf, r1, hw, rgb2W + g, hw, true));
        pr.add(ar.columnSums(rgb2B + g, dFeat, lddf, n, f, n, true));
        pr.add(ar.gemm(nn, n, hw, f, dFeat, lddf, rgb2W, hw, dR1, hw, false));
        pr.add(ar.activationBackward(dR1, hw, dR1, hw, r1, hw, n, hw, Activation.RELU));
        pr.add(ar.gemm(tn, hw, w, n, dR1, hw, last, w, foldG, w, false));
        pr.add(ar.columnSums(groupSums, dR1, hw, n, hw, p, false));
        pr.add(ar.gemm(tn, hw, a, b, groupSums, hw, appOff, a, rgb1W + w + g, r1In, true));
        pr.add(ar.columnSums(rgb1B + g, groupSums, hw, b, hw, b, true));
        pr.add(ar.gemm(nn, b, a, hw, groupSums, hw, rgb1W + w, r1In, dApp, a, true));
        pr.add(ar.columnSums(foldS, groupSums, hw, b, hw, b, false));
        pr.add(ar.gemm(StepKernel.NT, hw, w, w, foldG, w, rgb0W, w, rgb1W + g, r1In, true));
        pr.add(ar.gemm(StepKernel.NT, hw, w, 1, foldS, 1, rgb0B, 1, rgb1W + g, r1In, true));
        pr.add(ar.gemm(tn, w, w, hw, rgb1W, r1In, foldG, w, rgb0W + g, w, true));
        pr.add(ar.gemm(tn, w, 1, hw, rgb1W, r1In, foldS, 1, rgb0B + g, 1, true));
        int dH = dHb;
        pr.add(ar.gemm(nn, n, w, hw, dR1, hw, fold, w, dH, w, false));
        pr.add(ar.activationBackward(dSigma, 1, dSigmaIn, 1, sigma, 1, n, 1, Activation.RELU));
        pr.add(ar.gemm(tn, 1, w, n, dSigma, 1, last, w, densityW + g, w, true));
        pr.add(ar.columnSums(densityB + g, dSigma, 1, n, 1, n, true));
        pr.add(ar.gemm(nn, n, w, 1, dSigma, 1, densityW, w, dH, w, true));
        int dNext = dHa;
        for (int l = cfg.layers() - 1; l >= 0; l--) {
            pr.add(ar.activationBackward(dH, w, dH, w, h[l], w, n, w, Activation.RELU));
            if (l == 0 || l == cfg.skipLayer()) {
                int ld = l == 0 ? in : in + w;
                pr.add(ar.gemm(tn, w, e, n, dH, w, peOff, ldpe, wOff[l] + g, ld, true));
                pr.add(ar.columnSums(groupSums, dH, w, n, w, p, false));
                pr.add(ar.gemm(tn, w, s, b, groupSums, w, shapeOff, s, wOff[l] + e + g, ld, true));
                pr.add(ar.columnSums(bOff[l] + g, groupSums, w, b, w, b, true));
                pr.add(ar.gemm(nn, b, s, w, groupSums, w, wOff[l] + e, ld, dShape, s, true));
                if (dPeOff >= 0) {
                    pr.add(ar.gemm(nn, n, e, w, dH, w, wOff[l], ld, dPeOff, lddpe, true));
                }
                if (l > 0) {
                    pr.add(ar.gemm(tn, w, w, n, dH, w, h[l - 1], w, wOff[l] + in + g, ld, true));
                    pr.add(ar.gemm(nn, n, w, w, dH, w, wOff[l] + in, ld, dNext, w, false));
                }
            } else {
                pr.add(ar.gemm(tn, w, w, n, dH, w, h[l - 1], w, wOff[l] + g, w, true));
                pr.add(ar.columnSums(bOff[l] + g, dH, w, n, w, n, true));
                pr.add(ar.gemm(nn, n, w, w, dH, w, wOff[l], w, dNext, w, false));
            }
            int t = dH;
            dH = dNext;
            dNext = t;
        }
    }
}
