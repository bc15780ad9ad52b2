package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Checks;
import dev.gazenerf.tensor.ParamLayout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Adam over parameter groups of flat buffers, as PyTorch's {@code torch.optim.Adam} with one learning rate
 * per group, no weight decay and no amsgrad (section 3.1: betas 0.9 / 0.999, eps 1e-8; learning rates net
 * 1e-4, iden 1e-4, appea 1e-4, expr 1e-5, euler 1e-5, T 1e-5, see {@link PaperRates}).
 *
 * <p>A group is a name, a parameter buffer, its gradient buffer (same indexing) and a list of
 * {@code [offset, length]} ranges of them. Each group owns its first and second moments, indexed like the
 * parameter buffer (so they are {@code max(offset + length)} long). One step counter serves all groups
 * (PyTorch keeps one per parameter, and they move together). Each {@link #step} increments it and runs
 * {@link Backend#adam} on every range of every group; the gradients are left as they are.
 */
public final class Adam {

    /** The learning rates of section 3.1. */
    public static final class PaperRates {
        /** Both MLPs and the neural renderer (and the background feature map). */
        public static final float NET = 1e-4f;
        /** Per-image identity-code offsets. */
        public static final float IDEN = 1e-4f;
        /** Per-image appearance-code offsets. */
        public static final float APPEA = 1e-4f;
        /** Per-image expression-code offsets. */
        public static final float EXPR = 1e-5f;
        /** Per-image camera rotation (Euler) deltas. */
        public static final float EULER = 1e-5f;
        /** Per-image camera translation deltas. */
        public static final float T = 1e-5f;

        private PaperRates() {
        }
    }

    /** One named group: ranges of a parameter buffer and its gradient, its learning rate and its moments. */
    public static final class Group {
        private final String name;
        private final float[] params;
        private final float[] grads;
        private final int[] offsets;
        private final int[] lengths;
        private final float[] m; // first moments, indexed like params
        private final float[] v; // second moments, indexed like params
        private float learningRate;

        Group(String name, float[] params, float[] grads, int[] offsets, int[] lengths, float learningRate) {
            this.name = name;
            this.params = params;
            this.grads = grads;
            this.offsets = offsets;
            this.lengths = lengths;
            int end = 0;
            for (int i = 0; i < offsets.length; i++) {
                end = Math.max(end, offsets[i] + lengths[i]);
            }
            this.m = new float[end];
            this.v = new float[end];
            this.learningRate = learningRate;
        }

        /** The group's name. */
        public String name() {
            return name;
        }

        /** The parameter buffer. */
        public float[] params() {
            return params;
        }

        /** The gradient buffer. */
        public float[] grads() {
            return grads;
        }

        /** First moments (for checkpoints), indexed like the parameter buffer. */
        public float[] firstMoments() {
            return m;
        }

        /** Second moments (for checkpoints), indexed like the parameter buffer. */
        public float[] secondMoments() {
            return v;
        }

        /** The learning rate. */
        public float learningRate() {
            return learningRate;
        }

        /** Changes the learning rate. */
        public void setLearningRate(float lr) {
            if (!(lr >= 0f) || Float.isInfinite(lr)) {
                throw new IllegalArgumentException("Adam.setLearningRate: group '" + name + "' learning rate " + lr);
            }
            this.learningRate = lr;
        }

        /** Number of ranges. */
        public int rangeCount() {
            return offsets.length;
        }

        /** Offset of range i. */
        public int offset(int i) {
            return offsets[i];
        }

        /** Length of range i. */
        public int length(int i) {
            return lengths[i];
        }

        /** Number of parameters in all ranges. */
        public long parameterCount() {
            long n = 0;
            for (int len : lengths) {
                n += len;
            }
            return n;
        }
    }

    private final float beta1;
    private final float beta2;
    private final float eps;
    private final List<Group> groups = new ArrayList<>();
    private int step;

    /** Adam with the paper's constants: betas 0.9 / 0.999, eps 1e-8. */
    public Adam() {
        this(0.9f, 0.999f, 1e-8f);
    }

    /** Adam with the given constants. */
    public Adam(float beta1, float beta2, float eps) {
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f) || !(eps >= 0f)) {
            throw new IllegalArgumentException("Adam: betas must be in [0, 1) and eps >= 0, got " + beta1 + ", " + beta2 + ", " + eps);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * Adds a group over {@code [offset, length]} ranges ({@code ranges = {off0, len0, off1, len1, ...}}) of
     * a parameter buffer and its gradient buffer. Ranges of one group must not overlap.
     */
    public Group addGroup(String name, float[] params, float[] grads, float learningRate, int... ranges) {
        String op = "Adam.addGroup";
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(op + ": argument 'name' is empty");
        }
        for (Group g : groups) {
            if (g.name.equals(name)) {
                throw new IllegalArgumentException(op + ": duplicate group '" + name + "'");
            }
        }
        Checks.notNull(op, "params", params);
        Checks.notNull(op, "grads", grads);
        Checks.notNull(op, "ranges", ranges);
        if (grads.length != params.length) {
            throw new IllegalArgumentException(op + ": argument 'grads' has length " + grads.length
                    + " but 'params' has " + params.length);
        }
        if (ranges.length % 2 != 0) {
            throw new IllegalArgumentException(op + ": argument 'ranges' must hold (offset, length) pairs, got " + ranges.length + " ints");
        }
        int k = ranges.length / 2;
        int[] offsets = new int[k];
        int[] lengths = new int[k];
        for (int i = 0; i < k; i++) {
            offsets[i] = ranges[2 * i];
            lengths[i] = ranges[2 * i + 1];
            Checks.vector(op, "params range " + i + " of group '" + name + "'", params, offsets[i], lengths[i]);
        }
        checkDisjoint(op, name, offsets, lengths);
        Group g = new Group(name, params, grads, offsets, lengths, learningRate);
        g.setLearningRate(learningRate);
        groups.add(g);
        return g;
    }

    /** Adds a group over the named slices of a layout (all slices when none are named). */
    public Group addGroup(String name, float[] params, float[] grads, float learningRate, ParamLayout layout, String... slices) {
        Checks.notNull("Adam.addGroup", "layout", layout);
        List<ParamLayout.Slice> chosen = new ArrayList<>();
        if (slices.length == 0) {
            chosen.addAll(layout.slices());
        } else {
            for (String s : slices) {
                chosen.add(layout.slice(s));
            }
        }
        int[] ranges = new int[2 * chosen.size()];
        for (int i = 0; i < chosen.size(); i++) {
            ranges[2 * i] = chosen.get(i).offset();
            ranges[2 * i + 1] = chosen.get(i).size();
        }
        return addGroup(name, params, grads, learningRate, ranges);
    }

    private static void checkDisjoint(String op, String name, int[] offsets, int[] lengths) {
        Integer[] order = new Integer[offsets.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Integer.compare(offsets[x], offsets[y]));
        for (int i = 1; i < order.length; i++) {
            int prev = order[i - 1];
            if (offsets[prev] + lengths[prev] > offsets[order[i]]) {
                throw new IllegalArgumentException(op + ": ranges of group '" + name + "' overlap at offset " + offsets[order[i]]);
            }
        }
    }

    /** The group with this name. */
    public Group group(String name) {
        for (Group g : groups) {
            if (g.name.equals(name)) {
                return g;
            }
        }
        throw new IllegalArgumentException("Adam: no group named '" + name + "'");
    }

    /** All groups in the order they were added. */
    public List<Group> groups() {
        return Collections.unmodifiableList(groups);
    }

    /** Steps taken so far (0 before the first). */
    public int stepCount() {
        return step;
    }

    /** Restores the step counter (from a checkpoint, together with the moments). */
    public void setStepCount(int steps) {
        Checks.size("Adam.setStepCount", "steps", steps);
        this.step = steps;
    }

    /** One Adam step over every group with the gradients currently in their gradient buffers. */
    public void step(Backend be) {
        Checks.notNull("Adam.step", "backend", be);
        step++;
        for (Group g : groups) {
            for (int i = 0; i < g.offsets.length; i++) {
                be.adam(g.params, g.grads, g.m, g.v, g.offsets[i], g.lengths[i], g.learningRate, beta1, beta2, eps, step);
            }
        }
    }

    /**
     * One Adam step that updates only the groups {@code which} accepts (the step counter still advances once);
     * the others are updated elsewhere with the same step, e.g. on a device ({@code DeviceModelStep}).
     */
    public void step(Backend be, java.util.function.Predicate<Group> which) {
        Checks.notNull("Adam.step", "backend", be);
        Checks.notNull("Adam.step", "which", which);
        step++;
        for (Group g : groups) {
            if (!which.test(g)) {
                continue;
            }
            for (int i = 0; i < g.offsets.length; i++) {
                be.adam(g.params, g.grads, g.m, g.v, g.offsets[i], g.lengths[i], g.learningRate, beta1, beta2, eps, step);
            }
        }
    }

    /** beta1, beta2, eps. */
    public float[] constants() {
        return new float[] {beta1, beta2, eps};
    }

    /** Sets every gradient of every group to zero (the trainer calls this once per step). */
    public void zeroGradients() {
        for (Group g : groups) {
            for (int i = 0; i < g.offsets.length; i++) {
                Arrays.fill(g.grads, g.offsets[i], g.offsets[i] + g.lengths[i], 0f);
            }
        }
    }
}
