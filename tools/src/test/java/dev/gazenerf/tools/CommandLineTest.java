package dev.gazenerf.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every subcommand on tiny inputs, in the order a user runs them, and every user error with its one-line
 * message and exit code 2 (no stack trace).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CommandLineTest {
    /** A shrunken tiny preset so that the whole pipeline runs in seconds. */
    private static final String[] SMALL = {"--set", "featmapSize=8", "--set", "samples=8", "--set", "mlpWidth=16",
            "--set", "featureChannels=12", "--set", "outputSize=32", "--set", "minRendererChannels=8", "--set", "frequencies=4"};

    @TempDir
    static Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** The arguments followed by the shrunken preset's overrides. */
    static String[] small(String... args) {
        List<String> l = new ArrayList<>(List.of(args));
        l.addAll(List.of(SMALL));
        return l.toArray(new String[0]);
    }

    @Test
    @Order(1)
    void infoPrintsBackendsAndThePaperParameterCount() throws Exception {
        Run r = run("info", "--preset", "paper");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("5,015,714"), r.out());
        assertTrue(r.out().contains("vector") && r.out().contains("scalar"), r.out());
        Run j = run("info", "--preset", "paper", "--json");
        JsonNode n = new ObjectMapper().readTree(j.out());
        assertEquals(5_015_714, n.path("preset").path("parameters").path("total").asLong());
        assertEquals(1_518_979, n.path("preset").path("parameters").path("fg_CD_predictor_face").asLong());
    }

    /**
     * {@code train --backend opencl} runs the device-resident step (DeviceModelStep), checkpoints from the device,
     * and resumes onto it; the loss stays finite.
     */
    @Test
    @Order(3)
    void trainOnOpenClRunsTheDeviceStep() throws Exception {
        String why = dev.gazenerf.backend.Backends.openClUnavailableReason();
        if (why != null) {
            assertTrue(!Boolean.getBoolean("gazenerf.opencl.required"), "OpenCL is required but " + why);
            org.junit.jupiter.api.Assumptions.abort("skipped: " + why);
        }
        Path data = dir.resolve("data-ocl");
        assertEquals(0, run("synth", "--out", data.toString(), "--subjects", "4", "--images", "2", "--size", "32",
                "--quiet").code());
        Path runDir = dir.resolve("run-ocl");
        Run t = run(small("train", "--data", data.toString(), "--out", runDir.toString(), "--steps", "3",
                "--checkpoint-every", "2", "--eval-every", "0", "--backend", "opencl", "--quiet"));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("backend: opencl") && t.out().contains("device-resident OpenCL plan"), t.out());
        Run resumed = run(small("train", "--data", data.toString(), "--out", runDir.toString(), "--steps", "4",
                "--backend", "opencl", "--resume", "--quiet"));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resuming at step 3"), resumed.out());
        List<String> log = Files.readAllLines(runDir.resolve("log.jsonl"));
        assertEquals(4, log.size());
        for (String line : log) {
            JsonNode n = new ObjectMapper().readTree(line);
            assertTrue(n.path("skipped").asBoolean() || Double.isFinite(n.path("loss").asDouble(Double.NaN)), line);
        }
    }

    @Test
    @Order(2)
    void synthTrainFitRedirectEvaluate() throws Exception {
        Path data = dir.resolve("data");
        Run s = run("synth", "--out", data.toString(), "--subjects", "5", "--images", "2", "--size", "32", "--quiet");
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.isRegularFile(data.resolve("xgaze_subject0000.h5")));
        assertTrue(Files.isRegularFile(data.resolve("train_test_split.json")));
        assertTrue(Files.isRegularFile(data.resolve("contact_sheet.png")));

        Path runDir = dir.resolve("run");
        Run t = run(small("train", "--data", data.toString(), "--out", runDir.toString(), "--steps", "4",
                "--checkpoint-every", "2", "--eval-every", "2", "--backend", "vector", "--quiet"));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("backend: vector"), t.out());
        assertEquals(4, Files.readAllLines(runDir.resolve("log.jsonl")).size());
        // again without --resume: refused, nothing lost
        Run again = run(small("train", "--data", data.toString(), "--out", runDir.toString(), "--steps", "6", "--quiet"));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--resume"), again.err());
        Run resumed = run(small("train", "--data", data.toString(), "--out", runDir.toString(), "--steps", "6",
                "--resume", "--quiet"));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resuming at step 4"), resumed.out());
        assertEquals(6, Files.readAllLines(runDir.resolve("log.jsonl")).size());

        Run f = run("fit", "--run", runDir.toString(), "--data", data.toString(), "--subject", "4", "--index", "0",
                "--steps", "3", "--quiet");
        assertEquals(0, f.code(), f.err());
        assertTrue(Files.isRegularFile(runDir.resolve("fits/subject0004_0/face.json")));

        Path png = dir.resolve("one.png");
        Run r = run("redirect", "--run", runDir.toString(), "--data", data.toString(), "--subject", "4", "--index", "0",
                "--pitch", "0.2", "--yaw", "-0.3", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(32, javax.imageio.ImageIO.read(png.toFile()).getWidth());
        Path sweep = dir.resolve("sweep.png");
        Run sw = run("redirect", "--run", runDir.toString(), "--data", data.toString(), "--subject", "subject0004.h5",
                "--index", "0", "--sweep", "3", "--out", sweep.toString());
        assertEquals(0, sw.code(), sw.err());
        assertEquals(3 * 32 + 2 * 2, javax.imageio.ImageIO.read(sweep.toFile()).getWidth());

        Path eval = dir.resolve("eval");
        Run e = run("evaluate", "--run", runDir.toString(), "--data", data.toString(), "--out", eval.toString(),
                "--fit-steps", "2", "--quiet");
        assertEquals(0, e.code(), e.err());
        JsonNode m = new ObjectMapper().readTree(eval.resolve("metrics.json").toFile());
        assertEquals(1, m.get("pairs").asInt());
        for (String set : List.of("redirected", "unchanged_input", "model_at_input_gaze")) {
            for (String k : List.of("psnr", "ssim", "l1", "eye_psnr")) {
                assertTrue(m.path(set).has(k), set + "." + k + " in " + m);
            }
        }
        try (var pairs = Files.list(eval.resolve("pairs"))) {
            assertEquals(1, pairs.count());
        }
    }

    @Test
    @Order(3)
    void demoWritesReportAndMetrics() throws Exception {
        Path out = dir.resolve("demo");
        Run d = run(small("demo", "--out", out.toString(), "--subjects", "5", "--images", "2", "--steps", "3",
                "--fit-steps", "2", "--pairs", "1", "--quiet"));
        assertEquals(0, d.code(), d.err());
        assertTrue(Files.isRegularFile(out.resolve("report.html")));
        assertTrue(Files.isRegularFile(out.resolve("sweep.png")));
        ObjectMapper om = new ObjectMapper();
        JsonNode m = om.readTree(out.resolve("metrics.json").toFile());
        assertEquals(1, m.get("pairs").asInt());
        assertEquals(1, m.get("per_pair").size());
        assertTrue(m.get("eye_wins").asInt() >= 0 && m.get("eye_wins").asInt() <= 1);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("eval/pairs/"), "report lacks the loss curve or the pairs");
        // the demo's defaults: big dark-iris eyes, the gaze in the eye stream only
        JsonNode synth = om.readTree(out.resolve("data").resolve("synth_config.json").toFile());
        assertEquals(2.0, synth.get("eyeScale").asDouble(), 0);
        assertEquals(0.4, synth.get("irisAlbedo").asDouble(), 1e-12);
        assertTrue(lastManifest(out).get("preset").get("gazeFreeFace").asBoolean(), "the demo feeds the gaze to the eye stream only");
        assertTrue(html.contains("gaze fed to the eye stream only"), "the report does not say where the gaze goes");
    }

    private static JsonNode lastManifest(Path demoOut) throws Exception {
        try (var steps = Files.list(demoOut.resolve("run").resolve("checkpoints"))) {
            return new ObjectMapper().readTree(steps.sorted().reduce((a, b) -> b).orElseThrow().resolve("manifest.json").toFile());
        }
    }

    @Test
    @Order(3)
    void demoFlagsReachTheDataTrainingAndFit() throws Exception {
        Path out = dir.resolve("demo-flags");
        Run d = run(small("demo", "--out", out.toString(), "--subjects", "5", "--images", "2", "--steps", "3",
                "--fit-steps", "2", "--pairs", "1", "--eye-weight", "3.5", "--eye-scale", "1.25", "--iris-albedo", "0.5",
                "--lr-decay-steps", "7", "--frozen-net", "--gaze-in-face", "--quiet"));
        assertEquals(0, d.code(), d.err());
        ObjectMapper om = new ObjectMapper();
        JsonNode synth = om.readTree(out.resolve("data").resolve("synth_config.json").toFile());
        assertEquals(1.25, synth.get("eyeScale").asDouble(), 0);
        assertEquals(0.5, synth.get("irisAlbedo").asDouble(), 0);
        JsonNode manifest = lastManifest(out);
        assertFalse(manifest.get("preset").get("gazeFreeFace").asBoolean(), "--gaze-in-face feeds the gaze to the face stream too");
        assertEquals(3.5, manifest.get("options").get("loss").get("eyes").asDouble(), 0);
        assertEquals(7, manifest.get("options").get("lrDecaySteps").asInt());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("codes and camera only"), "the report does not say the fit froze the networks");
        assertTrue(html.contains("eye weight 3.5"), "the report does not give the eye weight");

        for (String[] bad : List.of(new String[]{"--eye-weight", "-1"}, new String[]{"--eye-scale", "3"},
                new String[]{"--iris-albedo", "0"})) {
            List<String> args = new java.util.ArrayList<>(List.of("demo", "--out", dir.resolve("demo-bad" + bad[0]).toString(), "--quiet"));
            args.addAll(List.of(bad));
            Run r = run(small(args.toArray(String[]::new)));
            assertEquals(2, r.code(), String.join(" ", bad) + " -> " + r.err());
            assertTrue(r.err().startsWith("gazenerf: error: ") && r.err().contains(bad[0].substring(2).replace('-', ' ').split(" ")[0]),
                    String.join(" ", bad) + " -> " + r.err());
        }
    }

    @Test
    @Order(4)
    void userErrorsAreOneLineWithExitCode2() {
        List<String[]> cases = List.of(
                new String[]{"train", "--data", dir.resolve("nope").toString(), "--out", dir.resolve("r").toString()},
                new String[]{"train", "--data", dir.toString(), "--out", dir.resolve("r").toString(), "--set", "sampels=3"},
                new String[]{"train", "--data", dir.toString(), "--out", dir.resolve("r").toString(), "--steps", "many"},
                new String[]{"info", "--preset", "huge"},
                new String[]{"info", "--backend", "cuda"},
                new String[]{"fit", "--run", dir.resolve("norun").toString(), "--data", dir.resolve("data").toString(),
                        "--subject", "4", "--index", "0"},
                new String[]{"redirect", "--run", dir.resolve("run").toString(), "--data", dir.resolve("data").toString(),
                        "--subject", "77", "--index", "0", "--out", dir.resolve("x.png").toString()},
                new String[]{"synth", "--out", dir.resolve("s").toString(), "--subjects", "0"},
                new String[]{"bogus"});
        String[] expected = {"no such directory", "unknown preset key 'sampels'", "many", "unknown preset 'huge'",
                "unknown backend 'cuda'", "norun", "subject0077.h5", "synth", "bogus"};
        for (int i = 0; i < cases.size(); i++) {
            Run r = run(cases.get(i));
            assertEquals(2, r.code(), String.join(" ", cases.get(i)) + " -> " + r.err());
            assertTrue(r.err().contains(expected[i]), String.join(" ", cases.get(i)) + " -> " + r.err());
            assertTrue(r.err().startsWith("gazenerf: error: "), r.err());
            assertFalse(r.err().contains("\tat "), "a stack trace leaked: " + r.err());
        }
    }
}
