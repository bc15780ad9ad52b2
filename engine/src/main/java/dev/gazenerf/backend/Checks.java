package dev.gazenerf.backend;

/**
 * Argument checks shared by every backend, run once per public call (never inside kernels). Each failure
 * throws {@link IllegalArgumentException} whose message names the operation and the argument.
 */
public final class Checks {
    private Checks() {
    }

    /** Checks that {@code (rows, cols)} with leading dimension {@code ld} at {@code off} fits in {@code buf}. */
    public static void matrix(String op, String arg, float[] buf, int off, int ld, int rows, int cols) {
        if (buf == null) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' is null");
        }
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' has negative size (" + rows + ", " + cols + ")");
        }
        if (off < 0) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' has negative offset " + off);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        if (ld < cols) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' has leading dimension " + ld
                    + " smaller than its " + cols + " columns");
        }
        long end = (long) off + (long) (rows - 1) * ld + cols;
        if (end > buf.length) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' of length " + buf.length
                    + " is too small for (" + rows + ", " + cols + ") at offset " + off + " with leading dimension " + ld);
        }
    }

    /** Checks a contiguous vector of {@code n} floats at {@code off}. */
    public static void vector(String op, String arg, float[] buf, int off, int n) {
        matrix(op, arg, buf, off, Math.max(n, 1), n == 0 ? 0 : 1, n);
    }

    /** Checks that a size is not negative. */
    public static void size(String op, String arg, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(op + ": size '" + arg + "' is negative: " + value);
        }
    }

    /** Checks that a size is positive. */
    public static void positive(String op, String arg, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(op + ": size '" + arg + "' must be positive, got " + value);
        }
    }

    /** Checks a non-null reference argument. */
    public static <T> T notNull(String op, String arg, T value) {
        if (value == null) {
            throw new IllegalArgumentException(op + ": argument '" + arg + "' is null");
        }
        return value;
    }

    /** The three matrices of a gemm; {@code transA}/{@code transB} say how A and B are stored. */
    public static void gemm(String op, int m, int n, int k, boolean transA, boolean transB,
                            float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        size(op, "m", m);
        size(op, "n", n);
        size(op, "k", k);
        matrix(op, "a", a, aOff, lda, transA ? k : m, transA ? m : k);
        matrix(op, "b", b, bOff, ldb, transB ? n : k, transB ? k : n);
        matrix(op, "c", c, cOff, ldc, m, n);
    }

    /** Checks the common arguments of {@link Backend#columnSums}. */
    public static void columnSums(float[] out, int outOff, float[] d, int dOff, int ldd, int rows, int cols, int rowsPerGroup) {
        String op = "columnSums";
        positive(op, "rowsPerGroup", rowsPerGroup);
        if (rows % rowsPerGroup != 0) {
            throw new IllegalArgumentException(op + ": rows " + rows + " is not a multiple of rowsPerGroup " + rowsPerGroup);
        }
        matrix(op, "d", d, dOff, ldd, rows, cols);
        matrix(op, "out", out, outOff, cols, rows / rowsPerGroup, cols);
    }

    /** Checks the common arguments of {@link Backend#biasActivation}. */
    public static void biasActivation(float[] y, int yOff, int ldy, int rows, int cols,
                                      float[] bias, int biasOff, int biasStride, int rowsPerBias, Object act) {
        String op = "biasActivation";
        notNull(op, "act", act);
        matrix(op, "y", y, yOff, ldy, rows, cols);
        if (bias != null && rows > 0) {
            positive(op, "rowsPerBias", rowsPerBias);
            int groups = (rows + rowsPerBias - 1) / rowsPerBias;
            matrix(op, "bias", bias, biasOff, Math.max(biasStride, cols), groups, cols);
            if (groups > 1 && biasStride < cols) {
                throw new IllegalArgumentException(op + ": biasStride " + biasStride + " is smaller than cols " + cols);
            }
        }
    }
}
