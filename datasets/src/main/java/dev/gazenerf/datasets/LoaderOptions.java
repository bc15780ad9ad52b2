package dev.gazenerf.datasets;

/**
 * How {@link GazeDataset} turns file rows into samples.
 *
 * @param outputSize       side of the square output images and masks; 0 keeps the file's size. Images are
 *                         area-resampled, masks area-resampled and thresholded at 0.5, intrinsics and landmarks
 *                         scaled by outputSize / fileSize (rows 0 and 1 of K, as the reference's trainer does;
 *                         columns 0 and 1 of the file's K^-1 divided by the same factors)
 * @param fixedExpression  when non-null, replaces code[100:179] (the reference's switch, section 1.5)
 * @param prefix           the dataset prefix of the file names
 */
public record LoaderOptions(int outputSize, ExpressionCode fixedExpression, Splits.Prefix prefix) {
    public LoaderOptions {
        if (outputSize < 0) {
            throw new IllegalArgumentException("LoaderOptions: outputSize must be >= 0, got " + outputSize);
        }
        if (prefix == null) {
            throw new IllegalArgumentException("LoaderOptions: prefix is null");
        }
    }

    /** File size, the file's own expression codes, ETH-XGaze prefix. */
    public static LoaderOptions defaults() {
        return new LoaderOptions(0, null, Splits.Prefix.XGAZE);
    }

    public LoaderOptions withOutputSize(int size) {
        return new LoaderOptions(size, fixedExpression, prefix);
    }

    public LoaderOptions withFixedExpression(ExpressionCode code) {
        return new LoaderOptions(outputSize, code, prefix);
    }

    public LoaderOptions withPrefix(Splits.Prefix p) {
        return new LoaderOptions(outputSize, fixedExpression, p);
    }
}
