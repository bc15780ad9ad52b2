package dev.gazenerf.backend.tornadovm;

import java.util.Arrays;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.kernel.Activation;
import dev.gazenerf.tensor.ParamLayout;

/**
 * The training step of {@link DeviceMlpStep} written call by call with the {@link Backend} primitives, on any
 * backend: the reference the device graph is compared with (on scalar) and the per-call baseline it is
 * benchmarked against. Holds its own parameters, gradients, Adam moments and activation buffers.
 */
final class MlpChainReference {
    final int batch;
    final int in;
    final int hidden;
    final int out;
    final Activation act;
    final float lr;
    final float beta1;
    final float beta2;
    final float eps;
    final ParamLayout layout;
    final float[] params;  // (layout.size())
    final float[] grads;   // (layout.size())
    final float[] m;       // (layout.size())
    final float[] v;       // (layout.size())
    private final float[] h;   // (batch, hidden)
    private final float[] y;   // (batch, out)
    private final float[] dy;  // (batch, out)
    private final float[] dh;  // (batch, hidden)
    private int step;

    MlpChainReference(int batch, int in, int hidden, int out, Activation act, float[] initialParams,
                      float lr, float beta1, float beta2, float eps) {
        this.batch = batch;
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        this.act = act;
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.layout = DeviceMlpStep.layout(in, hidden, out);
        this.params = initialParams.clone();
        this.grads = new float[layout.size()];
        this.m = new float[layout.size()];
        this.v = new float[layout.size()];
        this.h = new float[batch * hidden];
        this.y = new float[batch * out];
        this.dy = new float[batch * out];
        this.dh = new float[batch * hidden];
    }

    /** One step on {@code x (batch, in)}, {@code t (batch, out)}; the loss (host, in the device kernel's order) before the update. */
    float step(Backend b, float[] x, float[] t) {
        int w1 = layout.offset("fc1.weight"), b1 = layout.offset("fc1.bias");
        int w2 = layout.offset("fc2.weight"), b2 = layout.offset("fc2.bias");
        step++;
        Arrays.fill(grads, 0f);
        b.gemmNT(batch, hidden, in, x, 0, in, params, w1, in, h, 0, hidden, false);
        b.biasActivation(h, 0, hidden, batch, hidden, params, b1, 0, batch, act);
        b.gemmNT(batch, out, hidden, h, 0, hidden, params, w2, hidden, y, 0, out, false);
        b.biasActivation(y, 0, out, batch, out, params, b2, 0, batch, Activation.NONE);
        int count = batch * out;
        float loss = 0f;
        for (int e = 0; e < count; e++) {
            float diff = y[e] - t[e];
            loss += diff * diff;
            dy[e] = 2f * (y[e] - t[e]) / count;
        }
        loss /= count;
        b.gemmTN(out, hidden, batch, dy, 0, out, h, 0, hidden, grads, w2, hidden, true);
        b.columnSums(grads, b2, dy, 0, out, batch, out, batch, true);
        b.gemmNN(batch, hidden, out, dy, 0, out, params, w2, hidden, dh, 0, hidden, false);
        b.activationBackward(dh, 0, hidden, dh, 0, hidden, h, 0, hidden, batch, hidden, act);
        b.gemmTN(hidden, in, batch, dh, 0, hidden, x, 0, in, grads, w1, in, true);
        b.columnSums(grads, b1, dh, 0, hidden, batch, hidden, batch, true);
        b.adam(params, grads, m, v, 0, layout.size(), lr, beta1, beta2, eps, step);
        return loss;
    }
}
