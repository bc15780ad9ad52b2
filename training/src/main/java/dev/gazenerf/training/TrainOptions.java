package dev.gazenerf.training;

/**
 * How a run trains (section 3.1 of the reference spec; the defaults are the reference's unless noted).
 *
 * @param steps             batches to consume (a skipped batch counts: the data order stays fixed)
 * @param batchSize         images per step (reference 2)
 * @param seed              seed of the data order and of the stratified sample jitter (reference: torch 45)
 * @param initSeed          seed of the network initialization
 * @param lrNet             learning rate of both MLPs and the renderer (1e-4)
 * @param lrIden            identity-offset learning rate (1e-4)
 * @param lrAppearance      appearance-offset learning rate (1e-4)
 * @param lrExpr            expression-offset learning rate (1e-5)
 * @param lrCamera          camera Euler and translation delta learning rate (1e-5)
 * @param lrDecaySteps      0 keeps the learning rate constant (the reference builds a schedule but never steps
 *                          it); otherwise every rate is multiplied by {@code 0.1^(step / lrDecaySteps)}
 * @param loss              loss weights and switches
 * @param checkpointEvery   steps between checkpoints (the last step always writes one)
 * @param keepCheckpoints   how many checkpoints to keep
 * @param evalEvery         steps between held-out PSNR measurements (0: never)
 * @param evalImages        held-out images rendered for that PSNR
 */
public record TrainOptions(int steps, int batchSize, long seed, long initSeed,
                           float lrNet, float lrIden, float lrAppearance, float lrExpr, float lrCamera,
                           int lrDecaySteps, LossWeights loss, int checkpointEvery, int keepCheckpoints,
                           int evalEvery, int evalImages) {

    public TrainOptions {
        positive("steps", steps, 0);
        positive("batchSize", batchSize, 1);
        positive("lrDecaySteps", lrDecaySteps, 0);
        positive("checkpointEvery", checkpointEvery, 1);
        positive("keepCheckpoints", keepCheckpoints, 1);
        positive("evalEvery", evalEvery, 0);
        positive("evalImages", evalImages, 1);
        for (float lr : new float[]{lrNet, lrIden, lrAppearance, lrExpr, lrCamera}) {
            if (!(lr >= 0) || Float.isInfinite(lr)) {
                throw new IllegalArgumentException("learning rates must be finite and >= 0, got " + lr);
            }
        }
        if (loss == null) {
            throw new IllegalArgumentException("train options: loss weights are missing");
        }
        loss.validate();
    }

    private static void positive(String key, long v, long min) {
        if (v < min) {
            throw new IllegalArgumentException("train option '" + key + "' must be >= " + min + ", got " + v);
        }
    }

    /** The reference's settings (batch 2, learning rates of section 3.1, constant rate, L1). */
    public static TrainOptions reference(int steps) {
        return new TrainOptions(steps, 2, 45, 45, 1e-4f, 1e-4f, 1e-4f, 1e-5f, 1e-5f, 0, LossWeights.reference(),
                1000, 3, 0, 2);
    }

    /** A copy with other steps. */
    public TrainOptions withSteps(int s) {
        return new TrainOptions(s, batchSize, seed, initSeed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                lrDecaySteps, loss, checkpointEvery, keepCheckpoints, evalEvery, evalImages);
    }

    /** A copy with every learning rate multiplied by {@code factor} (the demo trains a tiny model faster). */
    public TrainOptions withLearningRateScale(float factor) {
        return new TrainOptions(steps, batchSize, seed, initSeed, lrNet * factor, lrIden * factor,
                lrAppearance * factor, lrExpr * factor, lrCamera * factor, lrDecaySteps, loss, checkpointEvery,
                keepCheckpoints, evalEvery, evalImages);
    }

    /** A copy with other checkpoint and evaluation intervals. */
    public TrainOptions withIntervals(int checkpointEvery, int evalEvery) {
        return new TrainOptions(steps, batchSize, seed, initSeed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                lrDecaySteps, loss, checkpointEvery, keepCheckpoints, evalEvery, evalImages);
    }

    /** A copy with an exponential learning-rate schedule: rates times {@code 0.1^(step / decaySteps)}; 0 = constant. */
    public TrainOptions withLrDecaySteps(int decaySteps) {
        return new TrainOptions(steps, batchSize, seed, initSeed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                decaySteps, loss, checkpointEvery, keepCheckpoints, evalEvery, evalImages);
    }

    /** A copy with another seed for the data order, the jitter and the initialization. */
    public TrainOptions withSeed(long s) {
        return new TrainOptions(steps, batchSize, s, s, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                lrDecaySteps, loss, checkpointEvery, keepCheckpoints, evalEvery, evalImages);
    }

    /** A copy with another batch size.*/
    public TrainOptions withBatchSize(int b) {
        return new TrainOptions(steps, b, seed, initSeed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                lrDecaySteps, loss, checkpointEvery, keepCheckpoints, evalEvery, evalImages);
    }

    /** A copy that measures the held-out PSNR on {@code n} images. */
    public TrainOptions withEvalImages(int n) {
        return new TrainOptions(steps, batchSize, seed, initSeed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                lrDecaySteps, loss, checkpointEvery, keepCheckpoints, evalEvery, n);
    }

    /** A copy with other loss weights. */
    public TrainOptions withLoss(LossWeights w) {
        return new TrainOptions(steps, batchSize, seed, initSeed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                lrDecaySteps, w, checkpointEvery, keepCheckpoints, evalEvery, evalImages);
    }

    /** A copy with another data-order/jitter seed and initialization seed. */
    public TrainOptions withSeeds(long seed, long initSeed) {
        return new TrainOptions(steps, batchSize, seed, initSeed, lrNet, lrIden, lrAppearance, lrExpr, lrCamera,
                lrDecaySteps, loss, checkpointEvery, keepCheckpoints, evalEvery, evalImages);
    }

    /** The learning-rate multiplier at a step. */
    public double lrFactor(long step) {
        return lrDecaySteps == 0 ? 1.0 : Math.pow(0.1, (double) step / lrDecaySteps);
    }
}
