package io.corio.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.WorkerPool.CancelResult;
import io.corio.core.WorkerPool.Job;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pool from plain threads: cancel answers, thread limits, post-ops, shutdown. */
@Timeout(30)
class WorkerPoolTest {

    private static final Duration LONG = Duration.ofSeconds(10);

    /** Waits for {@code condition} with a deadline; fails naming {@code what}. */
    static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    /** A job that holds the pool's thread until {@code gate} opens, then returns {@code "blocker"}. */
    private static Job<String> blocker(WorkerPool pool, CountDownLatch gate) throws InterruptedException {
        Job<String> job = pool.submit(() -> {
            gate.await();
            return "blocker";
        });
        awaitCondition("the blocker runs", () -> job.state() == Job.State.RUNNING);
        return job;
    }

    private static WorkerPool single(String name) {
        return WorkerPool.create(name, 1, 1, LONG);
    }

    // ---------------------------------------------------------------- cancel answers

    @Test
    void cancellingAQueuedJobAnswersCancelledAndItNeverRuns() throws Exception {
        WorkerPool pool = single("cancel-queued");
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        try {
            Job<String> first = blocker(pool, gate);
            Job<Integer> queued = pool.submit(ran::incrementAndGet);
            assertEquals(Job.State.QUEUED, queued.state());
            assertEquals(1, pool.stats().queued());

            assertEquals(CancelResult.CANCELLED, queued.cancel());
            assertEquals(CancelResult.CANCELLED, queued.cancel(), "a second cancel tells the same story");
            assertEquals(Job.State.DONE, queued.state());
            assertTrue(queued.isDone());
            assertTrue(queued.isCancelled());
            assertEquals(0, pool.stats().queued(), "cancel takes the job off the queue");
            assertThrows(CancellationException.class, queued::join);
            assertThrows(CancellationException.class, queued::get);

            gate.countDown();
            assertEquals("blocker", first.join());
        } finally {
            gate.countDown();
            pool.close();
        }
        assertEquals(0, ran.get(), "a cancelled job never runs");
        WorkerPool.Stats s = pool.stats();
        assertEquals(1, s.completed());
        assertEquals(1, s.cancelled());
    }

    @Test
    void cancellingARunningJobAnswersRunningAndItStillReports() throws Exception {
        try (WorkerPool pool = single("cancel-running")) {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch gate = new CountDownLatch(1);
            Job<Integer> job = pool.submit(() -> {
                started.countDown();
                gate.await();
                return 42;
            });
            assertTrue(started.await(10, TimeUnit.SECONDS));
            awaitCondition("the job shows RUNNING", () -> job.state() == Job.State.RUNNING);

            assertEquals(CancelResult.RUNNING, job.cancel());
            assertEquals(Job.State.RUNNING, job.state(), "cancel does not stop a running job");
            assertFalse(job.isCancelled());

            gate.countDown();
            assertEquals(42, job.join());
            assertEquals(42, job.get());
            assertEquals(CancelResult.COMPLETED, job.cancel());
            assertFalse(job.isCancelled());
        }
    }

    @Test
    void cancellingAFinishedJobAnswersCompletedForValuesAndExceptions() throws Exception {
        try (WorkerPool pool = single("cancel-done")) {
            Job<String> ok = pool.submit(() -> "v");
            Job<String> bad = pool.submit(() -> {
                throw new IOException("disk on fire");
            });
            assertEquals("v", ok.join());
            ExecutionException ee = assertThrows(ExecutionException.class, bad::get);
            assertInstanceOf(IOException.class, ee.getCause());
            CompletionException ce = assertThrows(CompletionException.class, bad::join);
            assertSame(ee.getCause(), ce.getCause());

            assertEquals(CancelResult.COMPLETED, ok.cancel());
            assertEquals(CancelResult.COMPLETED, bad.cancel());
            assertEquals(Job.State.DONE, bad.state());
            assertFalse(bad.isCancelled());
        }
    }

    @Test
    void aJobIsNeverBothCancelledAndRun() throws Exception {
        final int jobs = 2000;
        AtomicIntegerArray runs = new AtomicIntegerArray(jobs);
        List<Job<Integer>> handles = new ArrayList<>(jobs);
        CancelResult[] answers = new CancelResult[jobs];
        try (WorkerPool pool = WorkerPool.create("race", 2, 2, LONG)) {
            for (int i = 0; i < jobs; i++) {
                int n = i;
                handles.add(pool.submit(() -> runs.incrementAndGet(n)));
                if (i % 2 == 1) {
                    answers[i - 1] = handles.get(i - 1).cancel(); // races with the workers taking it
                }
            }
        }
        int cancelled = 0;
        for (int i = 0; i < jobs; i += 2) {
            int ran = runs.get(i);
            Job<Integer> job = handles.get(i);
            assertTrue(job.isDone(), job + " not done after close");
            switch (answers[i]) {
                case CANCELLED -> {
                    cancelled++;
                    assertEquals(0, ran, job + " answered CANCELLED but ran");
                    assertTrue(job.isCancelled());
                }
                case RUNNING, COMPLETED -> {
                    assertEquals(1, ran, job + " answered " + answers[i] + " but ran " + ran + " times");
                    assertEquals(1, job.join());
                }
            }
        }
        for (int i = 1; i < jobs; i += 2) {
            assertEquals(1, runs.get(i), "job " + i + " was never cancelled and runs once");
        }
        assertTrue(cancelled <= jobs / 2);
    }

    @Test
    void getIsInterruptible() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (WorkerPool pool = single("interrupt")) {
            Job<String> job = blocker(pool, gate);
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, job::get);
            assertFalse(Thread.interrupted(), "get() consumed the interrupt it reported");
            gate.countDown();
            assertEquals("blocker", job.join());
        }
    }

    // ---------------------------------------------------------------- threads

    @Test
    void threadsGrowToMaxAndThoseAboveMinExpireWhenIdle() throws Exception {
        Duration idle = Duration.ofMillis(100);
        CountDownLatch gate = new CountDownLatch(1);
        ConcurrentLinkedQueue<Thread> seen = new ConcurrentLinkedQueue<>();
        try (WorkerPool pool = WorkerPool.create("grow", 1, 3, idle)) {
            assertEquals(0, pool.stats().threads(), "threads start on demand");
            List<Job<Void>> jobs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                jobs.add(pool.submit(() -> {
                    seen.add(Thread.currentThread());
                    gate.await();
                    return null;
                }));
            }
            awaitCondition("three threads run and two jobs wait", () -> {
                WorkerPool.Stats s = pool.stats();
                return s.threads() == 3 && s.queued() == 2 && seen.size() == 3;
            });
            gate.countDown();
            for (Job<Void> j : jobs) {
                j.join();
            }
            for (Thread t : seen) {
                assertTrue(t.getName().matches("grow-worker-[123]"), t.getName());
                assertFalse(t.isVirtual());
                assertTrue(t.isDaemon());
            }

            awaitCondition("threads above the minimum exit", () -> pool.stats().threads() == 1);
            Thread.sleep(3 * idle.toMillis()); // not a race fix: checks that the minimum stays
            WorkerPool.Stats s = pool.stats();
            assertEquals(1, s.threads(), "the minimum is kept: " + s);
            assertEquals(3, s.peakThreads());
            assertEquals(5, s.completed());
            assertEquals(0, s.queued());
        }
    }

    @Test
    void argumentsAreValidated() {
        Duration t = Duration.ofSeconds(1);
        assertMessage("minThreads must be >= 0: -1", () -> WorkerPool.create("p", -1, 1, t));
        assertMessage("maxThreads must be >= 1: 0", () -> WorkerPool.create("p", 0, 0, t));
        assertMessage("minThreads must not exceed maxThreads: minThreads=3, maxThreads=2",
                () -> WorkerPool.create("p", 3, 2, t));
        assertMessage("idleTimeout must be positive: PT0S", () -> WorkerPool.create("p", 0, 1, Duration.ZERO));
        assertMessage("idleTimeout must be positive: PT-1S", () -> WorkerPool.create("p", 0, 1, Duration.ofSeconds(-1)));
        assertMessage("name must not be blank: ' '", () -> WorkerPool.create(" ", 0, 1, t));
        assertThrows(NullPointerException.class, () -> WorkerPool.create(null, 0, 1, t));
        try (WorkerPool pool = WorkerPool.create("p", 0, 1, t)) {
            assertThrows(NullPointerException.class, () -> pool.submit(null));
        }
    }

    private static void assertMessage(String message, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertEquals(message, e.getMessage());
    }

    @Test
    void theDefaultPoolIsSharedAndCannotBeShutDown() throws Exception {
        WorkerPool pool = WorkerPool.defaultPool();
        assertSame(pool, WorkerPool.defaultPool());
        assertEquals("corio", pool.name());
        assertEquals(0, pool.minThreads());
        assertEquals(64, pool.maxThreads());
        Thread t = pool.submit(Thread::currentThread).get();
        assertTrue(t.getName().startsWith("corio-worker-"), t.getName());
        assertTrue(t.isDaemon());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.shutdown(false));
        assertTrue(e.getMessage().contains("WorkerPool[corio]"), e.getMessage());
        assertThrows(IllegalStateException.class, pool::close);
        assertFalse(pool.isShutdown());
    }

    // ---------------------------------------------------------------- post-ops

    @Test
    void postOpRunsOnTheLoopExactlyOnceAlsoWhenRegisteredLate() throws Exception {
        try (AioContext ctx = Loops.embedded(Backend.VIRTUAL);
                WorkerPool pool = single("post-op")) {
            AtomicInteger early = new AtomicInteger();
            AtomicInteger late = new AtomicInteger();
            AtomicReference<String> seen = new AtomicReference<>();
            Job<String> job = pool.submit(() -> "value");
            job.onCompletion(ctx, j -> {
                assertTrue(ctx.inContext(), "post-op off the loop");
                assertSame(job, j);
                seen.set(j.join());
                early.incrementAndGet();
            });
            while (early.get() == 0) {
                ctx.poll(true);
            }
            assertEquals("value", seen.get());

            job.onCompletion(ctx, j -> {
                assertTrue(ctx.inContext(), "late post-op off the loop");
                late.incrementAndGet();
            });
            assertEquals(0, late.get(), "a late post-op is queued to the loop, not run by the caller");
            while (late.get() == 0) {
                ctx.poll(true);
            }
            while (ctx.poll(false)) {
                // anything else queued
            }
            assertEquals(1, early.get());
            assertEquals(1, late.get());
        }
    }

    @Test
    void postOpRunsForFailedAndCancelledJobs() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (AioContext ctx = Loops.embedded(Backend.VIRTUAL);
                WorkerPool pool = single("post-op-outcomes")) {
            ConcurrentLinkedQueue<String> outcomes = new ConcurrentLinkedQueue<>();
            Job<String> first = blocker(pool, gate);
            Job<String> cancelled = pool.submit(() -> "never");
            cancelled.onCompletion(ctx, j -> outcomes.add("cancelled=" + j.isCancelled()));
            Job<String> failed = pool.submit(() -> {
                throw new IllegalStateException("boom");
            });
            failed.onCompletion(ctx, j -> {
                CompletionException e = assertThrows(CompletionException.class, j::join);
                outcomes.add("failed=" + e.getCause().getMessage());
            });
            assertEquals(CancelResult.CANCELLED, cancelled.cancel());
            gate.countDown();
            first.join();
            while (outcomes.size() < 2) {
                ctx.poll(true);
            }
            assertEquals(List.of("cancelled=true", "failed=boom"), List.copyOf(outcomes));
        }
    }

    @Test
    void postOpOnAClosedContextIsRefused() {
        AioContext ctx = Loops.embedded(Backend.VIRTUAL);
        ctx.close();
        try (WorkerPool pool = single("closed-ctx")) {
            Job<String> job = pool.submit(() -> "x");
            assertThrows(IllegalStateException.class, () -> job.onCompletion(ctx, j -> {}));
            assertEquals("x", job.join());
        }
    }

    // ---------------------------------------------------------------- shutdown

    @Test
    void shutdownWithoutCancelFinishesQueuedJobsAndDeliversTheirPostOps() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger postOps = new AtomicInteger();
        try (AioContext ctx = Loops.embedded(Backend.VIRTUAL)) {
            WorkerPool pool = single("drain");
            Job<String> first = blocker(pool, gate);
            List<Job<Integer>> queued = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int n = i;
                queued.add(pool.submit(() -> n).onCompletion(ctx, j -> postOps.incrementAndGet()));
            }
            pool.shutdown(false);
            assertTrue(pool.isShutdown());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.submit(() -> 1));
            assertTrue(e.getMessage().contains("WorkerPool[drain]"), e.getMessage());
            assertFalse(pool.awaitTermination(Duration.ofMillis(20)), "work is still queued");

            gate.countDown();
            assertTrue(pool.awaitTermination(LONG));
            assertEquals("blocker", first.join());
            for (int i = 0; i < 3; i++) {
                assertEquals(i, queued.get(i).join());
            }
            while (postOps.get() < 3) {
                ctx.poll(true);
            }
            assertEquals(0, pool.stats().threads());
            pool.close(); // idempotent
        }
    }

    @Test
    void shutdownWithCancelCompletesQueuedJobsAsCancelledAndWakesTheirWaiters() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        ConcurrentLinkedQueue<Boolean> postOps = new ConcurrentLinkedQueue<>();
        try (AioContext ctx = Loops.embedded(Backend.VIRTUAL)) {
            WorkerPool pool = single("cancel-all");
            Job<String> first = blocker(pool, gate);
            first.onCompletion(ctx, j -> postOps.add(j.isCancelled()));
            List<Job<Integer>> queued = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                queued.add(pool.submit(ran::incrementAndGet).onCompletion(ctx, j -> postOps.add(j.isCancelled())));
            }
            AtomicReference<Throwable> joinerSaw = new AtomicReference<>();
            Thread joiner = Thread.ofPlatform().start(() -> {
                try {
                    queued.get(0).join();
                } catch (Throwable t) {
                    joinerSaw.set(t);
                }
            });
            awaitCondition("the joiner parks", () -> joiner.getState() == Thread.State.WAITING);

            pool.shutdown(true);
            for (Job<Integer> j : queued) {
                assertTrue(j.isCancelled(), j + " cancelled by the time shutdown returns");
                assertEquals(CancelResult.CANCELLED, j.cancel());
            }
            joiner.join(LONG.toMillis());
            assertInstanceOf(CancellationException.class, joinerSaw.get());
            assertEquals(Job.State.RUNNING, first.state(), "running jobs finish");
            assertEquals(CancelResult.RUNNING, first.cancel());
            assertFalse(pool.awaitTermination(Duration.ofMillis(20)));

            gate.countDown();
            assertTrue(pool.awaitTermination(LONG));
            assertEquals("blocker", first.join());
            while (postOps.size() < 4) {
                ctx.poll(true);
            }
            assertEquals(3, postOps.stream().filter(c -> c).count(), "three cancelled: " + postOps);
            assertEquals(4, postOps.size());
            assertEquals(0, ran.get());
            assertEquals(3, pool.stats().cancelled());
        }
    }

    @Test
    void closeFromTheOwnWorkerDoesNotWaitForItself() throws Exception {
        WorkerPool pool = single("self-close");
        Job<String> job = pool.submit(() -> {
            pool.close();
            return "closed";
        });
        assertEquals("closed", job.join());
        assertTrue(pool.awaitTermination(LONG));
        assertTrue(pool.isShutdown());
    }
}
