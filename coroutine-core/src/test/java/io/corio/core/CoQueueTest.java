package io.corio.core;

import static io.corio.core.CoTesting.await;
import static io.corio.core.CoTesting.drain;
import static io.corio.core.CoTesting.enter;
import static io.corio.core.CoTesting.info;
import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** CoQueue: wake order, when the woken run, the lock hand-over of await(lock), enterNext, misuse. */
class CoQueueTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void nextWakesTheOldestWaiterWhichRunsAfterTheWakerYields(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoQueue q = CoQueue.create("q");
            onLoop(ctx, () -> {
                enter("w1", () -> {
                    e.expect(1);
                    q.await();
                    e.expect(6); // after the waker yielded
                });
                enter("w2", () -> {
                    e.expect(2);
                    q.await();
                    e.expect(10);
                });
                e.expect(3);
                assertEquals("CoQueue[q, waiters=2]", q.toString());
                Coroutine waker = enter("waker", () -> {
                    e.expect(4);
                    assertTrue(q.next());
                    e.expect(5); // w1 has not run yet
                    Coroutine.yield();
                    e.expect(8);
                    assertTrue(q.next());
                    e.expect(9);
                    assertFalse(q.next(), "nobody left");
                });
                e.expect(7);
                waker.enter();
                e.expect(11);
                assertTrue(q.isEmpty());
            });
            e.finish(12);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void restartAllWakesEveryoneInOrder(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoQueue q = CoQueue.create("q");
            onLoop(ctx, () -> {
                for (int i = 1; i <= 3; i++) {
                    int n = i;
                    enter("w" + n, () -> {
                        e.expect(n);
                        q.await();
                        e.expect(5 + n);
                    });
                }
                Coroutine waker = enter("waker", () -> {
                    e.expect(4);
                    assertEquals(3, q.restartAll());
                    e.expect(5);
                    Coroutine.yield(); // w1, w2, w3 run now
                    e.expect(9);
                    assertEquals(0, q.restartAll());
                });
                waker.enter();
                assertTrue(q.isEmpty());
            });
            e.finish(10);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void awaitReleasesTheLockAndTakesItBackAfterTheSignaller(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoQueue q = CoQueue.create("q");
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                enter("w", () -> {
                    m.lock();
                    e.expect(1);
                    q.await(m);
                    e.expect(7);
                    assertTrue(m.ownedBy(Coroutine.current()));
                    m.unlock();
                });
                Coroutine s = enter("s", () -> {
                    e.expect(2);
                    assertTrue(m.tryLock(), "await released the lock");
                    assertTrue(q.next());
                    e.expect(3);
                    Coroutine.yield(); // w wakes, asks for the lock, and waits for it
                    e.expect(5);
                    m.unlock(); // to w, which runs after s ends
                    e.expect(6);
                });
                e.expect(4);
                assertEquals("CoMutex[m, owner=s, waiters=1]", m.toString());
                s.enter();
                e.expect(8);
                assertFalse(m.isLocked());
            });
            e.finish(9);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void enterNextFromTheLoopEntersTheWaiterAtOnce(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoQueue q = CoQueue.create("q");
            onLoop(ctx, () -> {
                enter("w", () -> {
                    e.expect(1);
                    q.await();
                    e.expect(3);
                    Coroutine.yield();
                });
                e.expect(2);
                assertTrue(q.enterNext(null));
                e.expect(4);
                assertFalse(q.enterNext(null));
            });
            e.finish(5);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void enterNextWithALockUnlocksAroundTheWakeUp(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoQueue q = CoQueue.create("q");
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                enter("w", () -> {
                    m.lock();
                    e.expect(1);
                    q.await(m);
                    e.expect(5);
                    m.unlock();
                });
                enter("s", () -> {
                    m.lock();
                    e.expect(2);
                    assertTrue(q.enterNext(m));
                    assertTrue(m.ownedBy(Coroutine.current()), "locked again before enterNext returns");
                    e.expect(3);
                    m.unlock(); // nobody asked for it yet: w runs after s ends
                    e.expect(4);
                });
                e.expect(6);
            });
            e.finish(7);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakesFromOtherContextsResumeEachWaiterInItsOwnContext(Backend backend) throws Exception {
        final int perContext = 5;
        CoQueue q = CoQueue.create("q");
        ConcurrentHashMap<String, AioContext> resumedIn = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(2 * perContext);
        try (AioContext ca = AioContext.start("ca-" + backend.id(), backend);
                AioContext cb = AioContext.start("cb-" + backend.id(), backend);
                AioContext waker = AioContext.start("waker-" + backend.id(), backend)) {
            for (AioContext c : new AioContext[] {ca, cb}) {
                for (int i = 0; i < perContext; i++) {
                    String name = c.name() + "/w" + i;
                    c.spawn(name, () -> {
                        q.await();
                        resumedIn.put(name, AioContext.current());
                        done.countDown();
                    });
                }
                drain(c);
            }
            assertEquals("CoQueue[q, waiters=" + 2 * perContext + "]", q.toString());
            assertTrue(q.enterNext(null)); // from this plain thread: queued to ca's loop
            assertEquals(2 * perContext - 1, waker.call(q::restartAll));
            await(done);
            for (int i = 0; i < perContext; i++) {
                assertSame(ca, resumedIn.get(ca.name() + "/w" + i));
                assertSame(cb, resumedIn.get(cb.name() + "/w" + i));
            }
            assertTrue(q.isEmpty());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void misuseIsRefusedWithoutLosingAWaiter(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoQueue q = CoQueue.create("q");
            CoMutex m = CoMutex.create("m");
            onLoop(ctx, () -> {
                assertOutside("CoQueue.await()", q::await);
                assertOutside("CoQueue.await(lock)", () -> q.await(m));
                assertOutside("CoQueue.next()", q::next);
                assertOutside("CoQueue.restartAll()", q::restartAll);
                assertOutside("CoQueue.enterNext(lock)", () -> q.enterNext(m));
                enter("w", q::await);
                enter("stranger", () -> {
                    String msg = assertThrows(IllegalMonitorStateException.class, () -> q.await(m)).getMessage();
                    assertTrue(msg.contains("'stranger'") && msg.contains("CoMutex[m"), msg);
                    assertThrows(IllegalMonitorStateException.class, () -> q.enterNext(m));
                });
                assertEquals("CoQueue[q, waiters=1]", q.toString(), "the refused calls did not touch the queue");
                assertTrue(q.enterNext(null));
                assertTrue(q.isEmpty());
            });
        }
    }

    private static void assertOutside(String call, Executable what) {
        String msg = assertThrows(IllegalStateException.class, what).getMessage();
        assertTrue(msg.contains(call + " called outside a coroutine"), msg);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void dumpShowsWhatAWaiterWaitsFor(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoQueue q = CoQueue.create("requests");
            onLoop(ctx, () -> {
                enter("w", q::await);
                assertEquals("CoQueue[requests, waiters=1]", info(ctx.dump(), "w").waitsFor());
                assertTrue(ctx.dumpString().contains("\"w\" SUSPENDED waits for CoQueue[requests, waiters=1]"));
                enter("waker", q::restartAll);
                assertEquals(0, ctx.liveCount());
            });
        }
    }
}
