package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;

/**
 * Channel concatenation of two row-aligned blocks, {@code out = [a, b]} (the reference's
 * {@code torch.cat(dim=1)}, used for the skip input of layer 5 and the input of RGB_layer_1, section 2.4).
 *
 * <p>Forward: two {@link Backend#copy2d} calls into the column slices {@code [0, aCols)} and
 * {@code [aCols, aCols + bCols)} of out. Backward: the two column slices of dOut, copied (or added) to dA
 * and dB. Nothing is cached. Often a concatenation needs no op at all: a producer can write straight into a
 * column slice of the wider buffer (offset plus leading dimension).
 */
public final class Concat {
    /** Columns of the first part. */
    public final int aCols;
    /** Columns of the second part. */
    public final int bCols;

    /** Concatenation of an {@code aCols}-wide and a {@code bCols}-wide block. */
    public Concat(int aCols, int bCols) {
        Checks.size("Concat", "aCols", aCols);
        Checks.size("Concat", "bCols", bCols);
        this.aCols = aCols;
        this.bCols = bCols;
    }

    /** Output columns {@code aCols + bCols}. */
    public int width() {
        return aCols + bCols;
    }

    /** {@code out[:, 0:aCols] = a}, {@code out[:, aCols:] = b}; out {@code (rows, aCols + bCols)}. */
    public void forward(Backend be, float[] out, int outOff, int ldo, float[] a, int aOff, int lda,
                        float[] b, int bOff, int ldb, int rows) {
        String op = "Concat.forward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "rows", rows);
        Checks.matrix(op, "out", out, outOff, ldo, rows, width());
        Checks.matrix(op, "a", a, aOff, lda, rows, aCols);
        Checks.matrix(op, "b", b, bOff, ldb, rows, bCols);
        be.copy2d(out, outOff, ldo, a, aOff, lda, rows, aCols, false);
        be.copy2d(out, outOff + aCols, ldo, b, bOff, ldb, rows, bCols, false);
    }

    /**
     * {@code dA (+)= dOut[:, 0:aCols]}, {@code dB (+)= dOut[:, aCols:]}; either may be null when not wanted.
     */
    public void backward(Backend be, float[] dA, int dAOff, int ldda, float[] dB, int dBOff, int lddb, boolean accumulate,
                         float[] dOut, int dOutOff, int lddo, int rows) {
        String op = "Concat.backward";
        Checks.notNull(op, "backend", be);
        Checks.size(op, "rows", rows);
        Checks.matrix(op, "dOut", dOut, dOutOff, lddo, rows, width());
        if (dA != null) {
            Checks.matrix(op, "dA", dA, dAOff, ldda, rows, aCols);
            be.copy2d(dA, dAOff, ldda, dOut, dOutOff, lddo, rows, aCols, accumulate);
        }
        if (dB != null) {
            Checks.matrix(op, "dB", dB, dBOff, lddb, rows, bCols);
            be.copy2d(dB, dBOff, lddb, dOut, dOutOff + aCols, lddo, rows, bCols, accumulate);
        }
    }
}
