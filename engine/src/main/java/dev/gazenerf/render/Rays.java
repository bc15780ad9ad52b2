package dev.gazenerf.render;

import dev.gazenerf.backend.Checks;

import java.util.SplittableRandom;

/**
 * Rays and sample points of GazeNeRF (reference sections 2.2 and 3.1), forward and backward.
 *
 * <p>Per image n: the learnable camera correction (3.1) {@code R' = R_delta c2wR}, {@code T' = R_delta c2wT + dT},
 * {@code R_delta = R_z(e_z) R_y(e_y) R_x(e_x)} from the Euler deltas {@code e}. Per feature-map pixel
 * {@code (x, y)} (ray {@code r = y*W + x}; integer coordinates as the reference, or pixel centres +0.5 when
 * configured): {@code u = K^-1 (x, y, 1)}, {@code d = R' u / |R' u|}, {@code o = T'}, {@code l = -1 / d_z}.
 * Edges (S + 1 of them, {@code f = k/S}): {@code t_k = (o_z - zNear)(1 - f) + (o_z - zFar) f}; in training mode
 * each edge is jittered uniformly between its neighbouring midpoints (the first and last edges only move
 * inward), from a seeded generator. Samples are the first S edges:
 * <pre>
 *   xyz[r*S + k]   = o + d l t_k        (on the plane of world z = zNear .. zFar when not jittered)
 *   delta[r*S + k] = (t_{k+1} - t_k) l  (a true distance along the ray)
 *   tvals[r*S + k] = t_k                (what the reference's depth sums)
 * </pre>
 * Because the edges are {@code t_k = o_z + c_k} with {@code c_k} independent of the camera, and
 * {@code d l = -R'u / (R'u)_z}, the backward is closed-form: {@link #backward} takes dL/dxyz and dL/ddelta
 * of every sample and returns the gradients of the Euler deltas and of dT.
 *
 * <p>This is host-side per-image work (a few floats per sample, no matrices), so it stays plain Java, in
 * double precision with float outputs, used unchanged by every backend. Caches (per image: K^-1, c2w,
 * R_delta, R', T'; per ray: u, R'u and the relative edges c_k) are sized once for {@code maxImages}.
 */
public final class Rays {
    private final int side;
    private final int samples;
    private final double zNear;
    private final double zFar;
    private final boolean pixelCentres;
    private final int maxImages;

    // per image
    private final double[] c2wR;     // (images, 9)
    private final double[] c2wT;     // (images, 3)
    private final double[] rDelta;   // (images, 9)
    private final double[] rCam;     // (images, 9)  R'
    private final double[] tCam;     // (images, 3)  T'
    private final double[] eulerAt;  // (images, 3)
    // per ray
    private final double[] u;        // (images * P, 3)  K^-1 (x, y, 1)
    private final double[] raw;      // (images * P, 3)  R' u
    private final double[] edges;    // (images * P, S + 1)  c_k = t_k - o_z
    private int images;

    /**
     * @param featmapSize  rays per side of the feature map (64 in the paper preset)
     * @param samples      samples per ray S (64)
     * @param depthNear    world z of the first plane (2.5)
     * @param depthFar     world z of the last edge (-3.5)
     * @param pixelCentres rays through pixel centres (+0.5) instead of the reference's integer coordinates
     * @param maxImages    the largest batch
     */
    public Rays(int featmapSize, int samples, float depthNear, float depthFar, boolean pixelCentres, int maxImages) {
        Checks.positive("Rays", "featmapSize", featmapSize);
        Checks.positive("Rays", "samples", samples);
        Checks.positive("Rays", "maxImages", maxImages);
        this.side = featmapSize;
        this.samples = samples;
        this.zNear = depthNear;
        this.zFar = depthFar;
        this.pixelCentres = pixelCentres;
        this.maxImages = maxImages;
        int rays = maxImages * featmapSize * featmapSize;
        c2wR = new double[maxImages * 9];
        c2wT = new double[maxImages * 3];
        rDelta = new double[maxImages * 9];
        rCam = new double[maxImages * 9];
        tCam = new double[maxImages * 3];
        eulerAt = new double[maxImages * 3];
        u = new double[rays * 3];
        raw = new double[rays * 3];
        edges = new double[rays * (samples + 1)];
    }

    /** Rays per image. */
    public int raysPerImage() {
        return side * side;
    }

    /** Samples per image (rays * S). */
    public int pointsPerImage() {
        return side * side * samples;
    }

    /** Samples per ray. */
    public int samples() {
        return samples;
    }

    /**
     * Computes the samples of {@code images} images.
     *
     * @param xyz          out {@code (images*P*S, 3)}
     * @param delta        out {@code (images*P*S)}
     * @param tvals        out {@code (images*P*S)}
     * @param invIntrinsics {@code (images, 9)} K^-1 row-major, for the feature-map grid
     * @param rotation     {@code (images, 9)} camera-to-world rotation row-major
     * @param translation  {@code (images, 3)} camera-to-world translation (the camera centre)
     * @param euler        {@code (images, 3)} Euler deltas (x, y, z) in radians, or null for none
     * @param dTranslation {@code (images, 3)} translation deltas, or null for none
     * @param jitter       stratified jitter of the edges (training and fitting); none in test mode
     * @param seed         seed of the jitter; image n draws from {@code SplittableRandom(seed + n)}
     */
    public void forward(float[] xyz, float[] delta, float[] tvals, float[] invIntrinsics, float[] rotation,
                        float[] translation, float[] euler, float[] dTranslation, int images, boolean jitter,
                        long seed) {
        String op = "Rays.forward";
        if (images < 0 || images > maxImages) {
            throw new IllegalArgumentException(op + ": images " + images + " outside [0, " + maxImages + "]");
        }
        int points = images * pointsPerImage();
        Checks.vector(op, "xyz", xyz, 0, points * 3);
        Checks.vector(op, "delta", delta, 0, points);
        Checks.vector(op, "tvals", tvals, 0, points);
        Checks.vector(op, "invIntrinsics", invIntrinsics, 0, images * 9);
        Checks.vector(op, "rotation", rotation, 0, images * 9);
        Checks.vector(op, "translation", translation, 0, images * 3);
        if (euler != null) {
            Checks.vector(op, "euler", euler, 0, images * 3);
        }
        if (dTranslation != null) {
            Checks.vector(op, "dTranslation", dTranslation, 0, images * 3);
        }
        this.images = images;
        int p = raysPerImage();
        int e = samples + 1;
        double off = pixelCentres ? 0.5 : 0.0;
        for (int n = 0; n < images; n++) {
            for (int q = 0; q < 9; q++) {
                c2wR[9 * n + q] = rotation[9 * n + q];
            }
            for (int i = 0; i < 3; i++) {
                c2wT[3 * n + i] = translation[3 * n + i];
                eulerAt[3 * n + i] = euler == null ? 0.0 : euler[3 * n + i];
            }
            eulerRotation(rDelta, 9 * n, eulerAt[3 * n], eulerAt[3 * n + 1], eulerAt[3 * n + 2], -1);
            matmul(rCam, 9 * n, rDelta, 9 * n, c2wR, 9 * n);
            for (int i = 0; i < 3; i++) {
                double s = dTranslation == null ? 0.0 : dTranslation[3 * n + i];
                for (int j = 0; j < 3; j++) {
                    s += rDelta[9 * n + 3 * i + j] * c2wT[3 * n + j];
                }
                tCam[3 * n + i] = s;
            }
            SplittableRandom rng = jitter ? new SplittableRandom(seed + n) : null;
            double oz = tCam[3 * n + 2];
            for (int r = 0; r < p; r++) {
                int ray = n * p + r;
                double px = r % side + off;
                double py = r / side + off;
                for (int i = 0; i < 3; i++) {
                    u[3 * ray + i] = invIntrinsics[9 * n + 3 * i] * px + invIntrinsics[9 * n + 3 * i + 1] * py
                            + invIntrinsics[9 * n + 3 * i + 2];
                }
                for (int i = 0; i < 3; i++) {
                    raw[3 * ray + i] = rCam[9 * n + 3 * i] * u[3 * ray] + rCam[9 * n + 3 * i + 1] * u[3 * ray + 1]
                            + rCam[9 * n + 3 * i + 2] * u[3 * ray + 2];
                }
                int eo = ray * e;
                for (int k = 0; k <= samples; k++) {
                    double f = (double) k / samples;
                    edges[eo + k] = -(zNear * (1.0 - f) + zFar * f);
                }
                if (rng != null) {
                    jitterEdges(edges, eo, samples, rng);
                }
                double rz = raw[3 * ray + 2];
                double norm = Math.sqrt(raw[3 * ray] * raw[3 * ray] + raw[3 * ray + 1] * raw[3 * ray + 1] + rz * rz);
                double l = -norm / rz;
                for (int k = 0; k < samples; k++) {
                    int s = ray * samples + k;
                    double t = oz + edges[eo + k];
                    for (int i = 0; i < 3; i++) {
                        xyz[3 * s + i] = (float) (tCam[3 * n + i] - raw[3 * ray + i] / rz * t);
                    }
                    delta[s] = (float) ((edges[eo + k + 1] - edges[eo + k]) * l);
                    tvals[s] = (float) t;
                }
            }
        }
    }

    /** Stratified jitter of S+1 edges at {@code off}: each moves uniformly between its neighbouring midpoints. */
    static void jitterEdges(double[] e, int off, int samples, SplittableRandom rng) {
        double prevMid = e[off];
        for (int k = 0; k <= samples; k++) {
            double lower = k == 0 ? e[off] : prevMid;
            double upper = k == samples ? e[off + samples] : 0.5 * (e[off + k] + e[off + k + 1]);
            prevMid = upper;
            e[off + k] = lower + (upper - lower) * rng.nextDouble();
        }
    }

    /**
     * Backward from the sample gradients of the last {@link #forward} to the camera corrections:
     * {@code dEuler[n] += dL/de}, {@code dTranslation[n] += dL/dT} (either may be null).
     *
     * @param dXyz   {@code (images*P*S, 3)} dL/dxyz
     * @param dDelta {@code (images*P*S)} dL/ddelta, or null
     */
    public void backward(float[] dEuler, float[] dTranslation, float[] dXyz, float[] dDelta) {
        String op = "Rays.backward";
        int points = images * pointsPerImage();
        Checks.vector(op, "dXyz", dXyz, 0, points * 3);
        if (dDelta != null) {
            Checks.vector(op, "dDelta", dDelta, 0, points);
        }
        if (dEuler != null) {
            Checks.vector(op, "dEuler", dEuler, 0, images * 3);
        }
        if (dTranslation != null) {
            Checks.vector(op, "dTranslation", dTranslation, 0, images * 3);
        }
        int p = raysPerImage();
        int e = samples + 1;
        double[] dRCam = new double[9];
        double[] dT = new double[3];
        double[] dRDelta = new double[9];
        double[] dr = new double[9];
        for (int n = 0; n < images; n++) {
            java.util.Arrays.fill(dRCam, 0.0);
            java.util.Arrays.fill(dT, 0.0);
            double oz = tCam[3 * n + 2];
            for (int r = 0; r < p; r++) {
                int ray = n * p + r;
                double rx = raw[3 * ray];
                double ry = raw[3 * ray + 1];
                double rz = raw[3 * ray + 2];
                double norm = Math.sqrt(rx * rx + ry * ry + rz * rz);
                // q = d l = -raw / raw_z; xyz_k = T' + q t_k with t_k = T'_z + c_k; l = -|raw| / raw_z.
                double qx = -rx / rz;
                double qy = -ry / rz;
                double dqx = 0;
                double dqy = 0;
                double dl = 0;
                int eo = ray * e;
                for (int k = 0; k < samples; k++) {
                    int s = ray * samples + k;
                    double t = oz + edges[eo + k];
                    double gx = dXyz[3 * s];
                    double gy = dXyz[3 * s + 1];
                    double gz = dXyz[3 * s + 2];
                    dT[0] += gx;
                    dT[1] += gy;
                    dT[2] += gz + gx * qx + gy * qy - gz;   // q_z = -1
                    dqx += gx * t;
                    dqy += gy * t;
                    if (dDelta != null) {
                        dl += dDelta[s] * (edges[eo + k + 1] - edges[eo + k]);
                    }
                }
                // d raw from q (q_x = -rx/rz, q_y = -ry/rz) and from l = -|raw|/rz
                double drx = -dqx / rz - dl * rx / (norm * rz);
                double dry = -dqy / rz - dl * ry / (norm * rz);
                double drz = (dqx * rx + dqy * ry) / (rz * rz) - dl * rz / (norm * rz) + dl * norm / (rz * rz);
                for (int j = 0; j < 3; j++) {
                    double uj = u[3 * ray + j];
                    dRCam[j] += drx * uj;
                    dRCam[3 + j] += dry * uj;
                    dRCam[6 + j] += drz * uj;
                }
            }
            // R' = Rd c2wR, T' = Rd c2wT + dTrans: dRd = dR' c2wR^T + dT' c2wT^T
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double s = dT[i] * c2wT[3 * n + j];
                    for (int m = 0; m < 3; m++) {
                        s += dRCam[3 * i + m] * c2wR[9 * n + 3 * j + m];
                    }
                    dRDelta[3 * i + j] = s;
                }
            }
            if (dTranslation != null) {
                for (int i = 0; i < 3; i++) {
                    dTranslation[3 * n + i] += (float) dT[i];
                }
            }
            if (dEuler != null) {
                for (int axis = 0; axis < 3; axis++) {
                    eulerRotation(dr, 0, eulerAt[3 * n], eulerAt[3 * n + 1], eulerAt[3 * n + 2], axis);
                    double g = 0;
                    for (int q = 0; q < 9; q++) {
                        g += dRDelta[q] * dr[q];
                    }
                    dEuler[3 * n + axis] += (float) g;
                }
            }
        }
    }

    /** The corrected camera-to-world rotation R' of image n (row-major, 9 values) from the last forward. */
    public void cameraRotation(int n, double[] out) {
        System.arraycopy(rCam, 9 * n, out, 0, 9);
    }

    /** The corrected camera centre T' of image n from the last forward. */
    public void cameraTranslation(int n, double[] out) {
        System.arraycopy(tCam, 3 * n, out, 0, 3);
    }

    /**
     * {@code R_z(c) R_y(b) R_x(a)} into {@code out[off..off+8]}, or its derivative by a (axis 0), b (1) or c (2).
     * {@code R_x(a) = [[1,0,0],[0,ca,-sa],[0,sa,ca]]}, {@code R_y(b) = [[cb,0,sb],[0,1,0],[-sb,0,cb]]},
     * {@code R_z(c) = [[cc,-sc,0],[sc,cc,0],[0,0,1]]}, as the reference's {@code eulurangle2Rmat}.
     */
    static void eulerRotation(double[] out, int off, double a, double b, double c, int derivativeAxis) {
        double ca = Math.cos(a);
        double sa = Math.sin(a);
        double cb = Math.cos(b);
        double sb = Math.sin(b);
        double cc = Math.cos(c);
        double sc = Math.sin(c);
        double[] rx = {1, 0, 0, 0, ca, -sa, 0, sa, ca};
        double[] ry = {cb, 0, sb, 0, 1, 0, -sb, 0, cb};
        double[] rz = {cc, -sc, 0, sc, cc, 0, 0, 0, 1};
        if (derivativeAxis == 0) {
            rx = new double[] {0, 0, 0, 0, -sa, -ca, 0, ca, -sa};
        } else if (derivativeAxis == 1) {
            ry = new double[] {-sb, 0, cb, 0, 0, 0, -cb, 0, -sb};
        } else if (derivativeAxis == 2) {
            rz = new double[] {-sc, -cc, 0, cc, -sc, 0, 0, 0, 0};
        }
        double[] yx = new double[9];
        matmul(yx, 0, ry, 0, rx, 0);
        matmul(out, off, rz, 0, yx, 0);
    }

    /** {@code c = a b} for row-major 3x3 matrices at the given offsets. */
    static void matmul(double[] c, int cOff, double[] a, int aOff, double[] b, int bOff) {
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int m = 0; m < 3; m++) {
                    s += a[aOff + 3 * i + m] * b[bOff + 3 * m + j];
                }
                c[cOff + 3 * i + j] = s;
            }
        }
    }
}
