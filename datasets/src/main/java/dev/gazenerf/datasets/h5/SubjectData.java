package dev.gazenerf.datasets.h5;

import java.util.Objects;

/**
 * The whole content of one subject file in memory, as flat row-major arrays (the shapes of
 * {@link SubjectFormat}). Used to write files (tests, the synthetic generator) and returned by
 * {@link SubjectFile#readAll()}. Optional keys may be null.
 *
 * @param count            N, the number of images
 * @param height           H
 * @param width            W
 * @param facePatch        (N, H, W, 3) BGR bytes, read as unsigned 0..255
 * @param headMask         (N, H, W) {0, 255}
 * @param leftEyeMask      (N, H, W) {0, 255}
 * @param rightEyeMask     (N, H, W) {0, 255}
 * @param facialLandmarks  (N, 68, 2)
 * @param camIndex         (N) 0..255
 * @param frameIndex       (N) 0..255, optional
 * @param latentCodes      (N, 306)
 * @param w2cRmat          (N, 3, 3)
 * @param w2cTvec          (N, 3)
 * @param c2wRmat          (N, 3, 3)
 * @param c2wTvec          (N, 3)
 * @param inmat            (N, 3, 3)
 * @param invInmat         (N, 3, 3)
 * @param pitchyawHead     (N, 2)
 * @param faceHeadPose     (N, 2)
 * @param pitchyaw         (N, 2), optional
 * @param pitchyaw3d       (N, 3), optional
 * @param faceCenter       (N, 3), optional
 */
public record SubjectData(int count, int height, int width,
        byte[] facePatch, byte[] headMask, byte[] leftEyeMask, byte[] rightEyeMask,
        double[] facialLandmarks, int[] camIndex, int[] frameIndex, double[] latentCodes,
        double[] w2cRmat, double[] w2cTvec, double[] c2wRmat, double[] c2wTvec,
        double[] inmat, double[] invInmat, double[] pitchyawHead, double[] faceHeadPose,
        double[] pitchyaw, double[] pitchyaw3d, double[] faceCenter) {

    public SubjectData {
        if (count < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("SubjectData: count, height and width must be >= 1, got "
                    + count + ", " + height + ", " + width);
        }
        for (SubjectFormat.Key key : SubjectFormat.KEYS) {
            Object a = arrayOf(key, facePatch, headMask, leftEyeMask, rightEyeMask, facialLandmarks, camIndex,
                    frameIndex, latentCodes, w2cRmat, w2cTvec, c2wRmat, c2wTvec, inmat, invInmat, pitchyawHead,
                    faceHeadPose, pitchyaw, pitchyaw3d, faceCenter);
            if (a == null) {
                if (key.required()) {
                    throw new IllegalArgumentException("SubjectData: " + key.name() + " is null");
                }
                continue;
            }
            long expected = (long) count * key.rowSize(height, width);
            int length = java.lang.reflect.Array.getLength(a);
            if (length != expected) {
                throw new IllegalArgumentException("SubjectData: " + key.name() + " has " + length
                        + " values, expected " + expected);
            }
        }
    }

    private static Object arrayOf(SubjectFormat.Key key, Object... all) {
        return all[SubjectFormat.KEYS.indexOf(key)];
    }

    /** The flat array stored under a key (byte[], int[] or double[]), or null for an absent optional key. */
    public Object array(SubjectFormat.Key key) {
        Objects.requireNonNull(key, "key");
        return arrayOf(key, facePatch, headMask, leftEyeMask, rightEyeMask, facialLandmarks, camIndex, frameIndex,
                latentCodes, w2cRmat, w2cTvec, c2wRmat, c2wTvec, inmat, invInmat, pitchyawHead, faceHeadPose,
                pitchyaw, pitchyaw3d, faceCenter);
    }
}
