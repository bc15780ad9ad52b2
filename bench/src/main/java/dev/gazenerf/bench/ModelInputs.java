package dev.gazenerf.bench;

import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;

/**
 * The per-image inputs of one GazeNerfModel call, as {@code bench/peer/peer.py model_inputs} builds them: the
 * reference camera (focal 1039.36 px at 512 px, scaled to the feature map; looking down -z from z = 6.2),
 * no camera corrections, small random codes, a fixed gaze; and, for training, a random target with a head
 * disc and two eye discs as masks (every loss term non-empty).
 */
final class ModelInputs {
    final float[] invK;        // (1, 9)
    final float[] rot;         // (1, 9)
    final float[] trans;       // (1, 3)
    final float[] euler;       // (1, 3)
    final float[] dT;          // (1, 3)
    final float[] shape;       // (1, iden + expr)
    final float[] appearance;  // (1, text + illu)
    final float[] gaze;        // (1, 2)
    final float[] target;      // (O * O, 3)
    final float[] headMask;    // (O * O)
    final float[] leftEye;     // (O * O)
    final float[] rightEye;    // (O * O)

    ModelInputs(GazeNerfModel m) {
        Preset p = m.preset();
        int n = p.featmapSize();
        float f = 1039.36f * n / 512f;
        invK = new float[]{1 / f, 0, -(n / 2f) / f, 0, 1 / f, -(n / 2f) / f, 0, 0, 1};
        rot = new float[]{1, 0, 0, 0, -1, 0, 0, 0, -1};
        trans = new float[]{0, 0, 6.2f};
        euler = new float[3];
        dT = new float[3];
        shape = BenchData.uniform(m.shapeDims(), 11, -0.1, 0.1);
        appearance = BenchData.uniform(p.appearanceDims(), 12, -0.1, 0.1);
        gaze = new float[]{0.1f, -0.2f};
        int o = p.outputSize();
        target = BenchData.uniform(o * o * 3, 13, 0, 1);
        headMask = new float[o * o];
        leftEye = new float[o * o];
        rightEye = new float[o * o];
        for (int y = 0; y < o; y++) {
            for (int x = 0; x < o; x++) {
                double u = (x + 0.5) / o;
                double v = (y + 0.5) / o;
                headMask[y * o + x] = disc(u, v, 0.5, 0.5, 0.4);
                leftEye[y * o + x] = disc(u, v, 0.35, 0.4, 0.06);
                rightEye[y * o + x] = disc(u, v, 0.65, 0.4, 0.06);
            }
        }
    }

    private static float disc(double u, double v, double cu, double cv, double r) {
        return (u - cu) * (u - cu) + (v - cv) * (v - cv) <= r * r ? 1f : 0f;
    }

    /** Forward of one image with these inputs. */
    void forward(GazeNerfModel m, dev.gazenerf.backend.Backend be, dev.gazenerf.render.RenderKernels rk,
                 GazeNerfModel.Workspace ws, GazeNerfModel.Parameters params, boolean train, long seed) {
        m.forward(be, rk, ws, params, invK, rot, trans, euler, dT, shape, appearance, gaze, 1, train, seed);
    }

    /** Multiply-adds of the dense layers of one forward of one image: both MLPs on every sample, 4 renderer calls. */
    static long forwardMacs(GazeNerfModel m) {
        Preset p = m.preset();
        long pts = (long) p.raysPerImage() * p.samples();
        return pts * (m.faceMlp().config().macsPerPointFolded() + m.eyeMlp().config().macsPerPointFolded())
                + 4 * RendererBenchmark.macsPerImage(m.renderer());
    }

    /**
     * Multiply-adds of one training step of one image: the MLPs forward (twice when the workspace does not keep
     * their caches and backward recomputes them) and backward (input and weight gradients, about twice the
     * forward); the four renderer calls forward and backward.
     */
    static long trainMacs(GazeNerfModel m, boolean keepsMlpCaches) {
        Preset p = m.preset();
        long pts = (long) p.raysPerImage() * p.samples();
        long mlp = pts * (m.faceMlp().config().macsPerPointFolded() + m.eyeMlp().config().macsPerPointFolded());
        return (keepsMlpCaches ? 3 : 4) * mlp + 12 * RendererBenchmark.macsPerImage(m.renderer());
    }
}
