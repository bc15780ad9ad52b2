package dev.gazenerf.backend;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of daemon worker threads for the {@code vector} backend. {@link #run} hands out the task
 * indices {@code 0 .. tasks-1} of one {@link Body} to the calling thread (worker 0) and the
 * {@code threads - 1} pool threads (workers 1..), and returns when all tasks are done.
 *
 * <p>Which worker runs which task is decided at run time (first come, first served), so a task's result must
 * not depend on the worker: workers only select per-thread scratch. The caller never waits for a worker that
 * has not started: on a busy machine it simply runs more of the tasks itself. Nothing is allocated per call;
 * the bodies are long-lived objects whose fields the caller sets before {@link #run}. Calls are serialized
 * ({@code synchronized}); a body must not call {@link #run} itself.
 */
final class WorkerPool implements AutoCloseable {

    /** One parallel loop body: runs task {@code task} on worker {@code worker} (0 = the calling thread). */
    interface Body {
        void run(int task, int worker);
    }

    // state = generation (24 bits) | task count (20 bits) | next task index (20 bits). A task is claimed by a
    // compare-and-set that advances the index, so a claim can only succeed while its generation has unclaimed
    // tasks, and the caller starts the next generation only when every task of this one is done.
    private static final int BITS = 20;
    private static final long MASK = (1L << BITS) - 1;
    private static final int MAX_TASKS = (int) MASK;
    private static final long GEN_MASK = (1L << (64 - 2 * BITS)) - 1;

    /**
     * How long a worker, and the caller waiting for its workers, spin before they park: 200 us. A paper MLP train
     * step at 4,096 points calls the pool 145 times; with workers that parked as soon as they ran out of tasks, the
     * worker took its first task 24-33 us after each dispatch (3.2-4.5 ms of its time per step) and missed 9 of the
     * small calls altogether; spinning first, 2-8 us (0.3-1.2 ms per step), and it joined 143-144 of them
     * (2026-11-26, stop 6, bench/PROFILE.md). Idle pools park after this, so they cost nothing.
     */
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicLong state = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    // Written by the caller before 'state' publishes a generation; read by a worker after it claimed a task.
    private Body body;
    private int base;
    private Thread owner;
    private long generation;
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
        if (workers.length == 0 || tasks == 1) {
            for (int t = 0; t < tasks; t++) {
                body.run(t, 0);
            }
            return;
        }
        for (int b = 0; b < tasks; b += MAX_TASKS) {
            dispatch(body, b, Math.min(MAX_TASKS, tasks - b));
        }
    }

    private void dispatch(Body body, int base, int count) {
        this.body = body;
        this.base = base;
        this.owner = Thread.currentThread();
        this.failure = null;
        done.set(0);
        generation = (generation + 1) & GEN_MASK;
        state.set((generation << (2 * BITS)) | ((long) count << BITS));
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        work(0);
        long since = System.nanoTime();
        int spins = 0;
        while (done.get() != count) {
            if (stillSpinning(++spins, since)) {
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

    /** Claims and runs tasks of the current generation until none is left. */
    private void work(int worker) {
        while (true) {
            long s = state.get();
            if (exhausted(s)) {
                return;
            }
            int index = (int) (s & MASK);
            int count = (int) ((s >>> BITS) & MASK);
            if (!state.compareAndSet(s, s + 1)) {
                continue;
            }
            try {
                body.run(base + index, worker);
            } catch (Throwable e) {
                if (failure == null) {
                    failure = e;
                }
            }
            if (done.incrementAndGet() == count) {
                LockSupport.unpark(owner);
            }
        }
    }

    /** Whether the generation in {@code s} has no task left to claim. */
    private static boolean exhausted(long s) {
        return (int) (s & MASK) >= (int) ((s >>> BITS) & MASK);
    }

    /** Whether a wait that began at {@code since} still spins ({@link #SPIN_NANOS}; the clock read every 64 spins). */
    private static boolean stillSpinning(int spins, long since) {
        return (spins & 63) != 0 || System.nanoTime() - since < SPIN_NANOS;
    }

    private void loop(int index) {
        while (!closed) {
            work(index);
            // spin a while before parking: the next call usually comes within microseconds (a paper MLP step
            // dispatches 145 times), and waking a parked worker took 24-33 us each time
            long since = System.nanoTime();
            int spins = 0;
            while (exhausted(state.get()) && !closed && stillSpinning(++spins, since)) {
                Thread.onSpinWait();
            }
            if (exhausted(state.get()) && !closed) {
                LockSupport.park(this);  // a dispatch after idle() leaves a permit: park returns at once
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
