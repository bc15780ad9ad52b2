package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;

import java.util.Arrays;

/**
 * Repeats one row per group over the group's rows: {@code out[r, :] = src[r / rowsPerGroup, :]}. This is
 * how a per-image code reaches every point of the image when the code is physically concatenated to the
 * point input (the reference expands the codes over the {@code [B, C, N_rays, N_samples]} grid, section 2.4).
 *
 * <p>Forward: per group one {@link Backend#gemmNN} with k = 1 of a column of ones and the code row, which
 * is exact ({@code 0 + 1 * x == x}). Backward: {@code dSrc[g, :] (+)= sum_{r in g} dOut[r, :]}, one grouped
 * {@link Backend#columnSums}. Nothing is cached; the op owns a column of ones, grown when too short.
 */
public final class RowBroadcast {
    private float[] ones = new float[0]; // (rowsPerGroup, 1)

    /**
     * @param out  output {@code (groups * rowsPerGroup, cols)}, leading dimension ldo
     * @param src  per-group rows {@code (groups, cols)}, leading dimension lds
     */
    public void forward(Backend be, float[] out, int outOff, int ldo, float[] src, int srcOff, int lds,
                        int groups, int rowsPerGroup, int cols) {
        String op = "RowBroadcast.forward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "groups", groups);
        Checks.size(op, "rowsPerGroup", rowsPerGroup);
        Checks.size(op, "cols", cols);
        Checks.matrix(op, "out", out, outOff, ldo, groups * rowsPerGroup, cols);
        Checks.matrix(op, "src", src, srcOff, lds, groups, cols);
        if (groups == 0 || rowsPerGroup == 0 || cols == 0) {
            return;
        }
        if (ones.length < rowsPerGroup) {
            ones = new float[rowsPerGroup];
            Arrays.fill(ones, 1f);
        }
        for (int g = 0; g < groups; g++) {
            be.gemmNN(rowsPerGroup, cols, 1, ones, 0, 1, src, srcOff + g * lds, cols,
                    out, outOff + g * rowsPerGroup * ldo, ldo, false);
        }
    }

    /**
     * @param dSrc       gradient of the per-group rows {@code (groups, cols)}, contiguous (row stride cols)
     * @param accumulate {@code dSrc +=} when true
     * @param dOut       gradient of the output {@code (groups * rowsPerGroup, cols)}, leading dimension lddo
     */
    public void backward(Backend be, float[] dSrc, int dSrcOff, boolean accumulate, float[] dOut, int dOutOff, int lddo,
                         int groups, int rowsPerGroup, int cols) {
        String op = "RowBroadcast.backward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "groups", groups);
        Checks.size(op, "rowsPerGroup", rowsPerGroup);
        Checks.size(op, "cols", cols);
        Checks.matrix(op, "dSrc", dSrc, dSrcOff, cols, groups, cols);
        Checks.matrix(op, "dOut", dOut, dOutOff, lddo, groups * rowsPerGroup, cols);
        if (groups == 0 || rowsPerGroup == 0 || cols == 0) {
            if (!accumulate && groups > 0 && cols > 0) {
                Arrays.fill(dSrc, dSrcOff, dSrcOff + groups * cols, 0f);
            }
            return;
        }
        be.columnSums(dSrc, dSrcOff, dOut, dOutOff, lddo, groups * rowsPerGroup, cols, rowsPerGroup, accumulate);
    }
}
