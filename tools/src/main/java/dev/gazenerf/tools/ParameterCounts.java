package dev.gazenerf.tools;

import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;

import java.util.LinkedHashMap;
import java.util.Map;

/** The parameter count of each network of a preset, from the model's own layouts (5,015,714 in all for paper). */
final class ParameterCounts {
    private ParameterCounts() {
    }

    static Map<String, Long> of(Preset p) {
        GazeNerfModel m = new GazeNerfModel(p);
        Map<String, Long> out = new LinkedHashMap<>();
        out.put(GazeNerfModel.FACE, (long) m.faceMlp().parameterCount());
        out.put(GazeNerfModel.EYES, (long) m.eyeMlp().parameterCount());
        out.put(GazeNerfModel.RENDERER + " (convolutions)", (long) m.renderer().convolutionParameterCount());
        out.put(GazeNerfModel.RENDERER + ".bg_featmap", (long) m.renderer().backgroundParameterCount());
        out.put("total", m.parameterCount());
        return out;
    }
}
