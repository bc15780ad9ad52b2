package dev.gazenerf.tools;

import dev.gazenerf.backend.Backend;
import dev.gazenerf.training.FittedFace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code gazenerf redirect}: renders a fitted face at a gaze, or at a sweep of gazes. */
@Command(name = "redirect", mixinStandardHelpOptions = true,
        description = "Render a fitted face (RUN/fits/<subject>_<index>, fitted first if missing) at a gaze (radians) or a sweep of gazes.")
final class RedirectCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    FaceOptions face;

    @Option(names = "--run", required = true, paramLabel = "RUN", description = "Run directory.")
    Path run;

    @Option(names = "--pitch", defaultValue = "0", paramLabel = "P", description = "Target pitch in radians (default ${DEFAULT-VALUE}).")
    float pitch;

    @Option(names = "--yaw", defaultValue = "0", paramLabel = "Y", description = "Target yaw in radians (default ${DEFAULT-VALUE}).")
    float yaw;

    @Option(names = "--sweep", paramLabel = "N", description = "Instead of one gaze, an N x N grid of pitches in [-0.4, 0.4] and yaws in [-0.6, 0.6] rad.")
    Integer sweep;

    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "Output PNG.")
    Path out;

    @Option(names = "--fit-steps", defaultValue = "75", paramLabel = "N", description = "Fitting steps when the face is not fitted yet (default ${DEFAULT-VALUE}).")
    int fitSteps;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        if (sweep != null && (sweep < 2 || sweep > 12)) {
            throw new IllegalArgumentException("--sweep must be between 2 and 12, got " + sweep);
        }
        if (!out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw new IllegalArgumentException("--out " + out + ": the output is a PNG file (name it *.png)");
        }
        try (Backend be = common.openBackend(w)) {
            Path dir = run.resolve("fits").resolve(face.slug());
            if (!Files.isDirectory(dir)) {
                w.println("no fit in " + dir + ": fitting first (" + fitSteps + " steps)");
                FitCommand.fit(be, run, face, fitSteps, false, 1f, true, w);
            }
            try (FittedFace f = FittedFace.load(dir, be)) {
                int o = f.preset().outputSize();
                if (sweep == null) {
                    Png.write(out, f.render(pitch, yaw), o, o);
                    w.printf("rendered %s at pitch %.3f, yaw %.3f rad to %s%n", face.slug(), pitch, yaw, out);
                } else {
                    List<float[]> tiles = new ArrayList<>();
                    for (int i = 0; i < sweep; i++) {
                        for (int j = 0; j < sweep; j++) {
                            float p = -0.4f + 0.8f * i / (sweep - 1);
                            float y = -0.6f + 1.2f * j / (sweep - 1);
                            tiles.add(f.render(p, y));
                        }
                    }
                    int[] size = new int[2];
                    float[] grid = Png.grid(tiles, o, o, sweep, size);
                    Png.write(out, grid, size[0], size[1]);
                    w.printf("rendered a %dx%d sweep (rows: pitch -0.4..0.4, columns: yaw -0.6..0.6 rad) to %s%n", sweep, sweep, out);
                }
            }
        }
        return 0;
    }
}
