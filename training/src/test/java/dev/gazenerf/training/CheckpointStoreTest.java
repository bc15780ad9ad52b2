package dev.gazenerf.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gazenerf.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointStoreTest {
    @TempDir
    Path dir;

    private static Map<String, Map<String, SafeTensors.Tensor>> files(float v) {
        return Map.of("weights", Map.of("w", SafeTensors.Tensor.of(new float[]{v, v + 1}, 2)));
    }

    @Test
    void keepsTheNewestAndReadsBack() throws Exception {
        CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), 2);
        ObjectNode manifest = new ObjectMapper().createObjectNode().put("backend", "scalar");
        for (int step = 1; step <= 3; step++) {
            store.save(step * 10L, files(step), manifest);
        }
        assertEquals(List.of(30L, 20L), store.steps());
        CheckpointStore.Loaded l = store.latest(w -> { }).orElseThrow();
        assertEquals(30, l.step());
        assertEquals("scalar", l.manifest().get("backend").asText());
        assertArrayEquals(new float[]{3, 4}, l.file("weights").get("w").data());
        try (var s = Files.list(store.dir())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".tmp")), "temporary directories left behind");
        }
    }

    @Test
    void aTornCheckpointIsSkippedForTheLastGoodOne() throws Exception {
        CheckpointStore store = new CheckpointStore(dir, 5);
        ObjectNode manifest = new ObjectMapper().createObjectNode();
        store.save(1, files(1), manifest);
        Path newest = store.save(2, files(2), manifest);
        // simulate a crash that tore the newest checkpoint's weights mid-write
        Path w = newest.resolve("weights.safetensors");
        byte[] all = Files.readAllBytes(w);
        Files.write(w, Arrays.copyOf(all, all.length - 5));
        // and a leftover temporary directory from an interrupted save
        Files.createDirectories(dir.resolve(".tmp-step-123"));
        List<String> warnings = new ArrayList<>();
        CheckpointStore.Loaded l = store.latest(warnings::add).orElseThrow();
        assertEquals(1, l.step());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("step-0000000002"), warnings.get(0));
        // a checkpoint without manifest is also incomplete
        Files.delete(l.dir().resolve(CheckpointStore.MANIFEST));
        assertTrue(store.latest(warnings::add).isEmpty());
    }
}
