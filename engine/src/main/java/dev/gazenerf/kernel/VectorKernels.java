package dev.gazenerf.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise kernels of the {@code vector} backend over a range of rows (or elements), written with the
 * Java Vector API: full vectors first, then a scalar tail through the same per-element helpers the scalar
 * backend uses ({@link Activation}, {@link ScalarKernels}). The backend splits a call into row ranges
 * and runs them on its workers; a range's result never depends on how the rows were split.
 *
 * <p>Every kernel here performs the same float operations in the same order as
 * {@code ScalarBackend} (no fused multiply-add, sums in increasing row order; sigmoid and the sin/cos of
 * the frequency encoding through the same scalar helpers), so its results are bitwise identical to scalar's.
 */
public final class VectorKernels {
    /** System property that forces the vector width in bits (128, 256 or 512); default: the preferred one. */
    public static final String BITS_PROPERTY = "gazenerf.vector.bits";

    /** The species every vector kernel uses, fixed at start-up. */
    public static final VectorSpecies<Float> SPECIES = chooseSpecies();
    private static final VectorSpecies<Float> S = SPECIES;
    private static final int VL = S.length();
    /**
     * The species' vector class. Every store of the vector kernels casts its vector to it first.
     * {@code FloatVector.intoArray} compiles to a vector store only when C2 knows the receiver's exact class, which it
     * otherwise learns from a receiver-type profile guard. About one JVM start in 30 to 50 compiled
     * {@code VectorGemm.kernelRows} with all 12 tile stores left as allocating Java code (logged with
     * -XX:+PrintInlining: the guard's exact type did not reach the store) and ran the paper MLP step 7x slower. A
     * {@code Class.cast} on a constant class is a C2 intrinsic, a type check whose result has the exact type, so the
     * store no longer depends on the profile; a helper method could be left out of line in a large kernel and box
     * its argument. Not proven on the rare failure itself: {@code -XX:PerMethodTrapLimit=0} forces failed stores
     * in every start; with the casts kernelRows' stores compile there and the step takes 270-360 instead of 580-940
     * ms (the packed kernel's still fail, as that flag also refuses the cast's intrinsic). bench/PROFILE.md,
     * 2026-11-26 stop 7.
     */
    public static final Class<?> VECTOR_CLASS = S.vectorType();

    private VectorKernels() {
    }

    private static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty(BITS_PROPERTY);
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        try {
            return VectorSpecies.of(float.class, VectorShape.forBitSize(Integer.parseInt(bits.trim())));
        } catch (IllegalArgumentException e) {
            // not a vector width: speciesProblem() says so and the backend refuses to start
            return FloatVector.SPECIES_PREFERRED;
        }
    }

    /** Null when {@link #SPECIES} is usable here, otherwise why not (the backend refuses to start). */
    public static String speciesProblem() {
        String bits = System.getProperty(BITS_PROPERTY);
        if (bits != null && !bits.isBlank()) {
            String t = bits.trim();
            if (!t.equals("128") && !t.equals("256") && !t.equals("512")) {
                return "-D" + BITS_PROPERTY + " must be 128, 256 or 512, got '" + bits + "'";
            }
        }
        if (S.vectorBitSize() > FloatVector.SPECIES_PREFERRED.vectorBitSize()) {
            return "-D" + BITS_PROPERTY + "=" + S.vectorBitSize() + " is wider than this CPU's "
                    + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors";
        }
        return null;
    }

    /**
     * The sum of a vector's lanes in lane order, {@code ((l0 + l1) + l2) + ...}, the same bits on every JDK and in
     * every JIT tier. {@code reduceLanes(ADD)} leaves the order of a float sum unspecified, and it does differ: on
     * JDK 25 the C2-compiled reduction sums in another order than the same code before compilation, so a result
     * depended on when the JIT compiled the caller (JDK 17's intrinsic sums in lane order, so there this gives the
     * bits {@code reduceLanes} gave). Up to 16 lanes the lanes are read with constant indices (no allocation);
     * wider vectors (not on x86) go through a copy.
     */
    public static float sumLanesInOrder(FloatVector v) {
        switch (v.length()) {
            case 4:
                return ((v.lane(0) + v.lane(1)) + v.lane(2)) + v.lane(3);
            case 8:
                return ((((((v.lane(0) + v.lane(1)) + v.lane(2)) + v.lane(3)) + v.lane(4)) + v.lane(5)) + v.lane(6))
                        + v.lane(7);
            case 16:
                return ((((((((((((((v.lane(0) + v.lane(1)) + v.lane(2)) + v.lane(3)) + v.lane(4)) + v.lane(5))
                        + v.lane(6)) + v.lane(7)) + v.lane(8)) + v.lane(9)) + v.lane(10)) + v.lane(11)) + v.lane(12))
                        + v.lane(13)) + v.lane(14)) + v.lane(15);
            default:
                float[] lanes = v.toArray();
                float s = lanes[0];
                for (int i = 1; i < lanes.length; i++) {
                    s += lanes[i];
                }
                return s;
        }
    }

    /**
     * Rows {@code [r0, r1)} of {@code Backend.biasActivation}:
     * {@code y[r,c] = act(y[r,c] + bias[biasOff + (r / rowsPerBias) * biasStride + c])}, y {@code (rows, cols)}
     * with leading dimension ldy; {@code bias} may be null.
     */
    public static void biasActivation(float[] y, int yOff, int ldy, int r0, int r1, int cols,
                                      float[] bias, int biasOff, int biasStride, int rowsPerBias, int act) {
        int bound = S.loopBound(cols);
        FloatVector zero = FloatVector.zero(S);
        for (int r = r0; r < r1; r++) {
            int row = yOff + r * ldy;
            int bRow = bias == null ? 0 : biasOff + (r / rowsPerBias) * biasStride;
            int c = 0;
            if (act != Activation.SIGMOID.code) {
                for (; c < bound; c += VL) {
                    FloatVector x = FloatVector.fromArray(S, y, row + c);
                    if (bias != null) {
                        x = x.add(FloatVector.fromArray(S, bias, bRow + c));
                    }
                    if (act == Activation.RELU.code) {
                        x = zero.blend(x, x.compare(VectorOperators.GT, 0f));
                    } else if (act == Activation.LEAKY_RELU.code) {
                        x = x.mul(Activation.LEAKY_SLOPE).blend(x, x.compare(VectorOperators.GT, 0f));
                    }
                    ((FloatVector) VECTOR_CLASS.cast(x)).intoArray(y, row + c);
                }
            }
            for (; c < cols; c++) {
                int i = row + c;
                float x = bias == null ? y[i] : y[i] + bias[bRow + c];
                y[i] = Activation.apply(act, x);
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of {@code Backend.activationBackward}: {@code dx[r,c] = dy[r,c] * act'(y[r,c])}
     * written with the activation's output y; dx may be dy.
     */
    public static void activationBackward(float[] dx, int dxOff, int lddx, float[] dy, int dyOff, int lddy,
                                          float[] y, int yOff, int ldy, int r0, int r1, int cols, int act) {
        int bound = S.loopBound(cols);
        FloatVector zero = FloatVector.zero(S);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int r = r0; r < r1; r++) {
            int xRow = dxOff + r * lddx;
            int dRow = dyOff + r * lddy;
            int yRow = yOff + r * ldy;
            int c = 0;
            for (; c < bound; c += VL) {
                FloatVector g = FloatVector.fromArray(S, dy, dRow + c);
                if (act != Activation.NONE.code) {
                    FloatVector out = FloatVector.fromArray(S, y, yRow + c);
                    if (act == Activation.RELU.code) {
                        g = zero.blend(g, out.compare(VectorOperators.GT, 0f));
                    } else if (act == Activation.LEAKY_RELU.code) {
                        g = g.mul(Activation.LEAKY_SLOPE).blend(g, out.compare(VectorOperators.GT, 0f));
                    } else {
                        g = g.mul(out).mul(one.sub(out));
                    }
                }
                ((FloatVector) VECTOR_CLASS.cast(g)).intoArray(dx, xRow + c);
            }
            for (; c < cols; c++) {
                dx[xRow + c] = Activation.backward(act, dy[dRow + c], y[yRow + c]);
            }
        }
    }

    /**
     * Groups {@code [g0, g1)} and columns {@code [c0, c1)} of {@code Backend.columnSums}:
     * {@code out[g, c] = (accumulate ? out[g,c] : 0) + sum_{r in group g} d[r, c]}, rows summed in increasing
     * order from 0, out row stride {@code cols}.
     */
    public static void columnSums(float[] out, int outOff, float[] d, int dOff, int ldd, int cols, int rowsPerGroup,
                                  int g0, int g1, int c0, int c1, boolean accumulate) {
        for (int g = g0; g < g1; g++) {
            int rBegin = g * rowsPerGroup;
            int rEnd = rBegin + rowsPerGroup;
            int o = outOff + g * cols;
            int c = c0;
            for (; c + 4 * VL <= c1; c += 4 * VL) {
                FloatVector s0 = FloatVector.zero(S);
                FloatVector s1 = s0;
                FloatVector s2 = s0;
                FloatVector s3 = s0;
                for (int r = rBegin; r < rEnd; r++) {
                    int i = dOff + r * ldd + c;
                    s0 = s0.add(FloatVector.fromArray(S, d, i));
                    s1 = s1.add(FloatVector.fromArray(S, d, i + VL));
                    s2 = s2.add(FloatVector.fromArray(S, d, i + 2 * VL));
                    s3 = s3.add(FloatVector.fromArray(S, d, i + 3 * VL));
                }
                storeSum(s0, out, o + c, accumulate);
                storeSum(s1, out, o + c + VL, accumulate);
                storeSum(s2, out, o + c + 2 * VL, accumulate);
                storeSum(s3, out, o + c + 3 * VL, accumulate);
            }
            for (; c + VL <= c1; c += VL) {
                FloatVector s0 = FloatVector.zero(S);
                for (int r = rBegin; r < rEnd; r++) {
                    s0 = s0.add(FloatVector.fromArray(S, d, dOff + r * ldd + c));
                }
                storeSum(s0, out, o + c, accumulate);
            }
            for (; c < c1; c++) {
                float s = 0f;
                for (int r = rBegin; r < rEnd; r++) {
                    s += d[dOff + r * ldd + c];
                }
                out[o + c] = accumulate ? out[o + c] + s : s;
            }
        }
    }

    private static void storeSum(FloatVector s, float[] out, int i, boolean accumulate) {
        if (accumulate) {
            s = FloatVector.fromArray(S, out, i).add(s);
        }
        ((FloatVector) VECTOR_CLASS.cast(s)).intoArray(out, i);
    }

    /** Rows {@code [r0, r1)} of {@code Backend.copy2d}: {@code dst[r, c] = (accumulate ? dst[r,c] : 0) + src[r, c]}. */
    public static void copy2d(float[] dst, int dstOff, int lddst, float[] src, int srcOff, int ldsrc, int r0, int r1,
                              int cols, boolean accumulate) {
        if (!accumulate) {
            for (int r = r0; r < r1; r++) {
                System.arraycopy(src, srcOff + r * ldsrc, dst, dstOff + r * lddst, cols);
            }
            return;
        }
        int bound = S.loopBound(cols);
        for (int r = r0; r < r1; r++) {
            int di = dstOff + r * lddst;
            int si = srcOff + r * ldsrc;
            int c = 0;
            for (; c < bound; c += VL) {
                FloatVector sum = FloatVector.fromArray(S, dst, di + c).add(FloatVector.fromArray(S, src, si + c));
                ((FloatVector) VECTOR_CLASS.cast(sum)).intoArray(dst, di + c);
            }
            for (; c < cols; c++) {
                dst[di + c] = dst[di + c] + src[si + c];
            }
        }
    }

    /** Points {@code [p0, p1)} of {@code Backend.frequencyEncode}: the same expressions as the scalar backend. */
    public static void frequencyEncode(float[] out, int outOff, int ldo, float[] xyz, int xyzOff, int p0, int p1,
                                       int frequencies) {
        for (int p = p0; p < p1; p++) {
            int o = outOff + p * ldo;
            int x0 = xyzOff + p * 3;
            out[o] = xyz[x0];
            out[o + 1] = xyz[x0 + 1];
            out[o + 2] = xyz[x0 + 2];
            for (int f = 0; f < frequencies; f++) {
                float w = ScalarKernels.band(f);
                for (int i = 0; i < 3; i++) {
                    float x = xyz[x0 + i] * w;
                    out[o + 3 + 6 * f + i] = (float) Math.sin(x);
                    out[o + 6 + 6 * f + i] = (float) Math.cos(x);
                }
            }
        }
    }

    /** Points {@code [p0, p1)} of {@code Backend.frequencyEncodeBackward}: the same expressions as the scalar backend. */
    public static void frequencyEncodeBackward(float[] dXyz, int dXyzOff, float[] dOut, int dOutOff, int lddo,
                                               float[] xyz, int xyzOff, int p0, int p1, int frequencies,
                                               boolean accumulate) {
        for (int p = p0; p < p1; p++) {
            int o = dOutOff + p * lddo;
            for (int i = 0; i < 3; i++) {
                float g = dOut[o + i];
                float x0 = xyz[xyzOff + p * 3 + i];
                for (int f = 0; f < frequencies; f++) {
                    float w = ScalarKernels.band(f);
                    float x = x0 * w;
                    g += w * ((float) Math.cos(x) * dOut[o + 3 + 6 * f + i] - (float) Math.sin(x) * dOut[o + 6 + 6 * f + i]);
                }
                int di = dXyzOff + p * 3 + i;
                dXyz[di] = accumulate ? dXyz[di] + g : g;
            }
        }
    }

    /**
     * Elements {@code [i0, i1)} of {@code Backend.adam} with the step's constants already formed:
     * {@code stepSize = lr / (1 - beta1^t)}, {@code sqrtBias2 = sqrt(1 - beta2^t)}.
     */
    public static void adam(float[] param, float[] grad, float[] m, float[] v, int i0, int i1,
                            float beta1, float beta2, float eps, float stepSize, float sqrtBias2) {
        float oneMinusB1 = 1f - beta1;
        float oneMinusB2 = 1f - beta2;
        int i = i0;
        int bound = i0 + S.loopBound(i1 - i0);
        for (; i < bound; i += VL) {
            FloatVector g = FloatVector.fromArray(S, grad, i);
            FloatVector mi = FloatVector.fromArray(S, m, i).mul(beta1).add(g.mul(oneMinusB1));
            FloatVector vi = FloatVector.fromArray(S, v, i).mul(beta2).add(g.mul(oneMinusB2).mul(g));
            ((FloatVector) VECTOR_CLASS.cast(mi)).intoArray(m, i);
            ((FloatVector) VECTOR_CLASS.cast(vi)).intoArray(v, i);
            FloatVector denom = vi.sqrt().div(sqrtBias2).add(eps);
            FloatVector p = FloatVector.fromArray(S, param, i).sub(mi.mul(stepSize).div(denom));
            ((FloatVector) VECTOR_CLASS.cast(p)).intoArray(param, i);
        }
        for (; i < i1; i++) {
            float g = grad[i];
            m[i] = beta1 * m[i] + oneMinusB1 * g;
            v[i] = beta2 * v[i] + oneMinusB2 * g * g;
            param[i] = ScalarKernels.adamParam(param[i], m[i], v[i], stepSize, sqrtBias2, eps);
        }
    }
}
