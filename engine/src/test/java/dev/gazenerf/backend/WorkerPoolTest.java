package dev.gazenerf.backend;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector backend's worker pool: every task runs exactly once per call, failures reach the caller. */
class WorkerPoolTest {

    @Test
    void everyTaskRunsExactlyOnceOnAValidWorker() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int tasks : new int[]{0, 1, 2, 7, 1000}) {
                for (int repeat = 0; repeat < 50; repeat++) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(tasks, 1));
                    AtomicIntegerArray badWorker = new AtomicIntegerArray(1);
                    pool.run((task, worker) -> {
                        runs.incrementAndGet(task);
                        if (worker < 0 || worker >= 3) {
                            badWorker.set(0, 1);
                        }
                    }, tasks);
                    for (int t = 0; t < tasks; t++) {
                        assertEquals(1, runs.get(t), "task " + t + " of " + tasks);
                    }
                    assertEquals(0, badWorker.get(0));
                }
            }
        }
    }

    @Test
    void aFailingTaskFailsTheCallAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run((task, worker) -> {
                if (task == 5) {
                    throw boom;
                }
            }, 10));
            assertSame(boom, e);
            AtomicIntegerArray runs = new AtomicIntegerArray(10);
            pool.run((task, worker) -> runs.incrementAndGet(task), 10);
            for (int t = 0; t < 10; t++) {
                assertEquals(1, runs.get(t));
            }
        }
    }

    @Test
    void closedPoolRefusesWork() {
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run((task, worker) -> { }, 4));
        assertTrue(e.getMessage().contains("close"), e.getMessage());
    }
}
