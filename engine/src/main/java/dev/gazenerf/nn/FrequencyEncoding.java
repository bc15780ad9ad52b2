package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;

/**
 * The positional (frequency) encoding of section 2.3 (the reference's {@code Embedder}): per point
 * {@code x = (x0, x1, x2)},
 * {@code out = [x, sin(2^0 x), cos(2^0 x), ..., sin(2^(F-1) x), cos(2^(F-1) x)]}, each entry 3 wide, no pi
 * factor, {@code 3 + 6F} channels (63 for the paper's F = 10).
 *
 * <p>Backward to the raw xyz: {@code dx_i = dOut[i] + sum_f 2^f (cos(2^f x_i) dOut[sin_f,i] - sin(2^f x_i) dOut[cos_f,i])}.
 * It needs the raw xyz only (the caller keeps them). Both directions are one backend call
 * ({@link Backend#frequencyEncode}, {@link Backend#frequencyEncodeBackward}).
 */
public final class FrequencyEncoding {
    /** Number of frequency bands F. */
    public final int frequencies;

    /** An encoding with {@code frequencies} bands (10 in the paper). */
    public FrequencyEncoding(int frequencies) {
        Checks.size("FrequencyEncoding", "frequencies", frequencies);
        this.frequencies = frequencies;
    }

    /** Output channels: {@code 3 + 6 F}. */
    public int width() {
        return 3 + 6 * frequencies;
    }

    /**
     * Encodes {@code points} points.
     *
     * @param out output {@code (points, 3 + 6F)}, leading dimension ldo
     * @param xyz raw points {@code (points, 3)}, contiguous
     */
    public void forward(Backend be, float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int points) {
        String op = "FrequencyEncoding.forward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "points", points);
        Checks.matrix(op, "out", out, outOff, ldo, points, width());
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        be.frequencyEncode(out, outOff, ldo, xyz, xyzOff, points, frequencies);
    }

    /**
     * Backward to the raw points.
     *
     * @param dXyz       gradient of the raw points {@code (points, 3)}, written or accumulated
     * @param accumulate {@code dXyz +=} when true, {@code dXyz =} when false
     * @param dOut       gradient of the encoding {@code (points, 3 + 6F)}, leading dimension lddo
     * @param xyz        the forward input {@code (points, 3)}
     */
    public void backward(Backend be, float[] dXyz, int dXyzOff, boolean accumulate, float[] dOut, int dOutOff, int lddo,
                         float[] xyz, int xyzOff, int points) {
        String op = "FrequencyEncoding.backward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "points", points);
        Checks.vector(op, "dXyz", dXyz, dXyzOff, points * 3);
        Checks.matrix(op, "dOut", dOut, dOutOff, lddo, points, width());
        Checks.vector(op, "xyz", xyz, xyzOff, points * 3);
        be.frequencyEncodeBackward(dXyz, dXyzOff, dOut, dOutOff, lddo, xyz, xyzOff, points, frequencies, accumulate);
    }
}
