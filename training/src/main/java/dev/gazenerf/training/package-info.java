/**
 * Training GazeNeRF, fitting unseen faces, and evaluating gaze redirection (sections 3 to 5 of the reference
 * spec).
 *
 * <ul>
 * <li>{@link dev.gazenerf.training.Trainer}: trains on a data set with per-image offsets and Adam's groups;
 *     {@code resume} continues bit for bit from the newest readable checkpoint; writes
 *     {@code RUN/checkpoints/step-NNNNNNNNNN/} ({@link dev.gazenerf.training.CheckpointStore}) and
 *     {@code RUN/log.jsonl}. Options: {@link dev.gazenerf.training.TrainOptions},
 *     {@link dev.gazenerf.training.LossWeights}.</li>
 * <li>{@link dev.gazenerf.training.Fitter}: from a checkpoint, adapts the model to one image
 *     ({@link dev.gazenerf.training.FitOptions}: the reference's whole-network protocol or a frozen network)
 *     and returns a {@link dev.gazenerf.training.FittedFace}, which renders at any gaze, camera and
 *     illumination, estimates the gaze of an image (gaze inversion), and saves and loads itself.</li>
 * <li>{@link dev.gazenerf.training.Evaluator}: input/target pairs of held-out subjects, fitted and rendered,
 *     scored with {@link dev.gazenerf.training.ImageMetrics} into the {@code metrics.json} record.</li>
 * </ul>
 * The objective of a step (forward, {@link dev.gazenerf.training.ReconstructionLoss}, backward, offset
 * gradients and penalties) is one package-private class shared by the trainer and the fitter, so fitting
 * optimizes exactly the training loss.
 */
package dev.gazenerf.training;
