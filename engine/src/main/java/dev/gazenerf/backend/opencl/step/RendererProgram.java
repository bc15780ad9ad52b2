package dev.gazenerf.backend.opencl.step;

import java.util.List;

import dev.gazenerf.kernel.Activation;
import dev.gazenerf.render.NeuralRenderer;
import dev.gazenerf.tensor.ParamLayout;

/**
 * The launches of one {@link NeuralRenderer#forward} / {@link NeuralRenderer#backward} call over regions of a
 * {@link DeviceArena}'s heap, op for op as the host renderer: the 1x1 convolutions are gemms (forward with the
 * bias + activation fused as the epilogue; backward gemmTN, column sums, gemmNN), the pixel shuffle, blur,
 * bilinear upsampling and channel-repeat residual are channel-parallel map ops (one work-item per element). The
 * constructor lays out the call's caches ({@code a, b, v, net, rgb, image} per level, as
 * {@link NeuralRenderer.Workspace}); the backward scratch is shared between the calls of one step (the host
 * shares it the same way), so a program built with {@code share} reuses that program's scratch.
 */
final class RendererProgram {
    private final NeuralRenderer r;
    private final int images;
    private final int blocks;
    private final int[] widths;
    private final int[] a;
    private final int[] b;
    private final int[] v;
    private final int[] net;
    private final int[] rgb;
    private final int image;
    // shared scratch
    private final int[] dNet;
    private final int[] dRgb;
    private final int scratchRgb;
    private final int scratchWide;
    private final int scratchMap;
    private final int dScratchMap;
    private final int dA;
    // parameter offsets (into the parameter block; gradients are gradShift floats later)
    private final int[] l1W;
    private final int[] l1B;
    private final int[] l2W;
    private final int[] l2B;
    private final int[] fW;
    private final int[] fB;
    private final int[] rgbW;
    private final int[] rgbB;
    private final int gradShift;

    /**
     * @param paramOff  heap offset of the renderer's parameter buffer (layout {@code layout}, prefix "")
     * @param gradOff   heap offset of its gradient buffer
     * @param share     null, or a program whose backward scratch this one reuses (it must serve at least as many images)
     */
    RendererProgram(NeuralRenderer renderer, ParamLayout layout, HeapLayout heap, int paramOff, int gradOff, int images,
                    RendererProgram share, String what) {
        this(renderer, layout, heap, paramOff, gradOff, images, share, false, what);
    }

    /**
     * As above; with {@code shareCaches}, this program also writes its forward caches ({@code a, b, v, net, rgb})
     * over {@code share}'s (only the output image is its own): a backward then needs this program's
     * {@link #forward} run again just before it, unless no other sharing program's forward ran in between (the
     * device step's memory-saving plan, {@link DeviceModelStep}).
     */
    RendererProgram(NeuralRenderer renderer, ParamLayout layout, HeapLayout heap, int paramOff, int gradOff, int images,
                    RendererProgram share, boolean shareCaches, String what) {
        this.r = renderer;
        this.images = images;
        this.blocks = renderer.blocks();
        this.widths = new int[blocks + 1];
        for (int i = 0; i <= blocks; i++) {
            widths[i] = renderer.width(i);
        }
        this.gradShift = gradOff - paramOff;
        a = new int[blocks];
        b = new int[blocks];
        v = new int[blocks];
        net = new int[blocks + 1];
        rgb = new int[blocks + 1];
        if (shareCaches && (share == null || share.images < images)) {
            throw new IllegalArgumentException("RendererProgram: shared caches need a program serving at least " + images
                    + " images");
        }
        for (int i = 0; i < blocks && shareCaches; i++) {
            a[i] = share.a[i];
            b[i] = share.b[i];
            v[i] = share.v[i];
        }
        for (int i = 0; i <= blocks && shareCaches; i++) {
            net[i] = share.net[i];
            rgb[i] = share.rgb[i];
        }
        for (int i = 0; i < blocks && !shareCaches; i++) {
            int c = widths[i];
            a[i] = heap.alloc(what + " a" + i, (long) rows(i) * 2 * c);
            b[i] = heap.alloc(what + " b" + i, (long) rows(i) * 4 * c);
            v[i] = heap.alloc(what + " v" + i, (long) rows(i + 1) * c);
        }
        for (int i = 0; i <= blocks && !shareCaches; i++) {
            if (i >= 1) {
                net[i] = heap.alloc(what + " net" + i, (long) rows(i) * widths[i]);
            }
            rgb[i] = heap.alloc(what + " rgb" + i, (long) rows(i) * 3);
        }
        image = heap.alloc(what + " image", (long) rows(blocks) * 3);
        if (share != null) {
            if (share.images < images) {
                throw new IllegalArgumentException("RendererProgram: the shared scratch serves fewer images");
            }
            dNet = share.dNet;
            dRgb = share.dRgb;
            scratchRgb = share.scratchRgb;
            scratchWide = share.scratchWide;
            scratchMap = share.scratchMap;
            dScratchMap = share.dScratchMap;
            dA = share.dA;
        } else {
            dNet = new int[blocks + 1];
            dRgb = new int[blocks + 1];
            long wide = 0;
            long map = 0;
            long mid = 0;
            for (int i = 0; i < blocks; i++) {
                wide = Math.max(wide, (long) rows(i) * 4 * widths[i]);
                map = Math.max(map, (long) rows(i + 1) * widths[i]);
                mid = Math.max(mid, (long) rows(i) * 2 * widths[i]);
            }
            for (int i = 0; i <= blocks; i++) {
                if (i >= 1) {
                    dNet[i] = heap.alloc(what + " dNet" + i, (long) rows(i) * widths[i]);
                }
                dRgb[i] = heap.alloc(what + " dRgb" + i, (long) rows(i) * 3);
            }
            scratchRgb = heap.alloc(what + " scratchRgb", (long) rows(blocks) * 3);
            scratchWide = heap.alloc(what + " scratchWide", wide);
            scratchMap = heap.alloc(what + " scratchMap", map);
            dScratchMap = heap.alloc(what + " dScratchMap", map);
            dA = heap.alloc(what + " dA", mid);
        }
        l1W = new int[blocks];
        l1B = new int[blocks];
        l2W = new int[blocks];
        l2B = new int[blocks];
        fW = new int[blocks];
        fB = new int[blocks];
        rgbW = new int[blocks + 1];
        rgbB = new int[blocks + 1];
        for (int i = 0; i < blocks; i++) {
            String p = "feat_upsample_list." + i + ".";
            l1W[i] = paramOff + layout.offset(p + "layer_1.weight");
            l1B[i] = paramOff + layout.offset(p + "layer_1.bias");
            l2W[i] = paramOff + layout.offset(p + "layer_2.weight");
            l2B[i] = paramOff + layout.offset(p + "layer_2.bias");
            fW[i] = paramOff + layout.offset("feat_layers." + i + ".weight");
            fB[i] = paramOff + layout.offset("feat_layers." + i + ".bias");
        }
        for (int j = 0; j <= blocks; j++) {
            rgbW[j] = paramOff + layout.offset("feat_2_rgb_list." + j + ".weight");
            rgbB[j] = paramOff + layout.offset("feat_2_rgb_list." + j + ".bias");
        }
    }

    private int side(int level) {
        return r.featmapSize() << level;
    }

    private int rows(int level) {
        return images * side(level) * side(level);
    }

    /** Heap offset of the output image {@code (images, O, O, 3)} after forward. */
    int image() {
        return image;
    }

    /** The largest weight matrix of a backward TN product (for the arena's split-k scratch). */
    int maxWeightGradient() {
        int best = 0;
        for (int i = 0; i < blocks; i++) {
            best = Math.max(best, 8 * widths[i] * widths[i]);
        }
        return best;
    }

    /** Appends forward on the map {@code (images, F, F, C_0)} at inOff (kept unchanged until backward). */
    void forward(LaunchFactory ar, List<Launch> pr, int inOff) {
        int nt = StepKernel.NT;
        int c0 = widths[0];
        pr.add(ar.gemmBiasActivation(nt, rows(0), 3, c0, inOff, c0, rgbW[0], c0, rgb[0], 3, false, rgbB[0], 3, rows(0),
                Activation.NONE));
        up(ar, pr, rgb[1], rgb[0], 0);
        for (int i = 0; i < blocks; i++) {
            int c = widths[i];
            int rr = rows(i);
            int rNext = rows(i + 1);
            int cNext = widths[i + 1];
            int x = i == 0 ? inOff : net[i];
            pr.add(ar.gemmBiasActivation(nt, rr, 2 * c, c, x, c, l1W[i], c, a[i], 2 * c, false, l1B[i], 2 * c, rr,
                    Activation.LEAKY_RELU));
            pr.add(ar.gemmBiasActivation(nt, rr, 4 * c, 2 * c, a[i], 2 * c, l2W[i], 2 * c, b[i], 4 * c, false, l2B[i], 4 * c,
                    rr, Activation.LEAKY_RELU));
            pr.add(ar.repeatAdd(scratchWide, b[i], x, rr, c, 4));
            pr.add(ar.mapOp(StepKernel.SHUFFLE, scratchMap, scratchWide, images, side(i), side(i), c, false));
            pr.add(ar.mapOp(StepKernel.BLUR, v[i], scratchMap, images, side(i + 1), side(i + 1), c, false));
            pr.add(ar.gemmBiasActivation(nt, rNext, cNext, c, v[i], c, fW[i], c, net[i + 1], cNext, false, fB[i], cNext,
                    rNext, Activation.LEAKY_RELU));
            pr.add(ar.gemmBiasActivation(nt, rNext, 3, cNext, net[i + 1], cNext, rgbW[i + 1], cNext, rgb[i + 1], 3, true,
                    rgbB[i + 1], 3, rNext, Activation.NONE));
            if (i < blocks - 1) {
                up(ar, pr, rgb[i + 2], rgb[i + 1], i + 1);
            }
        }
        int rOut = rows(blocks);
        pr.add(ar.copy(image, 3, rgb[blocks], 3, rOut, 3, false));
        pr.add(ar.biasActivation(image, 3, rOut, 3, -1, 0, rOut, Activation.SIGMOID));
    }

    private void up(LaunchFactory ar, List<Launch> pr, int dst, int src, int level) {
        pr.add(ar.mapOp(StepKernel.UPSAMPLE, scratchRgb, src, images, side(level), side(level), 3, false));
        pr.add(ar.mapOp(StepKernel.BLUR, dst, scratchRgb, images, side(level + 1), side(level + 1), 3, false));
    }

    /**
     * Appends backward of the last forward: parameter gradients accumulate; {@code dIn (+)= dL/din} at dInOff;
     * dOut {@code (images, O, O, 3)} at dOutOff is read only.
     */
    void backward(LaunchFactory ar, List<Launch> pr, int dInOff, boolean accumulateDIn, int dOutOff, int inOff) {
        int nn = StepKernel.NN;
        int tn = StepKernel.TN;
        int g = gradShift;
        int rOut = rows(blocks);
        pr.add(ar.activationBackward(dRgb[blocks], 3, dOutOff, 3, image, 3, rOut, 3, Activation.SIGMOID));
        for (int i = blocks - 1; i >= 0; i--) {
            int c = widths[i];
            int cNext = widths[i + 1];
            int rr = rows(i);
            int rNext = rows(i + 1);
            // toRgb_{i+1}: no activation
            pr.add(ar.gemm(tn, 3, cNext, rNext, dRgb[i + 1], 3, net[i + 1], cNext, rgbW[i + 1] + g, cNext, true));
            pr.add(ar.columnSums(rgbB[i + 1] + g, dRgb[i + 1], 3, rNext, 3, rNext, true));
            pr.add(ar.gemm(nn, rNext, cNext, 3, dRgb[i + 1], 3, rgbW[i + 1], cNext, dNet[i + 1], cNext, i + 1 < blocks));
            pr.add(ar.mapOp(StepKernel.BLUR_BACKWARD, scratchRgb, dRgb[i + 1], images, side(i + 1), side(i + 1), 3, false));
            pr.add(ar.mapOp(StepKernel.UPSAMPLE_BACKWARD, dRgb[i], scratchRgb, images, side(i), side(i), 3, false));
            // featLayers_i
            pr.add(ar.activationBackward(dNet[i + 1], cNext, dNet[i + 1], cNext, net[i + 1], cNext, rNext, cNext,
                    Activation.LEAKY_RELU));
            pr.add(ar.gemm(tn, cNext, c, rNext, dNet[i + 1], cNext, v[i], c, fW[i] + g, c, true));
            pr.add(ar.columnSums(fB[i] + g, dNet[i + 1], cNext, rNext, cNext, rNext, true));
            pr.add(ar.gemm(nn, rNext, c, cNext, dNet[i + 1], cNext, fW[i], c, dScratchMap, c, false));
            pr.add(ar.mapOp(StepKernel.BLUR_BACKWARD, scratchMap, dScratchMap, images, side(i + 1), side(i + 1), c, false));
            pr.add(ar.mapOp(StepKernel.SHUFFLE_BACKWARD, scratchWide, scratchMap, images, side(i), side(i), c, false));
            int x = i == 0 ? inOff : net[i];
            int dx = i == 0 ? dInOff : dNet[i];
            boolean accFirst = i == 0 && accumulateDIn;
            pr.add(ar.repeatAddBackward(dx, scratchWide, rr, c, 4, accFirst));
            // layer_2
            pr.add(ar.activationBackward(scratchWide, 4 * c, scratchWide, 4 * c, b[i], 4 * c, rr, 4 * c, Activation.LEAKY_RELU));
            pr.add(ar.gemm(tn, 4 * c, 2 * c, rr, scratchWide, 4 * c, a[i], 2 * c, l2W[i] + g, 2 * c, true));
            pr.add(ar.columnSums(l2B[i] + g, scratchWide, 4 * c, rr, 4 * c, rr, true));
            pr.add(ar.gemm(nn, rr, 2 * c, 4 * c, scratchWide, 4 * c, l2W[i], 2 * c, dA, 2 * c, false));
            // layer_1
            pr.add(ar.activationBackward(dA, 2 * c, dA, 2 * c, a[i], 2 * c, rr, 2 * c, Activation.LEAKY_RELU));
            pr.add(ar.gemm(tn, 2 * c, c, rr, dA, 2 * c, x, c, l1W[i] + g, c, true));
            pr.add(ar.columnSums(l1B[i] + g, dA, 2 * c, rr, 2 * c, rr, true));
            pr.add(ar.gemm(nn, rr, c, 2 * c, dA, 2 * c, l1W[i], c, dx, c, true));
        }
        int c0 = widths[0];
        pr.add(ar.gemm(tn, 3, c0, rows(0), dRgb[0], 3, inOff, c0, rgbW[0] + g, c0, true));
        pr.add(ar.columnSums(rgbB[0] + g, dRgb[0], 3, rows(0), 3, rows(0), true));
        pr.add(ar.gemm(nn, rows(0), c0, 3, dRgb[0], 3, rgbW[0], c0, dInOff, c0, true));
    }
}
