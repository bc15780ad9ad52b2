/**
 * The synthetic ground-truth gaze dataset: procedural subjects ({@link dev.gazenerf.datasets.synth.SubjectParams}),
 * an ETH-XGaze-like camera rig ({@link dev.gazenerf.datasets.synth.Rig}, {@link dev.gazenerf.datasets.synth.Camera}),
 * lights with their SH code ({@link dev.gazenerf.datasets.synth.Light}), the reference gaze convention
 * ({@link dev.gazenerf.datasets.synth.GazeConvention}), exact anti-aliased ray casting
 * ({@link dev.gazenerf.datasets.synth.SyntheticRenderer}) and the generator that writes the reference format
 * ({@link dev.gazenerf.datasets.synth.SyntheticDataset#generate}).
 */
package dev.gazenerf.datasets.synth;
