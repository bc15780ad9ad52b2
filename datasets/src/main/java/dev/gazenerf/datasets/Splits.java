package dev.gazenerf.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gazenerf.datasets.h5.DatasetFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference's {@code train_test_split.json} (section 1.6): named lists of subject keys,
 * {@code {"train": ["subject0000.h5", ...], "val": [...], "val_gaze": [...], "test": [...], "test_specific": [...]}}.
 * The file of a key on disk carries the dataset prefix: key {@code subject0000.h5} of ETH-XGaze is
 * {@code xgaze_subject0000.h5}.
 */
public final class Splits {
    public static final String FILE_NAME = "train_test_split.json";
    public static final String TRAIN = "train";
    public static final String VAL = "val";
    public static final String VAL_GAZE = "val_gaze";
    public static final String TEST = "test";
    public static final String TEST_SPECIFIC = "test_specific";

    /** The dataset prefixes of the reference's file names. */
    public enum Prefix {
        XGAZE("xgaze_"), MPII("mpii_"), COLUMBIA("columbia_"), GAZE_CAPTURE("gaze_capture_");

        private final String text;

        Prefix(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }

        /** The prefix whose text is {@code text} ("xgaze_") or whose name is it ("xgaze", "XGAZE"). */
        public static Prefix parse(String text) {
            for (Prefix p : values()) {
                if (p.text.equals(text) || p.name().equalsIgnoreCase(text) || p.text.equals(text + "_")) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown dataset prefix '" + text + "' (xgaze_, mpii_, columbia_, gaze_capture_)");
        }
    }

    private final Map<String, List<String>> sets;

    public Splits(Map<String, List<String>> sets) {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        sets.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        this.sets = Collections.unmodifiableMap(copy);
    }

    /** Reads a split file. */
    public static Splits read(Path json) {
        if (!Files.isRegularFile(json)) {
            throw new DatasetFormatException(json, null, "no such file");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json.toFile());
        } catch (IOException e) {
            throw new DatasetFormatException(json, null, "not valid JSON", e);
        }
        if (root == null || !root.isObject()) {
            throw new DatasetFormatException(json, null, "expected a JSON object of subject lists");
        }
        Map<String, List<String>> sets = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isArray()) {
                throw new DatasetFormatException(json, e.getKey(), "expected a list of subject keys");
            }
            List<String> keys = new ArrayList<>();
            for (JsonNode k : e.getValue()) {
                if (!k.isTextual()) {
                    throw new DatasetFormatException(json, e.getKey(), "expected subject keys as strings, found " + k);
                }
                keys.add(k.asText());
            }
            sets.put(e.getKey(), keys);
        }
        return new Splits(sets);
    }

    /** Writes the split file (temporary file, then rename). */
    public void write(Path json) {
        try {
            Path dir = json.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + json.getFileName(), ".tmp");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), sets);
            Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new DatasetFormatException(json, null, "cannot write", e);
        }
    }

    /** The keys of a named set; an error naming the set if absent. */
    public List<String> keys(String set) {
        List<String> k = sets.get(set);
        if (k == null) {
            throw new IllegalArgumentException("split '" + set + "' not found; the file has " + sets.keySet());
        }
        return k;
    }

    public Map<String, List<String>> sets() {
        return sets;
    }

    /** The key of subject number {@code index}: {@code subjectNNNN.h5}. */
    public static String key(int index) {
        return String.format("subject%04d.h5", index);
    }

    /** The file of a key in {@code dir} with the dataset prefix. */
    public static Path file(Path dir, Prefix prefix, String key) {
        return dir.resolve(prefix.text() + key);
    }
}
