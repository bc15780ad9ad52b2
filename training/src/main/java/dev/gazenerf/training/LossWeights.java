package dev.gazenerf.training;

/**
 * Weights and switches of the training loss (section 3.3 of the reference spec); the defaults are the
 * reference's. The perceptual (VGG16) and functional (gaze network) terms need pretrained weights that this
 * project cannot load yet: switching them on is an error with a clear message (see {@link #validate()}).
 *
 * @param l1           L1 on the masked image terms (the reference README trains with it); false gives MSE
 * @param head         weight of L1(merge_img, GT | head)
 * @param face         weight of L1(merge_img_face, GT | face)
 * @param eyes         weight of L1(merge_img_eyes, GT | eyes)
 * @param nonhead      weight of mean_{nonhead}((merge_img - 1)^2)
 * @param background   weight of mean((bg_img - 1)^2)
 * @param euler        weight of mean(delta_euler^2) (0.001)
 * @param translation  weight of mean(delta_T^2) (0.001)
 * @param iden         weight of mean(iden_offset^2) (0.001)
 * @param expr         weight of mean(expr_offset^2) (1.0)
 * @param appearance   weight of mean(appea_offset^2) (0.001)
 * @param vgg          the VGG16 perceptual terms (needs converted VGG16 weights: not available yet)
 * @param functional   the functional gaze loss (needs the gaze network's weights: not available yet)
 */
public record LossWeights(boolean l1, double head, double face, double eyes, double nonhead, double background,
                          double euler, double translation, double iden, double expr, double appearance,
                          boolean vgg, boolean functional) {

    /** The reference's weights without the two pretrained-network terms. */
    public static LossWeights reference() {
        return new LossWeights(true, 1, 1, 1, 1, 1, 0.001, 0.001, 0.001, 1.0, 0.001, false, false);
    }

    /** Fails with a clear message for switches that cannot work yet. */
    public LossWeights validate() {
        if (vgg) {
            throw new IllegalArgumentException("loss 'vgg' (VGG16 perceptual loss) needs pretrained VGG16 weights, which "
                    + "this build cannot load yet; train with vgg=false (the reconstruction terms only)");
        }
        if (functional) {
            throw new IllegalArgumentException("loss 'functional' (gaze-network loss) needs the reference's pretrained "
                    + "gaze estimator, which this build cannot load yet; train with functional=false");
        }
        return this;
    }
}
