package dev.gazenerf.datasets.synth;

/**
 * A directional light plus ambient, fixed in the head frame: irradiance E(n) = ambient + colour * max(0, n . l)
 * for a surface normal n, and a Lambertian surface of albedo a shows a * E(n).
 *
 * @param direction unit vector from the surface towards the light (world)
 * @param colour    RGB intensity of the directional light
 * @param ambient   RGB ambient irradiance
 */
public record Light(double[] direction, double[] colour, double[] ambient) {
    public Light {
        if (direction == null || direction.length != 3 || colour == null || colour.length != 3 || ambient == null
                || ambient.length != 3) {
            throw new IllegalArgumentException("Light: direction, colour and ambient need 3 values each");
        }
        double n = Math.sqrt(direction[0] * direction[0] + direction[1] * direction[1] + direction[2] * direction[2]);
        if (!(n > 0)) {
            throw new IllegalArgumentException("Light: zero direction");
        }
        direction = new double[] {direction[0] / n, direction[1] / n, direction[2] / n};
        colour = colour.clone();
        ambient = ambient.clone();
    }

    @Override
    public double[] direction() {
        return direction.clone();
    }

    @Override
    public double[] colour() {
        return colour.clone();
    }

    @Override
    public double[] ambient() {
        return ambient.clone();
    }

    /**
     * The 27-value illumination code: second-order real spherical-harmonic coefficients of E(n), 9 per
     * colour channel, stored as (9, 3): index 3k + c for basis k (Y00, Y1-1, Y10, Y11, Y2-2, Y2-1, Y20, Y21,
     * Y22 over the world axes) and channel c. Projection of the clamped cosine uses A0 = pi, A1 = 2pi/3,
     * A2 = pi/4 (Ramamoorthi and Hanrahan 2001); the ambient term goes to Y00 only.
     */
    public double[] shCode() {
        double[] y = shBasis(direction[0], direction[1], direction[2]);
        double[] a = {Math.PI, 2 * Math.PI / 3, 2 * Math.PI / 3, 2 * Math.PI / 3, Math.PI / 4, Math.PI / 4,
            Math.PI / 4, Math.PI / 4, Math.PI / 4};
        double[] code = new double[27];
        for (int k = 0; k < 9; k++) {
            for (int c = 0; c < 3; c++) {
                code[3 * k + c] = colour[c] * a[k] * y[k] + (k == 0 ? ambient[c] / y0() : 0);
            }
        }
        return code;
    }

    private static double y0() {
        return 0.5 * Math.sqrt(1 / Math.PI);
    }

    /** The 9 real SH basis functions at unit direction (x, y, z). */
    public static double[] shBasis(double x, double y, double z) {
        return new double[] {
            y0(),
            Math.sqrt(3 / (4 * Math.PI)) * y,
            Math.sqrt(3 / (4 * Math.PI)) * z,
            Math.sqrt(3 / (4 * Math.PI)) * x,
            0.5 * Math.sqrt(15 / Math.PI) * x * y,
            0.5 * Math.sqrt(15 / Math.PI) * y * z,
            0.25 * Math.sqrt(5 / Math.PI) * (3 * z * z - 1),
            0.5 * Math.sqrt(15 / Math.PI) * x * z,
            0.25 * Math.sqrt(15 / Math.PI) * (x * x - y * y)};
    }
}
