package dev.gazenerf.backend;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of daemon worker threads for the {@code vector} backend. {@link #run} hands out the task
 * indices {@code 0 .. tasks-1} of one {@link Body} to the calling thread (worker 0) and the
 * {@code threads - 1} pool threads (workers 1..), and returns when all tasks are done.
 *
 * <p>Which worker runs which task is decided at run time (an atomic counter), so a task's result must
 * not depend on the worker: workers only select per-thread scratch. Nothing is allocated per call;
 * the bodies are long-lived objects whose fields the caller sets before {@link #run}. Calls are
 * serialized ({@code synchronized}); a body must not call {@link #run} itself.
 */
final class WorkerPool implements AutoCloseable {

    /** One parallel loop body: runs task {@code task} on worker {@code worker} (0 = the calling thread). */
    interface Body {
        void run(int task, int worker);
    }

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    // Written by the caller before the volatile write of 'generation', read by workers after reading it.
    private Body body;
    private int tasks;
    private Thread owner;
    private volatile int generation;
    private volatile Throwable failure;
    private volatile boolean closed;

    WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("vector backend: thread count must be positive, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            final int index = i + 1;
            Thread t = new Thread(() -> loop(index), "gazenerf-vector-" + index);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** The number of workers, the calling thread included. */
    int threads() {
        return threads;
    }

    /** Runs {@code body} for every task index in {@code [0, tasks)} and waits for all of them. */
    synchronized void run(Body body, int tasks) {
        if (closed) {
            throw new IllegalStateException("vector backend: used after close()");
        }
        if (tasks <= 0) {
            return;
        }
        if (workers.length == 0 || tasks == 1) {
            for (int t = 0; t < tasks; t++) {
                body.run(t, 0);
            }
            return;
        }
        this.body = body;
        this.tasks = tasks;
        this.owner = Thread.currentThread();
        this.failure = null;
        next.set(0);
        busy.set(workers.length);
        generation = generation + 1;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        work(0);
        int spins = 0;
        while (busy.get() != 0) {
            if (spins < 2000) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException) {
                throw (RuntimeException) f;
            }
            if (f instanceof Error) {
                throw (Error) f;
            }
            throw new IllegalStateException("vector backend: worker failed", f);
        }
    }

    private void work(int worker) {
        Body b = body;
        int n = tasks;
        try {
            for (int t = next.getAndIncrement(); t < n; t = next.getAndIncrement()) {
                b.run(t, worker);
            }
        } catch (Throwable e) {
            failure = e;
            next.set(n);
        }
    }

    private void loop(int index) {
        int seen = 0;
        while (true) {
            while (generation == seen && !closed) {
                LockSupport.park(this);
            }
            if (closed) {
                return;
            }
            seen = generation;
            work(index);
            if (busy.decrementAndGet() == 0) {
                LockSupport.unpark(owner);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
