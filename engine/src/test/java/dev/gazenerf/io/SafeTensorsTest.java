package dev.gazenerf.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsNamesShapesBitsAndMetadata() throws IOException {
        float[] params = {1f, -2.5f, Float.MIN_VALUE, 3e38f, 0f, -0f, 7f};
        Map<String, SafeTensors.Tensor> t = new LinkedHashMap<>();
        t.put("FeaExt_module_0.weight", new SafeTensors.Tensor(new int[]{2, 3}, params, 0));
        t.put("FeaExt_module_0.bias", new SafeTensors.Tensor(new int[]{1}, params, 6));
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, t, Map.of("step", "12"));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals("12", c.metadata().get("step"));
        assertArrayEquals(new int[]{2, 3}, c.get("FeaExt_module_0.weight").shape());
        assertArrayEquals(Arrays.copyOf(params, 6), c.get("FeaExt_module_0.weight").data());
        assertEquals(7f, c.get("FeaExt_module_0.bias").data()[0]);
        // the header length is a multiple of 8 and the layout is the documented one
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = b.getLong();
        assertEquals(0, headerLen % 8);
        assertEquals(8 + headerLen + 7 * 4, Files.size(f));
        // no temporary files are left behind
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void truncatedAndCorruptFilesNameTheFile() throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, Map.of("a", SafeTensors.Tensor.of(new float[]{1, 2, 3, 4}, 4)), Map.of());
        byte[] all = Files.readAllBytes(f);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 3));
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(cut));
        assertTrue(e.getMessage().contains("cut.safetensors") && e.getMessage().contains("'a'"), e.getMessage());
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, new byte[]{1, 2, 3});
        e = assertThrows(IOException.class, () -> SafeTensors.read(junk));
        assertTrue(e.getMessage().contains("junk.safetensors"), e.getMessage());
        e = assertThrows(IOException.class, () -> SafeTensors.read(dir.resolve("missing.safetensors")));
        assertTrue(e.getMessage().contains("missing.safetensors"), e.getMessage());
    }
}
