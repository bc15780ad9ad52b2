package dev.gazenerf.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout of one network's parameters inside a single flat {@code float[]}: an ordered list of named
 * slices. Names follow the reference code's module names ({@code FeaExt_module_0.weight}, ...), so weights
 * map one to one onto a PyTorch state dict; shapes are PyTorch's ({@code [out, in]} for a 1x1 convolution,
 * whose trailing {@code 1, 1} is dropped). Gradients and Adam moments use the same layout.
 */
public final class ParamLayout {

    /** One named tensor: {@code size} floats at {@code offset}, with its logical shape. */
    public record Slice(String name, int offset, int size, int[] shape) {
        public Slice {
            shape = shape.clone();
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + "@" + offset;
        }
    }

    private final Map<String, Slice> byName = new LinkedHashMap<>();
    private final List<Slice> slices = new ArrayList<>();
    private int size;

    /** Appends a slice and returns its offset. Names must be unique; every dimension positive. */
    public int add(String name, int... shape) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("ParamLayout.add: name is empty");
        }
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("ParamLayout.add: duplicate name '" + name + "'");
        }
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("ParamLayout.add: '" + name + "' has a non-positive dimension " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (size + n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("ParamLayout.add: layout too large at '" + name + "'");
        }
        Slice s = new Slice(name, size, (int) n, shape);
        byName.put(name, s);
        slices.add(s);
        size += (int) n;
        return s.offset();
    }

    /** Total number of floats. */
    public int size() {
        return size;
    }

    /** The slice with this name; throws naming it when absent. */
    public Slice slice(String name) {
        Slice s = byName.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no parameter named '" + name + "' (known: " + byName.keySet() + ")");
        }
        return s;
    }

    /** Offset of the named slice. */
    public int offset(String name) {
        return slice(name).offset();
    }

    /** Whether a slice of this name exists. */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** All slices in layout order. */
    public List<Slice> slices() {
        return Collections.unmodifiableList(slices);
    }
}
