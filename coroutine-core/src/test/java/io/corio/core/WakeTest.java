package io.corio.core;

import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** wake() from the loop, from coroutines and from foreign threads; wakeable sleep. */
class WakeTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeFromTheLoopEntersAtOnce(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            onLoop(ctx, () -> {
                Coroutine co = Coroutine.create("sleeper", () -> {
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(3);
                });
                co.enter();
                e.expect(2);
                co.wake();
                e.expect(4);
            });
            e.finish(5);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wokenByACoroutineRunsAfterTheWakerYields(Backend backend) {
        Expect e = new Expect();
        try (AioContext ctx = embedded(backend)) {
            onLoop(ctx, () -> {
                Coroutine waiter = Coroutine.create("waiter", () -> {
                    e.expect(1);
                    Coroutine.yield();
                    e.expect(4); // only once the waker has yielded
                });
                waiter.enter();
                Coroutine waker = Coroutine.create("waker", () -> {
                    e.expect(2);
                    waiter.wake();
                    e.expect(3);
                    Coroutine.yield();
                    e.expect(6);
                });
                waker.enter();
                e.expect(5); // enter(waker) returns after the woken waiter has run
                waker.enter();
            });
            e.finish(7);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeBeforeTheYieldIsNotLost(Backend backend) throws Exception {
        // The canonical race: another thread completes and wakes before the coroutine yields.
        try (AioContext ctx = AioContext.start("wake-early-" + backend.id(), backend)) {
            for (int i = 0; i < 200; i++) {
                CountDownLatch woken = new CountDownLatch(1);
                CountDownLatch resumed = new CountDownLatch(1);
                ctx.spawn("early-" + i, () -> {
                    Coroutine self = Coroutine.current();
                    Thread t = Thread.ofPlatform().start(() -> {
                        self.wake();
                        woken.countDown();
                    });
                    woken.await(); // the wake has happened; we have not yielded yet
                    Coroutine.yield();
                    t.join();
                    resumed.countDown();
                });
                assertTrue(resumed.await(10, TimeUnit.SECONDS), "lost wake-up in round " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeFromForeignThreadsRunsInTheHomeContext(Backend backend) throws Exception {
        int n = 50;
        try (AioContext ctx = AioContext.start("home-" + backend.id(), backend)) {
            List<Coroutine> waiting = new ArrayList<>();
            CountDownLatch parked = new CountDownLatch(n);
            CountDownLatch done = new CountDownLatch(n);
            AtomicInteger wrongContext = new AtomicInteger();
            for (int i = 0; i < n; i++) {
                waiting.add(ctx.spawn("w" + i, () -> {
                    parked.countDown();
                    Coroutine.yield();
                    if (AioContext.current() != ctx || !ctx.inContext()) {
                        wrongContext.incrementAndGet();
                    }
                    done.countDown();
                }));
            }
            assertTrue(parked.await(10, TimeUnit.SECONDS));
            // the counts are reached from inside the coroutines, so wait until all have yielded
            ctx.call(() -> null);
            Thread a = Thread.ofPlatform().start(() -> waiting.subList(0, n / 2).forEach(Coroutine::wake));
            Thread b = Thread.ofVirtual().start(() -> waiting.subList(n / 2, n).forEach(Coroutine::wake));
            a.join();
            b.join();
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(0, wrongContext.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void sleepEndsAfterItsDurationOrWhenWoken(Backend backend) throws Exception {
        try (AioContext ctx = AioContext.start("sleep-" + backend.id(), backend)) {
            long took = ctx.call(() -> {
                long t0 = System.nanoTime();
                Coroutine.sleep(Duration.ofMillis(20));
                return System.nanoTime() - t0;
            });
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(20), "slept only " + took + " ns");

            AtomicReference<Coroutine> sleeper = new AtomicReference<>();
            CountDownLatch asleep = new CountDownLatch(1);
            CountDownLatch awake = new CountDownLatch(1);
            ctx.execute(() -> sleeper.set(ctx.spawn("long-sleeper", () -> {
                asleep.countDown();
                Coroutine.sleep(Duration.ofHours(1));
                awake.countDown();
            })));
            assertTrue(asleep.await(10, TimeUnit.SECONDS));
            ctx.call(() -> null); // the sleeper has yielded by now
            sleeper.get().wake();
            assertTrue(awake.await(10, TimeUnit.SECONDS), "wake() did not end an hour-long sleep");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void sleepsEndInDeadlineOrder(Backend backend) throws Exception {
        try (AioContext ctx = AioContext.start("sleep-order-" + backend.id(), backend)) {
            List<Long> deadlines = new ArrayList<>(); // touched only inside ctx, in wake-up order
            CountDownLatch done = new CountDownLatch(3);
            int[] ms = {30, 10, 20};
            for (int m : ms) {
                ctx.spawn("s" + m, () -> {
                    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(m);
                    Coroutine.sleep(Duration.ofMillis(m));
                    deadlines.add(deadline);
                    done.countDown();
                });
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
            List<Long> got = ctx.call(() -> List.copyOf(deadlines));
            assertEquals(got.stream().sorted().toList(), got, "sleepers woke out of deadline order");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakeMisuseFailsLoudly(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            Coroutine never = Coroutine.create("unbound", () -> {});
            IllegalStateException e1 = assertThrows(IllegalStateException.class, never::wake);
            assertTrue(e1.getMessage().contains("unbound"), e1.getMessage());
            onLoop(ctx, () -> {
                Coroutine done = Coroutine.create("finished", () -> {});
                done.enter();
                IllegalStateException e2 = assertThrows(IllegalStateException.class, done::wake);
                assertTrue(e2.getMessage().contains("finished"), e2.getMessage());

                AtomicReference<Throwable> second = new AtomicReference<>();
                Coroutine target = Coroutine.create("target", Coroutine::yield);
                target.enter();
                Coroutine.create("double-waker", () -> {
                    target.wake();
                    second.set(assertThrows(IllegalStateException.class, target::wake));
                    // entering a scheduled coroutine directly is misuse too
                    assertThrows(IllegalStateException.class, target::enter);
                }).enter();
                assertTrue(second.get().getMessage().contains("already scheduled"), second.get().getMessage());
                assertSame(Coroutine.State.DONE, target.state());
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aFinishedWaitLeavesNoWakeBehind(Backend backend) throws Exception {
        // call() into another context often completes before the caller yields; the
        // completion's wake must not survive the wait and cut the next sleep short.
        try (AioContext a = AioContext.start("waiter-" + backend.id(), backend);
                AioContext b = AioContext.start("worker-" + backend.id(), backend)) {
            int early = a.call(() -> {
                int n = 0;
                for (int i = 0; i < 300; i++) {
                    b.call(() -> 1);
                    long t0 = System.nanoTime();
                    Coroutine.sleep(Duration.ofMillis(1));
                    if (System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1)) {
                        n++;
                    }
                }
                return n;
            });
            assertEquals(0, early, "sleeps ended early by stray wakes");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void wakePingPongRunsInConstantStack(Backend backend) throws Exception {
        // Two coroutines that wake each other and yield: each hand-off must not nest a
        // stack frame in whoever entered them (QEMU runs its wake-up list iteratively).
        int turns = 200_000;
        try (AioContext ctx = AioContext.start("ping-pong-" + backend.id(), backend)) {
            int total = ctx.call(() -> {
                int[] count = {0};
                Coroutine[] pair = new Coroutine[2];
                for (int k = 0; k < 2; k++) {
                    int me = k;
                    pair[k] = Coroutine.create("p" + k, () -> {
                        Coroutine.yield(); // wait for the serve
                        while (count[0] < turns) {
                            count[0]++;
                            pair[1 - me].wake();
                            Coroutine.yield();
                        }
                    });
                }
                pair[0].enter();
                pair[1].enter();
                pair[0].wake(); // the serve: p0 runs once this coroutine yields
                while (pair[0].state() != Coroutine.State.DONE && pair[1].state() != Coroutine.State.DONE) {
                    Coroutine.sleep(Duration.ofMillis(1));
                }
                return count[0];
            });
            assertTrue(total >= turns, "rally stopped at " + total);
        }
    }
}
