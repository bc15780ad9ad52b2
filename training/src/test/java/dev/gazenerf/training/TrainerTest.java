package dev.gazenerf.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.io.SafeTensors;
import dev.gazenerf.model.GazeNerfModel;
import dev.gazenerf.model.Preset;
import dev.gazenerf.nn.Adam;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The trainer on a tiny synthetic data set (4 subjects x 2 images at 32 px: 3 subjects train, 1 val) with a
 * shrunken preset: resume is bitwise, torn checkpoints are skipped, a NaN stops training naming the step and
 * term, the log and the checkpoint files have the reference's names, and the gradient Adam is fed matches
 * central differences of the loss.
 */
class TrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static Path data;

    @BeforeAll
    static void generate() {
        data = shared.resolve("data");
        TinyRun.generate(data, 4, 2);
    }

    private static Trainer trainer(Preset preset, Backend be, GazeDataset train, TrainOptions o, Path run) {
        return new Trainer(preset, be, train, null, o, run);
    }

    private static TrainOptions options(int steps) {
        return TrainOptions.reference(steps).withLearningRateScale(25).withIntervals(2, 0);
    }

    @Test
    void resumeGivesTheSameBitsAsAStraightRun(@TempDir Path tmp) throws IOException {
        Preset p = TinyRun.preset();
        int n = 3;
        try (GazeDataset train = TinyRun.open(data, Splits.TRAIN)) {
            try (Trainer first = trainer(p, Backends.create("vector"), train, options(n).withIntervals(n, 0), tmp.resolve("a"))) {
                first.train(null);
                assertEquals(List.of((long) n), first.checkpoints().steps());
            }
            try (Trainer resumed = trainer(p, Backends.create("vector"), train, options(2 * n).withIntervals(n, 0), tmp.resolve("a"));
                 Trainer straight = trainer(p, Backends.create("vector"), train, options(2 * n).withIntervals(n, 0), tmp.resolve("b"))) {
                List<String> warnings = new ArrayList<>();
                assertEquals(Optional.of((long) n), resumed.resume(warnings::add));
                assertTrue(warnings.isEmpty(), warnings.toString());
                resumed.train(null);
                straight.train(null);
                assertEquals(2L * n, resumed.step());
                ModelState a = resumed.state();
                ModelState b = straight.state();
                assertArrayEquals(b.params.face, a.params.face, "face MLP");
                assertArrayEquals(b.params.eyes, a.params.eyes, "eye MLP");
                assertArrayEquals(b.params.renderer, a.params.renderer, "renderer");
                assertArrayEquals(b.offsets.values, a.offsets.values, "offsets");
                assertEquals(b.adam().stepCount(), a.adam().stepCount());
                for (Adam.Group g : b.adam().groups()) {
                    Adam.Group h = a.adam().group(g.name());
                    assertArrayEquals(g.firstMoments(), h.firstMoments(), "exp_avg of " + g.name());
                    assertArrayEquals(g.secondMoments(), h.secondMoments(), "exp_avg_sq of " + g.name());
                }
                // the log was continued, not duplicated: one line per step
                List<String> lines = Files.readAllLines(tmp.resolve("a/log.jsonl"));
                assertEquals(2 * n, lines.size());
                for (int i = 0; i < lines.size(); i++) {
                    assertEquals(i + 1, JSON.readTree(lines.get(i)).get("step").asInt());
                }
            }
        }
    }

    @Test
    void aTornCheckpointIsSkippedForThePreviousOne(@TempDir Path tmp) throws IOException {
        Preset p = TinyRun.preset();
        try (GazeDataset train = TinyRun.open(data, Splits.TRAIN)) {
            try (Trainer t = trainer(p, Backends.create("vector"), train, options(4), tmp)) {
                t.train(null);
                assertEquals(List.of(4L, 2L), t.checkpoints().steps());
            }
            Path newest = tmp.resolve("checkpoints/step-0000000004/weights.safetensors");
            try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() / 2);
            }
            try (Trainer t = trainer(p, Backends.create("vector"), train, options(6), tmp)) {
                List<String> warnings = new ArrayList<>();
                assertEquals(Optional.of(2L), t.resume(warnings::add));
                assertEquals(1, warnings.size(), warnings.toString());
                assertTrue(warnings.get(0).contains("step-0000000004"), warnings.get(0));
                SafeTensors.Contents good = SafeTensors.read(tmp.resolve("checkpoints/step-0000000002/weights.safetensors"));
                SafeTensors.Tensor w = good.get(GazeNerfModel.FACE + ".FeaExt_module_0.weight");
                assertArrayEquals(Arrays.copyOfRange(w.data(), w.offset(), w.offset() + w.size()),
                        Arrays.copyOfRange(t.state().params.face, 0, w.size()));
                t.train(null);
                assertEquals(6, t.step());
            }
        }
    }

    @Test
    void aNanStopsTrainingNamingStepAndTermAndKeepsTheLastCheckpoint(@TempDir Path tmp) throws IOException {
        Preset p = TinyRun.preset();
        try (GazeDataset train = TinyRun.open(data, Splits.TRAIN);
             Trainer t = trainer(p, Backends.create("vector"), train, options(2), tmp)) {
            t.train(null);
            float[] before = t.state().params.eyes.clone();
            // a NaN in the renderer's last RGB bias makes every image NaN: the first term, 'head', names it
            String bias = "feat_2_rgb_list." + p.rendererBlocks() + ".bias";
            int at = t.model().rendererLayout().slice(bias).offset();
            t.state().params.renderer[at] = Float.NaN;
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::trainStep);
            assertTrue(e.getMessage().contains("step 3") && e.getMessage().contains("'head'"), e.getMessage());
            t.state().params.renderer[at] = 0f;
            // a NaN in the face MLP's first weight: ReLU turns NaN into 0 on the way forward, so the loss stays
            // finite, but the gradient is NaN; Adam must never see it (it would spread NaN into every parameter)
            t.state().params.face[0] = Float.NaN;
            e = assertThrows(TrainingDivergedException.class, t::trainStep);
            assertTrue(e.getMessage().contains("step 3") && e.getMessage().contains("gradient"), e.getMessage());
            assertArrayEquals(before, t.state().params.eyes, "no update after a divergence");
            assertEquals(2, t.step());
            Optional<CheckpointStore.Loaded> last = t.checkpoints().latest(w -> fail(w));
            assertEquals(2L, last.orElseThrow().step());
            for (SafeTensors.Tensor x : last.get().file("weights").tensors().values()) {
                for (int i = 0; i < x.size(); i++) {
                    assertTrue(Float.isFinite(x.data()[x.offset() + i]));
                }
            }
        }
    }

    @Test
    void logLinesAndCheckpointFilesHaveTheReferenceNames(@TempDir Path tmp) throws IOException {
        Preset p = TinyRun.preset();
        try (GazeDataset train = TinyRun.open(data, Splits.TRAIN);
             GazeDataset val = TinyRun.open(data, Splits.VAL);
             Trainer t = new Trainer(p, Backends.create("vector"), train, val, options(2).withIntervals(2, 1), tmp)) {
            t.train(null);
            List<String> lines = Files.readAllLines(tmp.resolve("log.jsonl"));
            assertEquals(2, lines.size());
            for (String line : lines) {
                JsonNode j = JSON.readTree(line);
                assertFalse(j.get("skipped").asBoolean());
                double sum = 0;
                LossWeights w = LossWeights.reference();
                double[] weights = {w.head(), w.face(), w.eyes(), w.nonhead(), w.background()};
                for (int i = 0; i < ReconstructionLoss.TERMS.length; i++) {
                    JsonNode term = j.get(ReconstructionLoss.TERMS[i]);
                    assertTrue(term != null && term.isNumber() && term.asDouble() >= 0, line);
                    sum += weights[i] * term.asDouble();
                }
                assertEquals(sum + j.get("penalty").asDouble(), j.get("loss").asDouble(), 1e-9, line);
                assertTrue(j.get("held_out_psnr").asDouble() > 0, line);
                assertTrue(j.get("held_out_head_psnr").asDouble() > 0, line);
                assertTrue(j.get("points_per_second").asDouble() > 0, line);
            }
            CheckpointStore.Loaded c = t.checkpoints().latest(w -> fail(w)).orElseThrow();
            SafeTensors.Contents weights = c.file("weights");
            int width = p.mlpWidth();
            int in = p.encodedChannels() + p.shapeCodeDims();
            assertArrayEquals(new int[]{width, in}, weights.get("fg_CD_predictor_face.FeaExt_module_0.weight").shape());
            assertArrayEquals(new int[]{width, in}, weights.get("fg_CD_predictor_eyes.FeaExt_module_0.weight").shape());
            assertArrayEquals(new int[]{1, width}, weights.get("fg_CD_predictor_face.density_module.weight").shape());
            assertArrayEquals(new int[]{1, p.featureChannels(), p.featmapSize(), p.featmapSize()},
                    weights.get("neural_render.bg_featmap").shape());
            GazeNerfModel m = t.model();
            assertEquals(m.parameterCount(), weights.tensors().values().stream().mapToLong(SafeTensors.Tensor::size).sum());
            SafeTensors.Contents offsets = c.file("offsets");
            assertArrayEquals(new int[]{train.size(), 100}, offsets.get("iden_offset").shape());
            assertArrayEquals(new int[]{train.size(), 79}, offsets.get("expr_offset").shape());
            assertArrayEquals(new int[]{train.size(), 127}, offsets.get("appea_offset").shape());
            assertArrayEquals(new int[]{train.size(), 3}, offsets.get("delta_EulurAngles").shape());
            assertArrayEquals(new int[]{train.size(), 3}, offsets.get("delta_Tvecs").shape());
            SafeTensors.Contents opt = c.file("optimizer");
            assertArrayEquals(new int[]{width, in}, opt.get("exp_avg_sq.fg_CD_predictor_face.FeaExt_module_0.weight").shape());
            assertEquals(2, c.manifest().get("adam_step").asInt());
        }
    }
}
