package dev.gazenerf.backend.opencl.step;

/** Hands out consecutive regions of a {@link DeviceArena}'s heap while a plan is laid out (before the arena exists). */
final class HeapLayout {
    /** Debugging aid: {@code -Dgazenerf.step.layout=true} prints every region of at least 1M floats. */
    static final boolean TRACE = Boolean.getBoolean("gazenerf.step.layout");
    private long top;

    /** A region of {@code floats} floats; returns its offset. */
    int alloc(String what, long floats) {
        if (floats < 0) {
            throw new IllegalArgumentException("HeapLayout: negative size for " + what);
        }
        long at = top;
        top += floats;
        if (TRACE && floats >= (1 << 20)) {
            System.err.printf("heap %-28s %,14d floats (%,6d MiB) ends at %,d%n", what, floats, floats * 4 >> 20, top);
        }
        if (top > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the device heap needs more than " + (Integer.MAX_VALUE - 8)
                    + " floats (one Java array) at " + what + "; use fewer points per step");
        }
        return (int) at;
    }

    /** Floats handed out so far. */
    int size() {
        return (int) top;
    }
}
