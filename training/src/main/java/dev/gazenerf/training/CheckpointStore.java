package dev.gazenerf.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gazenerf.io.SafeTensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints of a run: one directory per saved step, {@code RUN/checkpoints/step-0000001234/}, holding
 * safetensors files (for example {@code weights}, {@code optimizer}, {@code offsets}) and {@code manifest.json}
 * (step, config, data fingerprint, backend, the file list). A checkpoint is written into a hidden temporary
 * directory and renamed into place only when complete, with the manifest written last, so a crash never
 * leaves a checkpoint that looks complete but is not. {@link #latest} returns the newest checkpoint that reads
 * back completely and skips torn ones (reported through the warning callback). The newest {@code keep} are kept.
 */
public final class CheckpointStore {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern NAME = Pattern.compile("step-(\\d{10})");
    /** Name of the manifest file inside a checkpoint directory. */
    public static final String MANIFEST = "manifest.json";

    private final Path dir;
    private final int keep;

    /** A checkpoint read back: its step, directory, manifest and files by name (without extension). */
    public record Loaded(long step, Path dir, JsonNode manifest, Map<String, SafeTensors.Contents> files) {
        /** The named file's contents; an error names the checkpoint when it is absent. */
        public SafeTensors.Contents file(String name) {
            SafeTensors.Contents c = files.get(name);
            if (c == null) {
                throw new IllegalArgumentException(dir + ": checkpoint has no '" + name + ".safetensors' (has " + files.keySet() + ")");
            }
            return c;
        }
    }

    public CheckpointStore(Path dir, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("checkpoints to keep must be >= 1, got " + keep);
        }
        this.dir = dir;
        this.keep = keep;
    }

    /** The directory holding the checkpoints. */
    public Path dir() {
        return dir;
    }

    /**
     * Saves a checkpoint atomically and prunes old ones. {@code files} maps a file name (without extension) to
     * its tensors; {@code manifest} gets {@code step} and {@code files} added.
     */
    public Path save(long step, Map<String, Map<String, SafeTensors.Tensor>> files, ObjectNode manifest) throws IOException {
        if (step < 0) {
            throw new IllegalArgumentException("checkpoint step must be >= 0, got " + step);
        }
        Files.createDirectories(dir);
        Path target = dir.resolve(String.format("step-%010d", step));
        Path tmp = Files.createTempDirectory(dir, ".tmp-step-");
        try {
            for (Map.Entry<String, Map<String, SafeTensors.Tensor>> f : files.entrySet()) {
                SafeTensors.write(tmp.resolve(f.getKey() + ".safetensors"), f.getValue(), Map.of("step", Long.toString(step)));
            }
            ObjectNode m = manifest.deepCopy();
            m.put("step", step);
            m.putArray("files").addAll(files.keySet().stream().map(JSON.getNodeFactory()::textNode).toList());
            Path mf = tmp.resolve(MANIFEST);
            Files.write(mf, JSON.writeValueAsBytes(m));
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
        prune();
        return target;
    }

    /** Steps of the complete-looking checkpoints, newest first. */
    public List<Long> steps() throws IOException {
        List<Long> steps = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return steps;
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    steps.add(Long.parseLong(m.group(1)));
                }
            });
        }
        steps.sort(Comparator.reverseOrder());
        return steps;
    }

    /** The newest checkpoint that reads back completely; torn ones are reported to {@code warn} and skipped. */
    public Optional<Loaded> latest(Consumer<String> warn) throws IOException {
        for (long step : steps()) {
            Path d = dir.resolve(String.format("step-%010d", step));
            try {
                return Optional.of(load(d));
            } catch (IOException | RuntimeException e) {
                warn.accept("skipping unreadable checkpoint " + d + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Reads one checkpoint directory, validating the manifest and every file it lists. */
    public static Loaded load(Path d) throws IOException {
        Path mf = d.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) {
            throw new IOException(d + ": no " + MANIFEST + " (incomplete checkpoint)");
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(mf.toFile());
        } catch (IOException e) {
            throw new IOException(mf + ": not valid JSON: " + e.getMessage(), e);
        }
        if (manifest == null || !manifest.has("step") || !manifest.path("files").isArray()) {
            throw new IOException(mf + ": lacks 'step' or 'files'");
        }
        Map<String, SafeTensors.Contents> files = new LinkedHashMap<>();
        for (JsonNode f : manifest.get("files")) {
            files.put(f.asText(), SafeTensors.read(d.resolve(f.asText() + ".safetensors")));
        }
        return new Loaded(manifest.get("step").asLong(), d, manifest, files);
    }

    private void prune() throws IOException {
        List<Long> steps = steps();
        for (int i = keep; i < steps.size(); i++) {
            deleteTree(dir.resolve(String.format("step-%010d", steps.get(i))));
        }
    }

    /** Deletes {@code p} and everything under it (also used by {@link FittedFace} and {@link SyntheticTrainer}). */
    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
