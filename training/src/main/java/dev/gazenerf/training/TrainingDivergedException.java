package dev.gazenerf.training;

/** A non-finite loss: training stops, naming the step and the term; the last good checkpoint stays. */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(long step, String term, double value) {
        super("training diverged at step " + step + ": loss term '" + term + "' is " + value
                + "; the last good checkpoint is kept (resume from it with a lower learning rate)");
    }
}
