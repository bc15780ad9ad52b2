package dev.gazenerf.tools;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options every subcommand takes: the backend, a config file, field overrides, verbosity. */
public final class CommonOptions {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "scalar, vector, opencl or tornadovm (default: opencl on a GPU, else vector; or -Dgazenerf.backend).")
    String backend;

    @Option(names = "--device", paramLabel = "N", description = "OpenCL device index (see `gazenerf info`).")
    Integer device;

    @Option(names = "--config", paramLabel = "FILE.json", description = "A preset/config JSON file.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config field (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;

    /** Creates the chosen backend and says which one runs, on what. */
    Backend openBackend(java.io.PrintWriter out) {
        if (device != null) {
            if (device < 0) {
                throw new IllegalArgumentException("--device must be >= 0, got " + device);
            }
            System.setProperty(Backends.DEVICE_PROPERTY, Integer.toString(device));
        }
        Backend b = backend == null ? Backends.fromSystemProperty() : Backends.create(backend);
        out.println("backend: " + b.name() + " on " + b.device());
        return b;
    }
}
