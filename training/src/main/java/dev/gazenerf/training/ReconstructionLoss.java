package dev.gazenerf.training;

/**
 * The image terms of GazeNeRF's loss (section 3.3 of the reference spec) with their gradients, on images
 * stored channels-last: {@code (batch, pixels, 3)} flat, masks {@code (batch, pixels)} with values in [0, 1].
 *
 * <pre>
 * masks (thresholds at 0.5):  head = headMask,  face = head and not leftEye and not rightEye,
 *                             eyes = leftEye or rightEye,  nonhead = not head
 * L = head    * D(merged, gt | head) + face * D(faceImg, gt | face) + eyes * D(eyesImg, gt | eyes)
 *   + nonhead * mean_{nonhead}((merged - 1)^2) + background * mean((bg - 1)^2)
 * D = mean |a - b| (l1) or mean (a - b)^2 over the selected pixels and their 3 channels
 * </pre>
 * As in PyTorch, the gradient of |x| at 0 is 0. A mask that selects nothing makes its term 0 (PyTorch would
 * give NaN); the trainer skips such batches, as the reference does, and {@link Result#emptyMask} reports it.
 * The background image {@code bg (pixels, 3)} is one image shared by the batch.
 */
public final class ReconstructionLoss {
    /** Names of the terms, in the order of {@link Result#terms}. */
    public static final String[] TERMS = {"head", "face", "eyes", "nonhead", "bg"};

    private final LossWeights weights;

    public ReconstructionLoss(LossWeights weights) {
        this.weights = weights.validate();
    }

    /** Weighted total, unweighted terms (order of {@link #TERMS}) and whether a term's mask was empty. */
    public record Result(double total, double[] terms, boolean emptyMask) {
    }

    /**
     * Computes the loss and writes the gradients (overwritten, not accumulated) of the weighted total.
     *
     * @param dMerged gradient of merged (batch, pixels, 3); likewise dFace, dEyes; dBg (pixels, 3)
     */
    public Result forwardBackward(float[] merged, float[] faceImg, float[] eyesImg, float[] bg, float[] gt,
                                  float[] headMask, float[] leftEye, float[] rightEye, int batch, int pixels,
                                  float[] dMerged, float[] dFace, float[] dEyes, float[] dBg) {
        int n3 = batch * pixels * 3;
        check("merged", merged, n3);
        check("faceImg", faceImg, n3);
        check("eyesImg", eyesImg, n3);
        check("gt", gt, n3);
        check("bg", bg, pixels * 3);
        check("headMask", headMask, batch * pixels);
        check("leftEye", leftEye, batch * pixels);
        check("rightEye", rightEye, batch * pixels);
        check("dMerged", dMerged, n3);
        check("dFace", dFace, n3);
        check("dEyes", dEyes, n3);
        check("dBg", dBg, pixels * 3);

        long[] counts = maskCounts(headMask, leftEye, rightEye, batch * pixels);
        long nHead = counts[0], nFace = counts[1], nEyes = counts[2], nNon = counts[3];
        double[] terms = new double[5];
        double sHead = 0, sFace = 0, sEyes = 0, sNon = 0;
        // each selected element's share of its term's mean, times the term's weight
        double gHead = nHead == 0 ? 0 : weights.head() / (3.0 * nHead);
        double gFace = nFace == 0 ? 0 : weights.face() / (3.0 * nFace);
        double gEyes = nEyes == 0 ? 0 : weights.eyes() / (3.0 * nEyes);
        double gNon = nNon == 0 ? 0 : weights.nonhead() / (3.0 * nNon);
        for (int i = 0; i < batch * pixels; i++) {
            boolean head = headMask[i] >= 0.5f;
            boolean eye = leftEye[i] >= 0.5f || rightEye[i] >= 0.5f;
            for (int c = 0; c < 3; c++) {
                int k = i * 3 + c;
                float dm = 0f, df = 0f, de = 0f;
                if (head) {
                    double d = merged[k] - gt[k];
                    sHead += dist(d);
                    dm += (float) (gHead * ddist(d));
                    if (!eye) {
                        double e = faceImg[k] - gt[k];
                        sFace += dist(e);
                        df = (float) (gFace * ddist(e));
                    }
                } else {
                    double d = merged[k] - 1.0;
                    sNon += d * d;
                    dm += (float) (gNon * 2 * d);
                }
                if (eye) {
                    double e = eyesImg[k] - gt[k];
                    sEyes += dist(e);
                    de = (float) (gEyes * ddist(e));
                }
                dMerged[k] = dm;
                dFace[k] = df;
                dEyes[k] = de;
            }
        }
        terms[0] = nHead == 0 ? 0 : sHead / (3.0 * nHead);
        terms[1] = nFace == 0 ? 0 : sFace / (3.0 * nFace);
        terms[2] = nEyes == 0 ? 0 : sEyes / (3.0 * nEyes);
        terms[3] = nNon == 0 ? 0 : sNon / (3.0 * nNon);
        double sBg = 0;
        double gBg = weights.background() / (3.0 * pixels);
        for (int k = 0; k < pixels * 3; k++) {
            double d = bg[k] - 1.0;
            sBg += d * d;
            dBg[k] = (float) (gBg * 2 * d);
        }
        terms[4] = sBg / (3.0 * pixels);
        double total = weights.head() * terms[0] + weights.face() * terms[1] + weights.eyes() * terms[2]
                + weights.nonhead() * terms[3] + weights.background() * terms[4];
        boolean empty = nHead == 0 || nFace == 0 || nEyes == 0;
        return new Result(total, terms, empty);
    }

    private double dist(double d) {
        return weights.l1() ? Math.abs(d) : d * d;
    }

    private double ddist(double d) {
        return weights.l1() ? Math.signum(d) : 2 * d;
    }

    /**
     * The pixels each masked term averages over, in the order of {@link #TERMS} without the background: head, face
     * (head and not eye), eyes (left or right), non-head. A mask selects where it is at least 0.5.
     */
    static long[] maskCounts(float[] headMask, float[] leftEye, float[] rightEye, int n) {
        long nHead = 0, nFace = 0, nEyes = 0, nNon = 0;
        for (int i = 0; i < n; i++) {
            boolean head = headMask[i] >= 0.5f;
            boolean eye = leftEye[i] >= 0.5f || rightEye[i] >= 0.5f;
            if (head) {
                nHead++;
                if (!eye) {
                    nFace++;
                }
            } else {
                nNon++;
            }
            if (eye) {
                nEyes++;
            }
        }
        return new long[] {nHead, nFace, nEyes, nNon};
    }

    private static void check(String name, float[] a, int n) {
        if (a == null) {
            throw new IllegalArgumentException("ReconstructionLoss: argument '" + name + "' is null");
        }
        if (a.length < n) {
            throw new IllegalArgumentException("ReconstructionLoss: argument '" + name + "' has " + a.length
                    + " floats, needs " + n);
        }
    }

    /**
     * The penalty {@code weight * mean(x^2)} over {@code n} values at {@code off}, adding its gradient
     * {@code 2 weight x / n} into {@code grad} (which may be null). Used for the code offsets and camera deltas.
     */
    public static double meanSquarePenalty(float[] x, int off, int n, double weight, float[] grad) {
        if (n == 0) {
            return 0;
        }
        double s = 0;
        for (int i = off; i < off + n; i++) {
            s += (double) x[i] * x[i];
            if (grad != null) {
                grad[i] += (float) (2 * weight * x[i] / n);
            }
        }
        return weight * s / n;
    }
}
