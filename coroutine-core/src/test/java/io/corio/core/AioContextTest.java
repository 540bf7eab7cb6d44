package io.corio.core;

import static io.corio.core.Loops.embedded;
import static io.corio.core.Loops.onLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bottom halves, timers, execute, call, close and dump. */
class AioContextTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void bottomHalvesRunOncePerScheduleAndCancel(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            AtomicInteger runs = new AtomicInteger();
            BottomHalf bh = ctx.bottomHalf(runs::incrementAndGet);
            assertTrue(bh.schedule());
            assertFalse(bh.schedule(), "a second schedule folds into the pending one");
            while (ctx.poll(false)) {
                // drain
            }
            assertEquals(1, runs.get());
            assertTrue(bh.schedule());
            assertTrue(bh.cancel());
            assertFalse(bh.cancel());
            while (ctx.poll(false)) {
                // drain
            }
            assertEquals(1, runs.get(), "a cancelled schedule never runs");
            assertTrue(bh.schedule(), "reusable after a cancel");
            ctx.poll(false);
            assertEquals(2, runs.get());
        }
    }

    @Test
    void tasksRunInSubmissionOrderOnTheLoop() throws Exception {
        try (AioContext ctx = AioContext.start("fifo")) {
            List<Integer> seen = new ArrayList<>(); // touched only on the loop
            AtomicInteger outside = new AtomicInteger();
            for (int i = 0; i < 1000; i++) {
                int n = i;
                ctx.execute(() -> {
                    if (!ctx.inContext()) {
                        outside.incrementAndGet();
                    }
                    seen.add(n);
                });
            }
            List<Integer> got = ctx.call(() -> List.copyOf(seen));
            assertEquals(1000, got.size());
            for (int i = 0; i < 1000; i++) {
                assertEquals(i, got.get(i));
            }
            assertEquals(0, outside.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void timersFireInDeadlineOrderAndCancelAnswersHonestly(Backend backend) throws Exception {
        try (AioContext ctx = AioContext.start("timers-" + backend.id(), backend)) {
            List<String> fired = new ArrayList<>(); // loop only
            CountDownLatch two = new CountDownLatch(2);
            ctx.timer(Duration.ofMillis(30), () -> {
                fired.add("late");
                two.countDown();
            });
            AioTimer cancelled = ctx.timer(Duration.ofMillis(15), () -> fired.add("cancelled"));
            ctx.timer(Duration.ofMillis(5), () -> {
                fired.add("early");
                two.countDown();
            });
            assertTrue(cancelled.cancel());
            assertFalse(cancelled.cancel());
            assertTrue(two.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("early", "late"), ctx.call(() -> List.copyOf(fired)));
            CountDownLatch zeroFired = new CountDownLatch(1);
            AioTimer ran = ctx.timer(Duration.ZERO, zeroFired::countDown);
            assertTrue(zeroFired.await(10, TimeUnit.SECONDS));
            assertFalse(ran.cancel(), "cancel after the action ran answers false");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void callFromAPlainThreadReturnsTheResultOrThrows(Backend backend) {
        try (AioContext ctx = AioContext.start("call2-" + backend.id(), backend)) {
            assertEquals(7, ctx.call(() -> {
                Coroutine.sleep(Duration.ofMillis(1));
                return 7;
            }));
            IOException io = assertThrows(IOException.class, () -> ctx.call(() -> {
                throw new IOException("checked, unwrapped");
            }));
            assertEquals("checked, unwrapped", io.getMessage());
            assertThrows(ArithmeticException.class, () -> ctx.call(() -> 1 / (int) (System.nanoTime() & 0)));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void callFromACoroutineOfAnotherContextYieldsMeanwhile(Backend backend) throws Exception {
        try (AioContext a = AioContext.start("a-" + backend.id(), backend);
                AioContext b = AioContext.start("b-" + backend.id(), backend)) {
            String got = a.call(() -> {
                AtomicInteger otherRan = new AtomicInteger();
                a.spawn("sibling", otherRan::incrementAndGet);
                String r = b.call(() -> {
                    assertTrue(b.inContext());
                    Coroutine.sleep(Duration.ofMillis(5));
                    return "from b";
                });
                assertTrue(a.inContext());
                assertEquals(1, otherRan.get(), "a's other coroutines ran while we waited on b");
                return r;
            });
            assertEquals("from b", got);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void callOnTheOwnLoopPollsUntilDone(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            onLoop(ctx, () -> {
                int v = ctx.call(() -> {
                    Coroutine.sleep(Duration.ofMillis(2));
                    return 5;
                });
                assertEquals(5, v);
            });
            // and from the embedding thread, which drives the context itself
            assertEquals("direct", ctx.call(() -> "direct"));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closeFinishesQueuedWorkThenRefusesNewWork(Backend backend) throws Exception {
        AioContext ctx = AioContext.start("closing-" + backend.id(), backend);
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        ctx.execute(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        for (int i = 0; i < 100; i++) {
            ctx.execute(ran::incrementAndGet);
        }
        Thread closer = Thread.ofPlatform().start(ctx::close);
        while (!ctx.isClosed()) {
            Thread.onSpinWait();
        }
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> ctx.execute(() -> {}));
        assertTrue(refused.getMessage().contains("closing-" + backend.id()), refused.getMessage());
        gate.countDown();
        closer.join();
        assertEquals(100, ran.get(), "work queued before close ran");
        assertTrue(ctx.awaitTermination(Duration.ofSeconds(5)));
        ctx.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> ctx.spawn("late", () -> {}));
        assertThrows(IllegalStateException.class, () -> ctx.timer(Duration.ZERO, () -> {}));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void dumpListsLiveCoroutinesWithNameStateAndStack(Backend backend) throws Exception {
        try (AioContext ctx = AioContext.start("dump-" + backend.id(), backend)) {
            CountDownLatch started = new CountDownLatch(1);
            Coroutine parked = ctx.spawn("parked-in-helper", () -> {
                started.countDown();
                parkHere();
            });
            assertTrue(started.await(10, TimeUnit.SECONDS));
            ctx.call(() -> null);
            List<AioContext.CoroutineInfo> infos = ctx.dump();
            AioContext.CoroutineInfo info = infos.stream()
                    .filter(i -> i.name().equals("parked-in-helper")).findFirst().orElseThrow();
            assertEquals(Coroutine.State.SUSPENDED, info.state());
            assertTrue(info.stack().stream().anyMatch(f -> f.getMethodName().equals("parkHere")),
                    "stack shows where it waits: " + info.stack());
            assertTrue(ctx.dumpString().contains("parked-in-helper"));
            parked.wake();
            ctx.call(() -> null);
            assertTrue(ctx.dump().stream().noneMatch(i -> i.name().equals("parked-in-helper")),
                    "a finished coroutine leaves the dump");
        }
    }

    private static void parkHere() {
        Coroutine.yield();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void misuseFailsWithTheCoroutineNamed(Backend backend) {
        assertThrows(IllegalStateException.class, Coroutine::yield);
        assertThrows(IllegalStateException.class, () -> Coroutine.sleep(Duration.ZERO));
        assertThrows(IllegalStateException.class, () -> Coroutine.blocking(() -> 1));
        try (AioContext ctx = embedded(backend); AioContext other = embedded(backend)) {
            onLoop(ctx, () -> {
                AtomicReference<Coroutine> self = new AtomicReference<>();
                Coroutine rec = Coroutine.create("recursive", () -> self.get().enter());
                self.set(rec);
                IllegalStateException e = assertThrows(IllegalStateException.class, rec::enter);
                assertTrue(e.getMessage().contains("recursive") && e.getMessage().contains("running"), e.getMessage());

                Coroutine done = Coroutine.create("once", () -> {});
                done.enter();
                IllegalStateException again = assertThrows(IllegalStateException.class, done::enter);
                assertTrue(again.getMessage().contains("once"), again.getMessage());

                Coroutine mine = Coroutine.create("mine", Coroutine::yield);
                mine.enter();
                other.execute(() -> {
                    IllegalStateException foreign = assertThrows(IllegalStateException.class, mine::enter);
                    assertTrue(foreign.getMessage().contains("mine"), foreign.getMessage());
                });
                while (other.poll(false)) {
                    // runs the check above on the other context
                }
                mine.enter();
                assertSame(Coroutine.State.DONE, mine.state());

                Coroutine poller = Coroutine.create("poller", () -> ctx.poll(false));
                IllegalStateException p = assertThrows(IllegalStateException.class, poller::enter);
                assertTrue(p.getMessage().contains("poller"), p.getMessage());
            });
        }
    }

    @Test
    void backendNamesParseAndBadOnesAreNamed() {
        assertSame(Backend.VIRTUAL_PINNED, Backend.fromId("virtual-pinned"));
        assertSame(Backend.CONTINUATION, Backend.fromId(" Continuation "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backend.fromId("green"));
        assertTrue(e.getMessage().contains("green"));
    }

    @Test
    void enterFromAPlainThreadUsesItsDefaultContext() {
        AtomicReference<AioContext> seen = new AtomicReference<>();
        Coroutine co = Coroutine.create("on-main", () -> seen.set(AioContext.current()));
        co.enter();
        assertSame(AioContext.current(), seen.get());
        assertSame(AioContext.current(), co.context());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void failuresOfLoopEnteredCoroutinesReachTheEmbedder(Backend backend) {
        try (AioContext ctx = embedded(backend)) {
            ctx.spawn("doomed", () -> {
                throw new IllegalStateException("from a spawned coroutine");
            });
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.poll(false));
            assertEquals("from a spawned coroutine", e.getMessage());
        }
    }
}
