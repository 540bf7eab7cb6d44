package io.corio.core;

import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Coroutine#inWorker} on every backend. */
@Timeout(30)
class InWorkerTest {

    private WorkerPool pool;

    @BeforeEach
    void makePool() {
        pool = WorkerPool.create("in-worker", 0, 2, Duration.ofSeconds(5));
    }

    @AfterEach
    void closePool() {
        pool.close();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void returnsTheValueComputedOnAWorkerThread(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            String where = ctx.call(() -> {
                String w = Coroutine.inWorker(pool, () -> {
                    assertFalse(Coroutine.inCoroutine(), "the call runs outside any coroutine");
                    return Thread.currentThread().getName();
                });
                assertTrue(ctx.inContext(), "back in the context after the call");
                return w;
            });
            assertTrue(where.startsWith("in-worker-worker-"), where);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void rethrowsACheckedExceptionAsItsOwnType(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            IOException e = assertThrows(IOException.class, () -> ctx.call(() -> {
                Object unused = Coroutine.inWorker(pool, () -> {
                    throw new IOException("EIO");
                });
                return unused;
            }));
            assertEquals("EIO", e.getMessage());
            IllegalArgumentException u = assertThrows(IllegalArgumentException.class,
                    () -> ctx.call(() -> Coroutine.inWorker(pool, () -> {
                        throw new IllegalArgumentException("bad");
                    })));
            assertEquals("bad", u.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void otherCoroutinesRunWhileOneWaitsForAWorker(Backend backend) throws InterruptedException {
        Expect ex = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CountDownLatch latch = new CountDownLatch(1);
            String r = ctx.call(() -> {
                ctx.spawn("releaser", () -> {
                    ex.expect(2);
                    latch.countDown();
                });
                ex.expect(1);
                String v = Coroutine.inWorker(pool, () -> {
                    // only another coroutine of the waiting context can open the latch
                    assertTrue(latch.await(10, TimeUnit.SECONDS), "the context stalled while its coroutine waited");
                    return "released";
                });
                ex.expect(3);
                return v;
            });
            ex.finish(4);
            assertEquals("released", r);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void manyCoroutinesWaitAtOnce(Backend backend) {
        final int n = 20;
        try (AioContext ctx = embedded(backend)) {
            AtomicInteger sum = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            for (int i = 1; i <= n; i++) {
                int k = i;
                ctx.spawn("waiter-" + i, () -> {
                    sum.addAndGet(Coroutine.inWorker(pool, () -> k));
                    done.incrementAndGet();
                });
            }
            while (done.get() < n) {
                ctx.poll(true);
            }
            assertEquals(n * (n + 1) / 2, sum.get());
        }
    }

    /**
     * A job that finishes before its coroutine gets to yield must not leave a wake behind:
     * it would resume the coroutine's next, unrelated wait (here a plain yield that only
     * an explicit enter may resume).
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void noWakeOutlivesTheWait(Backend backend) {
        final int rounds = 200;
        try (AioContext ctx = embedded(backend)) {
            AtomicInteger passed = new AtomicInteger();
            Coroutine co = Coroutine.create("no-stray-wakes", () -> {
                for (int i = 0; i < rounds; i++) {
                    Coroutine.inWorker(pool, () -> null); // often done before the coroutine yields
                    passed.incrementAndGet();
                    Coroutine.yield();
                }
            });
            onLoop(ctx, co::enter);
            for (int i = 1; i <= rounds; i++) {
                while (passed.get() < i) {
                    ctx.poll(true);
                }
                while (ctx.poll(false)) {
                    // a stray wake, if any, is queued by now and would run here
                }
                assertEquals(i, passed.get(), "a stray wake resumed the yield of round " + i);
                assertEquals(Coroutine.State.SUSPENDED, co.state());
                onLoop(ctx, co::enter);
            }
            assertEquals(Coroutine.State.DONE, co.state());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aJobCancelledByShutdownWakesItsCoroutineWithCancellation(Backend backend) throws Exception {
        WorkerPool one = WorkerPool.create("in-worker-one", 1, 1, Duration.ofSeconds(5));
        CountDownLatch gate = new CountDownLatch(1);
        try (AioContext ctx = embedded(backend)) {
            WorkerPool.Job<Boolean> blocker = one.submit(() -> gate.await(10, TimeUnit.SECONDS));
            WorkerPoolTest.awaitCondition("the blocker runs", () -> blocker.state() == WorkerPool.Job.State.RUNNING);
            AtomicInteger ran = new AtomicInteger();
            CancellationException e = assertThrows(CancellationException.class, () -> ctx.call(() -> {
                ctx.spawn("shutter", () -> one.shutdown(true)); // runs once the waiter yields
                return Coroutine.inWorker(one, ran::incrementAndGet);
            }));
            assertTrue(e.getMessage().contains("in-worker-one"), e.getMessage());
            assertEquals(0, ran.get());
        } finally {
            gate.countDown();
            one.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void outsideACoroutineIsMisuse(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Coroutine.inWorker(pool, () -> 1));
            assertTrue(e.getMessage().contains("Coroutine.inWorker()"), e.getMessage());
            onLoop(ctx, () -> assertThrows(IllegalStateException.class, () -> Coroutine.inWorker(pool, () -> 1)));
            WorkerPool.Stats s = pool.stats();
            assertEquals(0, s.completed() + s.queued(), "nothing was submitted: " + s);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aShutDownPoolRefusesTheCoroutine(Backend backend) {
        pool.shutdown(false);
        try (AioContext ctx = embedded(backend)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ctx.call(() -> Coroutine.inWorker(pool, () -> 1)));
            assertTrue(e.getMessage().contains("WorkerPool[in-worker]"), e.getMessage());
            assertNull(Coroutine.current());
        }
    }
}
