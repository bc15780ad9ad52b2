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
    void aReadErrorReachesTheConsumerNamingFileAndKey() throws Exception {
        // the h5py fixture with image 1's deflate-compressed head_mask chunk overwritten
        Path bad = dir.resolve("bad.h5");
        java.nio.file.Files.copy(dev.gazenerf.datasets.h5.SubjectFileFixtureTest.fixture(), bad);
        byte[] bytes = java.nio.file.Files.readAllBytes(bad);
        byte[] raw;
        try (io.jhdf.HdfFile hdf = new io.jhdf.HdfFile(bad)) {
            java.nio.ByteBuffer b = ((io.jhdf.api.dataset.ChunkedDataset) hdf.getDatasetByPath("head_mask"))
                    .getRawChunkBuffer(new int[] {1, 0, 0});
            raw = new byte[b.remaining()];
            b.get(raw);
        }
        for (int i = 0; i + raw.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + raw.length, raw, 0, raw.length)) {
                Arrays.fill(bytes, i, i + raw.length, (byte) 0xff);
                break;
            }
        }
        java.nio.file.Files.write(bad, bytes);
        try (GazeDataset ds = GazeDataset.open(List.of(bad), null, LoaderOptions.defaults().withOutputSize(4));
                BatchSampler s = new BatchSampler(ds, 1, 0, false, false, 1, 2)) {
            assertEquals(0, s.next().get(0).imageIndex());
            dev.gazenerf.datasets.h5.DatasetFormatException e =
                    assertThrows(dev.gazenerf.datasets.h5.DatasetFormatException.class, s::next);
            assertEquals("head_mask", e.key());
            assertEquals(bad, e.file());
            assertFalse(s.hasNext());
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
