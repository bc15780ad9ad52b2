package dev.gazenerf.backend.opencl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLLoader;
import com.aparapi.internal.opencl.OpenCLPlatform;

/**
 * The OpenCL devices Aparapi sees, in a fixed order (platforms as the ICD loader lists them, devices within
 * each platform in order); the position in {@link #all()} is the device index of
 * {@code -Dgazenerf.device=INDEX}.
 */
public final class OpenClDevices {
    /** How to get an OpenCL driver, appended to every "no device" message. */
    public static final String INSTALL_HINT = "install an OpenCL ICD and the loader: on Debian/Ubuntu"
            + " 'apt-get install ocl-icd-libopencl1 pocl-opencl-icd' (portable CPU device) or the GPU vendor's ICD"
            + " (NVIDIA driver with nvidia-opencl-icd, AMD ROCm/'mesa-opencl-icd', Intel 'intel-opencl-icd'); 'clinfo -l' must list a device";

    private OpenClDevices() {
    }

    /**
     * Every OpenCL device, in index order. Throws {@link IllegalStateException} with a reason when Aparapi's
     * native library or the OpenCL loader cannot be loaded.
     */
    public static synchronized List<OpenCLDevice> all() {
        boolean loaded;
        try {
            loaded = OpenCLLoader.isOpenCLAvailable();
        } catch (LinkageError e) {
            throw new IllegalStateException("Aparapi's native library could not be loaded (" + e + "); " + INSTALL_HINT, e);
        }
        if (!loaded) {
            throw new IllegalStateException("Aparapi could not load its native library or the OpenCL loader"
                    + " (libOpenCL.so.1); " + INSTALL_HINT);
        }
        List<OpenCLDevice> devices = new ArrayList<>();
        for (OpenCLPlatform platform : new OpenCLPlatform().getOpenCLPlatforms()) {
            devices.addAll(platform.getOpenCLDevices());
        }
        return Collections.unmodifiableList(devices);
    }

    /** Null when at least one OpenCL device is visible, otherwise why not. Never throws. */
    public static String unavailableReason() {
        try {
            if (all().isEmpty()) {
                return "no OpenCL platform with a device was found; " + INSTALL_HINT;
            }
            return null;
        } catch (Throwable t) {
            String msg = t.getMessage();
            return msg != null && msg.contains(INSTALL_HINT) ? msg : "OpenCL is not usable here (" + t + "); " + INSTALL_HINT;
        }
    }

    /** "GPU", "CPU", "ACC" or the type's name. */
    public static String type(Device device) {
        Device.TYPE t = device.getType();
        return t == null ? "UNKNOWN" : t.name();
    }

    /** "platform / device name (TYPE)". */
    public static String label(OpenCLDevice device) {
        OpenCLPlatform p = device.getOpenCLPlatform();
        String platform = p == null ? "?" : p.getName();
        return platform + " / " + device.getName().trim() + " (" + type(device) + ")";
    }

    /** One line: index, platform, name, type, compute units, global/local memory, max work-group size. */
    public static String describe(int index, OpenCLDevice d) {
        int[] items = d.getMaxWorkItemSize();
        StringBuilder dims = new StringBuilder();
        for (int i = 0; items != null && i < items.length; i++) {
            dims.append(i == 0 ? "" : "x").append(items[i]);
        }
        return String.format(Locale.ROOT, "%d: %s, %d compute units, global memory %s, local memory %s,"
                        + " max work-group size %d (work-items %s)",
                index, label(d), d.getMaxComputeUnits(), bytes(d.getGlobalMemSize()), bytes(d.getLocalMemSize()),
                d.getMaxWorkGroupSize(), dims);
    }

    private static String bytes(long b) {
        if (b >= (1L << 30)) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= (1L << 20)) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%d KiB", b >> 10);
    }
}
