package dev.gazenerf.nn;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import dev.gazenerf.tensor.ParamLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adam with parameter groups: a two-step case worked out by hand, ranges, layouts and argument checks. */
class AdamTest {
    private final Backend be = new ScalarBackend();

    /**
     * Group "net" (lr 0.1) holds p[0] = 1 with gradients 0.5 then -1; group "expr" (lr 0.01) holds p[2] = 2
     * with gradient -2 twice; p[1] belongs to no group.
     * <pre>
     * net, t=1: m = .05, v = .00025; m^ = .5, v^ = .25: p = 1 - .1 * .5 / .5 = .9
     * net, t=2: m = .045 - .1 = -.055, v = .00024975 + .001 = .00124975;
     *           m^ = -.055 / .19 = -.289474, sqrt(v^) = sqrt(.00124975 / .001999) = .790693
     *           p = .9 + .1 * .289474 / .790693 = .936610
     * expr:     the gradient is constant, so m^ / sqrt(v^) = -1 at both steps: p = 2 + .01 + .01 = 2.02
     * </pre>
     */
    @Test
    void handComputedTwoSteps() {
        float[] p = {1f, 5f, 2f};
        float[] g = new float[3];
        Adam adam = new Adam();
        adam.addGroup("net", p, g, 0.1f, 0, 1);
        adam.addGroup("expr", p, g, 0.01f, 2, 1);
        g[0] = 0.5f;
        g[1] = 7f;
        g[2] = -2f;
        adam.step(be);
        assertEquals(1, adam.stepCount());
        assertEquals(0.9f, p[0], 1e-6f);
        assertEquals(5f, p[1], "outside every group");
        assertEquals(2.01f, p[2], 1e-6f);
        assertEquals(0.05f, adam.group("net").firstMoments()[0], 1e-7f);
        assertEquals(0.00025f, adam.group("net").secondMoments()[0], 1e-8f);
        g[0] = -1f;
        adam.step(be);
        assertEquals(0.936610f, p[0], 2e-6f);
        assertEquals(5f, p[1]);
        assertEquals(2.02f, p[2], 2e-6f);
        assertEquals(-0.055f, adam.group("net").firstMoments()[0], 1e-7f);
        adam.zeroGradients();
        assertArrayEquals(new float[]{0f, 7f, 0f}, g, "only the groups' gradients are zeroed");
    }

    @Test
    void groupsFromLayoutSlices() {
        ParamLayout layout = new ParamLayout();
        layout.add("a", 2);
        layout.add("b", 3);
        float[] p = {1, 1, 1, 1, 1};
        float[] g = {1, 1, 1, 1, 1};
        Adam adam = new Adam();
        Adam.Group grp = adam.addGroup("b only", p, g, 0.5f, layout, "b");
        assertEquals(3, grp.parameterCount());
        adam.step(be);
        assertArrayEquals(new float[]{1, 1, 0.5f, 0.5f, 0.5f}, p, 1e-6f);
        adam.group("b only").setLearningRate(0f);
        adam.step(be);
        assertArrayEquals(new float[]{1, 1, 0.5f, 0.5f, 0.5f}, p, 1e-6f);
        Adam all = new Adam();
        assertEquals(5, all.addGroup("all", p, g, 1e-4f, layout).parameterCount());
    }

    @Test
    void badArgumentsNameOpAndArgument() {
        Adam adam = new Adam();
        float[] p = new float[4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> adam.addGroup("x", p, new float[3], 1e-4f, 0, 4));
        assertTrue(e.getMessage().contains("Adam.addGroup") && e.getMessage().contains("'grads'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> adam.addGroup("x", p, p.clone(), 1e-4f, 2, 3));
        assertTrue(e.getMessage().contains("Adam.addGroup") && e.getMessage().contains("range 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> adam.addGroup("x", p, p.clone(), 1e-4f, 0, 3, 2, 2));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> adam.addGroup("x", null, p, 1e-4f, 0, 1));
        assertTrue(e.getMessage().contains("'params'"), e.getMessage());
        adam.addGroup("x", p, p.clone(), 1e-4f, 0, 1);
        e = assertThrows(IllegalArgumentException.class, () -> adam.addGroup("x", p, p.clone(), 1e-4f, 1, 1));
        assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> adam.step(null));
        assertTrue(e.getMessage().contains("Adam.step") && e.getMessage().contains("'backend'"), e.getMessage());
    }
}
