package dev.gazenerf.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format for float32 tensors: an 8-byte little-endian header length, a JSON header
 * ({@code {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}},
 * padded with spaces to a multiple of 8 bytes), then the raw little-endian data. Tensor names follow the
 * reference's PyTorch state dict, so a converted reference checkpoint loads by name.
 *
 * <p>Writes are atomic: the file is written to a temporary sibling, forced to disk and renamed over the
 * target, so a crash never leaves a torn file under the final name. Reads validate everything and name
 * the file and the tensor in every error.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {
    }

    /** One tensor: a shape and {@code product(shape)} floats of {@code data} starting at {@code offset}. */
    public record Tensor(int[] shape, float[] data, int offset) {
        public Tensor {
            long n = numel(shape);
            if (offset < 0 || offset + n > data.length) {
                throw new IllegalArgumentException("tensor of shape " + java.util.Arrays.toString(shape)
                        + " does not fit in " + data.length + " floats at offset " + offset);
            }
        }

        /** A tensor owning its whole array. */
        public static Tensor of(float[] data, int... shape) {
            return new Tensor(shape, data, 0);
        }

        /** Number of elements. */
        public int size() {
            return (int) numel(shape);
        }
    }

    /** The contents of a file: tensors in file order and the metadata strings. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        /** The named tensor; an error names the file's tensors when it is absent. */
        public Tensor get(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no tensor '" + name + "' (have " + tensors.keySet() + ")");
            }
            return t;
        }
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + java.util.Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    /** Writes the tensors (in map order) and metadata atomically to {@code file}. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long pos = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException(file + ": tensor name '__metadata__' is reserved");
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().size();
            t.putArray("data_offsets").add(pos).add(pos + bytes);
            pos += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(json);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                head.flip();
                writeFully(ch, head);
                ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (Tensor t : tensors.values()) {
                    int n = t.size();
                    for (int i = 0; i < n; i++) {
                        if (!buf.hasRemaining()) {
                            buf.flip();
                            writeFully(ch, buf);
                            buf.clear();
                        }
                        buf.putFloat(t.data()[t.offset() + i]);
                    }
                }
                buf.flip();
                writeFully(ch, buf);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Reads and validates a whole file; every error names the file (and the tensor). */
    public static Contents read(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        }
        if (all.length < 8) {
            throw new IOException(file + ": truncated safetensors file (" + all.length + " bytes, no header)");
        }
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = bb.getLong();
        if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > all.length) {
            throw new IOException(file + ": corrupt or truncated safetensors header (length " + headerLen
                    + ", file " + all.length + " bytes)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(all, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException(file + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new IOException(file + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataLen = all.length - dataStart;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode t = e.getValue();
            if (name.equals("__metadata__")) {
                t.fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            if (!"F32".equals(t.path("dtype").asText())) {
                throw new IOException(file + ": tensor '" + name + "' has dtype " + t.path("dtype")
                        + "; only F32 is supported");
            }
            JsonNode shapeNode = t.path("shape");
            JsonNode offs = t.path("data_offsets");
            if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
                throw new IOException(file + ": tensor '" + name + "' lacks a shape or data_offsets");
            }
            int[] shape = new int[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asInt(-1);
            }
            long begin = offs.get(0).asLong(-1);
            long end = offs.get(1).asLong(-1);
            long n;
            try {
                n = numel(shape);
            } catch (IllegalArgumentException ex) {
                throw new IOException(file + ": tensor '" + name + "': " + ex.getMessage(), ex);
            }
            if (begin < 0 || end < begin || end > dataLen || end - begin != 4 * n) {
                throw new IOException(file + ": tensor '" + name + "' has data_offsets [" + begin + ", " + end
                        + "] inconsistent with its shape or the file's " + dataLen + " data bytes (truncated?)");
            }
            float[] data = new float[(int) n];
            ByteBuffer src = ByteBuffer.wrap(all, (int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            src.asFloatBuffer().get(data);
            tensors.put(name, Tensor.of(data, shape));
        }
        return new Contents(tensors, meta);
    }
}
