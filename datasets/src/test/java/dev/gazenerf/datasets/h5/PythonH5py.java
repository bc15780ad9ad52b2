package dev.gazenerf.datasets.h5;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds a Python interpreter with h5py (Debian's python3-h5py). The interpreter is the system property
 * {@code gazenerf.python} if set, else the first of {@code python3}, {@code /usr/bin/python3} that imports h5py.
 * Without one the calling test skips with a reason, or fails when {@code -Dgazenerf.python.required=true}.
 */
public final class PythonH5py {
    private PythonH5py() {
    }

    public static String interpreterOrSkip() {
        List<String> candidates = new ArrayList<>();
        String configured = System.getProperty("gazenerf.python");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        } else {
            candidates.add("python3");
            candidates.add("/usr/bin/python3");
        }
        String found = null;
        for (String c : candidates) {
            if (found == null && importsH5py(c)) {
                found = c;
            }
        }
        String reason = "no Python with h5py among " + candidates + " (install python3-h5py or set -Dgazenerf.python)";
        if (found == null && Boolean.getBoolean("gazenerf.python.required")) {
            fail(reason + "; required by -Dgazenerf.python.required=true");
        }
        Assumptions.assumeTrue(found != null, reason);
        return found;
    }

    private static boolean importsH5py(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import h5py").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs a script from datasets/src/test/python and returns its stdout; fails on a non-zero exit. */
    public static String run(String python, String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(python);
        cmd.add(scriptPath(script).toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(cmd + " failed with exit code " + p.exitValue());
        }
        return out;
    }

    static Path scriptPath(String script) {
        // Surefire runs with the module folder as working directory.
        return Path.of("src", "test", "python", script).toAbsolutePath();
    }
}
