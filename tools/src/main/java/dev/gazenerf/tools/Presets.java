package dev.gazenerf.tools;

import dev.gazenerf.model.Preset;

/** The preset a command runs: {@code --config FILE} or {@code --preset NAME}, then the {@code --set} overrides. */
final class Presets {
    private Presets() {
    }

    static Preset resolve(String name, CommonOptions common) {
        Preset p = Preset.load(common.config != null ? common.config.toString() : name);
        return p.withOverrides(common.overrides);
    }
}
