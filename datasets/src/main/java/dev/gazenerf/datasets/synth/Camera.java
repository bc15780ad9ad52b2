package dev.gazenerf.datasets.synth;

/**
 * A pinhole camera in the reference's conventions (section 1.5 and 2.2): world = the head frame (x right,
 * y up, z out of the face), OpenCV camera axes (x right, y down, z forward), {@code x_cam = R x_world + T}
 * with R = w2cR (row-major 3 x 3) and T = w2cT; c2w_R = R^T, c2w_T = -R^T T. Pixel (i, j) is centred on the
 * image coordinate (i, j) (no +0.5, as in the reference's ray generator), so a point projects to
 * u = f x / z + cx, v = f y / z + cy.
 *
 * @param w2cR   (3, 3) row-major world-to-camera rotation
 * @param w2cT   (3) world-to-camera translation
 * @param focal  focal length in pixels
 * @param cx     principal point x in pixels
 * @param cy     principal point y in pixels
 * @param width  image width
 * @param height image height
 */
public record Camera(double[] w2cR, double[] w2cT, double focal, double cx, double cy, int width, int height) {
    public Camera {
        if (w2cR == null || w2cR.length != 9 || w2cT == null || w2cT.length != 3) {
            throw new IllegalArgumentException("Camera: w2cR must have 9 values and w2cT 3");
        }
        if (width < 1 || height < 1 || !(focal > 0)) {
            throw new IllegalArgumentException("Camera: bad size " + width + "x" + height + " or focal " + focal);
        }
        w2cR = w2cR.clone();
        w2cT = w2cT.clone();
    }

    /**
     * A camera at {@code position} looking at {@code target} with no roll: its x axis is horizontal in
     * world (perpendicular to world y), its y axis points down. The frontal camera gets R = diag(1, -1, -1)
     * like the reference's base camera.
     */
    public static Camera lookAt(double[] position, double[] target, double focal, double cx, double cy, int width,
            int height) {
        double zx = target[0] - position[0];
        double zy = target[1] - position[1];
        double zz = target[2] - position[2];
        double n = Math.sqrt(zx * zx + zy * zy + zz * zz);
        zx /= n;
        zy /= n;
        zz /= n;
        // x = down_world x forward, down_world = (0, -1, 0)
        double xx = -zz;
        double xy = 0;
        double xz = zx;
        double m = Math.sqrt(xx * xx + xz * xz);
        if (m < 1e-9) {
            throw new IllegalArgumentException("Camera.lookAt: looking straight up or down");
        }
        xx /= m;
        xz /= m;
        // y = z x x
        double yx = zy * xz - zz * xy;
        double yy = zz * xx - zx * xz;
        double yz = zx * xy - zy * xx;
        double[] r = {xx, xy, xz, yx, yy, yz, zx, zy, zz};
        double[] t = new double[3];
        for (int i = 0; i < 3; i++) {
            t[i] = -(r[3 * i] * position[0] + r[3 * i + 1] * position[1] + r[3 * i + 2] * position[2]);
        }
        return new Camera(r, t, focal, cx, cy, width, height);
    }

    @Override
    public double[] w2cR() {
        return w2cR.clone();
    }

    @Override
    public double[] w2cT() {
        return w2cT.clone();
    }

    /** c2w_R = w2c_R^T, row-major. */
    public double[] c2wR() {
        double[] c = new double[9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                c[3 * i + j] = w2cR[3 * j + i];
            }
        }
        return c;
    }

    /** c2w_T = -c2w_R w2c_T, the camera centre in world. */
    public double[] c2wT() {
        double[] c = c2wR();
        double[] t = new double[3];
        for (int i = 0; i < 3; i++) {
            t[i] = -(c[3 * i] * w2cT[0] + c[3 * i + 1] * w2cT[1] + c[3 * i + 2] * w2cT[2]);
        }
        return t;
    }

    /** K = [[f, 0, cx], [0, f, cy], [0, 0, 1]], row-major. */
    public double[] intrinsics() {
        return new double[] {focal, 0, cx, 0, focal, cy, 0, 0, 1};
    }

    /** K^-1, row-major. */
    public double[] inverseIntrinsics() {
        return new double[] {1 / focal, 0, -cx / focal, 0, 1 / focal, -cy / focal, 0, 0, 1};
    }

    /** Projects a world point: out[0..1] = (u, v) in pixels, returns the camera-space depth z. */
    public double project(double x, double y, double z, double[] out) {
        double xc = w2cR[0] * x + w2cR[1] * y + w2cR[2] * z + w2cT[0];
        double yc = w2cR[3] * x + w2cR[4] * y + w2cR[5] * z + w2cT[1];
        double zc = w2cR[6] * x + w2cR[7] * y + w2cR[8] * z + w2cT[2];
        out[0] = focal * xc / zc + cx;
        out[1] = focal * yc / zc + cy;
        return zc;
    }
}
