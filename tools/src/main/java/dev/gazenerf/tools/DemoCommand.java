package dev.gazenerf.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gazenerf.backend.Backend;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.datasets.synth.SynthConfig;
import dev.gazenerf.datasets.synth.SynthSummary;
import dev.gazenerf.datasets.synth.SyntheticDataset;
import dev.gazenerf.model.Preset;
import dev.gazenerf.training.Evaluator;
import dev.gazenerf.training.FitOptions;
import dev.gazenerf.training.FittedFace;
import dev.gazenerf.training.LossWeights;
import dev.gazenerf.training.TrainOptions;
import dev.gazenerf.training.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code gazenerf demo}: the whole pipeline on the built-in synthetic data, end to end: synthesize a small set,
 * train a small preset, fit held-out faces and redirect them, evaluate against the exact targets, and write
 * {@code OUT/report.html} and {@code OUT/metrics.json}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Synthesize, train, fit, redirect and evaluate end to end; writes OUT/report.html and OUT/metrics.json.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--preset", defaultValue = "tiny", paramLabel = "NAME", description = "Preset (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--subjects", defaultValue = "6", paramLabel = "N", description = "Synthetic subjects, the last 20%% held out (default ${DEFAULT-VALUE}).")
    int subjects;

    @Option(names = "--images", defaultValue = "12", paramLabel = "N", description = "Images per subject (default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--steps", defaultValue = "7000", paramLabel = "N",
            description = "Training steps (default ${DEFAULT-VALUE}: about 11 minutes on 2 cores; the eyes appear after 3,000 to 5,000).")
    int steps;

    @Option(names = "--lr-scale", defaultValue = "10", paramLabel = "F",
            description = "Learning-rate multiplier for training and fitting (default ${DEFAULT-VALUE}: the reference's rates are for days of training).")
    float lrScale;

    @Option(names = "--lr-decay-steps", defaultValue = "0", paramLabel = "N",
            description = "Multiply the training rates by 0.1^(step/N); 0 keeps them constant, as the reference (default ${DEFAULT-VALUE}).")
    int lrDecaySteps;

    @Option(names = "--fit-steps", defaultValue = "40", paramLabel = "N", description = "Fitting steps per held-out input (default ${DEFAULT-VALUE}).")
    int fitSteps;

    @Option(names = "--pairs", defaultValue = "6", paramLabel = "N", description = "Evaluation pairs (default ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--frozen-net",
            description = "Fit only the codes and camera of each held-out input, never the networks, at HeadNeRF's rates (not scaled by --lr-scale); default: the whole network, as the reference.")
    boolean frozenNet;

    @Option(names = "--eye-weight", defaultValue = "1", paramLabel = "W",
            description = "Weight of the eye term L1(merge_img_eyes, GT | eyes) in training and fitting (default ${DEFAULT-VALUE}, the reference's 1).")
    double eyeWeight;

    @Option(names = "--eye-scale", defaultValue = "2", paramLabel = "F",
            description = "Synthetic eyeball radius times F, in [0.5, 2] (default ${DEFAULT-VALUE}: at 1 an eye spans about one ray of the tiny preset's 16 x 16).")
    double eyeScale;

    @Option(names = "--iris-albedo", defaultValue = "0.4", paramLabel = "F",
            description = "Synthetic iris colour times F, in (0, 1]; smaller is darker (default ${DEFAULT-VALUE}).")
    double irisAlbedo;

    @Option(names = "--gaze-in-face",
            description = "Feed the gaze to the face stream too, as the reference code does (--set gazeFreeFace=false); default: the eye stream only, "
                    + "so that only the eyes may change with the gaze.")
    boolean gazeInFace;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the data and the training (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        // the demo's own default (gaze in the eye stream only) goes before the user's --set, which wins
        Preset p = Presets.resolve(preset, common, List.of("gazeFreeFace=" + !gazeInFace));
        LossWeights lw = eyeWeights(eyeWeight);
        Files.createDirectories(out);
        Path dataDir = out.resolve("data");
        Path runDir = out.resolve("run");
        Path evalDir = out.resolve("eval");
        if (Files.isDirectory(runDir.resolve("checkpoints"))) {
            throw new IllegalArgumentException(out + " already holds a demo run: choose another --out");
        }
        Map<String, String> timings = new LinkedHashMap<>();

        // 1. data
        w.printf("1/4 synthesizing %d subjects x %d images at %dpx into %s%n", subjects, images, p.outputSize(), dataDir);
        w.flush();
        long t = System.nanoTime();
        SynthSummary synth;
        try (Progress bar = new Progress("synth", (long) subjects * images, quiet)) {
            synth = SyntheticDataset.generate(SynthConfig.defaults(subjects, images, p.outputSize(), seed).withEyes(eyeScale, irisAlbedo), dataDir,
                    (done, total) -> bar.stepTo(done));
        }
        timings.put("synthesize", secs(t));

        DataOptions data = new DataOptions();
        data.dir = dataDir;
        data.prefix = "xgaze_";
        try (Backend be = common.openBackend(w)) {
            // 2. training
            TrainOptions o = TrainOptions.reference(steps).withLearningRateScale(lrScale).withSeed(seed)
                    .withIntervals(Math.max(1, steps / 4), Math.max(1, steps / 15)).withLoss(lw)
                    .withLrDecaySteps(lrDecaySteps);
            // the frozen protocol's rates are already HeadNeRF's high ones: --lr-scale scales only the reference fit
            FitOptions fo = (frozenNet ? FitOptions.frozenNetwork(fitSteps)
                    : FitOptions.reference(fitSteps).withLearningRateScale(lrScale)).withLoss(lw);
            t = System.nanoTime();
            long params;
            try (GazeDataset train = data.open(Splits.TRAIN, p);
                 GazeDataset val = data.openOptional(Splits.VAL, p);
                 Trainer tr = new Trainer(p, be, train, val, o, runDir)) {
                params = tr.model().parameterCount();
                w.printf("2/4 training preset %s (%,d parameters) on %d images for %d steps%n", p.name(), params, train.size(), steps);
                w.flush();
                try (Progress bar = new Progress("train", steps, quiet)) {
                    tr.train(r -> {
                        bar.stepTo(r.step());
                        if (!r.skipped()) {
                            bar.extra(String.format(Locale.ROOT, "loss %.4f", r.loss()));
                        }
                    });
                }
            }
            timings.put("train", secs(t));

            // 3. evaluation: fit each held-out input, redirect it to its target's gaze
            w.printf("3/4 evaluating %d held-out pairs (fitting %d steps each)%n", pairs, fitSteps);
            w.flush();
            t = System.nanoTime();
            Evaluator.Metrics m = EvaluateCommand.run(be, runDir, data, Splits.VAL, evalDir, pairs, fo, quiet, w);
            Files.copy(evalDir.resolve("metrics.json"), out.resolve("metrics.json"), StandardCopyOption.REPLACE_EXISTING);
            timings.put("evaluate", secs(t));

            // 4. a gaze sweep of the first held-out face
            w.println("4/4 redirecting a held-out face over a grid of gazes");
            w.flush();
            t = System.nanoTime();
            FaceOptions face = new FaceOptions();
            face.data = data;
            face.subject = synth.valSubjects().get(0);
            face.index = 0;
            Path fitDir = FitCommand.fit(be, runDir, face, fo, true, w);
            int sweep = 5;
            try (FittedFace f = FittedFace.load(fitDir, be)) {
                List<float[]> tiles = new ArrayList<>();
                for (int i = 0; i < sweep; i++) {
                    for (int j = 0; j < sweep; j++) {
                        tiles.add(f.render(-0.4f + 0.8f * i / (sweep - 1), -0.6f + 1.2f * j / (sweep - 1)));
                    }
                }
                int o2 = p.outputSize();
                int[] size = new int[2];
                float[] grid = Png.grid(tiles, o2, o2, sweep, size);
                Png.write(out.resolve("sweep.png"), grid, size[0], size[1]);
            }
            timings.put("fit and sweep", secs(t));
            timings.put("total", secs(t0));
            writeReport(p, params, m, timings, be);
            w.printf("done in %s: %s and %s%n", timings.get("total"), out.resolve("report.html"), out.resolve("metrics.json"));
            w.printf(Locale.ROOT, "redirected PSNR %.2f dB vs unchanged input %.2f dB; eye-region PSNR %.2f dB vs model at input gaze "
                    + "%.2f dB (redirected ahead in %d of %d pairs)%n", m.redirected().psnr(), m.unchangedInput().psnr(),
                    m.redirected().eyePsnr(), m.modelAtInputGaze().eyePsnr(), m.eyeWins(), m.pairs());
        }
        return 0;
    }

    private void writeReport(Preset p, long params, Evaluator.Metrics m, Map<String, String> timings, Backend be) throws Exception {
        Report r = new Report("gazenerf-jvm demo");
        r.paragraph("GazeNeRF trained from scratch on the built-in synthetic ground-truth data, then used to redirect the gaze "
                + "of held-out faces it never saw in training. Everything ran in plain Java on the '" + be.name()
                + "' backend (" + be.device() + ").");
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("preset", p.name() + " (" + String.format(Locale.ROOT, "%,d", params) + " parameters, " + p.featmapSize() + "x"
                + p.featmapSize() + " rays x " + p.samples() + " samples, " + p.outputSize() + "px output)");
        kv.put("data", subjects + " synthetic subjects x " + images + " images (the last 20% held out), eyeball radius x "
                + eyeScale + ", iris colour x " + irisAlbedo);
        kv.put("training", steps + " steps, batch 2, reference learning rates x " + lrScale
                + (lrDecaySteps > 0 ? " decaying by 0.1^(step/" + lrDecaySteps + ")" : " (constant)") + ", eye weight " + eyeWeight
                + (p.gazeFreeFace() ? ", gaze fed to the eye stream only" : ", gaze fed to both streams (as the reference code)"));
        kv.put("fitting", fitSteps + " steps per held-out input (" + (frozenNet
                ? "codes and camera only, networks frozen, as HeadNeRF)" : "whole network and offsets, as the reference)"));
        timings.forEach((k, v) -> kv.put("time: " + k, v));
        r.keyValues(kv);
        r.heading("Data");
        Files.copy(out.resolve("data").resolve("contact_sheet.png"), out.resolve("contact_sheet.png"), StandardCopyOption.REPLACE_EXISTING);
        r.image("contact_sheet.png", "a sample of the synthetic subjects, cameras, lights and gazes", 560);
        r.heading("Training");
        r.lossCurve(out.resolve("run").resolve("log.jsonl"));
        r.heading("Redirection of held-out faces (metrics.json)");
        JsonNode mj = new ObjectMapper().valueToTree(m);
        r.metricsTable(mj, List.of("redirected", "unchanged_input", "model_at_input_gaze"), List.of("psnr", "ssim", "l1", "eye_psnr"));
        r.paragraph("redirected: the fitted input face rendered at the target's gaze, camera and light; unchanged_input: the input "
                + "image itself; model_at_input_gaze: the same render keeping the input's gaze. All against the exact target with "
                + "the background white; eye_psnr over the target's eye masks. The redirected render beats the model at the "
                + "input's gaze in eye_psnr in " + m.eyeWins() + " of " + m.pairs() + " pairs (each pair's scores: metrics.json, per_pair).");
        try (var files = Files.list(out.resolve("eval").resolve("pairs"))) {
            for (Path f : files.sorted().toList()) {
                r.image("eval/pairs/" + f.getFileName(), f.getFileName() + ": input | target | redirected | model at input gaze",
                        4 * p.outputSize() * 2 + 6);
            }
        }
        r.heading("A gaze sweep");
        r.image("sweep.png", "a held-out face redirected: rows pitch -0.4 .. 0.4 rad, columns yaw -0.6 .. 0.6 rad", 5 * p.outputSize() * 2);
        r.write(out.resolve("report.html"));
    }

    /** The reference's loss weights with the eye term's weight {@code w} (a bad value fails naming the flag). */
    static LossWeights eyeWeights(double w) {
        if (!(w >= 0) || Double.isInfinite(w)) {
            throw new IllegalArgumentException("--eye-weight must be finite and >= 0, got " + w);
        }
        LossWeights r = LossWeights.reference();
        return new LossWeights(r.l1(), r.head(), r.face(), w, r.nonhead(), r.background(), r.euler(), r.translation(),
                r.iden(), r.expr(), r.appearance(), r.vgg(), r.functional());
    }

    private static String secs(long t0) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - t0) / 1e9);
    }
}
