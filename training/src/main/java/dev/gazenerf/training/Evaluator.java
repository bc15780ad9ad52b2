package dev.gazenerf.training;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.Sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Gaze-redirection evaluation on held-out subjects (section 5 of the reference spec, without the metrics that
 * need pretrained networks). For each pair (input image i, target image j of the same subject, another gaze):
 * the input is fitted ({@link Fitter}, the given {@link FitOptions}), then
 * <ul>
 * <li>{@code redirected}: the fitted face at the target's gaze, from the target's camera (plus the input's
 *     fitted camera deltas) under the target's illumination code, as the reference's benchmark renders;</li>
 * <li>{@code model_at_input_gaze}: the same, but keeping the input's gaze (so the gap in {@code eye_psnr}
 *     shows that the gaze moved the eyes);</li>
 * <li>{@code unchanged_input}: the input image itself;</li>
 * </ul>
 * each against the target image with non-head pixels set to white (section 5.2). On synthetic data the
 * targets are the generator's exact renders. Metrics ({@link ImageMetrics}): PSNR and SSIM (piq's, data range
 * 1), mean L1, and {@code eye_psnr}, the PSNR over the target's eye masks (left or right); means over pairs
 * ({@code eye_psnr} over the pairs whose target has eye pixels). A rendered NaN counts as 1 (white).
 * {@code metrics.json} also lists every pair's scores ({@code per_pair}) and {@code eye_wins}, the number of pairs
 * whose redirected render beats the model at the input's gaze in {@code eye_psnr}: with few pairs a mean gap can
 * come from one pair, the count says whether the gaze moved the eyes the right way pair after pair.
 *
 * <p>Pairs ({@link #pairs}): for a subject with n images, inputs i in [0, n/2) and targets n/2 + i, the
 * reference's split of each subject's images into inputs and targets ([0, n) and a permutation of [n, 2n)),
 * with the identity permutation. Deterministic: the same data, checkpoint, options and backend give the same bits.
 */
public final class Evaluator {
    private final Fitter fitter;
    private final FitOptions fit;

    /** The four scores of one rendering against its target. */
    @JsonPropertyOrder({"psnr", "ssim", "l1", "eye_psnr"})
    public record Scores(double psnr, double ssim, double l1, @JsonProperty("eye_psnr") double eyePsnr) {
    }

    /**
     * {@code metrics.json}: pair count, mean scores of the three renderings (see the class comment), the pairs
     * where the redirected render won in {@code eye_psnr}, and each pair's scores.
     */
    @JsonPropertyOrder({"pairs", "redirected", "unchanged_input", "model_at_input_gaze", "eye_wins", "per_pair"})
    public record Metrics(int pairs, Scores redirected, @JsonProperty("unchanged_input") Scores unchangedInput,
                          @JsonProperty("model_at_input_gaze") Scores modelAtInputGaze,
                          @JsonProperty("eye_wins") int eyeWins,
                          @JsonProperty("per_pair") List<PairScores> perPair) {
    }

    /** One pair's scores in {@code metrics.json}: subject key, input and target rows, the three renderings. */
    @JsonPropertyOrder({"subject", "input", "target", "redirected", "unchanged_input", "model_at_input_gaze"})
    public record PairScores(String subject, int input, int target, Scores redirected,
                             @JsonProperty("unchanged_input") Scores unchangedInput,
                             @JsonProperty("model_at_input_gaze") Scores modelAtInputGaze) {
    }

    /** A pair to evaluate: subject position in the data set, input row, target row. */
    public record Pair(int subject, int input, int target) {
    }

    /**
     * One evaluated pair with its images, channels-last {@code (size, size, 3)} in [0, 1]: the input image, the
     * target (non-head white, what the scores compare against), and the two renderings.
     */
    public record PairResult(Pair pair, String subjectKey, int size, float[] inputImage, float[] target,
                             float[] redirected, float[] modelAtInputGaze, Scores redirectedScores,
                             Scores unchangedInputScores, Scores modelAtInputGazeScores) {
    }

    public Evaluator(Fitter fitter, FitOptions fit) {
        if (fitter == null || fit == null) {
            throw new IllegalArgumentException("Evaluator: fitter and fit options must not be null");
        }
        this.fitter = fitter;
        this.fit = fit;
    }

    /** The pairs of a data set, subject by subject, at most {@code maxPairs} (0: all). */
    public static List<Pair> pairs(GazeDataset data, int maxPairs) {
        if (maxPairs < 0) {
            throw new IllegalArgumentException("Evaluator.pairs: maxPairs must be >= 0, got " + maxPairs);
        }
        List<Pair> out = new ArrayList<>();
        for (int s = 0; s < data.subjects(); s++) {
            int half = data.count(s) / 2;
            for (int i = 0; i < half; i++) {
                if (maxPairs > 0 && out.size() == maxPairs) {
                    return out;
                }
                out.add(new Pair(s, i, half + i));
            }
        }
        return out;
    }

    /**
     * Evaluates {@link #pairs}{@code (data, maxPairs)}; {@code onPair} (may be null) receives each pair's images
     * and scores as soon as it is done (the images are not kept).
     *
     * @throws IllegalArgumentException when the data set has no pair (every subject needs two images)
     */
    public Metrics evaluate(GazeDataset data, int maxPairs, Consumer<PairResult> onPair) {
        List<Pair> pairs = pairs(data, maxPairs);
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("evaluation needs subjects with at least two images; none has");
        }
        double[][] sums = new double[3][4];
        int[] eyeCounts = new int[3];
        int eyeWins = 0;
        List<PairScores> perPair = new ArrayList<>();
        for (Pair p : pairs) {
            PairResult r = evaluate(data, p);
            Scores[] s = {r.redirectedScores(), r.unchangedInputScores(), r.modelAtInputGazeScores()};
            perPair.add(new PairScores(r.subjectKey(), p.input(), p.target(), s[0], s[1], s[2]));
            if (s[0].eyePsnr() > s[2].eyePsnr()) {
                eyeWins++;
            }
            for (int k = 0; k < 3; k++) {
                sums[k][0] += s[k].psnr();
                sums[k][1] += s[k].ssim();
                sums[k][2] += s[k].l1();
                if (!Double.isNaN(s[k].eyePsnr())) {
                    sums[k][3] += s[k].eyePsnr();
                    eyeCounts[k]++;
                }
            }
            if (onPair != null) {
                onPair.accept(r);
            }
        }
        Scores[] mean = new Scores[3];
        int n = pairs.size();
        for (int k = 0; k < 3; k++) {
            mean[k] = new Scores(sums[k][0] / n, sums[k][1] / n, sums[k][2] / n,
                    eyeCounts[k] == 0 ? Double.NaN : sums[k][3] / eyeCounts[k]);
        }
        return new Metrics(n, mean[0], mean[1], mean[2], eyeWins, List.copyOf(perPair));
    }

    /** Fits the pair's input and scores the three renderings against its target. */
    public PairResult evaluate(GazeDataset data, Pair p) {
        Sample input = data.get(data.index(p.subject(), p.input()));
        Sample target = data.get(data.index(p.subject(), p.target()));
        int o = input.size();
        if (target.size() != o || o != fitter.preset().outputSize()) {
            throw new IllegalArgumentException("evaluation: images are " + o + " px, the model renders "
                    + fitter.preset().outputSize() + " px: open the data with the preset's output size");
        }
        int px = o * o;
        float[] gt = new float[px * 3];
        float[] planarTarget = target.image();
        for (int q = 0; q < px; q++) {
            boolean head = target.headMask()[q] >= 0.5f;
            for (int c = 0; c < 3; c++) {
                gt[q * 3 + c] = head ? planarTarget[c * px + q] : 1f;
            }
        }
        float[] eyes = new float[px];
        for (int q = 0; q < px; q++) {
            eyes[q] = Math.max(target.leftEyeMask()[q], target.rightEyeMask()[q]);
        }
        float[] in = channelsLast(input.image(), px);
        FittedFace.View view = FittedFace.View.of(target);
        float[] illumination = Arrays.copyOfRange(target.code(), FittedFace.ILLU_OFFSET,
                FittedFace.ILLU_OFFSET + FittedFace.ILLU);
        float[] redirected;
        float[] atInput;
        try (FittedFace face = fitter.fit(input, fit, null)) {
            redirected = face.render(target.gaze()[0], target.gaze()[1], view, illumination);
            atInput = face.render(input.gaze()[0], input.gaze()[1], view, illumination);
        }
        return new PairResult(p, data.subjectKey(p.subject()), o, in, gt, redirected, atInput,
                scores(redirected, gt, eyes, o), scores(in, gt, eyes, o), scores(atInput, gt, eyes, o));
    }

    private static Scores scores(float[] pred, float[] gt, float[] eyes, int o) {
        return new Scores(ImageMetrics.psnr(pred, gt, o, o), ImageMetrics.ssim(pred, gt, o, o),
                ImageMetrics.l1(pred, gt, o, o), ImageMetrics.maskedPsnr(pred, gt, eyes, o, o));
    }

    private static float[] channelsLast(float[] planar, int px) {
        float[] out = new float[px * 3];
        for (int q = 0; q < px; q++) {
            for (int c = 0; c < 3; c++) {
                out[q * 3 + c] = planar[c * px + q];
            }
        }
        return out;
    }
}
