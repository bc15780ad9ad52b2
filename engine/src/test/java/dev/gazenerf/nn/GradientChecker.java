package dev.gazenerf.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks an op's analytic backward against central finite differences, for its inputs and its parameters
 * separately. Shared by every module through the engine's test-jar.
 *
 * <p>The scalar loss is the projection of all outputs on a fixed random vector r (uniform in [-1, 1], from
 * the seed): {@code L = sum_o sum_i r_o[i] out_o[i]}, accumulated in double. Backward is run once with
 * {@code dOut_o = r_o} after the checker has zeroed every registered gradient slice (so ops that overwrite
 * and ops that accumulate are checked alike). Then, for each coordinate of each registered tensor (all of
 * them up to {@link #maxCoordinates}, otherwise the first, the last and a seeded random sample), the value
 * is moved to {@code x + eps} and {@code x - eps} (the exact float steps {@code h+}, {@code h-} are used),
 * and the numeric derivative {@code (L+ - L-) / (h+ + h-)} is compared with the analytic one:
 * {@code |a - n| <= atol + rtol * max(|a|, |n|)}.
 *
 * <p>Kinks: a function that is only piecewise smooth (ReLU) may have a kink within eps of the point. With
 * {@link #allowKinks} a coordinate whose one-sided differences {@code (L+ - L0) / h+} and
 * {@code (L0 - L-) / h-} disagree by more than the tolerance counts as a kink; it passes when the analytic
 * value matches one of the one-sided differences (the side without the kink), and at most the given fraction
 * of a tensor's coordinates may be kinks. Without it every coordinate must match the central difference.
 *
 * <p>Failures: NaN or Inf in an output, a gradient, or a perturbed loss fail first; mismatches fail with the
 * tensor's name, its kind (input or parameter), the index and both values.
 *
 * <p>Use from another module: add the test dependency {@code dev.gazenerf:gazenerf-engine} with
 * {@code <type>test-jar</type>} (its version is managed in the parent pom). Typical use:
 * <pre>{@code
 *   new GradientChecker(seed).eps(1e-3).tolerance(2e-3, 1e-2).allowKinks(0.25)
 *       .output("y", y, dY).input("x", x, dX).param("w", params, wOff, wLen, dParams)
 *       .check(() -> op.forward(...), () -> op.backward(...));
 * }</pre>
 * Guidance for float32: piecewise-linear functions (ReLU nets) are exact on each piece, so eps 1e-3 with
 * kinks allowed works; smooth functions with large curvature (high encoding frequencies) want a smaller eps
 * (1e-4) and a tolerance scaled to the gradient's size.
 */
public final class GradientChecker {

    /** Something to run: the forward (outputs from the registered tensors) or the backward. */
    @FunctionalInterface
    public interface Computation {
        void run();
    }

    /**
     * What a check saw: coordinates compared (inputs and parameters separately), kinks tolerated, and the
     * worst error relative to its tolerance among the inputs and among the parameters.
     */
    public record Report(int inputCoordinates, int parameterCoordinates, int kinks,
                         double worstInputRatio, double worstParameterRatio, String worstWhere) {
        /** All coordinates compared. */
        public int coordinates() {
            return inputCoordinates + parameterCoordinates;
        }

        /** The worst |analytic - numeric| / tolerance over inputs and parameters. */
        public double worstRatio() {
            return Math.max(worstInputRatio, worstParameterRatio);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d input and %d parameter coordinates, %d kinks, worst |a-n|/tol: "
                    + "inputs %.3f, parameters %.3f (overall at %s)", inputCoordinates, parameterCoordinates, kinks,
                    worstInputRatio, worstParameterRatio, worstWhere);
        }
    }

    private record Tensor(String name, boolean parameter, float[] values, int off, int len, float[] grad, int gradOff) {
    }

    private record Output(String name, float[] values, int off, int len, float[] dOut, int dOutOff) {
    }

    private final long seed;
    private final List<Tensor> tensors = new ArrayList<>();
    private final List<Output> outputs = new ArrayList<>();
    private double eps = 1e-2;
    private double atol = 1e-3;
    private double rtol = 1e-2;
    private int maxCoordinates = 48;
    private double maxKinkFraction = 0;

    /** A checker whose projection vector and coordinate samples come from {@code seed}. */
    public GradientChecker(long seed) {
        this.seed = seed;
    }

    /** The finite-difference step (default 1e-2; ReLU nets are piecewise linear, so it is exact on each piece). */
    public GradientChecker eps(double eps) {
        this.eps = eps;
        return this;
    }

    /** Tolerance {@code atol + rtol * max(|a|, |n|)} (default 1e-3, 1e-2). */
    public GradientChecker tolerance(double atol, double rtol) {
        this.atol = atol;
        this.rtol = rtol;
        return this;
    }

    /** Tensors longer than this are sampled (default 48 coordinates each). */
    public GradientChecker maxCoordinates(int n) {
        this.maxCoordinates = n;
        return this;
    }

    /** Tolerate kinks (see the class comment) in at most this fraction of each tensor's coordinates. */
    public GradientChecker allowKinks(double maxFraction) {
        this.maxKinkFraction = maxFraction;
        return this;
    }

    /** Registers an input: {@code len} values at {@code off} and its gradient at {@code gradOff}. */
    public GradientChecker input(String name, float[] values, int off, int len, float[] grad, int gradOff) {
        tensors.add(new Tensor(name, false, values, off, len, grad, gradOff));
        return this;
    }

    /** Registers a whole input array and its gradient array. */
    public GradientChecker input(String name, float[] values, float[] grad) {
        return input(name, values, 0, values.length, grad, 0);
    }

    /** Registers a parameter tensor: {@code len} values at {@code off}, its gradient at the same offset of grad. */
    public GradientChecker param(String name, float[] values, int off, int len, float[] grad) {
        tensors.add(new Tensor(name, true, values, off, len, grad, off));
        return this;
    }

    /** Registers an output ({@code len} values at off) and the buffer backward reads its gradient from. */
    public GradientChecker output(String name, float[] values, int off, int len, float[] dOut, int dOutOff) {
        outputs.add(new Output(name, values, off, len, dOut, dOutOff));
        return this;
    }

    /** Registers a whole output array and its gradient array. */
    public GradientChecker output(String name, float[] values, float[] dOut) {
        return output(name, values, 0, values.length, dOut, 0);
    }

    /**
     * Runs the check; fails (JUnit) on NaN/Inf or a mismatch and otherwise returns what it compared.
     *
     * @param forward  computes every registered output from the current values of the registered tensors
     * @param backward given the registered dOut buffers, writes or adds the gradients into the registered ones
     */
    public Report check(Computation forward, Computation backward) {
        if (outputs.isEmpty() || tensors.isEmpty()) {
            fail("GradientChecker: register at least one output and one input or parameter");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] r = new double[outputs.size()][];
        for (int o = 0; o < outputs.size(); o++) {
            r[o] = new double[outputs.get(o).len];
            for (int i = 0; i < r[o].length; i++) {
                r[o][i] = (float) (2 * rng.nextDouble() - 1);
            }
        }
        forward.run();
        for (Output out : outputs) {
            for (int i = 0; i < out.len; i++) {
                float v = out.values[out.off + i];
                if (!Float.isFinite(v)) {
                    fail("output '" + out.name + "'[" + i + "] is " + v + " after forward");
                }
            }
        }
        double loss0 = loss(r);
        for (Tensor t : tensors) {
            Arrays.fill(t.grad, t.gradOff, t.gradOff + t.len, 0f);
        }
        for (int o = 0; o < outputs.size(); o++) {
            Output out = outputs.get(o);
            for (int i = 0; i < out.len; i++) {
                out.dOut[out.dOutOff + i] = (float) r[o][i];
            }
        }
        backward.run();
        float[][] analytic = new float[tensors.size()][];
        for (int k = 0; k < tensors.size(); k++) {
            Tensor t = tensors.get(k);
            analytic[k] = Arrays.copyOfRange(t.grad, t.gradOff, t.gradOff + t.len);
            for (int i = 0; i < t.len; i++) {
                if (!Float.isFinite(analytic[k][i])) {
                    fail(kind(t) + " '" + t.name + "'[" + i + "]: analytic gradient is " + analytic[k][i]);
                }
            }
        }
        int[] coordinates = new int[2];   // [inputs, parameters]
        double[] worstOf = new double[2];
        int kinks = 0;
        double worst = 0;
        String worstWhere = "-";
        List<String> mismatches = new ArrayList<>();
        for (int k = 0; k < tensors.size(); k++) {
            Tensor t = tensors.get(k);
            int[] idx = coordinatesOf(t, rng);
            int tensorKinks = 0;
            for (int i : idx) {
                int at = t.off + i;
                float x = t.values[at];
                float xp = (float) (x + eps);
                float xm = (float) (x - eps);
                t.values[at] = xp;
                forward.run();
                double lp = loss(r);
                t.values[at] = xm;
                forward.run();
                double lm = loss(r);
                t.values[at] = x;
                String where = kind(t) + " '" + t.name + "'[" + i + "]";
                if (!Double.isFinite(lp) || !Double.isFinite(lm)) {
                    fail(where + ": the loss is not finite after a step of " + eps + " (" + lp + ", " + lm + ")");
                }
                double hp = (double) xp - x;
                double hm = (double) x - xm;
                double central = (lp - lm) / (hp + hm);
                double a = analytic[k][i];
                double tol = atol + rtol * Math.max(Math.abs(a), Math.abs(central));
                double err = Math.abs(a - central);
                int kind = t.parameter ? 1 : 0;
                coordinates[kind]++;
                if (err > tol && maxKinkFraction > 0) {
                    double fwd = (lp - loss0) / hp;
                    double bwd = (loss0 - lm) / hm;
                    double oneSidedTol = atol + rtol * Math.max(Math.abs(fwd), Math.abs(bwd));
                    if (Math.abs(fwd - bwd) > oneSidedTol) {
                        double e1 = Math.abs(a - fwd);
                        double e2 = Math.abs(a - bwd);
                        double tolFwd = atol + rtol * Math.max(Math.abs(a), Math.abs(fwd));
                        double tolBwd = atol + rtol * Math.max(Math.abs(a), Math.abs(bwd));
                        if (e1 <= tolFwd || e2 <= tolBwd) {
                            tensorKinks++;
                            kinks++;
                            continue;
                        }
                    }
                }
                worstOf[kind] = Math.max(worstOf[kind], err / tol);
                if (err / tol > worst) {
                    worst = err / tol;
                    worstWhere = where;
                }
                if (err > tol && mismatches.size() < 12) {
                    mismatches.add(String.format(Locale.ROOT, "%s: analytic %.7g, numeric %.7g (|diff| %.3g > tol %.3g)",
                            where, a, central, err, tol));
                }
            }
            if (tensorKinks > maxKinkFraction * idx.length && tensorKinks > 0) {
                mismatches.add(kind(t) + " '" + t.name + "': " + tensorKinks + " of " + idx.length
                        + " coordinates sit on a kink, more than the allowed fraction " + maxKinkFraction);
            }
        }
        forward.run();
        if (!mismatches.isEmpty()) {
            fail("gradient check failed (eps " + eps + ", atol " + atol + ", rtol " + rtol + "):\n  "
                    + String.join("\n  ", mismatches));
        }
        return new Report(coordinates[0], coordinates[1], kinks, worstOf[0], worstOf[1], worstWhere);
    }

    private static String kind(Tensor t) {
        return t.parameter ? "parameter" : "input";
    }

    private double loss(double[][] r) {
        double s = 0;
        for (int o = 0; o < outputs.size(); o++) {
            Output out = outputs.get(o);
            for (int i = 0; i < out.len; i++) {
                s += r[o][i] * out.values[out.off + i];
            }
        }
        return s;
    }

    private int[] coordinatesOf(Tensor t, SplittableRandom rng) {
        if (t.len <= maxCoordinates) {
            int[] all = new int[t.len];
            for (int i = 0; i < t.len; i++) {
                all[i] = i;
            }
            return all;
        }
        boolean[] taken = new boolean[t.len];
        int[] idx = new int[maxCoordinates];
        idx[0] = 0;
        idx[1] = t.len - 1;
        taken[0] = true;
        taken[t.len - 1] = true;
        for (int k = 2; k < maxCoordinates; k++) {
            int i;
            do {
                i = rng.nextInt(t.len);
            } while (taken[i]);
            taken[i] = true;
            idx[k] = i;
        }
        return idx;
    }
}
