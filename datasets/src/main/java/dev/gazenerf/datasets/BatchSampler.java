package dev.gazenerf.datasets;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Batches of a {@link GazeDataset} in a seeded order, read ahead on a background thread.
 *
 * <p>The order is one permutation of all indices drawn from the seed (Fisher-Yates with
 * {@link SplittableRandom}); like the reference (the list is shuffled once with seed 75 and the DataLoader does
 * not reshuffle, section 1.6), every epoch repeats it. Without shuffling the order is 0, 1, 2, ... Batches have
 * {@code batchSize} samples; a short last batch of an epoch is kept unless {@code dropLast}.
 *
 * <p>A daemon thread reads up to {@code readAhead} batches in advance. {@link #next} blocks until the next batch
 * is ready and rethrows any read error as it happened. {@link #close} stops the thread.
 */
public final class BatchSampler implements AutoCloseable {
    private static final List<Sample> END = new ArrayList<>();

    private final int[] order;
    private final int batchSize;
    private final int epochs;
    private final boolean dropLast;
    private final BlockingQueue<Object> queue;
    private final Thread reader;
    private Object pending;
    private boolean finished;

    /**
     * @param dataset   the data
     * @param batchSize samples per batch (&gt;= 1)
     * @param seed      seed of the order
     * @param shuffle   false: natural order
     * @param dropLast  drop a short last batch of each epoch
     * @param epochs    passes over the data (&gt;= 1)
     * @param readAhead batches read in advance (&gt;= 1)
     */
    public BatchSampler(GazeDataset dataset, int batchSize, long seed, boolean shuffle, boolean dropLast, int epochs,
            int readAhead) {
        if (dataset == null || batchSize < 1 || epochs < 1 || readAhead < 1) {
            throw new IllegalArgumentException("BatchSampler: need a dataset, batchSize >= 1, epochs >= 1, readAhead >= 1");
        }
        this.order = order(dataset.size(), seed, shuffle);
        this.batchSize = batchSize;
        this.epochs = epochs;
        this.dropLast = dropLast;
        this.queue = new ArrayBlockingQueue<>(readAhead);
        this.reader = new Thread(() -> produce(dataset), "batch-sampler");
        reader.setDaemon(true);
        reader.start();
    }

    /** The seeded permutation of [0, n) (identity without shuffling). */
    public static int[] order(int n, long seed, boolean shuffle) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        if (shuffle) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        }
        return o;
    }

    /** Batches per epoch. */
    public int batchesPerEpoch() {
        return dropLast ? order.length / batchSize : (order.length + batchSize - 1) / batchSize;
    }

    private void produce(GazeDataset dataset) {
        try {
            for (int e = 0; e < epochs; e++) {
                for (int b = 0; b < batchesPerEpoch(); b++) {
                    int from = b * batchSize;
                    int to = Math.min(order.length, from + batchSize);
                    List<Sample> batch = new ArrayList<>(to - from);
                    for (int i = from; i < to; i++) {
                        batch.add(dataset.get(order[i]));
                    }
                    queue.put(List.copyOf(batch));
                }
            }
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            try {
                queue.put(e);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether another batch follows (blocks until the reader knows). */
    public boolean hasNext() {
        if (finished) {
            return false;
        }
        if (pending == null) {
            try {
                pending = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("BatchSampler interrupted", e);
            }
        }
        if (pending == END) {
            finished = true;
            return false;
        }
        return true;
    }

    /** The next batch. */
    @SuppressWarnings("unchecked")
    public List<Sample> next() {
        if (!hasNext()) {
            throw new NoSuchElementException("BatchSampler: no more batches");
        }
        Object p = pending;
        pending = null;
        if (p instanceof RuntimeException e) {
            finished = true;
            throw e;
        }
        return (List<Sample>) p;
    }

    @Override
    public void close() {
        finished = true;
        reader.interrupt();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
