package dev.gazenerf.render;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed pool of daemon threads that runs one parallel loop at a time: {@link #forRange} splits
 * {@code [0, n)} into one contiguous range per thread (the caller runs the first) and returns when all
 * are done. Which thread computes an item never changes what is computed, so kernels that write
 * disjoint outputs per item, or reduce in an order fixed by the item index, are deterministic.
 */
final class WorkerPool implements AutoCloseable {

    /** The body of a parallel loop over items {@code [start, end)}. */
    @FunctionalInterface
    interface Range {
        void run(int start, int end);
    }

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition done = lock.newCondition();
    private Range task;
    private int items;
    private long generation;
    private int pending;
    private Throwable failure;
    private boolean closed;

    WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("WorkerPool: threads must be positive, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            Thread t = new Thread(() -> loop(index), "gazenerf-render-" + index);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    private static int start(int index, int n, int parts) {
        return (int) ((long) n * index / parts);
    }

    /** Runs {@code body} over {@code [0, n)} split into contiguous per-thread ranges; rethrows a worker's failure. */
    synchronized void forRange(int n, Range body) {
        if (n <= 0) {
            return;
        }
        int parts = Math.min(threads, n);
        if (parts == 1) {
            body.run(0, n);
            return;
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("WorkerPool: closed");
            }
            task = body;
            items = n;
            pending = parts - 1;
            failure = null;
            generation++;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        Throwable own = null;
        try {
            body.run(0, start(1, n, parts));
        } catch (Throwable t) {
            own = t;
        }
        lock.lock();
        try {
            while (pending > 0) {
                done.awaitUninterruptibly();
            }
            task = null;
            if (own == null) {
                own = failure;
            }
        } finally {
            lock.unlock();
        }
        if (own instanceof RuntimeException) {
            throw (RuntimeException) own;
        }
        if (own instanceof Error) {
            throw (Error) own;
        }
        if (own != null) {
            throw new IllegalStateException(own);
        }
    }

    private void loop(int index) {
        long seen = 0;
        while (true) {
            Range body;
            int n;
            lock.lock();
            try {
                while (!closed && generation == seen) {
                    work.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                seen = generation;
                body = task;
                n = items;
            } finally {
                lock.unlock();
            }
            int parts = Math.min(threads, n);
            Throwable err = null;
            if (index < parts) {
                try {
                    body.run(start(index, n, parts), start(index + 1, n, parts));
                } catch (Throwable t) {
                    err = t;
                }
                lock.lock();
                try {
                    if (err != null && failure == null) {
                        failure = err;
                    }
                    pending--;
                    if (pending == 0) {
                        done.signalAll();
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
