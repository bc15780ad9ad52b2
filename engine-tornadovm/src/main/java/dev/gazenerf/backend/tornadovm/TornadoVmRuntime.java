package dev.gazenerf.backend.tornadovm;

import java.util.ArrayList;
import java.util.List;

import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * Whether the TornadoVM runtime is present on this JVM, which devices it offers, and which one the backend
 * uses. The runtime is present only when the JVM was started with TornadoVM's argument file
 * ({@code java @$TORNADOVM_HOME/tornado-argfile ...}), which puts TornadoVM's modules and the Graal compiler
 * on the module path and names the runtime classes in system properties; without it nothing here touches
 * a TornadoVM class that would fail to initialise, and {@link #unavailableReason()} says how to enable it.
 *
 * <p>No silent fallback: TornadoVM runs a task graph as plain Java when compiling it for the device fails
 * ("bailout", {@code -Dtornado.recover.bailout=True}, its default). The backend refuses to start unless that
 * recovery is off, so a kernel either runs on the device or the call throws.
 */
public final class TornadoVmRuntime {
    /** TornadoVM version this module is built and tested against. */
    public static final String VERSION = "5.2.0-jdk25";
    /** System property choosing the device as {@code backendIndex:deviceIndex} (as {@code tornado --devices} numbers them). */
    public static final String DEVICE_PROPERTY = "gazenerf.tornadovm.device";
    /** System property choosing the gemm kernel: {@code tiled} or {@code simple} (default: tiled on GPUs only). */
    public static final String GEMM_PROPERTY = "gazenerf.tornadovm.gemm";
    /** TornadoVM's switch for running a task graph in Java when device compilation fails; must be false. */
    static final String BAILOUT_PROPERTY = "tornado.recover.bailout";

    /** How to enable the backend, appended to every "not available" message. */
    public static final String HOW_TO_ENABLE = "to enable it, install the TornadoVM " + VERSION + " SDK, run on JDK 25 with "
            + "'@$TORNADOVM_HOME/tornado-argfile -Dtornado.recover.bailout=False' on the java command line and "
            + "engine-tornadovm on the class path (build with: mvn -Ptornadovm install); see README, 'TornadoVM backend'";

    private TornadoVmRuntime() {
    }

    /** Null when the TornadoVM runtime is on this JVM and has a device, otherwise why not and how to enable it. */
    public static String unavailableReason() {
        if (System.getProperty("tornado.load.runtime.implementation") == null) {
            return "the TornadoVM runtime is not on this JVM (no TornadoVM argfile: the property "
                    + "tornado.load.runtime.implementation is unset); " + HOW_TO_ENABLE;
        }
        if (Runtime.version().feature() < 25) {
            return "TornadoVM " + VERSION + " needs JDK 25, this JVM is " + Runtime.version() + "; " + HOW_TO_ENABLE;
        }
        try {
            TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
            int devices = 0;
            for (int b = 0; b < runtime.getNumBackends(); b++) {
                devices += runtime.getBackend(b).getNumDevices();
            }
            if (devices == 0) {
                return "the TornadoVM runtime found no device (no OpenCL, PTX or SPIR-V device is installed); " + HOW_TO_ENABLE;
            }
        } catch (RuntimeException | LinkageError e) {
            return "the TornadoVM runtime failed to start (" + e + "); " + HOW_TO_ENABLE;
        }
        return null;
    }

    /**
     * One line per TornadoVM device ({@code backend:device}, backend type, platform, name, memory), marking the
     * default, or an empty list when the runtime is absent ({@link #unavailableReason()} then says why).
     */
    public static List<String> listDevices() {
        List<String> lines = new ArrayList<>();
        if (unavailableReason() != null) {
            return lines;
        }
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            TornadoBackend backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) {
                TornadoDevice device = backend.getDevice(d);
                lines.add(b + ":" + d + "  " + backend.getBackendType() + "  " + describe(device)
                        + (b == 0 && d == 0 ? "  (default)" : ""));
            }
        }
        return lines;
    }

    /** The device the backend uses: {@value #DEVICE_PROPERTY} ({@code b:d}) or TornadoVM's default device. */
    static TornadoDevice selectDevice() {
        String s = System.getProperty(DEVICE_PROPERTY);
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        if (s == null || s.isBlank()) {
            return runtime.getDefaultDevice();
        }
        String[] parts = s.trim().split(":");
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            int b = Integer.parseInt(parts[0]);
            int d = Integer.parseInt(parts[1]);
            if (b < 0 || b >= runtime.getNumBackends() || d < 0 || d >= runtime.getBackend(b).getNumDevices()) {
                throw new IllegalArgumentException("-D" + DEVICE_PROPERTY + "=" + s + " names no TornadoVM device; devices: " + listDevices());
            }
            return runtime.getBackend(b).getDevice(d);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + DEVICE_PROPERTY + " must be backendIndex:deviceIndex (for example 0:0), got '" + s + "'");
        }
    }

    /**
     * Whether gemm should use the local-memory tiled kernel: {@value #GEMM_PROPERTY} when set, otherwise on GPUs
     * only (on a CPU OpenCL device such as PoCL, barriers cost more than the tiles save).
     */
    public static boolean tiledGemmByDefault(TornadoDevice device) {
        String s = System.getProperty(GEMM_PROPERTY);
        if (s == null || s.isBlank()) {
            return device.getDeviceType() == TornadoDeviceType.GPU;
        }
        switch (s.trim()) {
            case "tiled":
                return true;
            case "simple":
                return false;
            default:
                throw new IllegalArgumentException("-D" + GEMM_PROPERTY + " must be tiled or simple, got '" + s + "'");
        }
    }

    /** Platform, name and global memory of a device, for logs. */
    static String describe(TornadoDevice device) {
        return device.getPlatformName().trim() + " -- " + device.getPhysicalDevice().getDeviceName().trim()
                + " (" + (device.getMaxGlobalMemory() >> 20) + " MiB)";
    }

    /**
     * Throws unless the runtime is present and TornadoVM's Java fallback is off. Sets
     * {@code tornado.recover.bailout=False} when it is unset and no TornadoVM class has read it yet; an explicit
     * {@code True} is refused.
     */
    static void requireDeviceOnly() {
        String bailout = System.getProperty(BAILOUT_PROPERTY);
        if (bailout == null) {
            System.setProperty(BAILOUT_PROPERTY, "False");
        } else if (!bailout.trim().equalsIgnoreCase("false")) {
            throw new IllegalStateException("backend 'tornadovm': -D" + BAILOUT_PROPERTY + "=" + bailout
                    + " lets TornadoVM run kernels as plain Java when device compilation fails (a silent fallback); "
                    + "start the JVM with -D" + BAILOUT_PROPERTY + "=False");
        }
        String why = unavailableReason();
        if (why != null) {
            throw new IllegalStateException("backend 'tornadovm' is not available: " + why);
        }
    }
}
