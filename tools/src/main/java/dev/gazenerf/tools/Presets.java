package dev.gazenerf.tools;

import dev.gazenerf.model.Preset;

import java.util.ArrayList;
import java.util.List;

/** The preset a command runs: {@code --config FILE} or {@code --preset NAME}, then the {@code --set} overrides. */
final class Presets {
    private Presets() {
    }

    static Preset resolve(String name, CommonOptions common) {
        return resolve(name, common, List.of());
    }

    /** As {@link #resolve(String, CommonOptions)}, with a command's own {@code key=value} defaults applied before the user's {@code --set}. */
    static Preset resolve(String name, CommonOptions common, List<String> commandDefaults) {
        Preset p = Preset.load(common.config != null ? common.config.toString() : name);
        List<String> sets = new ArrayList<>(commandDefaults);
        sets.addAll(common.overrides);
        return p.withOverrides(sets);
    }
}
