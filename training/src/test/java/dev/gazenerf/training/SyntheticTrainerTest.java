package dev.gazenerf.training;

import dev.gazenerf.backend.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmarks' trainer setup on the shrunken preset ({@link TinyRun#preset}): one step done at start, the first-step
 * check against {@code vector} (run for {@code scalar}, skipped for {@code vector} itself), a failed check throws,
 * and the temporary folder is gone after close and after a failed start.
 */
class SyntheticTrainerTest {
    @Test
    void vectorIsTheReferenceAndStartsOneStepIn(@TempDir Path tmp) throws IOException {
        try (SyntheticTrainer run = SyntheticTrainer.start(TinyRun.preset(), Backends.create("vector"), 2,
                SyntheticTrainer.FIRST_STEP_LOSS_REL, tmp)) {
            assertEquals(1, run.trainer().step());
            assertTrue(Double.isFinite(run.firstLoss()) && run.firstLoss() > 0, "first loss " + run.firstLoss());
            assertTrue(Double.isNaN(run.referenceLoss()));
            assertNull(run.devicePlan());
            assertTrue(run.describe().contains("host step"), run.describe());
            run.trainer().trainStep();
            assertEquals(2, run.trainer().step());
            assertEquals(1, count(tmp));
        }
        assertEquals(0, count(tmp), "the folder is deleted");
    }

    @Test
    void scalarIsCheckedAgainstVector(@TempDir Path tmp) throws IOException {
        try (SyntheticTrainer run = SyntheticTrainer.start(TinyRun.preset(), Backends.create("scalar"), 2,
                SyntheticTrainer.FIRST_STEP_LOSS_REL, tmp)) {
            double rel = Math.abs(run.firstLoss() - run.referenceLoss()) / Math.abs(run.referenceLoss());
            System.out.println("SyntheticTrainerTest: " + run.describe());
            assertTrue(rel <= SyntheticTrainer.FIRST_STEP_LOSS_REL, "relative difference " + rel);
            assertTrue(run.describe().contains("vector "), run.describe());
        }
        assertEquals(0, count(tmp));
    }

    @Test
    void aFirstStepOutsideTheBoundThrowsAndDeletesTheFolder(@TempDir Path tmp) {
        // a negative bound: no difference, not even 0, meets it
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SyntheticTrainer.start(
                TinyRun.preset(), Backends.create("scalar"), 2, -1, tmp));
        assertTrue(e.getMessage().contains("first step's loss") && e.getMessage().contains("vector's"), e.getMessage());
        assertEquals(0, count(tmp), "the folder is deleted");
    }

    private static long count(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
