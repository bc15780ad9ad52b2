package dev.gazenerf.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The numbers that define a GazeNeRF network, read from JSON. {@code paper} is the reference exactly
 * (section 2.1 of the reference spec); {@code small} and {@code tiny} keep the architecture and shrink the
 * numbers so a CPU trains in minutes. Every field can be overridden with {@code key=value}.
 *
 * @param name                preset name
 * @param featmapSize         rays per side of the feature map (paper 64: 4,096 rays per image)
 * @param samples             samples per ray (paper 64)
 * @param frequencies         positional-encoding frequencies (paper 10: 63 encoded channels)
 * @param mlpWidth            hidden width of both MLPs (paper 384)
 * @param mlpLayers           trunk layers (paper 8; the skip enters layer mlpLayers/2 + 1)
 * @param featureChannels     feature channels rendered per pixel (paper 258 = 86 triplets; must be a multiple of 3)
 * @param outputSize          side of the output image (paper 512; outputSize/featmapSize must be a power of two)
 * @param minRendererChannels floor of the renderer's halving channel widths (paper 32)
 * @param idenDims            identity code width (100)
 * @param exprDims            expression code width (79)
 * @param textDims            texture code width (100)
 * @param illuDims            illumination code width (27)
 * @param gazeDims            gaze code width (2: pitch, yaw)
 * @param depthNear           world z of the first sample plane (2.5)
 * @param depthFar            world z of the last sample plane (-3.5)
 * @param pixelCentres        rays through pixel centres (+0.5); the reference uses integer corners (false)
 * @param gazeFreeFace        feed no gaze to the face stream (the paper's text); the reference code feeds it (false)
 * @param rayChunk            rays processed per chunk in the MLP (memory bound, not a model parameter)
 */
public record Preset(
        String name,
        int featmapSize,
        int samples,
        int frequencies,
        int mlpWidth,
        int mlpLayers,
        int featureChannels,
        int outputSize,
        int minRendererChannels,
        int idenDims,
        int exprDims,
        int textDims,
        int illuDims,
        int gazeDims,
        float depthNear,
        float depthFar,
        boolean pixelCentres,
        boolean gazeFreeFace,
        int rayChunk) {

    /** Names of the built-in presets. */
    public static final List<String> BUILT_IN = List.of("paper", "small", "tiny");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    public Preset {
        positive("featmapSize", featmapSize);
        positive("samples", samples);
        positive("mlpWidth", mlpWidth);
        positive("mlpLayers", mlpLayers);
        positive("featureChannels", featureChannels);
        positive("outputSize", outputSize);
        positive("minRendererChannels", minRendererChannels);
        positive("rayChunk", rayChunk);
        if (frequencies < 0 || idenDims < 0 || exprDims < 0 || textDims < 0 || illuDims < 0 || gazeDims < 0) {
            throw new IllegalArgumentException("preset '" + name + "': code widths and frequencies must be >= 0");
        }
        if (featureChannels % 3 != 0) {
            throw new IllegalArgumentException("preset '" + name + "': featureChannels " + featureChannels
                    + " must be a multiple of 3 (the eye rotation acts on channel triplets)");
        }
        if (outputSize % featmapSize != 0 || Integer.bitCount(outputSize / featmapSize) != 1) {
            throw new IllegalArgumentException("preset '" + name + "': outputSize " + outputSize
                    + " must be featmapSize " + featmapSize + " times a power of two");
        }
        if (gazeDims != 2) {
            throw new IllegalArgumentException("preset '" + name + "': gazeDims must be 2 (pitch, yaw), got " + gazeDims);
        }
    }

    private static void positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("preset key '" + key + "' must be positive, got " + v);
        }
    }

    /** Rays per image. */
    public int raysPerImage() {
        return featmapSize * featmapSize;
    }

    /** Encoded point channels: 3 + 6 * frequencies (63 in the paper). */
    public int encodedChannels() {
        return 3 + 6 * frequencies;
    }

    /** Shape code fed to the MLP after the encoding: identity + expression + gaze (181 in the paper). */
    public int shapeCodeDims() {
        return idenDims + exprDims + gazeDims;
    }

    /** Appearance code: texture + illumination (127 in the paper). */
    public int appearanceDims() {
        return textDims + illuDims;
    }

    /** Renderer upsampling blocks: log2(outputSize / featmapSize) (3 in the paper). */
    public int rendererBlocks() {
        return Integer.numberOfTrailingZeros(outputSize / featmapSize);
    }

    /** A built-in preset by name, or a JSON file by path. */
    public static Preset load(String nameOrPath) {
        if (BUILT_IN.contains(nameOrPath)) {
            String res = "/dev/gazenerf/presets/" + nameOrPath + ".json";
            try (InputStream in = Preset.class.getResourceAsStream(res)) {
                if (in == null) {
                    throw new IllegalStateException("built-in preset resource missing: " + res);
                }
                return parse(JSON.readTree(in), res);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read built-in preset " + res + ": " + e.getMessage(), e);
            }
        }
        Path p = Path.of(nameOrPath);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("unknown preset '" + nameOrPath + "': not one of " + BUILT_IN
                    + " and no such file");
        }
        try {
            return parse(JSON.readTree(p.toFile()), p.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read preset file " + p + ": " + e.getMessage(), e);
        }
    }

    private static Preset parse(JsonNode node, String source) {
        try {
            return JSON.treeToValue(node, Preset.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("bad preset " + source + ": " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad preset " + source + ": " + e.getMessage(), e);
        }
    }

    /** This preset with fields replaced by {@code key=value} overrides; an unknown key is an error naming it. */
    public Preset withOverrides(List<String> overrides) {
        if (overrides == null || overrides.isEmpty()) {
            return this;
        }
        ObjectNode node = JSON.valueToTree(this);
        List<String> known = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            known.add(it.next());
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("override '" + o + "' is not key=value");
            }
            String key = o.substring(0, eq).trim();
            String value = o.substring(eq + 1).trim();
            if (!node.has(key)) {
                throw new IllegalArgumentException("unknown preset key '" + key + "' (known: " + String.join(", ", known) + ")");
            }
            JsonNode old = node.get(key);
            try {
                if (old.isBoolean()) {
                    if (!value.equals("true") && !value.equals("false")) {
                        throw new IllegalArgumentException("preset key '" + key + "' takes true or false, got '" + value + "'");
                    }
                    node.put(key, Boolean.parseBoolean(value));
                } else if (old.isIntegralNumber()) {
                    node.put(key, Integer.parseInt(value));
                } else if (old.isNumber()) {
                    node.put(key, Float.parseFloat(value));
                } else {
                    node.put(key, value);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("preset key '" + key + "' takes a number, got '" + value + "'");
            }
        }
        return parse(node, "overrides " + overrides);
    }
}
