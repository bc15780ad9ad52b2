package dev.gazenerf.datasets.synth;

import dev.gazenerf.datasets.Splits;

/**
 * Settings of a synthetic dataset.
 *
 * @param subjects          number of subjects (files)
 * @param imagesPerSubject  images per subject
 * @param size              image size in pixels (square; 512 for the paper preset)
 * @param seed              everything is a function of this seed
 * @param supersampling     sub-pixel rays per axis (2 = 2 x 2)
 * @param threads           render threads
 * @param prefix            dataset prefix of the file names
 * @param maxPitchDegrees   gaze pitch is uniform in [-max, max] (head frame)
 * @param maxYawDegrees     gaze yaw is uniform in [-max, max] (head frame)
 * @param cameraJitterDegrees each image's camera direction is its rig direction plus a uniform jitter of +-this
 * @param valSubjects       subjects held out as val/test (the last ones); -1 = 20% of them, at least 1 when
 *                          there are 2 or more subjects; with 1 subject, val is that subject
 * @param eyeScale          every subject's eyeball radius times this (1: the original eyes; in [0.5, 2]), see
 *                          {@link SubjectParams#withEyes}
 * @param irisAlbedo        every subject's iris colour times this (1: the original colours; in (0, 1], smaller is
 *                          darker, a stronger iris-to-sclera contrast)
 */
public record SynthConfig(int subjects, int imagesPerSubject, int size, long seed, int supersampling, int threads,
        Splits.Prefix prefix, double maxPitchDegrees, double maxYawDegrees, double cameraJitterDegrees, int valSubjects,
        double eyeScale, double irisAlbedo) {

    public SynthConfig {
        if (subjects < 1 || subjects > 9999) {
            throw new IllegalArgumentException("synth: subjects must be in [1, 9999], got " + subjects);
        }
        if (imagesPerSubject < 1) {
            throw new IllegalArgumentException("synth: images per subject must be >= 1, got " + imagesPerSubject);
        }
        if (size < 8 || size > 4096) {
            throw new IllegalArgumentException("synth: size must be in [8, 4096], got " + size);
        }
        if (supersampling < 1 || supersampling > 16 || threads < 1) {
            throw new IllegalArgumentException("synth: supersampling in [1, 16] and threads >= 1");
        }
        if (prefix == null) {
            throw new IllegalArgumentException("synth: prefix is null");
        }
        if (!(maxPitchDegrees >= 0 && maxPitchDegrees < 90 && maxYawDegrees >= 0 && maxYawDegrees < 90
                && cameraJitterDegrees >= 0 && cameraJitterDegrees < 30)) {
            throw new IllegalArgumentException("synth: gaze ranges must be in [0, 90) and jitter in [0, 30) degrees");
        }
        if (valSubjects < -1 || valSubjects >= Math.max(2, subjects)) {
            throw new IllegalArgumentException("synth: val subjects must be -1 or in [0, subjects), got " + valSubjects);
        }
        if (!(eyeScale >= 0.5 && eyeScale <= 2) || !(irisAlbedo > 0 && irisAlbedo <= 1)) {
            throw new IllegalArgumentException("synth: eye scale must be in [0.5, 2] and iris albedo in (0, 1], got "
                    + eyeScale + ", " + irisAlbedo);
        }
    }

    /**
     * The defaults: ETH-XGaze-like ranges (gaze pitch +-40, yaw +-50 degrees), 2 x 2 supersampling, 2 threads, the
     * original eyes.
     */
    public static SynthConfig defaults(int subjects, int imagesPerSubject, int size, long seed) {
        return new SynthConfig(subjects, imagesPerSubject, size, seed, 2, 2, Splits.Prefix.XGAZE, 40, 50, 3, -1, 1, 1);
    }

    public SynthConfig withThreads(int t) {
        return new SynthConfig(subjects, imagesPerSubject, size, seed, supersampling, t, prefix, maxPitchDegrees,
                maxYawDegrees, cameraJitterDegrees, valSubjects, eyeScale, irisAlbedo);
    }

    /** A copy with other eye modifiers ({@link #eyeScale}, {@link #irisAlbedo}). */
    public SynthConfig withEyes(double scale, double albedo) {
        return new SynthConfig(subjects, imagesPerSubject, size, seed, supersampling, threads, prefix, maxPitchDegrees,
                maxYawDegrees, cameraJitterDegrees, valSubjects, scale, albedo);
    }

    /** The number of held-out subjects this config gives. */
    public int heldOut() {
        if (subjects == 1) {
            return 0;
        }
        return valSubjects >= 0 ? valSubjects : Math.max(1, Math.round(subjects * 0.2f));
    }
}
