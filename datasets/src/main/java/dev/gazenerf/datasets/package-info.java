/**
 * GazeNeRF's data: the reference's preprocessed per-subject HDF5 files read as the reference loader does
 * ({@link dev.gazenerf.datasets.GazeDataset}, {@link dev.gazenerf.datasets.Sample}), splits
 * ({@link dev.gazenerf.datasets.Splits}), resampling to a preset's size ({@link dev.gazenerf.datasets.ImageOps}),
 * the fixed expression code ({@link dev.gazenerf.datasets.ExpressionCode}) and seeded batches read ahead on a
 * background thread ({@link dev.gazenerf.datasets.BatchSampler}). The file format itself is in
 * {@code dev.gazenerf.datasets.h5}, the synthetic ground-truth dataset in {@code dev.gazenerf.datasets.synth}.
 * This module depends on jHDF and Jackson only, never on the engine.
 */
package dev.gazenerf.datasets;
