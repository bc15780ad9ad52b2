package dev.gazenerf.datasets.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gazenerf.datasets.synth.SubjectParams.P;
import org.junit.jupiter.api.Test;

/** The rendered geometry agrees with the labels, the projection and the masks. */
class SyntheticRendererTest {
    /** A sampled subject with a light-blue iris, so the pupil is the only near-black part of the eye. */
    static SubjectParams lightIris(long seed) {
        double[] v = SubjectParams.sample(seed, 0).values();
        v[P.IRIS_R.ordinal()] = 0.55;
        v[P.IRIS_G.ordinal()] = 0.6;
        v[P.IRIS_B.ordinal()] = 0.75;
        v[P.PUPIL_ANGLE.ordinal()] = 0.15;
        v[P.APERTURE_UP.ordinal()] = 0.46;
        v[P.APERTURE_DOWN.ordinal()] = 0.36;
        v[P.APERTURE_TILT.ordinal()] = 0;
        return SubjectParams.of(v);
    }

    static Light frontLight() {
        return new Light(new double[] {0.2, 0.3, 1}, new double[] {0.6, 0.6, 0.6}, new double[] {0.4, 0.4, 0.4});
    }

    @Test
    void gazeConventionRoundTripsAndMatchesTheReferenceFormulas() {
        assertArrayEquals(new double[] {0, 0, 1}, GazeConvention.direction(0, 0), 1e-15);
        for (double p = -0.7; p <= 0.7; p += 0.35) {
            for (double y = -0.9; y <= 0.9; y += 0.3) {
                double[] g = GazeConvention.direction(p, y);
                // reference: v = head-frame (OpenCV) vector = (g_x, -g_y, -g_z); pitch = asin(v_y), yaw = atan2(-v_x, -v_z)
                assertEquals(p, Math.asin(-g[1]), 1e-12);
                assertEquals(y, Math.atan2(-g[0], g[2]), 1e-12);
                double[] l = GazeConvention.label(g[0] * 3, g[1] * 3, g[2] * 3);
                assertEquals(p, l[0], 1e-12);
                assertEquals(y, l[1], 1e-12);
            }
        }
        // looking up (world +y) is negative pitch, looking to world +x is negative yaw
        assertTrue(GazeConvention.label(0, 1, 1)[0] < 0);
        assertTrue(GazeConvention.label(1, 0, 1)[1] < 0);
    }

    @Test
    void frontalCameraIsTheReferenceBaseCamera() {
        SubjectParams s = SubjectParams.sample(3, 0);
        double[] fc = SyntheticRenderer.faceCentre(s);
        Camera c = Rig.camera(0, 0, 0, fc, 512);
        assertArrayEquals(new double[] {1, 0, 0, 0, -1, 0, 0, 0, -1}, c.w2cR(), 1e-12);
        assertEquals(1039.36, c.focal(), 1e-12);
        assertEquals(256, c.cx(), 1e-12);
        double[] t = c.c2wT();
        assertEquals(fc[2] + Rig.DISTANCE, t[2], 1e-12);
        assertTrue(t[2] > 5.8 && t[2] < 6.6, "camera about 6.2 in front of the head: " + t[2]);
        double[] uv = new double[2];
        c.project(fc[0], fc[1], fc[2], uv);
        assertEquals(256, uv[0], 1e-9);
        assertEquals(256, uv[1], 1e-9);
        assertArrayEquals(new double[] {0, 0}, GazeConvention.headPose(c), 1e-12);
        // c2w = w2c^T, c2w_T = -c2w_R w2c_T for every rig camera; the camera sees the face centre at the principal point
        for (int i = 0; i < Rig.CAMERAS; i++) {
            Camera ci = Rig.camera(i, 0.01, -0.02, fc, 64);
            double[] r = ci.w2cR();
            double[] rt = ci.c2wR();
            double[] ct = ci.c2wT();
            double[] wt = ci.w2cT();
            for (int a = 0; a < 3; a++) {
                double x = 0;
                for (int b = 0; b < 3; b++) {
                    assertEquals(r[3 * b + a], rt[3 * a + b], 0);
                    x -= rt[3 * a + b] * wt[b];
                }
                assertEquals(x, ct[a], 1e-12);
            }
            ci.project(fc[0], fc[1], fc[2], uv);
            assertEquals(32, uv[0], 1e-9);
            assertEquals(32, uv[1], 1e-9);
            double[] pose = GazeConvention.headPose(ci);
            assertTrue(Math.abs(pose[1]) < Math.toRadians(55) && Math.abs(pose[0]) < Math.toRadians(35), "rig spread");
        }
    }

    @Test
    void theHeadFitsTheModelsDepthSlabAndFillsAFaceCrop() {
        for (int k = 0; k < 20; k++) {
            SubjectParams s = SubjectParams.sample(11, k);
            double front = SyntheticRenderer.HEAD_CENTRE[2] + s.get(P.HEAD_RZ) + 0.4;
            double back = SyntheticRenderer.HEAD_CENTRE[2] - s.get(P.HEAD_RZ);
            assertTrue(front < 2.5 && back > -3.5, "inside world z in [-3.5, 2.5]");
        }
        try (SyntheticRenderer r = new SyntheticRenderer(1, 1)) {
            SubjectParams s = SubjectParams.sample(11, 0);
            Rendering img = r.render(s, Rig.camera(0, 0, 0, SyntheticRenderer.faceCentre(s), 64), frontLight(), 0, 0);
            double area = 0;
            for (float v : img.head()) {
                area += v;
            }
            area /= 64 * 64;
            assertTrue(area > 0.35 && area < 0.8, "the head covers a face crop like the real ones: " + area);
        }
    }

    /** Pupil pixels: near-black inside the eye mask. Returns {sum u, sum v, count} per eye (6 values). */
    static double[] pupilCentroids(Rendering img) {
        double[] acc = new double[6];
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                int p = y * img.width() + x;
                float m = Math.max(img.rgb()[3 * p], Math.max(img.rgb()[3 * p + 1], img.rgb()[3 * p + 2]));
                if (m > 0.08f) {
                    continue;
                }
                int e = img.leftEye()[p] > 0.5f ? 0 : img.rightEye()[p] > 0.5f ? 1 : -1;
                if (e >= 0) {
                    acc[3 * e] += x;
                    acc[3 * e + 1] += y;
                    acc[3 * e + 2] += 1;
                }
            }
        }
        return acc;
    }

    @Test
    void theIrisIsWhereTheProjectionSaysAndTheLabelIsTheEyeballDirection() {
        SubjectParams s = lightIris(5);
        double re = s.get(P.EYE_RADIUS);
        double[][] gazes = {{0, 0}, {0.08, 0.25}, {-0.1, -0.3}, {0.05, -0.15}};
        try (SyntheticRenderer r = new SyntheticRenderer(2, 3)) {
            for (double[] gz : gazes) {
                Camera cam = Rig.camera(0, 0, 0, SyntheticRenderer.faceCentre(s), 384);
                Rendering img = r.render(s, cam, frontLight(), gz[0], gz[1]);
                double[] acc = pupilCentroids(img);
                double[] g = GazeConvention.direction(gz[0], gz[1]);
                for (int e = 0; e < 2; e++) {
                    assertTrue(acc[3 * e + 2] >= 10, "pupil of eye " + e + " visible at gaze " + gz[0] + ", " + gz[1]);
                    double u = acc[3 * e] / acc[3 * e + 2];
                    double v = acc[3 * e + 1] / acc[3 * e + 2];
                    double[] c = SyntheticRenderer.eyeCentre(s, e == 0 ? -1 : 1);
                    double[] uv = new double[2];
                    cam.project(c[0] + re * g[0], c[1] + re * g[1], c[2] + re * g[2], uv);
                    // measured worst 0.25 px at 384 px (the centroid of the projected cap is slightly off its centre)
                    assertEquals(uv[0], u, 0.6, "pupil u");
                    assertEquals(uv[1], v, 0.6, "pupil v");
                    // back-project the pupil centroid onto the eyeball: its direction is the label
                    double[] k = cam.c2wR();
                    double[] o = cam.c2wT();
                    double dx = (u - cam.cx()) / cam.focal();
                    double dy = (v - cam.cy()) / cam.focal();
                    double[] d = {k[0] * dx + k[1] * dy + k[2], k[3] * dx + k[4] * dy + k[5], k[6] * dx + k[7] * dy + k[8]};
                    double dn = Math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
                    double[] oc = {o[0] - c[0], o[1] - c[1], o[2] - c[2]};
                    double b = (oc[0] * d[0] + oc[1] * d[1] + oc[2] * d[2]) / dn;
                    double cc = oc[0] * oc[0] + oc[1] * oc[1] + oc[2] * oc[2] - re * re;
                    double t = -b - Math.sqrt(b * b - cc);
                    double[] q = {oc[0] + t * d[0] / dn, oc[1] + t * d[1] / dn, oc[2] + t * d[2] / dn};
                    double[] label = GazeConvention.label(q[0], q[1], q[2]);
                    // measured worst 0.9 degrees at 384 px
                    assertEquals(gz[0], label[0], Math.toRadians(2), "pitch from the pupil");
                    assertEquals(gz[1], label[1], Math.toRadians(2), "yaw from the pupil");
                }
            }
        }
    }

    /** Ray-ellipsoid hit with positive distance, written independently of the renderer. */
    static boolean hits(double[] o, double[] d, double[] c, double rx, double ry, double rz) {
        double[] p = {(o[0] - c[0]) / rx, (o[1] - c[1]) / ry, (o[2] - c[2]) / rz};
        double[] q = {d[0] / rx, d[1] / ry, d[2] / rz};
        double a = q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
        double b = p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
        double cc = p[0] * p[0] + p[1] * p[1] + p[2] * p[2] - 1;
        double disc = b * b - a * cc;
        return disc > 0 && (-b + Math.sqrt(disc)) / a > 0;
    }

    @Test
    void masksAgreeWithTheGeometry() {
        SubjectParams s = SubjectParams.sample(8, 1);
        SyntheticRenderer.Scene scene = new SyntheticRenderer.Scene(s, frontLight(), 0.1, 0.2);
        try (SyntheticRenderer r = new SyntheticRenderer(1, 1)) {
            for (int camIndex : new int[] {0, 5, 9, 16}) {
                Camera cam = Rig.camera(camIndex, 0, 0, SyntheticRenderer.faceCentre(s), 96);
                Rendering img = r.render(s, cam, frontLight(), 0.1, 0.2);
                double[] k = cam.c2wR();
                double[] o = cam.c2wT();
                int mismatches = 0;
                int eyePixels = 0;
                for (int y = 0; y < 96; y++) {
                    for (int x = 0; x < 96; x++) {
                        double u = (x - cam.cx()) / cam.focal();
                        double v = (y - cam.cy()) / cam.focal();
                        double[] d = {k[0] * u + k[1] * v + k[2], k[3] * u + k[4] * v + k[5], k[6] * u + k[7] * v + k[8]};
                        boolean head = hits(o, d, SyntheticRenderer.HEAD_CENTRE, s.get(P.HEAD_RX), s.get(P.HEAD_RY),
                                s.get(P.HEAD_RZ))
                                || hits(o, d, new double[] {0, s.get(P.JAW_Y), s.get(P.JAW_Z)}, s.get(P.JAW_RX),
                                        s.get(P.JAW_RY), s.get(P.JAW_RZ))
                                || hits(o, d, new double[] {0, scene.ncy, scene.ncz}, scene.nrx, scene.nry, scene.nrz);
                        for (int e = 0; e < 2; e++) {
                            double[] c = {scene.ex[e], scene.ey[e], scene.ez[e]};
                            head |= hits(o, d, c, scene.rl, scene.rl, scene.rl);
                        }
                        int p = y * 96 + x;
                        if (head != (img.head()[p] > 0.5f)) {
                            mismatches++;
                        }
                        for (int e = 0; e < 2; e++) {
                            float m = e == 0 ? img.leftEye()[p] : img.rightEye()[p];
                            if (m > 0.5f) {
                                eyePixels++;
                                double[] c = {scene.ex[e], scene.ey[e], scene.ez[e]};
                                assertTrue(hits(o, d, c, scene.re, scene.re, scene.re), "eye pixel on its eyeball");
                                assertTrue(img.head()[p] > 0.5f, "eyes are part of the head");
                            }
                        }
                    }
                }
                assertEquals(0, mismatches, "head mask = rays hitting the cranium, jaw, nose or lids (camera " + camIndex + ")");
                assertTrue(eyePixels > 0, "some eye visible from camera " + camIndex);
            }
            // frontal: the eye corner landmarks bracket each eye mask
            Camera cam = Rig.camera(0, 0, 0, SyntheticRenderer.faceCentre(s), 256);
            Rendering img = r.render(s, cam, frontLight(), 0, 0);
            double[] lm = SyntheticRenderer.landmarks(s, cam);
            for (int e = 0; e < 2; e++) {
                float[] mask = e == 0 ? img.leftEye() : img.rightEye();
                int minX = 999;
                int maxX = -1;
                for (int p = 0; p < mask.length; p++) {
                    if (mask[p] > 0.5f) {
                        minX = Math.min(minX, p % 256);
                        maxX = Math.max(maxX, p % 256);
                    }
                }
                double a = lm[2 * (36 + 6 * e)];
                double b = lm[2 * (39 + 6 * e)];
                // the almond's tips are thinner than a pixel and partly behind the socket rim, so the mask ends
                // inside the corners: measured 2.0 and 3.6 px at 256 px (1.4% of the image)
                assertEquals(Math.min(a, b), minX, 4.5, "eye " + e + " left end at its corner landmark");
                assertEquals(Math.max(a, b), maxX, 4.5, "eye " + e + " right end at its corner landmark");
            }
            // every face landmark (brows, nose, eyes, mouth) falls on the head mask
            for (int i = 17; i < 68; i++) {
                int x = (int) Math.round(lm[2 * i]);
                int y = (int) Math.round(lm[2 * i + 1]);
                assertTrue(img.head()[y * 256 + x] > 0.5f, "landmark " + i + " on the head");
            }
        }
    }

    @Test
    void renderingIsDeterministicAndIndependentOfThreads() {
        SubjectParams s = SubjectParams.sample(9, 2);
        Camera cam = Rig.camera(7, 0.02, 0.01, SyntheticRenderer.faceCentre(s), 40);
        try (SyntheticRenderer one = new SyntheticRenderer(1, 2); SyntheticRenderer two = new SyntheticRenderer(2, 2)) {
            Rendering a = one.render(s, cam, frontLight(), 0.3, -0.4);
            Rendering b = two.render(s, cam, frontLight(), 0.3, -0.4);
            assertArrayEquals(a.rgb(), b.rgb());
            assertArrayEquals(a.head(), b.head());
            assertArrayEquals(a.leftEye(), b.leftEye());
            assertArrayEquals(a.rightEye(), b.rightEye());
            Rendering c = two.render(s, cam, frontLight(), 0.3, 0.4);
            float diff = 0;
            for (int i = 0; i < a.rgb().length; i++) {
                diff = Math.max(diff, Math.abs(a.rgb()[i] - c.rgb()[i]));
            }
            assertTrue(diff > 0.2f, "another gaze moves the eyes: " + diff);
        }
        assertEquals(SubjectParams.sample(9, 2), SubjectParams.sample(9, 2));
        assertTrue(!SubjectParams.sample(9, 2).equals(SubjectParams.sample(9, 3)));
    }

    @Test
    void lightCodeIsTheShProjectionOfTheIrradiance() {
        Light l = new Light(new double[] {0, 0, 2}, new double[] {0.5, 0.6, 0.7}, new double[] {0.3, 0.2, 0.1});
        double[] code = l.shCode();
        double y00 = 0.5 / Math.sqrt(Math.PI);
        // hand-computed: DC = ambient / Y00 + colour * pi * Y00
        assertEquals(0.3 / y00 + 0.5 * Math.PI * y00, code[0], 1e-12);
        // reconstruction at n = l: ambient + colour * (1/4 + 1/2 + 5/16) = ambient + 1.0625 colour
        double[] y = Light.shBasis(0, 0, 1);
        for (int c = 0; c < 3; c++) {
            double e = 0;
            for (int k = 0; k < 9; k++) {
                e += code[3 * k + c] * y[k];
            }
            assertEquals(l.ambient()[c] + 1.0625 * l.colour()[c], e, 1e-12);
        }
        // far side (n = -l): the clamped cosine is 0; the 9-term approximation gives 1/4 - 1/2 + 5/16 = 0.0625
        double[] yb = Light.shBasis(0, 0, -1);
        double e = 0;
        for (int k = 0; k < 9; k++) {
            e += code[3 * k] * yb[k];
        }
        assertEquals(0.3 + 0.0625 * 0.5, e, 1e-12);
    }
}
