package dev.gazenerf.model;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PresetTest {
    @Test
    void paperPresetHasTheReferenceNumbers() {
        Preset p = Preset.load("paper");
        assertEquals(4096, p.raysPerImage());
        assertEquals(64, p.samples());
        assertEquals(63, p.encodedChannels());
        assertEquals(181, p.shapeCodeDims());
        assertEquals(127, p.appearanceDims());
        assertEquals(384, p.mlpWidth());
        assertEquals(258, p.featureChannels());
        assertEquals(3, p.rendererBlocks());
        assertEquals(2.5f, p.depthNear());
        assertEquals(-3.5f, p.depthFar());
        assertTrue(!p.pixelCentres() && !p.gazeFreeFace());
    }

    @Test
    void everyBuiltInLoads() {
        for (String name : Preset.BUILT_IN) {
            assertEquals(name, Preset.load(name).name());
        }
    }

    @Test
    void overridesReplaceFieldsAndRejectUnknownKeys() {
        Preset p = Preset.load("tiny").withOverrides(List.of("samples=8", "pixelCentres=true", "depthNear=2.0"));
        assertEquals(8, p.samples());
        assertTrue(p.pixelCentres());
        assertEquals(2.0f, p.depthNear());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Preset.load("tiny").withOverrides(List.of("sampels=8")));
        assertTrue(e.getMessage().contains("unknown preset key 'sampels'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Preset.load("tiny").withOverrides(List.of("samples=many")));
        assertTrue(e.getMessage().contains("'samples' takes a number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Preset.load("tiny").withOverrides(List.of("featureChannels=10")));
        assertTrue(e.getMessage().contains("multiple of 3"), e.getMessage());
    }

    @Test
    void fileErrorsNameTheFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Preset.load("nope"));
        assertTrue(e.getMessage().contains("unknown preset 'nope'"), e.getMessage());
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"name\": \"x\", \"colour\": 1}");
        e = assertThrows(IllegalArgumentException.class, () -> Preset.load(bad.toString()));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }
}
