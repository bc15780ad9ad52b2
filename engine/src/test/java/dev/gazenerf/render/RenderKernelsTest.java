package dev.gazenerf.render;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.ScalarBackend;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing the render kernels for a backend: by name, never a silent fallback. */
class RenderKernelsTest {

    /** A backend that only answers its name (enough for the choice). */
    private static Backend named(String name) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("name")) {
                        return name;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void scalarBackendGetsTheSpecification() {
        try (RenderKernels k = RenderKernels.forBackend(new ScalarBackend())) {
            assertInstanceOf(ScalarRenderKernels.class, k);
        }
    }

    @Test
    void vectorBackendGetsTheParallelKernels() {
        try (RenderKernels k = RenderKernels.forBackend(named("vector"))) {
            assertInstanceOf(ParallelRenderKernels.class, k);
            assertTrue(((ParallelRenderKernels) k).threads() >= 1);
        }
    }

    @Test
    void openClNeedsTheOpenClBackend() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RenderKernels.forBackend(named("opencl")));
        assertTrue(e.getMessage().contains("OpenClBackend"), e.getMessage());
    }

    @Test
    void openClBackendGetsTheOpenClKernels() {
        try (Backend cl = dev.gazenerf.backend.TestBackends.create("opencl");
             RenderKernels k = RenderKernels.forBackend(cl)) {
            assertInstanceOf(OpenClRenderKernels.class, k);
        }
    }

    @Test
    void tornadoVmNeedsItsModuleAndSaysSo() {
        // engine-tornadovm is not on this module's class path: a clear error, never other kernels
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RenderKernels.forBackend(named("tornadovm")));
        assertTrue(e.getMessage().contains("engine-tornadovm") && e.getMessage().contains("TornadoVmRenderKernels"),
                e.getMessage());
    }

    @Test
    void unknownOrNullBackendsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> RenderKernels.forBackend(named("cuda")));
        assertThrows(IllegalArgumentException.class, () -> RenderKernels.forBackend(null));
    }
}
