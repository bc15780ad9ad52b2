package dev.gazenerf.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.datasets.h5.DatasetFormatException;
import dev.gazenerf.datasets.h5.SubjectFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fixed 79-value expression code that the reference uses in training and inference instead of the fitted
 * expression (section 1.5, {@code configs/config_files/tensor.pt}). Shipped as the resource
 * {@code dev/gazenerf/datasets/expression_code.json}: {@code {"source": "...", "shape": [79], "values": [...]}},
 * where {@code source} says where the numbers come from. A file of the same form can replace it.
 *
 * @param values the 79 values
 * @param source where they come from
 */
public record ExpressionCode(float[] values, String source) {
    public static final String RESOURCE = "/dev/gazenerf/datasets/expression_code.json";

    public ExpressionCode {
        if (values == null || values.length != SubjectFormat.EXPR) {
            throw new IllegalArgumentException("ExpressionCode: need " + SubjectFormat.EXPR + " values");
        }
        values = values.clone();
    }

    @Override
    public float[] values() {
        return values.clone();
    }

    /** The shipped code. */
    public static ExpressionCode shipped() {
        try (InputStream in = ExpressionCode.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing from the datasets jar");
            }
            return parse(new ObjectMapper().readTree(in), Path.of(RESOURCE));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + RESOURCE, e);
        }
    }

    /** A code from a JSON file of the shipped form. */
    public static ExpressionCode read(Path json) {
        if (!Files.isRegularFile(json)) {
            throw new DatasetFormatException(json, null, "no such file");
        }
        try {
            return parse(new ObjectMapper().readTree(json.toFile()), json);
        } catch (IOException e) {
            throw new DatasetFormatException(json, null, "not valid JSON", e);
        }
    }

    private static ExpressionCode parse(JsonNode root, Path where) {
        JsonNode v = root == null ? null : root.get("values");
        if (v == null || !v.isArray() || v.size() != SubjectFormat.EXPR) {
            throw new DatasetFormatException(where, "values", "expected " + SubjectFormat.EXPR + " numbers");
        }
        float[] values = new float[v.size()];
        for (int i = 0; i < values.length; i++) {
            if (!v.get(i).isNumber()) {
                throw new DatasetFormatException(where, "values", "entry " + i + " is not a number");
            }
            values[i] = (float) v.get(i).asDouble();
        }
        JsonNode s = root.get("source");
        return new ExpressionCode(values, s == null ? "unknown" : s.asText());
    }
}
