package dev.gazenerf.training;

/**
 * How {@link Fitter} adapts a trained model to one unseen image (section 4 of the reference spec).
 *
 * <p>{@link #reference(int)}: the reference's protocol: the whole network and fresh offsets are fine-tuned with
 * the training groups and rates (net, iden, appea 1e-4; expr, Euler, T 1e-5), batch 1, jittered samples, the
 * training loss (L1 reconstruction terms and offset penalties; the VGG and functional terms need pretrained
 * networks this build cannot load). The reference runs 75 steps. Deviations, deliberate: the offsets start at
 * zero (the reference starts from the offsets the checkpoint learned for training sample 0), and Adam starts
 * fresh (the reference continues the checkpoint's moments).
 *
 * <p>{@link #frozenNetwork(int)}: HeadNeRF's protocol: only the code offsets and camera deltas move; the
 * networks stay bit-identical. With the network fixed, the offsets need a far higher rate to move in a few
 * hundred steps: 1e-2 for the codes (HeadNeRF's rate) and 1e-3 for the camera deltas.
 *
 * @param steps          optimization steps on the image (reference 75)
 * @param frozenNetwork  optimize only the offsets (codes and camera), never the networks
 * @param lrNet          learning rate of the three networks (unused when frozen)
 * @param lrIden         identity-offset rate
 * @param lrAppearance   appearance-offset rate (texture and illumination)
 * @param lrExpr         expression-offset rate
 * @param lrCamera       camera Euler and translation delta rate
 * @param loss           the loss (as training)
 * @param seed           seed of the stratified sample jitter
 */
public record FitOptions(int steps, boolean frozenNetwork, float lrNet, float lrIden, float lrAppearance,
                         float lrExpr, float lrCamera, LossWeights loss, long seed) {

    public FitOptions {
        if (steps < 0) {
            throw new IllegalArgumentException("fit option 'steps' must be >= 0, got " + steps);
        }
        for (float lr : new float[]{lrNet, lrIden, lrAppearance, lrExpr, lrCamera}) {
            if (!(lr >= 0) || Float.isInfinite(lr)) {
                throw new IllegalArgumentException("fit learning rates must be finite and >= 0, got " + lr);
            }
        }
        if (loss == null) {
            throw new IllegalArgumentException("fit options: loss weights are missing");
        }
        loss.validate();
    }

    /** The reference's protocol: whole network, training rates, training loss. */
    public static FitOptions reference(int steps) {
        return new FitOptions(steps, false, 1e-4f, 1e-4f, 1e-4f, 1e-5f, 1e-5f, LossWeights.reference(), 45);
    }

    /** HeadNeRF's protocol: frozen networks, codes at 1e-2, camera deltas at 1e-3. */
    public static FitOptions frozenNetwork(int steps) {
        return new FitOptions(steps, true, 0f, 1e-2f, 1e-2f, 1e-2f, 1e-3f, LossWeights.reference(), 45);
    }

    /** A copy with other steps. */
    public FitOptions withSteps(int s) {
        return new FitOptions(s, frozenNetwork, lrNet, lrIden, lrAppearance, lrExpr, lrCamera, loss, seed);
    }

    /** A copy with every rate multiplied by {@code factor} (a model trained with scaled rates fits with them too). */
    public FitOptions withLearningRateScale(float factor) {
        return new FitOptions(steps, frozenNetwork, lrNet * factor, lrIden * factor, lrAppearance * factor,
                lrExpr * factor, lrCamera * factor, loss, seed);
    }

    /** A copy with other loss weights. */
    public FitOptions withLoss(LossWeights w) {
        return new FitOptions(steps, frozenNetwork, lrNet, lrIden, lrAppearance, lrExpr, lrCamera, w, seed);
    }

    /** The same rates as training options (batch 1, no schedule), for {@link ModelState}. */
    TrainOptions asTrainOptions() {
        return new TrainOptions(Math.max(steps, 1), 1, seed, seed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera, 0,
                loss, 1, 1, 0, 1);
    }
}
