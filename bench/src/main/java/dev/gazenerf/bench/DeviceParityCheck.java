package dev.gazenerf.bench;

import dev.gazenerf.backend.Backends;
import dev.gazenerf.datasets.GazeDataset;
import dev.gazenerf.datasets.LoaderOptions;
import dev.gazenerf.datasets.Splits;
import dev.gazenerf.datasets.synth.SynthConfig;
import dev.gazenerf.datasets.synth.SyntheticDataset;
import dev.gazenerf.model.Preset;
import dev.gazenerf.training.ModelState;
import dev.gazenerf.training.TrainOptions;
import dev.gazenerf.training.Trainer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code DeviceTrainingTest}'s comparison as a program, for machines where only the benchmark jar runs (a GPU
 * machine without Maven): N steps of a preset's trainer on {@code vector} and on {@code opencl} (the device step)
 * from the same initialization; prints the worst relative loss difference and the parameter differences per
 * network. Arguments: preset (tiny), steps (20), batch (2). Not a benchmark and not a test: a check to run by hand.
 */
public final class DeviceParityCheck {
    private DeviceParityCheck() {
    }

    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "tiny";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Preset p = Preset.load(name);
        Path dir = Files.createTempDirectory("gazenerf-parity-");
        SyntheticDataset.generate(SynthConfig.defaults(3, 4, p.outputSize(), 11), dir.resolve("data"), null);
        TrainOptions o = TrainOptions.reference(steps).withLearningRateScale(10).withIntervals(1_000_000, 0)
                .withBatchSize(batch);
        double[][] loss = new double[2][steps];
        ModelState[] states = new ModelState[2];
        String[] impls = {"vector", "opencl"};
        for (int k = 0; k < 2; k++) {
            try (GazeDataset train = GazeDataset.open(dir.resolve("data"), Splits.TRAIN,
                    LoaderOptions.defaults().withOutputSize(p.outputSize()));
                 Trainer t = new Trainer(p, Backends.create(impls[k]), train, null, o, dir.resolve("run-" + k))) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    loss[k][i] = t.trainStep().loss();
                }
                System.out.printf("%s: %d steps in %.2f s (device step: %s)%n", impls[k], steps,
                        (System.nanoTime() - t0) / 1e9, t.runsOnDevice());
                states[k] = t.state();
            }
        }
        double worst = 0;
        for (int i = 0; i < steps; i++) {
            if (!Double.isNaN(loss[0][i])) {
                worst = Math.max(worst, Math.abs(loss[1][i] - loss[0][i]) / Math.abs(loss[0][i]));
            }
        }
        System.out.printf("%s batch %d, %d steps: loss rel %.3g (first %.6f last %.6f), params rel face %.3g eyes %.3g"
                        + " renderer %.3g, offsets abs %.3g%n", name, batch, steps, worst, loss[0][0], loss[0][steps - 1],
                rel(states[1].params.face, states[0].params.face), rel(states[1].params.eyes, states[0].params.eyes),
                rel(states[1].params.renderer, states[0].params.renderer),
                abs(states[1].offsets.values, states[0].offsets.values));
    }

    private static double rel(float[] a, float[] b) {
        double d = 0;
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
            s = Math.max(s, Math.abs(b[i]));
        }
        return d / s;
    }

    private static double abs(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
