package dev.gazenerf.datasets.synth;

/**
 * A camera rig like ETH-XGaze's: 18 cameras around the face at the normalized distance, looking at the face
 * centre, spread over about +-50 degrees of yaw and +-30 degrees of pitch (elevation). Intrinsics are the
 * reference's saved ones (section 1.5): f = 1039.36 and c = 256 at 512 px, scaled with the image size.
 */
public final class Rig {
    private Rig() {
    }

    /** Number of cameras. */
    public static final int CAMERAS = 18;
    /** Focal length at 512 px (reference section 1.5). */
    public static final double FOCAL_512 = 1039.36;
    /** Distance from the face centre to each camera, in world units (the base camera sits near z = 6.2). */
    public static final double DISTANCE = 5.2;

    /** (yaw, elevation) of each camera in degrees; camera 0 is frontal. Positive yaw = camera on world +x. */
    private static final double[][] ANGLES = {
        {0, 0}, {-20, 0}, {20, 0}, {-36, 0}, {36, 0}, {-50, 0}, {50, 0},
        {0, 22}, {-27, 20}, {27, 20}, {-47, 17}, {47, 17},
        {0, -22}, {-27, -20}, {27, -20}, {-45, -28}, {45, -28}, {0, 30}};

    /** Yaw of camera {@code index} in radians. */
    public static double yaw(int index) {
        return Math.toRadians(ANGLES[check(index)][0]);
    }

    /** Elevation of camera {@code index} in radians. */
    public static double elevation(int index) {
        return Math.toRadians(ANGLES[check(index)][1]);
    }

    private static int check(int index) {
        if (index < 0 || index >= CAMERAS) {
            throw new IllegalArgumentException("Rig: camera index " + index + " outside [0, " + CAMERAS + ")");
        }
        return index;
    }

    /**
     * Camera {@code index} of the rig, its direction perturbed by (dYaw, dElevation) radians, looking at
     * {@code faceCentre} from {@link #DISTANCE}, for a square image of {@code size} pixels.
     */
    public static Camera camera(int index, double dYaw, double dElevation, double[] faceCentre, int size) {
        double yaw = yaw(index) + dYaw;
        double el = elevation(index) + dElevation;
        double[] pos = {
            faceCentre[0] + DISTANCE * Math.cos(el) * Math.sin(yaw),
            faceCentre[1] + DISTANCE * Math.sin(el),
            faceCentre[2] + DISTANCE * Math.cos(el) * Math.cos(yaw)};
        double scale = size / 512.0;
        return Camera.lookAt(pos, faceCentre, FOCAL_512 * scale, 256 * scale, 256 * scale, size, size);
    }
}
