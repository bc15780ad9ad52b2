package dev.gazenerf.render.opencl;

import com.aparapi.Kernel;

import dev.gazenerf.render.RenderMath;

/**
 * The face/eye max merge (reference 2.6) on an OpenCL device, one work-item per element. Forward: Java's
 * {@code Math.max} written out (NaN wins; {@code max(-0, +0) = +0}), not OpenCL's {@code fmax}, which treats
 * both differently. Backward: {@link RenderMath#maxGradA} both ways (PyTorch's tie rule).
 */
public final class MaxKernel extends Kernel {
    private float[] out = new float[1];    // (n): out, or dA
    private float[] out2 = new float[1];   // (n): dB (backward), else the placeholder
    private float[] g = new float[1];      // (n): dOut (backward), else the placeholder
    private float[] a = new float[1];      // (n)
    private float[] b = new float[1];      // (n)
    private final float[] noOut2 = new float[1];
    private final float[] noG = new float[1];
    private int n;
    private int backward;
    private int accumulate;

    /** Binds the forward {@code out = max(a, b)}. */
    public void setForward(float[] out, float[] a, float[] b, int n) {
        this.out = out;
        this.out2 = noOut2;
        this.g = noG;
        this.a = a;
        this.b = b;
        this.n = n;
        this.backward = 0;
        this.accumulate = 0;
    }

    /** Binds the backward {@code dA, dB (+)= ...}. */
    public void setBackward(float[] dA, float[] dB, float[] dOut, float[] a, float[] b, int n, boolean accumulate) {
        this.out = dA;
        this.out2 = dB;
        this.g = dOut;
        this.a = a;
        this.b = b;
        this.n = n;
        this.backward = 1;
        this.accumulate = accumulate ? 1 : 0;
    }

    /** Uploads every bound array. */
    public void upload() {
        put(out).put(out2).put(g).put(a).put(b);
    }

    /** Downloads the outputs (out; or dA and dB). */
    public void download() {
        get(out);
        if (backward != 0) {
            get(out2);
        }
    }

    @Override
    public void run() {
        int i = getGlobalId();
        if (i < n) {
            float x = a[i];
            float y = b[i];
            if (backward == 0) {
                float m = y;
                if (x != x) {
                    m = x;
                } else if (y != y) {
                    m = y;
                } else if (x > y) {
                    m = x;
                } else if (x == y) {
                    m = x + y;   // equal: x (= y), except that -0 + +0 is +0 as Math.max(-0, +0)
                    if (x != 0f) {
                        m = x;
                    }
                }
                out[i] = m;
            } else {
                float ga = RenderMath.maxGradA(g[i], x, y);
                float gb = RenderMath.maxGradA(g[i], y, x);
                if (accumulate != 0) {
                    out[i] = out[i] + ga;
                    out2[i] = out2[i] + gb;
                } else {
                    out[i] = ga;
                    out2[i] = gb;
                }
            }
        }
    }
}
