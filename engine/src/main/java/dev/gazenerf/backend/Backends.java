package dev.gazenerf.backend;

import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Locale;

/**
 * Chooses and creates backends. The choice comes from {@code --backend} on the command line or the system
 * property {@value #PROPERTY}; the default is the fastest that works here: {@code opencl} when an OpenCL
 * GPU is present, otherwise {@code vector}. Whatever is chosen says what it runs on ({@link Backend#device()}).
 *
 * <p>The vector and OpenCL implementations are loaded by name so that the selection logic does not drag
 * the incubating Vector API or Aparapi's native library into code that only wants {@code scalar}.
 * Nothing here falls back silently: an unknown name, or a backend that cannot start, is an error.
 */
public final class Backends {
    /** System property that selects the backend: {@code scalar}, {@code vector} or {@code opencl}. */
    public static final String PROPERTY = "gazenerf.backend";
    /** System property with the number of worker threads of the {@code vector} backend (default: all cores). */
    public static final String THREADS_PROPERTY = "gazenerf.threads";
    /** System property with the index of the OpenCL device to use (default: the first GPU, else the first device). */
    public static final String DEVICE_PROPERTY = "gazenerf.device";

    private static final List<String> NAMES = List.of("scalar", "vector", "opencl", "tornadovm");

    private Backends() {
    }

    /** The names {@link #create} accepts, in order from specification to accelerator. */
    public static List<String> names() {
        return NAMES;
    }

    /** The backend named by {@value #PROPERTY}, or {@link #createDefault()} when the property is unset. */
    public static Backend fromSystemProperty() {
        String name = System.getProperty(PROPERTY);
        return name == null || name.isBlank() ? createDefault() : create(name);
    }

    /** {@code opencl} when an OpenCL GPU is present, otherwise {@code vector}. */
    public static Backend createDefault() {
        if (openClHasGpu()) {
            return create("opencl");
        }
        return create("vector");
    }

    /** The number of worker threads for {@code vector}: {@value #THREADS_PROPERTY}, or all available cores. */
    public static int defaultThreads() {
        String s = System.getProperty(THREADS_PROPERTY);
        if (s == null || s.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int t = Integer.parseInt(s.trim());
            if (t < 1) {
                throw new NumberFormatException();
            }
            return t;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + " must be a positive integer, got '" + s + "'");
        }
    }

    /** Creates the named backend; throws {@link IllegalArgumentException} for an unknown name. */
    public static Backend create(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "scalar":
                return new ScalarBackend();
            case "vector":
                return instantiate("dev.gazenerf.backend.VectorBackend", n);
            case "opencl":
                return instantiate("dev.gazenerf.backend.OpenClBackend", n);
            case "tornadovm":
                // Optional module engine-tornadovm (Maven profile tornadovm, JDK 25, TornadoVM SDK): never a fallback.
                try {
                    Class.forName("dev.gazenerf.backend.tornadovm.TornadoVmBackend");
                } catch (ClassNotFoundException | LinkageError e) {
                    throw new IllegalStateException("backend 'tornadovm' is not in this build (" + e + "): build "
                            + "engine-tornadovm with 'mvn -Ptornadovm install' on JDK 25, put it on the class path and start "
                            + "java with @$TORNADOVM_HOME/tornado-argfile -Dtornado.recover.bailout=False (README, 'TornadoVM backend')", e);
                }
                return instantiate("dev.gazenerf.backend.tornadovm.TornadoVmBackend", n);
            default:
                throw new IllegalArgumentException("unknown backend '" + name + "': choose one of " + String.join(", ", NAMES));
        }
    }

    /** Whether an OpenCL GPU device is visible (false when OpenCL itself is missing). */
    public static boolean openClHasGpu() {
        try {
            Class<?> c = Class.forName("dev.gazenerf.backend.OpenClBackend");
            return (Boolean) c.getMethod("hasGpu").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }

    /**
     * One line per OpenCL device (index, platform, name, type, limits), or an empty list when OpenCL or its
     * devices are missing; {@link #openClUnavailableReason()} then says why.
     */
    @SuppressWarnings("unchecked")
    public static List<String> openClDevices() {
        try {
            Class<?> c = Class.forName("dev.gazenerf.backend.OpenClBackend");
            return (List<String>) c.getMethod("listDevices").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return List.of();
        }
    }

    /** Null when an OpenCL device can be used, otherwise why not (never throws). */
    public static String openClUnavailableReason() {
        try {
            Class<?> c = Class.forName("dev.gazenerf.backend.OpenClBackend");
            return (String) c.getMethod("unavailableReason").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return "the OpenCL backend is not in this build (" + e + ")";
        }
    }

    private static Backend instantiate(String className, String name) {
        try {
            return (Backend) Class.forName(className).getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IllegalStateException("backend '" + name + "' failed to start: " + cause, cause);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("backend '" + name + "' is not available in this build: " + e, e);
        }
    }
}
