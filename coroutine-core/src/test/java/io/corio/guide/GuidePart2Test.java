package io.corio.guide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.AioContext;
import io.corio.core.CoMutex;
import io.corio.core.CoQueue;
import io.corio.core.CoSemaphore;
import io.corio.core.Coroutine;
import io.corio.core.WorkerPool;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The examples of docs/guide.md, part 2 (questions and answers), compiled and run. */
class GuidePart2Test {

    @Test
    void mutexAcrossAYield() {
        // example: mutex-across-yield
        int[] balance = {100};
        CoMutex lock = CoMutex.create("balance");
        Coroutine a = Coroutine.create("deposit-10", () -> {
            lock.lock();
            try {
                int seen = balance[0];
                Coroutine.yield(); // others may run here, but none can take the lock
                balance[0] = seen + 10;
            } finally {
                lock.unlock();
            }
        });
        Coroutine b = Coroutine.create("deposit-20", () -> {
            lock.lock(); // waits: a holds the lock across its yield
            try {
                balance[0] += 20;
            } finally {
                lock.unlock();
            }
        });
        a.enter(); // takes the lock, reads 100, yields
        b.enter(); // queues for the lock and yields
        a.enter(); // writes 110, unlocks: the lock passes straight to b, which runs next
        assertEquals(130, balance[0]);
        // end
    }

    @Test
    void waitForACondition() throws Exception {
        // example: condition
        try (AioContext ctx = AioContext.start("queue-model")) {
            CoMutex lock = CoMutex.create("requests");
            CoQueue notEmpty = CoQueue.create("not-empty");
            ArrayDeque<String> requests = new ArrayDeque<>(); // guarded by lock
            List<String> served = new ArrayList<>(); // ctx only

            Coroutine worker = ctx.spawn("worker", () -> {
                for (int i = 0; i < 3; i++) {
                    lock.lock();
                    try {
                        while (requests.isEmpty()) {
                            notEmpty.await(lock); // releases the lock while it waits
                        }
                        served.add(requests.poll());
                    } finally {
                        lock.unlock();
                    }
                }
            });
            for (String r : List.of("read", "write", "flush")) {
                ctx.call(() -> {
                    lock.lock();
                    try {
                        requests.add(r);
                        notEmpty.next(); // wakes one waiter; it runs after we yield
                    } finally {
                        lock.unlock();
                    }
                    return null;
                });
            }
            assertEquals(List.of("read", "write", "flush"), ctx.call(() -> {
                while (worker.state() != Coroutine.State.DONE) {
                    Coroutine.sleep(Duration.ofMillis(1));
                }
                return served;
            }));
        }
        // end
    }

    @Test
    void boundBytesInFlight() throws Exception {
        // example: semaphore
        try (AioContext ctx = AioContext.start("server-model")) {
            CoSemaphore budget = CoSemaphore.create("bytes-in-flight", 64 << 20); // 64 MiB
            int[] peak = {0};
            int[] inFlight = {0};
            CountDownLatch done = new CountDownLatch(100);
            for (int i = 0; i < 100; i++) {
                int bytes = (i % 4 + 1) << 20; // 1 to 4 MiB
                ctx.spawn("request-" + i, () -> {
                    budget.acquire(bytes); // FIFO: a big request is not starved by small ones
                    try {
                        inFlight[0] += bytes;
                        peak[0] = Math.max(peak[0], inFlight[0]);
                        Coroutine.sleep(Duration.ofMillis(1)); // the I/O
                        inFlight[0] -= bytes;
                    } finally {
                        budget.release(bytes);
                    }
                    done.countDown();
                });
            }
            done.await();
            assertTrue(peak[0] <= 64 << 20, "never more than the budget in flight");
        }
        // end
    }

    @Test
    void runBlockingWorkInAPoolAndCancelIt() throws Exception {
        // example: worker-pool
        try (WorkerPool disks = WorkerPool.create("disks", 1, 4, Duration.ofSeconds(10));
                AioContext ctx = AioContext.start("disk-model")) {
            // from a coroutine: yields until the job is done, returns its value or throws
            long size = ctx.call(() -> Coroutine.inWorker(disks, () -> 4096L));
            assertEquals(4096L, size);

            // from plain code: a job handle you can cancel, with one honest answer
            CountDownLatch gate = new CountDownLatch(1);
            WorkerPool.Job<String> slow = disks.submit(() -> {
                gate.await();
                return "slow";
            });
            WorkerPool.CancelResult answer = slow.cancel();
            // CANCELLED: it had not started and never will; RUNNING: it started and will
            // finish and report; COMPLETED: it had already finished
            gate.countDown();
            if (answer == WorkerPool.CancelResult.CANCELLED) {
                assertTrue(slow.isCancelled());
            } else {
                assertEquals("slow", slow.join());
            }
        }
        // end
    }
}
