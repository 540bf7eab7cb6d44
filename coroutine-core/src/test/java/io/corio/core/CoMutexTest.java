package io.corio.core;

import static io.corio.core.CoTesting.await;
import static io.corio.core.CoTesting.drain;
import static io.corio.core.CoTesting.enter;
import static io.corio.core.CoTesting.info;
import static io.corio.core.CoTesting.yieldToLoop;
import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** CoMutex: ownership, FIFO hand-off, no barging, misuse, and mutual exclusion across contexts. */
class CoMutexTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void uncontendedLockAndTryLock(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> enter("a", () -> {
                assertFalse(m.isLocked());
                m.lock();
                assertTrue(m.isLocked());
                assertEquals("CoMutex[m, owner=a, waiters=0]", m.toString());
                m.unlock();
                assertTrue(m.tryLock());
                m.unlock();
                assertFalse(m.isLocked());
                assertEquals("CoMutex[m, owner=none, waiters=0]", m.toString());
            }));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void unlockHandsOffToTheOldestWaiter(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                Coroutine a = enter("a", () -> {
                    e.expect(1);
                    m.lock();
                    Coroutine.yield();
                    e.expect(5);
                    m.unlock(); // b owns it now, before it has run
                    assertEquals("CoMutex[m, owner=b, waiters=1]", m.toString());
                    assertFalse(m.tryLock(), "a new locker does not barge past the hand-off");
                    e.expect(6);
                });
                enter("b", () -> {
                    e.expect(2);
                    m.lock();
                    e.expect(7); // right after a ended
                    m.unlock();
                    e.expect(8);
                });
                enter("c", () -> {
                    e.expect(3);
                    m.lock();
                    e.expect(9); // right after b ended
                    m.unlock();
                });
                e.expect(4);
                assertEquals("CoMutex[m, owner=a, waiters=2]", m.toString());
                a.enter();
                e.expect(10);
                assertFalse(m.isLocked());
            });
            e.finish(11);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theUnlockerQueuesBehindTheWaiterItHandedTo(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                Coroutine a = enter("a", () -> {
                    e.expect(1);
                    m.lock();
                    Coroutine.yield();
                    e.expect(4);
                    m.unlock();
                    m.lock(); // behind b, who was waiting: a yields here
                    e.expect(8);
                    m.unlock();
                });
                Coroutine b = enter("b", () -> {
                    e.expect(2);
                    m.lock();
                    e.expect(5);
                    Coroutine.yield(); // holds the mutex across a yield, a still waits
                    e.expect(7);
                    m.unlock(); // to a, which runs after b ends
                });
                e.expect(3);
                a.enter();
                e.expect(6);
                assertEquals("CoMutex[m, owner=b, waiters=1]", m.toString());
                b.enter();
                e.expect(9);
            });
            e.finish(10);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aWaiterInAnotherContextIsResumedInItsOwnContext(Backend backend) throws Exception {
        try (AioContext ca = AioContext.start("ca-" + backend.id(), backend);
                AioContext cb = AioContext.start("cb-" + backend.id(), backend)) {
            CoMutex m = CoMutex.create("m");
            CountDownLatch locked = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<AioContext> resumedIn = new CompletableFuture<>();
            ca.spawn("holder", () -> {
                m.lock();
                locked.countDown();
                Coroutine.blocking(() -> release.await(CoTesting.HANG_SECONDS, TimeUnit.SECONDS));
                m.unlock();
            });
            await(locked);
            cb.spawn("waiter", () -> {
                m.lock();
                resumedIn.complete(AioContext.current());
                m.unlock();
            });
            drain(cb); // the waiter has queued and yielded
            assertEquals("CoMutex[m, owner=holder, waiters=1]", m.toString());
            release.countDown();
            assertSame(cb, resumedIn.get(CoTesting.HANG_SECONDS, TimeUnit.SECONDS));
            drain(cb);
            assertFalse(m.isLocked());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void misuseOutsideACoroutineNamesTheCall(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                assertTrue(assertThrows(IllegalStateException.class, m::lock).getMessage()
                        .contains("CoMutex.lock() called outside a coroutine"));
                assertTrue(assertThrows(IllegalStateException.class, m::tryLock).getMessage()
                        .contains("CoMutex.tryLock() called outside a coroutine"));
                assertTrue(assertThrows(IllegalStateException.class, m::unlock).getMessage()
                        .contains("CoMutex.unlock() called outside a coroutine"));
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void onlyTheOwnerUnlocksAndLockingTwiceIsRefused(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                enter("stranger", () -> assertThrows(IllegalMonitorStateException.class, m::unlock));
                Coroutine owner = enter("owner", () -> {
                    m.lock();
                    String msg = assertThrows(IllegalStateException.class, m::lock).getMessage();
                    assertTrue(msg.contains("not reentrant") && msg.contains("CoMutex[m"), msg);
                    assertThrows(IllegalStateException.class, m::tryLock);
                    Coroutine.yield();
                    m.unlock();
                });
                enter("stranger", () -> {
                    String msg = assertThrows(IllegalMonitorStateException.class, m::unlock).getMessage();
                    assertTrue(msg.contains("'stranger'") && msg.contains("owner=owner"), msg);
                });
                assertTrue(m.isLocked(), "a refused unlock changes nothing");
                owner.enter();
                assertFalse(m.isLocked());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void endingWhileHoldingFailsNamingTheLock(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("replies");
            onLoop(ctx, () -> {
                IllegalStateException x = assertThrows(IllegalStateException.class,
                        () -> Coroutine.create("leaker", m::lock).enter());
                assertTrue(x.getMessage().contains("'leaker' ended holding [CoMutex[replies"), x.getMessage());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void dumpShowsTheHolderAndTheWaiters(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                Coroutine holder = enter("holder", () -> {
                    m.lock();
                    Coroutine.yield();
                    m.unlock();
                });
                enter("waiter", () -> {
                    m.lock();
                    m.unlock();
                });
                List<AioContext.CoroutineInfo> dump = ctx.dump();
                assertEquals(List.of("CoMutex[m, owner=holder, waiters=1]"), info(dump, "holder").holds());
                assertNull(info(dump, "holder").waitsFor());
                assertEquals("CoMutex[m, owner=holder, waiters=1]", info(dump, "waiter").waitsFor());
                assertEquals(List.of(), info(dump, "waiter").holds());
                String text = ctx.dumpString();
                assertTrue(text.contains("\"holder\" SUSPENDED holds [CoMutex[m"), text);
                assertTrue(text.contains("\"waiter\" SUSPENDED waits for CoMutex[m"), text);
                holder.enter();
                assertEquals(0, ctx.liveCount());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void excludesAcrossContextsWithYieldsInsideTheCriticalSection(Backend backend) throws Exception {
        final int contexts = 2;
        final int perContext = 50;
        final int rounds = 10;
        CoMutex m = CoMutex.create("counter");
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        int[] counter = {0}; // guarded by m
        CountDownLatch done = new CountDownLatch(contexts * perContext);
        AioContext[] ctxs = new AioContext[contexts];
        try {
            for (int c = 0; c < contexts; c++) {
                ctxs[c] = AioContext.start("stress-" + c + "-" + backend.id(), backend);
            }
            for (int c = 0; c < contexts; c++) {
                for (int i = 0; i < perContext; i++) {
                    ctxs[c].spawn("inc-" + c + "-" + i, () -> {
                        for (int r = 0; r < rounds; r++) {
                            m.lock();
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            int v = counter[0];
                            yieldToLoop(); // others run, and try to lock, meanwhile
                            counter[0] = v + 1;
                            inside.decrementAndGet();
                            m.unlock();
                        }
                        done.countDown();
                    });
                }
            }
            await(done);
        } finally {
            for (AioContext c : ctxs) {
                if (c != null) {
                    c.close();
                }
            }
        }
        assertEquals(0, overlaps.get(), "two owners at once");
        assertEquals(contexts * perContext * rounds, counter[0]);
        assertFalse(m.isLocked());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aLongChainOfHandOffsRunsInConstantStack(Backend backend) {
        // 5000 waiters of one context, released one after another: each unlock hands the
        // mutex to the next waiter, and none of those hand-offs may nest a stack frame.
        int n = 5000;
        try (AioContext ctx = embedded(backend)) {
            CoMutex m = CoMutex.create("chain");
            int[] ran = {0};
            onLoop(ctx, () -> {
                Coroutine holder = enter("holder", () -> {
                    m.lock();
                    Coroutine.yield();
                    m.unlock();
                });
                for (int i = 0; i < n; i++) {
                    enter("w" + i, () -> {
                        m.lock();
                        ran[0]++;
                        m.unlock();
                    });
                }
                holder.enter(); // releases the whole chain
            });
            assertEquals(n, ran[0]);
            assertFalse(m.isLocked());
        }
    }
}
