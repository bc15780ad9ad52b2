package dev.gazenerf.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gazenerf.datasets.h5.SubjectWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeded order, batching, epochs and read-ahead. */
class BatchSamplerTest {
    @TempDir
    Path dir;

    @Test
    void orderIsASeededPermutation() {
        int[] a = BatchSampler.order(50, 75, true);
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        assertArrayEquals(BatchSampler.order(50, 0, false), sorted);
        assertArrayEquals(a, BatchSampler.order(50, 75, true));
        assertFalse(Arrays.equals(a, BatchSampler.order(50, 76, true)));
        assertNotEquals(Arrays.toString(a), Arrays.toString(sorted));
    }

    @Test
    void batchesFollowTheOrderOverEpochs() {
        Path a = dir.resolve("a.h5");
        Path b = dir.resolve("b.h5");
        SubjectWriter.write(a, GazeDatasetTest.subject(3, 1));
        SubjectWriter.write(b, GazeDatasetTest.subject(4, 2));
        try (GazeDataset ds = GazeDataset.open(List.of(a, b), null, LoaderOptions.defaults())) {
            int[] order = BatchSampler.order(7, 9, true);
            List<Integer> seen = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            try (BatchSampler s = new BatchSampler(ds, 3, 9, true, false, 2, 2)) {
                assertEquals(3, s.batchesPerEpoch());
                while (s.hasNext()) {
                    List<Sample> batch = s.next();
                    sizes.add(batch.size());
                    for (Sample x : batch) {
                        seen.add(ds.index(x.subjectIndex(), x.imageIndex()));
                        Sample direct = ds.get(ds.index(x.subjectIndex(), x.imageIndex()));
                        assertArrayEquals(direct.image(), x.image());
                    }
                }
                assertThrows(NoSuchElementException.class, s::next);
            }
            assertEquals(List.of(3, 3, 1, 3, 3, 1), sizes);
            for (int i = 0; i < 14; i++) {
                assertEquals(order[i % 7], seen.get(i));
            }
            try (BatchSampler s = new BatchSampler(ds, 3, 9, false, true, 1, 1)) {
                assertEquals(2, s.batchesPerEpoch());
                assertEquals(0, s.next().get(0).imageIndex());
                List<Sample> second = s.next();
                assertEquals(1, second.get(0).subjectIndex());
                assertEquals(0, second.get(0).imageIndex());
                assertFalse(s.hasNext());
            }
        }
    }

    @Test
    void closingEarlyStopsTheReader() {
        Path a = dir.resolve("a.h5");
        SubjectWriter.write(a, GazeDatasetTest.subject(5, 3));
        try (GazeDataset ds = GazeDataset.open(List.of(a), null, LoaderOptions.defaults())) {
            BatchSampler s = new BatchSampler(ds, 1, 1, true, false, 100, 2);
            s.next();
            s.close();
            assertFalse(s.hasNext());
        }
    }
}
