package dev.gazenerf.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.backend.Backends;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.Splits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The evaluation on a tiny synthetic set (4 subjects x 4 images at 32 px; the held-out subject gives 2 pairs)
 * after 10 training steps: structure of metrics.json, finiteness, the unchanged input scored against the
 * white-background target, and determinism. Quality is not asserted: a model this small and short-trained
 * need not beat the unchanged input.
 */
class EvaluatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void metricsHaveTheContractsShapeAndRepeatBitForBit(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        TinyRun.generate(data, 4, 4);
        try (GazeDataset train = TinyRun.open(data, Splits.TRAIN);
             Trainer t = new Trainer(TinyRun.preset(), Backends.create("vector"), train, null,
                     TrainOptions.reference(10).withLearningRateScale(25).withIntervals(10, 0), tmp.resolve("run"))) {
            t.train(null);
        }
        try (GazeDataset val = TinyRun.open(data, Splits.VAL);
             Fitter fitter = Fitter.fromRun(tmp.resolve("run"), Backends.create("vector"), w -> fail(w))) {
            assertEquals(List.of(new Evaluator.Pair(0, 0, 2), new Evaluator.Pair(0, 1, 3)), Evaluator.pairs(val, 0));
            assertEquals(1, Evaluator.pairs(val, 1).size());
            Evaluator ev = new Evaluator(fitter, FitOptions.reference(3).withLearningRateScale(25));
            List<Evaluator.PairResult> results = new ArrayList<>();
            Evaluator.Metrics m = ev.evaluate(val, 0, results::add);
            assertEquals(2, m.pairs());
            assertEquals(2, results.size());

            JsonNode j = JSON.readTree(JSON.writeValueAsString(m));
            List<String> keys = new ArrayList<>();
            j.fieldNames().forEachRemaining(keys::add);
            assertEquals(List.of("pairs", "redirected", "unchanged_input", "model_at_input_gaze", "eye_wins", "per_pair"), keys);
            assertEquals(2, j.get("per_pair").size());
            int wins = 0;
            for (int q = 0; q < 2; q++) {
                Evaluator.PairResult r = results.get(q);
                JsonNode pj = j.get("per_pair").get(q);
                assertEquals(val.subjectKey(0), pj.get("subject").asText());
                assertEquals(r.pair().input(), pj.get("input").asInt());
                assertEquals(r.pair().target(), pj.get("target").asInt());
                assertEquals(r.redirectedScores().psnr(), pj.get("redirected").get("psnr").asDouble());
                assertEquals(r.modelAtInputGazeScores().eyePsnr(), pj.get("model_at_input_gaze").get("eye_psnr").asDouble());
                assertEquals(r.unchangedInputScores().ssim(), pj.get("unchanged_input").get("ssim").asDouble());
                wins += r.redirectedScores().eyePsnr() > r.modelAtInputGazeScores().eyePsnr() ? 1 : 0;
            }
            assertEquals(wins, j.get("eye_wins").asInt());
            assertEquals(2, j.get("pairs").asInt());
            for (String set : List.of("redirected", "unchanged_input", "model_at_input_gaze")) {
                List<String> scores = new ArrayList<>();
                for (Iterator<String> it = j.get(set).fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    scores.add(k);
                    assertTrue(j.get(set).get(k).isNumber() && Double.isFinite(j.get(set).get(k).asDouble()), set + "." + k);
                }
                assertEquals(List.of("psnr", "ssim", "l1", "eye_psnr"), scores, set);
            }
            assertEquals(2, m.perPair().size());

            int o = TinyRun.preset().outputSize();
            double sumPsnr = 0;
            for (Evaluator.PairResult r : results) {
                assertEquals(o, r.size());
                for (float[] img : List.of(r.inputImage(), r.target(), r.redirected(), r.modelAtInputGaze())) {
                    assertEquals(o * o * 3, img.length);
                    for (float v : img) {
                        assertTrue(v >= 0 && v <= 1, "pixel in [0, 1]");
                    }
                }
                assertFalse(java.util.Arrays.equals(r.redirected(), r.modelAtInputGaze()), "the gaze changes the rendering");
                assertEquals(ImageMetrics.psnr(r.inputImage(), r.target(), o, o), r.unchangedInputScores().psnr());
                assertEquals(ImageMetrics.l1(r.redirected(), r.target(), o, o), r.redirectedScores().l1());
                sumPsnr += r.redirectedScores().psnr();
                assertTrue(r.unchangedInputScores().psnr() > 5 && r.redirectedScores().ssim() > -1);
            }
            assertEquals(sumPsnr / 2, m.redirected().psnr(), 1e-12);

            Evaluator.Metrics again = ev.evaluate(val, 0, null);
            assertEquals(m, again, "deterministic");
            List<Evaluator.PairResult> one = new ArrayList<>();
            ev.evaluate(val, 1, one::add);
            assertArrayEquals(results.get(0).redirected(), one.get(0).redirected());
        }
    }

    @Test
    void aSetWithoutPairsIsAnError(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        TinyRun.generate(data, 2, 1);
        var preset = TinyRun.preset();
        ModelState fresh = new ModelState(new dev.gazenerf.model.GazeNerfModel(preset), 3, 1,
                FitOptions.reference(1).asTrainOptions(), true);
        var weights = new dev.gazenerf.io.SafeTensors.Contents(fresh.weightTensors(), java.util.Map.of());
        try (GazeDataset val = TinyRun.open(data, Splits.VAL);
             Fitter fitter = new Fitter(preset, Backends.create("vector"), weights, "fresh")) {
            assertTrue(Evaluator.pairs(val, 0).isEmpty());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Evaluator(fitter, FitOptions.reference(1)).evaluate(val, 0, null));
            assertTrue(e.getMessage().contains("at least two images"), e.getMessage());
        }
    }
}
