package dev.gazenerf.datasets.synth;

import dev.gazenerf.datasets.synth.SubjectParams.P;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Exact ray casting of a procedural head with two rotating eyeballs, the ground truth of the synthetic dataset.
 *
 * <p>Geometry (world = head frame, x right, y up, z out of the face; units about 74 mm):
 * <ul>
 *   <li>Head: the union of a cranium ellipsoid centred at {@link #HEAD_CENTRE} and a narrower jaw ellipsoid
 *       below and in front of it (the lower face), with per-subject radii and jaw position; hair, eyebrows, lips and a
 *       low-frequency skin texture are albedo on it.</li>
 *   <li>Nose: a smaller ellipsoid half sunk into the face (relief).</li>
 *   <li>Each eye: an eyeball sphere (radius r, its centre r behind the head surface along the normal), a
 *       concentric lid sphere (radius r + {@link #LID_THICKNESS}) and a concentric socket sphere
 *       ({@link #SOCKET_RADIUS} r). The socket sphere carves the orbit out of the head (its inside wall is skin).
 *       The lid sphere is skin except over the eyelid aperture, an almond of directions around the eye's forward
 *       axis (half-width w, upper and lower heights, a tilt); through it the eyeball shows sclera, iris and
 *       pupil as spherical caps around the gaze direction, so the eyeballs rotate rigidly with the gaze and the
 *       lids occlude part of them.</li>
 * </ul>
 * Shading is Lambertian: albedo * (ambient + colour * max(0, n . l)) ({@link Light}); the background is white.
 * Every pixel averages s x s sub-pixel rays (anti-aliasing); the masks are the exact hit fractions.
 * Pixel (i, j) is centred on image coordinate (i, j) ({@link Camera}). Rows are split over threads; the result
 * does not depend on the thread count.
 */
public final class SyntheticRenderer implements AutoCloseable {
    /** Head ellipsoid centre in world units. */
    public static final double[] HEAD_CENTRE = {0, 0.22, 0};
    /** Lid thickness: lid sphere radius minus eyeball radius. */
    public static final double LID_THICKNESS = 0.02;
    /** How deep the eyeball centre sits behind the head surface (along its normal), in eyeball radii. */
    static final double EYE_DEPTH = 1.0;
    /** Radius of the socket sphere that carves the orbit around each eye, in eyeball radii. */
    static final double SOCKET_RADIUS = 1.45;
    /** How far the eye frame's forward axis turns from +z towards the surface normal (0 = +z, 1 = normal). */
    static final double EYE_FORWARD_BLEND = 0.4;

    private static final int BACKGROUND = 0;
    private static final int SKIN = 1;
    private static final int LID = 2;
    private static final int EYE_LEFT = 3;
    private static final int EYE_RIGHT = 4;
    private static final int SOCKET = 5;
    private static final int WALL = 6;

    private final int threads;
    private final int supersampling;
    private final ExecutorService pool;

    /**
     * @param threads       worker threads for one image (1 renders on the calling thread)
     * @param supersampling sub-pixel rays per axis (2 gives 2 x 2 per pixel)
     */
    public SyntheticRenderer(int threads, int supersampling) {
        if (threads < 1 || supersampling < 1 || supersampling > 16) {
            throw new IllegalArgumentException("SyntheticRenderer: threads must be >= 1 and supersampling in [1, 16], got "
                    + threads + ", " + supersampling);
        }
        this.threads = threads;
        this.supersampling = supersampling;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "synthetic-renderer");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    public int supersampling() {
        return supersampling;
    }

    /** Renders subject {@code subject} seen by {@code camera} under {@code light}, looking at gaze (pitch, yaw). */
    public Rendering render(SubjectParams subject, Camera camera, Light light, double pitch, double yaw) {
        if (subject == null || camera == null || light == null) {
            throw new IllegalArgumentException("SyntheticRenderer.render: subject, camera and light must not be null");
        }
        Scene scene = new Scene(subject, light, pitch, yaw);
        int w = camera.width();
        int h = camera.height();
        float[] rgb = new float[w * h * 3]; // (H, W, 3)
        float[] head = new float[w * h]; // (H, W)
        float[] left = new float[w * h];
        float[] right = new float[w * h];
        if (pool == null) {
            renderRows(scene, camera, 0, 1, rgb, head, left, right);
        } else {
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                jobs.add(pool.submit(() -> renderRows(scene, camera, first, threads, rgb, head, left, right)));
            }
            for (Future<?> f : jobs) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("SyntheticRenderer.render interrupted", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("SyntheticRenderer.render failed", e.getCause());
                }
            }
        }
        return new Rendering(w, h, rgb, head, left, right);
    }

    private void renderRows(Scene scene, Camera camera, int firstRow, int rowStep, float[] rgb, float[] head,
            float[] left, float[] right) {
        double[] c2w = camera.c2wR();
        double[] origin = camera.c2wT();
        double f = camera.focal();
        double cx = camera.cx();
        double cy = camera.cy();
        int w = camera.width();
        int s = supersampling;
        double inv = 1.0 / (s * s);
        double[] colour = new double[3];
        double[] scratch = new double[2];
        for (int y = firstRow; y < camera.height(); y += rowStep) {
            for (int x = 0; x < w; x++) {
                double r = 0;
                double g = 0;
                double b = 0;
                int nHead = 0;
                int nLeft = 0;
                int nRight = 0;
                for (int sy = 0; sy < s; sy++) {
                    for (int sx = 0; sx < s; sx++) {
                        double u = (x + (sx + 0.5) / s - 0.5 - cx) / f;
                        double v = (y + (sy + 0.5) / s - 0.5 - cy) / f;
                        double dx = c2w[0] * u + c2w[1] * v + c2w[2];
                        double dy = c2w[3] * u + c2w[4] * v + c2w[5];
                        double dz = c2w[6] * u + c2w[7] * v + c2w[8];
                        double n = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz);
                        int hit = scene.trace(origin[0], origin[1], origin[2], dx * n, dy * n, dz * n, colour, scratch);
                        r += colour[0];
                        g += colour[1];
                        b += colour[2];
                        if (hit != BACKGROUND) {
                            nHead++;
                        }
                        if (hit == EYE_LEFT) {
                            nLeft++;
                        } else if (hit == EYE_RIGHT) {
                            nRight++;
                        }
                    }
                }
                int p = y * w + x;
                rgb[3 * p] = (float) Math.min(1, r * inv);
                rgb[3 * p + 1] = (float) Math.min(1, g * inv);
                rgb[3 * p + 2] = (float) Math.min(1, b * inv);
                head[p] = (float) (nHead * inv);
                left[p] = (float) (nLeft * inv);
                right[p] = (float) (nRight * inv);
            }
        }
    }

    /** World centre of eyeball {@code side} (-1: world x &lt; 0, the image-left eye; +1: x &gt; 0). */
    public static double[] eyeCentre(SubjectParams s, int side) {
        Scene scene = new Scene(s, new Light(new double[] {0, 0, 1}, new double[3], new double[3]), 0, 0);
        int e = side < 0 ? 0 : 1;
        return new double[] {scene.ex[e], scene.ey[e], scene.ez[e]};
    }

    /**
     * The 68 landmarks of the iBUG layout as fixed world points on the head (jaw 0-16, brows 17-26, nose 27-35,
     * eye corners and lids 36-47 on the aperture contour, lips 48-67), (68, 3) row-major.
     */
    public static double[] landmarks3d(SubjectParams s) {
        return new Scene(s, new Light(new double[] {0, 0, 1}, new double[3], new double[3]), 0, 0).landmarks();
    }

    /** The landmarks projected by {@code camera}: (68, 2) pixel coordinates. */
    public static double[] landmarks(SubjectParams s, Camera camera) {
        double[] p = landmarks3d(s);
        double[] out = new double[136];
        double[] uv = new double[2];
        for (int i = 0; i < 68; i++) {
            camera.project(p[3 * i], p[3 * i + 1], p[3 * i + 2], uv);
            out[2 * i] = uv[0];
            out[2 * i + 1] = uv[1];
        }
        return out;
    }

    /**
     * The face centre the cameras look at, defined as in the reference's normalization (section 1.2): the mean
     * of (the mean of the 4 eye corners, landmarks 36, 39, 42, 45) and (the mean of the 2 nose corners, 31, 35).
     */
    public static double[] faceCentre(SubjectParams s) {
        double[] p = landmarks3d(s);
        double[] c = new double[3];
        for (int k = 0; k < 3; k++) {
            double eyes = (p[36 * 3 + k] + p[39 * 3 + k] + p[42 * 3 + k] + p[45 * 3 + k]) / 4;
            double nose = (p[31 * 3 + k] + p[35 * 3 + k]) / 2;
            c[k] = (eyes + nose) / 2;
        }
        return c;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    /** The scene of one image: geometry and materials as plain fields, so tracing allocates nothing. */
    static final class Scene {
        final double hcx = HEAD_CENTRE[0];
        final double hcy = HEAD_CENTRE[1];
        final double hcz = HEAD_CENTRE[2];
        final double hrx;
        final double hry;
        final double hrz;
        final double jcy;
        final double jcz;
        final double jrx;
        final double jry;
        final double jrz;
        final double ncy;
        final double ncz;
        final double nrx;
        final double nry;
        final double nrz;
        final double[] ex = new double[2];
        final double[] ey = new double[2];
        final double[] ez = new double[2];
        final double re;
        final double rl;
        final double rs;
        /** Per eye: forward, right (temporal for the side), up axes of the aperture frame, 9 values each. */
        final double[] frame = new double[18];
        final double apW;
        final double apUp;
        final double apDown;
        final double apTilt;
        final double cosIris;
        final double cosPupil;
        final double irisAngle;
        final double gx;
        final double gy;
        final double gz;
        final double ux;
        final double uy;
        final double uz;
        final double vx;
        final double vy;
        final double vz;
        final double boundR2;
        final SubjectParams p;
        final double lx;
        final double ly;
        final double lz;
        final double[] lightColour;
        final double[] ambient;
        final double[] skin;
        final double[] hair;
        final double[] iris;
        final double[] lip;
        final double[] texDir = new double[9];
        final double[] texFreq = new double[3];
        final double[] texPhase = new double[3];

        Scene(SubjectParams p, Light light, double pitch, double yaw) {
            this.p = p;
            hrx = p.get(P.HEAD_RX);
            hry = p.get(P.HEAD_RY);
            hrz = p.get(P.HEAD_RZ);
            jrx = p.get(P.JAW_RX);
            jry = p.get(P.JAW_RY);
            jrz = p.get(P.JAW_RZ);
            jcy = p.get(P.JAW_Y);
            jcz = p.get(P.JAW_Z);
            nrx = p.get(P.NOSE_RX);
            nry = p.get(P.NOSE_RY);
            nrz = p.get(P.NOSE_RZ);
            ncy = p.get(P.NOSE_Y);
            ncz = surfaceZ(0, ncy) - 0.35 * nrz;
            re = p.eyeRadius();
            rl = re + LID_THICKNESS;
            rs = SOCKET_RADIUS * re;
            for (int e = 0; e < 2; e++) {
                double side = e == 0 ? -1 : 1;
                // on the head surface at (side * EYE_X, EYE_Y), then EYE_DEPTH radii inwards along the normal
                double sx = side * p.get(P.EYE_X);
                double sy = p.get(P.EYE_Y);
                double sz = surfaceZ(sx, sy);
                double[] normal = new double[3];
                surfaceNormal(sx, sy, sz, normal);
                double nx = normal[0];
                double ny = normal[1];
                double nz = normal[2];
                double nn = Math.sqrt(nx * nx + ny * ny + nz * nz);
                ex[e] = sx - EYE_DEPTH * re * nx / nn;
                ey[e] = sy - EYE_DEPTH * re * ny / nn;
                ez[e] = sz - EYE_DEPTH * re * nz / nn;
                double fx = EYE_FORWARD_BLEND * nx / nn;
                double fy = 0;
                double fz = (1 - EYE_FORWARD_BLEND) + EYE_FORWARD_BLEND * nz / nn;
                double fn = Math.sqrt(fx * fx + fz * fz);
                fx /= fn;
                fz /= fn;
                // right = side * (up x forward) normalized (points temporally), up = forward x right * side
                double rx = side * fz;
                double rz = -side * fx;
                double[] f = frame;
                f[9 * e] = fx;
                f[9 * e + 1] = fy;
                f[9 * e + 2] = fz;
                f[9 * e + 3] = rx;
                f[9 * e + 4] = 0;
                f[9 * e + 5] = rz;
                f[9 * e + 6] = 0;
                f[9 * e + 7] = 1;
                f[9 * e + 8] = 0;
            }
            apW = p.get(P.APERTURE_HALF_WIDTH);
            apUp = p.get(P.APERTURE_UP);
            apDown = p.get(P.APERTURE_DOWN);
            apTilt = p.get(P.APERTURE_TILT);
            irisAngle = p.get(P.IRIS_ANGLE);
            cosIris = Math.cos(irisAngle);
            cosPupil = Math.cos(p.get(P.PUPIL_ANGLE));
            double[] g = GazeConvention.direction(pitch, yaw);
            gx = g[0];
            gy = g[1];
            gz = g[2];
            // iris frame: u = world up projected off g, v = u x g (rigid with the eyeball, no roll)
            double upDot = gy;
            double ax = -upDot * gx;
            double ay = 1 - upDot * gy;
            double az = -upDot * gz;
            double an = Math.sqrt(ax * ax + ay * ay + az * az);
            ux = ax / an;
            uy = ay / an;
            uz = az / an;
            vx = uy * gz - uz * gy;
            vy = uz * gx - ux * gz;
            vz = ux * gy - uy * gx;
            double jawReach = Math.sqrt((jcy - hcy) * (jcy - hcy) + (jcz - hcz) * (jcz - hcz))
                    + Math.max(jrx, Math.max(jry, jrz));
            double bound = Math.max(jawReach, Math.max(hrx, Math.max(hry, hrz))) + 0.5;
            boundR2 = bound * bound;
            double[] l = light.direction();
            lx = l[0];
            ly = l[1];
            lz = l[2];
            lightColour = light.colour();
            ambient = light.ambient();
            skin = new double[] {p.get(P.SKIN_R), p.get(P.SKIN_G), p.get(P.SKIN_B)};
            hair = new double[] {p.get(P.HAIR_R), p.get(P.HAIR_G), p.get(P.HAIR_B)};
            double ia = p.irisAlbedo();
            iris = new double[] {ia * p.get(P.IRIS_R), ia * p.get(P.IRIS_G), ia * p.get(P.IRIS_B)};
            lip = new double[] {p.get(P.LIP_R), p.get(P.LIP_G), p.get(P.LIP_B)};
            P[] dirs = {P.TEX0_X, P.TEX1_X, P.TEX2_X};
            P[] freqs = {P.TEX0_FREQ, P.TEX1_FREQ, P.TEX2_FREQ};
            P[] phases = {P.TEX0_PHASE, P.TEX1_PHASE, P.TEX2_PHASE};
            for (int k = 0; k < 3; k++) {
                double x = p.get(dirs[k]);
                double y = p.get(P.values()[dirs[k].ordinal() + 1]);
                double z = p.get(P.values()[dirs[k].ordinal() + 2]);
                double n = Math.sqrt(x * x + y * y + z * z) + 1e-9;
                texDir[3 * k] = x / n;
                texDir[3 * k + 1] = y / n;
                texDir[3 * k + 2] = z / n;
                texFreq[k] = p.get(freqs[k]);
                texPhase[k] = p.get(phases[k]);
            }
        }

        /** z of the front of the head (cranium or jaw, whichever is in front) at (x, y); the centre's z outside. */
        double surfaceZ(double x, double y) {
            double z = Double.NEGATIVE_INFINITY;
            double a = (x - hcx) / hrx;
            double b = (y - hcy) / hry;
            double q = 1 - a * a - b * b;
            if (q > 0) {
                z = hcz + hrz * Math.sqrt(q);
            }
            a = x / jrx;
            b = (y - jcy) / jry;
            q = 1 - a * a - b * b;
            if (q > 0) {
                z = Math.max(z, jcz + jrz * Math.sqrt(q));
            }
            return z == Double.NEGATIVE_INFINITY ? hcz : z;
        }

        /** Whether (x, y, z) is on or in front of the jaw's front rather than the cranium's. */
        private boolean onJaw(double x, double y, double z) {
            double a = x / jrx;
            double b = (y - jcy) / jry;
            double c = (z - jcz) / jrz;
            return a * a + b * b + c * c <= 1 + 1e-9 && z >= hcz + hrz * Math.sqrt(Math.max(0,
                    1 - ((x - hcx) / hrx) * ((x - hcx) / hrx) - ((y - hcy) / hry) * ((y - hcy) / hry))) - 1e-9;
        }

        /** The (unnormalized) outward normal of the head surface point (x, y, z) on the front. */
        void surfaceNormal(double x, double y, double z, double[] out) {
            if (onJaw(x, y, z)) {
                out[0] = x / (jrx * jrx);
                out[1] = (y - jcy) / (jry * jry);
                out[2] = (z - jcz) / (jrz * jrz);
            } else {
                out[0] = (x - hcx) / (hrx * hrx);
                out[1] = (y - hcy) / (hry * hry);
                out[2] = (z - hcz) / (hrz * hrz);
            }
        }

        /** z of the front of the head or nose, whichever is in front, at (x, y). */
        double faceZ(double x, double y) {
            double z = surfaceZ(x, y);
            double a = x / nrx;
            double b = (y - ncy) / nry;
            double q = 1 - a * a - b * b;
            return q > 0 ? Math.max(z, ncz + nrz * Math.sqrt(q)) : z;
        }

        /** The point on lid sphere {@code e} at aperture parameter t in [-1, 1] (temporal +), upper or lower lid. */
        void lidPoint(int e, double t, boolean upper, double[] out, int at) {
            double theta = t * apW;
            double phi = apTilt * t + (upper ? apUp : -apDown) * (1 - t * t);
            double a = Math.cos(theta) * Math.cos(phi);
            double b = Math.sin(theta) * Math.cos(phi);
            double c = Math.sin(phi);
            for (int k = 0; k < 3; k++) {
                out[at + k] = (k == 0 ? ex[e] : k == 1 ? ey[e] : ez[e])
                        + rl * (a * frame[9 * e + k] + b * frame[9 * e + 3 + k] + c * frame[9 * e + 6 + k]);
            }
        }

        /** Half-width of the head's silhouette (cranium or jaw) at height y. */
        private double halfWidth(double y) {
            double b = (y - hcy) / hry;
            double w = b * b < 1 ? hrx * Math.sqrt(1 - b * b) : 0;
            b = (y - jcy) / jry;
            return Math.max(w, b * b < 1 ? jrx * Math.sqrt(1 - b * b) : 0);
        }

        double[] landmarks() {
            double[] lm = new double[68 * 3];
            double ey0 = ey[0];
            double chin = Math.min(hcy - 0.93 * hry, jcy - 0.93 * jry);
            double top = ey0 - 0.1;
            for (int k = 0; k <= 16; k++) {
                double a = Math.PI * k / 16;
                double y = top - (top - chin) * Math.sin(a);
                double x = -0.93 * halfWidth(y) * Math.cos(a);
                set(lm, k, x, y, surfaceZ(x, y));
            }
            double bw = p.get(P.BROW_HALF_WIDTH);
            for (int k = 0; k < 5; k++) {
                double u = 1 - 0.5 * k; // outer to inner on the image-left brow
                double x = -(p.get(P.EYE_X) + u * bw);
                double y = ey0 + p.get(P.BROW_HEIGHT) + p.get(P.BROW_ARCH) * (1 - u * u);
                set(lm, 17 + k, x, y, surfaceZ(x, y));
                set(lm, 26 - k, -x, y, surfaceZ(-x, y));
            }
            double tipY = ncy;
            for (int k = 0; k < 4; k++) {
                double y = ey0 + (tipY - ey0) * k / 3.0;
                set(lm, 27 + k, 0, y, faceZ(0, y));
            }
            double by = ncy - 0.55 * nry;
            for (int k = 0; k < 5; k++) {
                double x = (-0.9 + 0.45 * k) * nrx;
                set(lm, 31 + k, x, by, faceZ(x, by));
            }
            double[] ts = {1, 1.0 / 3, -1.0 / 3, -1, -1.0 / 3, 1.0 / 3};
            boolean[] up = {true, true, true, false, false, false};
            for (int k = 0; k < 6; k++) {
                lidPoint(0, ts[k], up[k], lm, (36 + k) * 3);
            }
            double[] ts2 = {-1, -1.0 / 3, 1.0 / 3, 1, 1.0 / 3, -1.0 / 3};
            for (int k = 0; k < 6; k++) {
                lidPoint(1, ts2[k], up[k], lm, (42 + k) * 3);
            }
            double my = p.get(P.MOUTH_Y);
            double mw = p.get(P.MOUTH_HALF_WIDTH);
            double mh = p.get(P.MOUTH_HALF_HEIGHT);
            for (int k = 0; k < 12; k++) {
                double a = Math.PI - k * Math.PI / 6;
                double x = mw * Math.cos(a);
                double y = my + mh * Math.sin(a);
                set(lm, 48 + k, x, y, surfaceZ(x, y));
            }
            for (int k = 0; k < 8; k++) {
                double a = Math.PI - k * Math.PI / 4;
                double x = 0.7 * mw * Math.cos(a);
                double y = my + 0.4 * mh * Math.sin(a);
                set(lm, 60 + k, x, y, surfaceZ(x, y));
            }
            return lm;
        }

        private static void set(double[] lm, int i, double x, double y, double z) {
            lm[3 * i] = x;
            lm[3 * i + 1] = y;
            lm[3 * i + 2] = z;
        }

        /**
         * Entry and exit distances of the ray o + t d through an axis-aligned ellipsoid; returns false on a miss.
         * out[0] = t_enter, out[1] = t_exit.
         */
        private static boolean ellipsoid(double ox, double oy, double oz, double dx, double dy, double dz, double cx,
                double cy, double cz, double rx, double ry, double rz, double[] out) {
            double px = (ox - cx) / rx;
            double py = (oy - cy) / ry;
            double pz = (oz - cz) / rz;
            double qx = dx / rx;
            double qy = dy / ry;
            double qz = dz / rz;
            double a = qx * qx + qy * qy + qz * qz;
            double b = px * qx + py * qy + pz * qz;
            double c = px * px + py * py + pz * pz - 1;
            double disc = b * b - a * c;
            if (disc <= 0) {
                return false;
            }
            double sq = Math.sqrt(disc);
            out[0] = (-b - sq) / a;
            out[1] = (-b + sq) / a;
            return out[1] > 0;
        }

        /** Whether the direction (x, y, z) from eye {@code e}'s centre (unit length) lies in the lid aperture. */
        boolean open(int e, double x, double y, double z) {
            double[] f = frame;
            int o = 9 * e;
            double fwd = x * f[o] + y * f[o + 1] + z * f[o + 2];
            double right = x * f[o + 3] + y * f[o + 4] + z * f[o + 5];
            double theta = Math.atan2(right, fwd);
            double t = theta / apW;
            if (t <= -1 || t >= 1) {
                return false;
            }
            double phi = Math.asin(Math.max(-1, Math.min(1, y))) - apTilt * t;
            double k = 1 - t * t;
            return phi < apUp * k && phi > -apDown * k;
        }

        /** Whether the upper-lid direction lies within the lash line just above the aperture. */
        private boolean lash(int e, double x, double y, double z) {
            double[] f = frame;
            int o = 9 * e;
            double fwd = x * f[o] + y * f[o + 1] + z * f[o + 2];
            double right = x * f[o + 3] + y * f[o + 4] + z * f[o + 5];
            double t = Math.atan2(right, fwd) / apW;
            if (t <= -1.05 || t >= 1.05) {
                return false;
            }
            double phi = Math.asin(Math.max(-1, Math.min(1, y))) - apTilt * t;
            double edge = apUp * Math.max(0, 1 - t * t);
            return phi >= edge && phi < edge + 0.07;
        }

        /**
         * Traces one ray (unit direction); writes the shaded colour to {@code rgb} and returns what it hit.
         * {@code tt} is 2 doubles of scratch.
         */
        int trace(double ox, double oy, double oz, double dx, double dy, double dz, double[] rgb, double[] tt) {
            // bounding sphere around the head
            double bx = ox - hcx;
            double by = oy - hcy;
            double bz = oz - hcz;
            double bb = bx * dx + by * dy + bz * dz;
            if (bb * bb - (bx * bx + by * by + bz * bz - boundR2) <= 0) {
                rgb[0] = 1;
                rgb[1] = 1;
                rgb[2] = 1;
                return BACKGROUND;
            }
            double best = Double.POSITIVE_INFINITY;
            int kind = BACKGROUND;
            int eye = -1;
            // cranium (k = 0) and jaw (k = 1): an entry point is on the union's surface unless it lies inside the
            // other; it is valid where not carved by a socket sphere, and a carved entry sees the socket's wall
            int surface = -1; // 0 cranium, 1 jaw, 2 nose
            for (int k = 0; k < 2; k++) {
                boolean hit = k == 0 ? ellipsoid(ox, oy, oz, dx, dy, dz, hcx, hcy, hcz, hrx, hry, hrz, tt)
                        : ellipsoid(ox, oy, oz, dx, dy, dz, 0, jcy, jcz, jrx, jry, jrz, tt);
                if (!hit || tt[0] <= 0 || tt[0] >= best) {
                    continue;
                }
                double t = tt[0];
                double px = ox + t * dx;
                double py = oy + t * dy;
                double pz = oz + t * dz;
                if (k == 0 ? insideEllipsoid(px, py, pz, 0, jcy, jcz, jrx, jry, jrz)
                        : insideEllipsoid(px, py, pz, hcx, hcy, hcz, hrx, hry, hrz)) {
                    continue;
                }
                int carved = insideSocket(0, px, py, pz) ? 0 : insideSocket(1, px, py, pz) ? 1 : -1;
                if (carved < 0) {
                    best = t;
                    kind = SKIN;
                    surface = k;
                    eye = -1;
                } else if (ellipsoid(ox, oy, oz, dx, dy, dz, ex[carved], ey[carved], ez[carved], rs, rs, rs, tt)
                        && tt[1] < best) {
                    best = tt[1];
                    kind = WALL;
                    eye = carved;
                }
            }
            if (ellipsoid(ox, oy, oz, dx, dy, dz, 0, ncy, ncz, nrx, nry, nrz, tt) && tt[0] > 0 && tt[0] < best) {
                best = tt[0];
                kind = SKIN;
                eye = -1;
                surface = 2;
            }
            for (int e = 0; e < 2; e++) {
                if (!ellipsoid(ox, oy, oz, dx, dy, dz, ex[e], ey[e], ez[e], rl, rl, rl, tt) || tt[0] <= 0
                        || tt[0] >= best) {
                    continue;
                }
                double t = tt[0];
                double qx = (ox + t * dx - ex[e]) / rl;
                double qy = (oy + t * dy - ey[e]) / rl;
                double qz = (oz + t * dz - ez[e]) / rl;
                if (!open(e, qx, qy, qz)) {
                    best = t;
                    kind = LID;
                    eye = e;
                    continue;
                }
                double exit = tt[1];
                double t2;
                int k2;
                if (ellipsoid(ox, oy, oz, dx, dy, dz, ex[e], ey[e], ez[e], re, re, re, tt) && tt[0] > 0) {
                    t2 = tt[0];
                    k2 = e == 0 ? EYE_LEFT : EYE_RIGHT;
                } else {
                    t2 = exit;
                    k2 = SOCKET;
                }
                if (t2 < best) {
                    best = t2;
                    kind = k2;
                    eye = e;
                }
            }
            if (kind == BACKGROUND) {
                rgb[0] = 1;
                rgb[1] = 1;
                rgb[2] = 1;
                return BACKGROUND;
            }
            double px = ox + best * dx;
            double py = oy + best * dy;
            double pz = oz + best * dz;
            double nx;
            double ny;
            double nz;
            double ar;
            double ag;
            double ab;
            if (kind == SKIN) {
                if (surface == 2) {
                    nx = px / (nrx * nrx);
                    ny = (py - ncy) / (nry * nry);
                    nz = (pz - ncz) / (nrz * nrz);
                } else if (surface == 1) {
                    nx = px / (jrx * jrx);
                    ny = (py - jcy) / (jry * jry);
                    nz = (pz - jcz) / (jrz * jrz);
                } else {
                    nx = (px - hcx) / (hrx * hrx);
                    ny = (py - hcy) / (hry * hry);
                    nz = (pz - hcz) / (hrz * hrz);
                }
                skinAlbedo(px, py, pz, true, rgb);
                ar = rgb[0];
                ag = rgb[1];
                ab = rgb[2];
            } else if (kind == LID) {
                nx = (px - ex[eye]) / rl;
                ny = (py - ey[eye]) / rl;
                nz = (pz - ez[eye]) / rl;
                skinAlbedo(px, py, pz, false, rgb);
                double shade = lash(eye, nx, ny, nz) ? 0.35 : 0.93;
                ar = rgb[0] * shade;
                ag = rgb[1] * shade;
                ab = rgb[2] * shade;
            } else if (kind == WALL) {
                nx = -(px - ex[eye]) / rs;
                ny = -(py - ey[eye]) / rs;
                nz = -(pz - ez[eye]) / rs;
                skinAlbedo(px, py, pz, false, rgb);
                ar = rgb[0] * 0.9;
                ag = rgb[1] * 0.9;
                ab = rgb[2] * 0.9;
            } else if (kind == SOCKET) {
                nx = -(px - ex[eye]) / rl;
                ny = -(py - ey[eye]) / rl;
                nz = -(pz - ez[eye]) / rl;
                ar = 0.12;
                ag = 0.07;
                ab = 0.06;
            } else {
                nx = (px - ex[eye]) / re;
                ny = (py - ey[eye]) / re;
                nz = (pz - ez[eye]) / re;
                double c = nx * gx + ny * gy + nz * gz;
                if (c > cosPupil) {
                    ar = 0.02;
                    ag = 0.02;
                    ab = 0.02;
                } else if (c > cosIris) {
                    double az = Math.atan2(nx * vx + ny * vy + nz * vz, nx * ux + ny * uy + nz * uz);
                    double radial = Math.acos(Math.min(1, c)) / irisAngle;
                    double streak = 0.82 + 0.18 * Math.sin(14 * az + 3 * radial);
                    double limbus = radial > 0.85 ? 0.55 : 1.0;
                    ar = iris[0] * streak * limbus;
                    ag = iris[1] * streak * limbus;
                    ab = iris[2] * streak * limbus;
                } else {
                    ar = 0.93;
                    ag = 0.91;
                    ab = 0.87;
                }
            }
            double nn = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz);
            double lambert = Math.max(0, (nx * lx + ny * ly + nz * lz) * nn);
            rgb[0] = ar * (ambient[0] + lightColour[0] * lambert);
            rgb[1] = ag * (ambient[1] + lightColour[1] * lambert);
            rgb[2] = ab * (ambient[2] + lightColour[2] * lambert);
            return kind;
        }

        private static boolean insideEllipsoid(double x, double y, double z, double cx, double cy, double cz, double rx,
                double ry, double rz) {
            double a = (x - cx) / rx;
            double b = (y - cy) / ry;
            double c = (z - cz) / rz;
            return a * a + b * b + c * c < 1 - 1e-12;
        }

        private boolean insideSocket(int e, double x, double y, double z) {
            double a = x - ex[e];
            double b = y - ey[e];
            double c = z - ez[e];
            return a * a + b * b + c * c < rs * rs;
        }

        /** Albedo of the head surface at a world point: texture, hair, brows, lips (features only when asked). */
        void skinAlbedo(double x, double y, double z, boolean features, double[] out) {
            double tex = 0;
            for (int k = 0; k < 3; k++) {
                tex += Math.sin(texFreq[k] * (texDir[3 * k] * x + texDir[3 * k + 1] * y + texDir[3 * k + 2] * z)
                        + texPhase[k]);
            }
            double m = 1 + p.get(P.TEXTURE_AMPLITUDE) * tex / 3;
            out[0] = skin[0] * m;
            out[1] = skin[1] * m;
            out[2] = skin[2] * m;
            if (!features) {
                return;
            }
            double ny = (y - hcy) / hry;
            double nz = (z - hcz) / hrz;
            if (ny - 0.6 * nz > p.get(P.HAIRLINE) - 0.05 && ny > -0.2) {
                double hm = 1 + 0.5 * p.get(P.TEXTURE_AMPLITUDE) * Math.sin(40 * x + 7 * y);
                out[0] = hair[0] * hm;
                out[1] = hair[1] * hm;
                out[2] = hair[2] * hm;
                return;
            }
            if (nz < 0.3) {
                return;
            }
            double bw = p.get(P.BROW_HALF_WIDTH);
            double u = (Math.abs(x) - p.get(P.EYE_X)) / bw;
            if (u > -1 && u < 1) {
                double yc = ey[0] + p.get(P.BROW_HEIGHT) + p.get(P.BROW_ARCH) * (1 - u * u);
                if (Math.abs(y - yc) < p.get(P.BROW_THICKNESS) * (1 - 0.4 * u * u)) {
                    double d = p.get(P.BROW_DARKNESS);
                    for (int c = 0; c < 3; c++) {
                        out[c] = out[c] * (1 - d) + hair[c] * 0.7 * d;
                    }
                    return;
                }
            }
            double mw = p.get(P.MOUTH_HALF_WIDTH);
            double mh = p.get(P.MOUTH_HALF_HEIGHT);
            double my = p.get(P.MOUTH_Y);
            double a = x / mw;
            double b = (y - my) / mh;
            if (a * a + b * b < 1) {
                double line = Math.abs(y - my) < 0.012 ? 0.3 : 1.0;
                out[0] = lip[0] * line;
                out[1] = lip[1] * line;
                out[2] = lip[2] * line;
            }
        }
    }
}
