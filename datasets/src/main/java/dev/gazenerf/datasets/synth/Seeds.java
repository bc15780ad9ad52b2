package dev.gazenerf.datasets.synth;

/** Seed derivation: independent, reproducible random streams per (dataset seed, subject, image). */
final class Seeds {
    private Seeds() {
    }

    /** A well-mixed 64-bit seed from three integers (SplitMix64 finalizer over a combination). */
    static long mix(long seed, long subject, long image) {
        long z = seed * 0x9E3779B97F4A7C15L + (subject + 1) * 0xC2B2AE3D27D4EB4FL + (image + 2) * 0x165667B19E3779F9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
