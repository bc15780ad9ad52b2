package dev.gazenerf.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code gazenerf info}: what this machine offers (backends, vector width, OpenCL devices, heap) and preset sizes. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Backends, vector width, OpenCL platforms and devices, heap; with --preset, parameter counts.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--preset", paramLabel = "NAME", description = "Print the parameter count of each network of this preset (paper, small, tiny).")
    String preset;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (common.backend != null) {
            Backends.create(common.backend).close(); // a named backend must exist and start
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("java", Runtime.version().toString() + " (" + System.getProperty("java.vm.vendor") + ")");
        info.put("cores", Runtime.getRuntime().availableProcessors());
        info.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        FloatVector.class.getName();
        Map<String, Object> vec = new LinkedHashMap<>();
        vec.put("bits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        vec.put("floats", FloatVector.SPECIES_PREFERRED.length());
        info.put("vector_species", vec);

        List<Map<String, Object>> backends = new ArrayList<>();
        for (String name : Backends.names()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", name);
            try (Backend backend = Backends.create(name)) {
                b.put("available", true);
                b.put("device", backend.device());
            } catch (RuntimeException | LinkageError e) {
                b.put("available", false);
                b.put("reason", Errors.oneLine(e));
            }
            backends.add(b);
        }
        info.put("backends", backends);
        String selected = System.getProperty(Backends.PROPERTY);
        info.put("default_backend", selected != null ? selected : (Backends.openClHasGpu() ? "opencl" : "vector"));
        List<String> devices = Backends.openClDevices();
        info.put("opencl_devices", devices);
        String why = Backends.openClUnavailableReason();
        if (why != null) {
            info.put("opencl_unavailable", why);
        }
        if (preset != null) {
            info.put("preset", PresetInfo.describe(preset, common));
        }

        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info));
            return 0;
        }
        out.printf("Java            %s, %d cores, max heap %d MiB%n", info.get("java"), info.get("cores"), info.get("max_heap_mib"));
        out.printf("Vector API      %d-bit (%d floats per vector)%n", vec.get("bits"), vec.get("floats"));
        out.println("Backends");
        for (Map<String, Object> b : backends) {
            if (Boolean.TRUE.equals(b.get("available"))) {
                out.printf("  %-9s yes  %s%n", b.get("name"), b.get("device"));
            } else {
                out.printf("  %-9s no   %s%n", b.get("name"), b.get("reason"));
            }
        }
        out.println("  default: " + info.get("default_backend"));
        out.println("OpenCL devices");
        if (devices.isEmpty()) {
            out.println("  none" + (why != null ? ": " + why : ""));
        }
        for (String d : devices) {
            out.println("  " + d);
        }
        if (preset != null) {
            PresetInfo.print(out, preset, info.get("preset"));
        }
        return 0;
    }
}
