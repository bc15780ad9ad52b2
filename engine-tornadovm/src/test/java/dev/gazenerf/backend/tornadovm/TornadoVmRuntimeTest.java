package dev.gazenerf.backend.tornadovm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import dev.gazenerf.backend.Backends;

/**
 * Runtime detection, which runs with and without TornadoVM: without the argfile the backend refuses to start
 * with a message that says how to enable it (never a fallback); with it, the devices are listed.
 */
class TornadoVmRuntimeTest {

    @Test
    void withoutTheArgfileTheBackendSaysHowToEnableIt() {
        if (System.getProperty("tornado.load.runtime.implementation") != null) {
            assertNull(TornadoVmRuntime.unavailableReason(), "the TornadoVM runtime is on this JVM");
            return;
        }
        String why = TornadoVmRuntime.unavailableReason();
        assertTrue(why != null && why.contains("tornado-argfile") && why.contains("-Ptornadovm"), why);
        assertTrue(TornadoVmRuntime.listDevices().isEmpty());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.create("tornadovm"));
        assertTrue(e.getMessage().contains("tornadovm") && e.getMessage().contains("tornado-argfile"), e.getMessage());
    }

    @Test
    void withTheRuntimeTheDevicesAreListed() {
        TornadoVmTests.requireRuntime();
        List<String> devices = TornadoVmRuntime.listDevices();
        System.out.println("TornadoVM devices: " + devices);
        assertFalse(devices.isEmpty());
        assertTrue(devices.get(0).startsWith("0:0  ") && devices.get(0).endsWith("(default)"), devices.get(0));
    }

    /** A kernel TornadoVM cannot compile for a device: it allocates a Java object and calls a host-only method. */
    public static void uncompilable(KernelContext context, FloatArray out) {
        StringBuilder text = new StringBuilder();
        text.append(System.nanoTime());
        out.set(context.globalIdx, text.length());
    }

    @Test
    void aKernelThatCannotRunOnTheDeviceFailsInsteadOfRunningInJava() {
        TornadoVmTests.requireRuntime();
        new TornadoVmBackend(false, false).close();  // applies the backend's start-up checks (bailout off)
        FloatArray out = new FloatArray(64);
        // TornadoVM rejects it while building the graph (with the fallback on it would warn and later run it as Java).
        assertThrows(RuntimeException.class, () -> {
            TaskGraph graph = new TaskGraph("gazenerfUncompilable")
                    .task("k", TornadoVmRuntimeTest::uncompilable, new KernelContext(), out)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph.snapshot())) {
                plan.withGridScheduler(new GridScheduler("gazenerfUncompilable.k", new WorkerGrid1D(64)));
                plan.execute();
            }
        });
        assertEquals(0f, out.get(0), "the kernel ran as Java");
    }

    @Test
    void theJavaFallbackCannotBeSwitchedOn() {
        TornadoVmTests.requireRuntime();
        String saved = System.getProperty(TornadoVmRuntime.BAILOUT_PROPERTY);
        System.setProperty(TornadoVmRuntime.BAILOUT_PROPERTY, "True");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, TornadoVmBackend::new);
            assertTrue(e.getMessage().contains("silent fallback"), e.getMessage());
        } finally {
            if (saved == null) {
                System.clearProperty(TornadoVmRuntime.BAILOUT_PROPERTY);
            } else {
                System.setProperty(TornadoVmRuntime.BAILOUT_PROPERTY, saved);
            }
        }
    }
}
