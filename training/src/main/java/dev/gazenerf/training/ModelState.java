package dev.gazenerf.training;

import dev.gazenerf.io.SafeTensors;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.nn.Adam;
import dev.gazenerf.tensor.ParamLayout;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a run optimizes, with its optimizer: the three networks' parameters and gradients, the
 * per-image {@link Offsets}, and one Adam with the reference's groups (section 3.1): {@code net} (both MLPs
 * and the renderer, three ranges), {@code iden}, {@code expr}, {@code appea}, {@code euler}, {@code T}.
 *
 * <p>Checkpoint files: {@code weights} holds the parameters under the reference's state-dict names
 * ({@code fg_CD_predictor_face.FeaExt_module_0.weight}, ..., {@code neural_render.bg_featmap}); {@code offsets}
 * holds the offset tables under the reference trainer's keys; {@code optimizer} holds Adam's moments as
 * {@code exp_avg.<name>} / {@code exp_avg_sq.<name>}; Adam's step count goes into the checkpoint's manifest.
 */
public final class ModelState {
    private final GazeNerfModel model;
    public final GazeNerfModel.Parameters params;
    public final GazeNerfModel.Parameters grads;
    public final Offsets offsets;
    private final Adam adam = new Adam();
    private final float[] baseRates;
    private final boolean trainNetwork;

    /**
     * @param trainImages   rows of the offset tables (training images, or 1 for fitting one image)
     * @param trainNetwork  false freezes the networks (only offsets are optimized)
     */
    public ModelState(GazeNerfModel model, long initSeed, int trainImages, TrainOptions o, boolean trainNetwork) {
        this.model = model;
        this.params = model.newParameters(initSeed);
        this.grads = model.newZeroParameters();
        this.trainNetwork = trainNetwork;
        var p = model.preset();
        this.offsets = new Offsets(trainImages, p.idenDims(), p.exprDims(), p.appearanceDims());
        if (trainNetwork) {
            adam.addGroup("net.face", params.face, grads.face, o.lrNet(), 0, params.face.length);
            adam.addGroup("net.eyes", params.eyes, grads.eyes, o.lrNet(), 0, params.eyes.length);
            adam.addGroup("net.renderer", params.renderer, grads.renderer, o.lrNet(), 0, params.renderer.length);
        }
        ParamLayout l = offsets.layout();
        adam.addGroup("iden", offsets.values, offsets.grads, o.lrIden(), l, Offsets.IDEN);
        adam.addGroup("expr", offsets.values, offsets.grads, o.lrExpr(), l, Offsets.EXPR);
        adam.addGroup("appea", offsets.values, offsets.grads, o.lrAppearance(), l, Offsets.APPEA);
        adam.addGroup("euler", offsets.values, offsets.grads, o.lrCamera(), l, Offsets.EULER);
        adam.addGroup("T", offsets.values, offsets.grads, o.lrCamera(), l, Offsets.TRANSLATION);
        baseRates = new float[adam.groups().size()];
        for (int i = 0; i < baseRates.length; i++) {
            baseRates[i] = adam.groups().get(i).learningRate();
        }
    }

    public GazeNerfModel model() {
        return model;
    }

    public Adam adam() {
        return adam;
    }

    public boolean trainsNetwork() {
        return trainNetwork;
    }

    /** Scales every group's learning rate to {@code base * factor} (a schedule). */
    public void setLearningRateFactor(double factor) {
        for (int i = 0; i < adam.groups().size(); i++) {
            adam.groups().get(i).setLearningRate((float) (baseRates[i] * factor));
        }
    }

    /** Zeroes every gradient (networks and offsets). */
    public void zeroGradients() {
        java.util.Arrays.fill(grads.face, 0f);
        java.util.Arrays.fill(grads.eyes, 0f);
        java.util.Arrays.fill(grads.renderer, 0f);
        java.util.Arrays.fill(offsets.grads, 0f);
    }

    // ------------------------------------------------------------------ checkpoint naming

    private void forEachNetworkSlice(SliceVisitor v) {
        visit(GazeNerfModel.FACE, model.faceMlp().layout(), params.face, grads.face, "net.face", v);
        visit(GazeNerfModel.EYES, model.eyeMlp().layout(), params.eyes, grads.eyes, "net.eyes", v);
        visit(GazeNerfModel.RENDERER, model.rendererLayout(), params.renderer, grads.renderer, "net.renderer", v);
    }

    private static void visit(String prefix, ParamLayout layout, float[] buf, float[] grad, String group, SliceVisitor v) {
        for (ParamLayout.Slice s : layout.slices()) {
            v.visit(prefix + "." + s.name(), s, buf, group);
        }
    }

    private interface SliceVisitor {
        void visit(String name, ParamLayout.Slice slice, float[] buffer, String group);
    }

    /** The network weights under the reference's names. */
    public Map<String, SafeTensors.Tensor> weightTensors() {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        forEachNetworkSlice((name, s, buf, g) -> out.put(name, new SafeTensors.Tensor(s.shape(), buf, s.offset())));
        return out;
    }

    /** The offset tables under the reference trainer's keys. */
    public Map<String, SafeTensors.Tensor> offsetTensors() {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        for (ParamLayout.Slice s : offsets.layout().slices()) {
            out.put(s.name(), new SafeTensors.Tensor(s.shape(), offsets.values, s.offset()));
        }
        return out;
    }

    /** Adam's moments for every optimized tensor. */
    public Map<String, SafeTensors.Tensor> optimizerTensors() {
        Map<String, SafeTensors.Tensor> out = new LinkedHashMap<>();
        if (trainNetwork) {
            forEachNetworkSlice((name, s, buf, g) -> {
                Adam.Group grp = adam.group(g);
                out.put("exp_avg." + name, new SafeTensors.Tensor(s.shape(), grp.firstMoments(), s.offset()));
                out.put("exp_avg_sq." + name, new SafeTensors.Tensor(s.shape(), grp.secondMoments(), s.offset()));
            });
        }
        String[][] groups = {{Offsets.IDEN, "iden"}, {Offsets.EXPR, "expr"}, {Offsets.APPEA, "appea"},
                {Offsets.EULER, "euler"}, {Offsets.TRANSLATION, "T"}};
        for (String[] g : groups) {
            ParamLayout.Slice s = offsets.layout().slice(g[0]);
            Adam.Group grp = adam.group(g[1]);
            out.put("exp_avg." + g[0], new SafeTensors.Tensor(s.shape(), grp.firstMoments(), s.offset()));
            out.put("exp_avg_sq." + g[0], new SafeTensors.Tensor(s.shape(), grp.secondMoments(), s.offset()));
        }
        return out;
    }

    /** Loads network weights by name; every tensor of the model must be present with its shape. */
    public void loadWeights(SafeTensors.Contents weights, String source) {
        forEachNetworkSlice((name, s, buf, g) -> copyInto(weights, name, s, buf, s.offset(), source));
    }

    /** Loads the offset tables (same number of training images). */
    public void loadOffsets(SafeTensors.Contents c, String source) {
        for (ParamLayout.Slice s : offsets.layout().slices()) {
            copyInto(c, s.name(), s, offsets.values, s.offset(), source);
        }
    }

    /** Loads Adam's moments and its step count (kept in the checkpoint's manifest). */
    public void loadOptimizer(SafeTensors.Contents c, String source, int adamStep) {
        Map<String, SafeTensors.Tensor> mine = optimizerTensors();
        for (Map.Entry<String, SafeTensors.Tensor> e : mine.entrySet()) {
            SafeTensors.Tensor dst = e.getValue();
            SafeTensors.Tensor src = c.tensors().get(e.getKey());
            if (src == null || src.size() != dst.size()) {
                throw new IllegalArgumentException(source + ": optimizer state '" + e.getKey() + "' is missing or has the wrong size");
            }
            System.arraycopy(src.data(), src.offset(), dst.data(), dst.offset(), dst.size());
        }
        adam.setStepCount(adamStep);
    }

    private static void copyInto(SafeTensors.Contents c, String name, ParamLayout.Slice s, float[] dst, int off, String source) {
        SafeTensors.Tensor t = c.tensors().get(name);
        if (t == null) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' is missing");
        }
        if (!java.util.Arrays.equals(t.shape(), s.shape())) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' has shape "
                    + java.util.Arrays.toString(t.shape()) + ", the model expects " + java.util.Arrays.toString(s.shape()));
        }
        System.arraycopy(t.data(), t.offset(), dst, off, s.size());
    }
}
