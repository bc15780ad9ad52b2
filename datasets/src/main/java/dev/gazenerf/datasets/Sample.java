package dev.gazenerf.datasets;

/**
 * One training item, the reference loader's {@code __getitem__} (section 1.1, "What the loader returns"), as
 * plain arrays. S is the output size.
 *
 * @param subject       subject key ("subject0000.h5")
 * @param subjectIndex  position of the subject in the dataset
 * @param imageIndex    row in the subject file
 * @param size          S
 * @param image         (3, S, S) RGB in [0, 1] (the file holds BGR bytes)
 * @param headMask      (S, S) {0, 1}: head_mask eroded by a 3 x 3 kernel twice (at file resolution)
 * @param leftEyeMask   (S, S) {0, 1}, not eroded
 * @param rightEyeMask  (S, S) {0, 1}, not eroded
 * @param code          (306) row 0's iden | expr | text with this row's illu; expr replaced by the fixed
 *                      expression code when the loader is asked to
 * @param w2cR          (3, 3) row-major
 * @param w2cT          (3)
 * @param c2wR          (3, 3)
 * @param c2wT          (3)
 * @param intrinsics    (3, 3) K scaled to S
 * @param invIntrinsics (3, 3) K^-1 at S
 * @param gaze          (2) pitch, yaw: pitchyaw_head
 * @param headPose      (2) pitch, yaw: face_head_pose
 * @param landmarks     (68, 2) in S-pixel coordinates
 * @param camIndex      cam_index
 */
public record Sample(String subject, int subjectIndex, int imageIndex, int size, float[] image, float[] headMask,
        float[] leftEyeMask, float[] rightEyeMask, float[] code, float[] w2cR, float[] w2cT, float[] c2wR, float[] c2wT,
        float[] intrinsics, float[] invIntrinsics, float[] gaze, float[] headPose, float[] landmarks, int camIndex) {
}
