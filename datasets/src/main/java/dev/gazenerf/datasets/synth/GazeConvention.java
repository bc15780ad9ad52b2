package dev.gazenerf.datasets.synth;

/**
 * The reference's gaze label convention (section 1.4): for a unit gaze vector v in head coordinates with
 * OpenCV axes (x right, y down, z forward, i.e. into the face), pitch = asin(v_y) and
 * yaw = atan2(-v_x, -v_z). Our world frame is the head frame with y up and z out of the face, so
 * v = (g_x, -g_y, -g_z) for a world direction g, and looking straight out of the face is (0, 0).
 * Inverse: v = (-cos p sin y, sin p, -cos p cos y), g = (-cos p sin y, -sin p, cos p cos y).
 */
public final class GazeConvention {
    private GazeConvention() {
    }

    /** The unit world direction of gaze (pitch, yaw). */
    public static double[] direction(double pitch, double yaw) {
        return new double[] {-Math.cos(pitch) * Math.sin(yaw), -Math.sin(pitch), Math.cos(pitch) * Math.cos(yaw)};
    }

    /** The label (pitch, yaw) of a world direction (need not be unit length). */
    public static double[] label(double gx, double gy, double gz) {
        double n = Math.sqrt(gx * gx + gy * gy + gz * gz);
        double vx = gx / n;
        double vy = -gy / n;
        double vz = -gz / n;
        return new double[] {Math.asin(Math.max(-1, Math.min(1, vy))), Math.atan2(-vx, -vz)};
    }

    /**
     * The normalized head pose (section 1.1 face_head_pose): pitch = asin(z_y), yaw = atan2(z_x, z_z) of the
     * head z axis (OpenCV head axes, z into the face = world -z) in camera coordinates. 0 for the frontal camera.
     */
    public static double[] headPose(Camera camera) {
        double[] r = camera.w2cR();
        double zx = -r[2];
        double zy = -r[5];
        double zz = -r[8];
        return new double[] {Math.asin(Math.max(-1, Math.min(1, zy))), Math.atan2(zx, zz)};
    }
}
