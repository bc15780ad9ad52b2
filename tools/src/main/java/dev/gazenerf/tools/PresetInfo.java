package dev.gazenerf.tools;

import dev.gazenerf.model.Preset;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/** The preset part of {@code gazenerf info}: the preset's numbers and the parameter count of each network. */
final class PresetInfo {
    private PresetInfo() {
    }

    static Map<String, Object> describe(String name, CommonOptions common) {
        Preset p = Presets.resolve(name, common);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("rays_per_image", p.raysPerImage());
        m.put("samples_per_ray", p.samples());
        m.put("mlp_width", p.mlpWidth());
        m.put("feature_channels", p.featureChannels());
        m.put("output_size", p.outputSize());
        m.put("parameters", ParameterCounts.of(p));
        return m;
    }

    @SuppressWarnings("unchecked")
    static void print(PrintWriter out, String name, Object described) {
        Map<String, Object> m = (Map<String, Object>) described;
        out.printf("Preset %s: %s rays x %s samples per image, MLP width %s, %s feature channels, %spx output%n",
                m.get("name"), m.get("rays_per_image"), m.get("samples_per_ray"), m.get("mlp_width"),
                m.get("feature_channels"), m.get("output_size"));
        Map<String, Long> counts = (Map<String, Long>) m.get("parameters");
        out.println("Parameters");
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            out.printf("  %-28s %,12d%n", e.getKey(), e.getValue());
        }
    }
}
