package dev.gazenerf.backend.tornadovm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

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
