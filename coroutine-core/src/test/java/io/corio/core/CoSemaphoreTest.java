package io.corio.core;

import static io.corio.core.CoTesting.await;
import static io.corio.core.CoTesting.enter;
import static io.corio.core.CoTesting.info;
import static io.corio.core.CoTesting.yieldToLoop;
import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** CoSemaphore: multi-unit requests, strict FIFO, argument and release checks, and bounds across contexts. */
class CoSemaphoreTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void acquireAndReleaseMoveUnits(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoSemaphore s = CoSemaphore.create("bytes", 10);
            onLoop(ctx, () -> {
                enter("a", () -> {
                    s.acquire(4);
                    assertEquals(6, s.available());
                    assertTrue(s.tryAcquire(6));
                    assertFalse(s.tryAcquire(1));
                    assertEquals("CoSemaphore[bytes, available=0/10, waiters=0]", s.toString());
                    s.release(10);
                });
                assertTrue(s.tryAcquire(3), "tryAcquire works outside a coroutine");
                s.release(3);
                assertEquals(10, s.available());
                assertEquals(10, s.capacity());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aBigRequestIsNotStarvedBySmallOnes(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoSemaphore s = CoSemaphore.create("bytes", 10);
            onLoop(ctx, () -> {
                Coroutine holder = enter("holder", () -> {
                    s.acquire(8);
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(5);
                    s.release(8); // big, then small, run after holder ends
                    assertEquals(4, s.available());
                    e.expect(6);
                });
                enter("big", () -> {
                    e.expect(2);
                    s.acquire(5); // only 2 free
                    e.expect(7);
                    s.release(5);
                });
                enter("small", () -> {
                    e.expect(3);
                    s.acquire(1); // would fit, but waits behind big
                    e.expect(8);
                    s.release(1);
                });
                e.expect(4);
                assertEquals("CoSemaphore[bytes, available=2/10, waiters=2]", s.toString());
                assertFalse(s.tryAcquire(1), "no barging past the queue");
                holder.enter();
                e.expect(9);
                assertEquals(10, s.available());
            });
            e.finish(10);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void releaseServesInOrderAndStopsAtTheFirstThatDoesNotFit(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            CoSemaphore s = CoSemaphore.create("s", 10);
            onLoop(ctx, () -> {
                enter("all", () -> s.acquire(10));
                for (long units : new long[] {3, 6, 1}) {
                    enter("want" + units, () -> {
                        s.acquire(units);
                        e.expect(units == 3 ? 1 : units == 6 ? 2 : 3);
                    });
                }
                s.release(5); // from the loop: want3 is entered at once; want6 does not fit, want1 waits behind it
                assertEquals(2, s.available());
                assertEquals("CoSemaphore[s, available=2/10, waiters=2]", s.toString());
                s.release(4); // 6 free: want6 is served and takes them all, want1 keeps waiting
                assertEquals(0, s.available());
                assertEquals("CoSemaphore[s, available=0/10, waiters=1]", s.toString());
                s.release(1);
                assertEquals(0, s.available());
                assertEquals("CoSemaphore[s, available=0/10, waiters=0]", s.toString());
            });
            e.finish(4);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void badArgumentsAndOverReleaseAreRefused(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> CoSemaphore.create("s", 0)).getMessage()
                    .contains("got 0"));
            CoSemaphore s = CoSemaphore.create("s", 10);
            onLoop(ctx, () -> {
                String msg = assertThrows(IllegalStateException.class, () -> s.acquire(1)).getMessage();
                assertTrue(msg.contains("CoSemaphore.acquire() called outside a coroutine"), msg);
                enter("a", () -> {
                    String big = assertThrows(IllegalArgumentException.class, () -> s.acquire(11)).getMessage();
                    assertTrue(big.contains("got 11") && big.contains("capacity 10"), big);
                    assertTrue(assertThrows(IllegalArgumentException.class, () -> s.acquire(0)).getMessage()
                            .contains("got 0"));
                    assertThrows(IllegalArgumentException.class, () -> s.acquire(-1));
                });
                assertTrue(assertThrows(IllegalArgumentException.class, () -> s.tryAcquire(11)).getMessage()
                        .contains("got 11"));
                assertTrue(assertThrows(IllegalArgumentException.class, () -> s.release(0)).getMessage()
                        .contains("got 0"));
                assertTrue(s.tryAcquire(2));
                String over = assertThrows(IllegalStateException.class, () -> s.release(3)).getMessage();
                assertTrue(over.contains("release(3)") && over.contains("exceed the capacity 10"), over);
                assertEquals(8, s.available(), "a refused release changes nothing");
                s.release(2);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void dumpShowsWhatAWaiterWaitsFor(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            CoSemaphore s = CoSemaphore.create("inflight", 4);
            onLoop(ctx, () -> {
                assertTrue(s.tryAcquire(4));
                enter("w", () -> {
                    s.acquire(3);
                    s.release(3);
                });
                assertEquals("CoSemaphore[inflight, available=0/4, waiters=1]", info(ctx.dump(), "w").waitsFor());
                s.release(4);
                assertEquals(0, ctx.liveCount());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void unitsInFlightStayWithinCapacityAcrossContexts(Backend backend) throws Exception {
        final long capacity = 64;
        final int contexts = 2;
        final int perContext = 20;
        final int rounds = 10;
        CoSemaphore s = CoSemaphore.create("inflight", capacity);
        AtomicLong inFlight = new AtomicLong();
        AtomicInteger overruns = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(contexts * perContext);
        AioContext[] ctxs = new AioContext[contexts];
        try {
            for (int c = 0; c < contexts; c++) {
                ctxs[c] = AioContext.start("sem-" + c + "-" + backend.id(), backend);
            }
            for (int c = 0; c < contexts; c++) {
                for (int i = 0; i < perContext; i++) {
                    int seed = c * perContext + i;
                    ctxs[c].spawn("io-" + seed, () -> {
                        for (int r = 0; r < rounds; r++) {
                            long units = 1 + (seed * 31L + r * 17L) % capacity; // 1..64, some whole
                            s.acquire(units);
                            if (inFlight.addAndGet(units) > capacity) {
                                overruns.incrementAndGet();
                            }
                            yieldToLoop();
                            inFlight.addAndGet(-units);
                            s.release(units);
                            served.incrementAndGet();
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
        assertEquals(0, overruns.get(), "more units in flight than the capacity");
        assertEquals(contexts * perContext * rounds, served.get());
        assertEquals(capacity, s.available());
    }
}
