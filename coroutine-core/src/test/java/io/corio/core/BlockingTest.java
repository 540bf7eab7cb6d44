package io.corio.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Coroutine.blocking: leave the context while a call blocks, then come back. */
class BlockingTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void otherCoroutinesRunWhileOneBlocks(Backend backend) throws Exception {
        try (AioContext ctx = AioContext.start("blocking-" + backend.id(), backend)) {
            CountDownLatch released = new CountDownLatch(1);
            String got = ctx.call(() -> {
                // the sibling can only count down if this coroutine has left the context
                ctx.spawn("releaser", released::countDown);
                String r = Coroutine.blocking(() -> released.await(10, TimeUnit.SECONDS) ? "released" : "stuck");
                assertTrue(ctx.inContext(), "back in the context after blocking()");
                return r;
            });
            assertEquals("released", got);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void manyBlockingCallsOverlap(Backend backend) throws Exception {
        int n = 32;
        try (AioContext ctx = AioContext.start("overlap-" + backend.id(), backend)) {
            CountDownLatch all = new CountDownLatch(n);
            CountDownLatch done = new CountDownLatch(n);
            AtomicInteger ok = new AtomicInteger();
            for (int i = 0; i < n; i++) {
                ctx.spawn("b" + i, () -> {
                    // each call waits until every call has started: only possible if they overlap
                    boolean met = Coroutine.blocking(() -> {
                        all.countDown();
                        return all.await(10, TimeUnit.SECONDS);
                    });
                    if (met && ctx.inContext()) {
                        ok.incrementAndGet();
                    }
                    done.countDown();
                });
            }
            assertTrue(done.await(20, TimeUnit.SECONDS));
            assertEquals(n, ok.get());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theCallRunsOutsideAnyCoroutineAndItsExceptionsComeBack(Backend backend) {
        try (AioContext ctx = AioContext.start("outside-" + backend.id(), backend)) {
            ctx.call(() -> {
                Coroutine self = Coroutine.current();
                AtomicReference<Coroutine> inside = new AtomicReference<>(self);
                AtomicReference<Thread> thread = new AtomicReference<>();
                Coroutine.blocking(() -> {
                    inside.set(Coroutine.current());
                    thread.set(Thread.currentThread());
                    return null;
                });
                assertEquals(null, inside.get(), "blocking() runs outside any coroutine");
                assertTrue(thread.get().isVirtual(), "blocking work runs on a virtual thread");
                assertSame(self, Coroutine.current());

                IOException io = assertThrows(IOException.class, () -> Coroutine.blocking(() -> {
                    throw new IOException("no such disk");
                }));
                assertEquals("no such disk", io.getMessage());
                assertThrows(IllegalStateException.class, () -> Coroutine.blocking(() -> {
                    Coroutine.yield(); // misuse: there is no coroutine here
                    return null;
                }));
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void sequentialFileIoReadsLikeTheDesignSays(Backend backend, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("data");
        Files.write(file, "hello, coroutines".getBytes());
        try (AioContext ctx = AioContext.start("file-" + backend.id(), backend);
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            List<String> parts = new ArrayList<>(); // ctx only
            CountDownLatch done = new CountDownLatch(2);
            for (int off : new int[] {0, 7}) {
                ctx.spawn("reader@" + off, () -> {
                    ByteBuffer buf = ByteBuffer.allocate(5);
                    int n = Coroutine.blocking(() -> ch.read(buf, off));
                    parts.add(off + ":" + new String(buf.array(), 0, n));
                    done.countDown();
                });
            }
            assertTrue(done.await(10, TimeUnit.SECONDS));
            List<String> got = ctx.call(() -> parts.stream().sorted().toList());
            assertEquals(List.of("0:hello", "7:corou"), got);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aWakeDuringABlockingCallIsHonouredAtTheNextYield(Backend backend) throws Exception {
        try (AioContext ctx = AioContext.start("pending-" + backend.id(), backend)) {
            CountDownLatch inCall = new CountDownLatch(1);
            CountDownLatch woke = new CountDownLatch(1);
            CountDownLatch finished = new CountDownLatch(1);
            Coroutine co = ctx.spawn("sleepy", () -> {
                Coroutine.blocking(() -> {
                    inCall.countDown();
                    return woke.await(10, TimeUnit.SECONDS);
                });
                Coroutine.yield(); // the wake that arrived during blocking() resumes this at once
                finished.countDown();
            });
            assertTrue(inCall.await(10, TimeUnit.SECONDS));
            co.wake();
            woke.countDown();
            assertTrue(finished.await(10, TimeUnit.SECONDS), "the wake was lost");
            ctx.call(() -> null); // queued behind the coroutine's last turn
            assertSame(Coroutine.State.DONE, co.state());
        }
    }

    // ---------------------------------------------------------------- lending the idle turn

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCoroutineBackFromBlockingTakesTheIdleLoopsTurnAndStaysExclusive() throws Exception {
        int coroutines = 4, calls = 100;
        for (int round = 0; round < 5; round++) {
            lendRound(coroutines, calls);
        }
    }

    private static void lendRound(int coroutines, int calls) throws Exception {
        try (AioContext ctx = AioContext.start("lend", Backend.VIRTUAL)) {
            int[] plain = new int[1]; // touched only with the turn held
            CountDownLatch done = new CountDownLatch(coroutines);
            for (int c = 0; c < coroutines; c++) {
                ctx.spawn("lender-" + c, () -> {
                    for (int i = 0; i < calls; i++) {
                        Coroutine.blocking(() -> {
                            Thread.sleep(0, 100_000); // the loop parks meanwhile
                            return null;
                        });
                        assertTrue(ctx.inContext());
                        int v = plain[0];
                        Thread.onSpinWait();
                        plain[0] = v + 1;
                        ctx.execute(() -> plain[0]++); // the loop's own work interleaves
                    }
                    done.countDown();
                });
            }
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertEquals(2 * coroutines * calls, ctx.call(() -> plain[0]), "no increment lost between holders");
            assertTrue(ctx.call(ctx::borrows) > 0, "some coroutine came back on a borrowed turn");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBorrowersFailureIsThrownOutOfPollAfterTheWakesItLeft() throws Exception {
        AioContext ctx = AioContext.create("lend-polled", Backend.VIRTUAL);
        Thread poller = Thread.currentThread();
        CountDownLatch go = new CountDownLatch(1);
        List<String> seen = new ArrayList<>();
        Coroutine waiter = ctx.spawn("waiter", () -> {
            Coroutine.yield();
            seen.add("woken");
        });
        ctx.spawn("borrower", () -> {
            Coroutine.blocking(() -> {
                go.await();
                return null;
            });
            seen.add("borrowed " + (ctx.borrows() == 1));
            waiter.wake(); // left on the borrower's wake-up list
            throw new IllegalStateException("boom"); // ends the borrower while it holds the turn
        });
        ctx.poll(false); // both start; the borrower blocks
        Thread releaser = Thread.ofVirtual().start(() -> {
            // open the call only once the poller is parked in poll(true): its turn is free then
            while (poller.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            go.countDown();
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            while (true) {
                ctx.poll(true);
            }
        });
        assertEquals("boom", e.getMessage());
        releaser.join();
        assertEquals(List.of("borrowed true", "woken"), seen);
        assertEquals(0, ctx.liveCount(), "the borrower was unregistered when it ended");
        ctx.close();
    }

    // ---------------------------------------------------------------- keeping the turn through a call

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aCallWithNothingElseToDoKeepsTheTurnAndWorkArrivingMeanwhileStillRuns() throws Exception {
        try (AioContext ctx = AioContext.start("keep", Backend.VIRTUAL)) {
            int calls = 100;
            CountDownLatch quiet = new CountDownLatch(1);
            CountDownLatch taskRan = new CountDownLatch(1);
            CountDownLatch timerFired = new CountDownLatch(1);
            CountDownLatch inCall = new CountDownLatch(2);
            long[] kept = new long[2];
            ctx.spawn("keeper", () -> {
                for (int i = 0; i < calls; i++) {
                    Coroutine.blocking(() -> null); // the loop has nothing else to do: no hand-off
                }
                kept[0] = ctx.keptCalls();
                quiet.countDown();
                // now calls that can only end if work from other threads gets the loop back
                Coroutine.blocking(() -> {
                    inCall.countDown();
                    return taskRan.await(10, TimeUnit.SECONDS);
                });
                Coroutine.blocking(() -> {
                    inCall.countDown();
                    return timerFired.await(10, TimeUnit.SECONDS);
                });
                kept[1] = ctx.keptCalls();
            });
            assertTrue(quiet.await(10, TimeUnit.SECONDS));
            while (inCall.getCount() == 2) {
                Thread.onSpinWait();
            }
            ctx.execute(taskRan::countDown); // reclaims the turn from the first call
            while (inCall.getCount() == 1) {
                Thread.onSpinWait();
            }
            ctx.timer(Duration.ZERO, timerFired::countDown); // and from the second
            assertTrue(timerFired.await(10, TimeUnit.SECONDS), "a timer armed during a kept call fired");
            assertEquals(0, taskRan.getCount());
            assertEquals(calls, ctx.call(() -> kept[0]), "every quiet call kept the turn");
            assertEquals(calls, ctx.call(() -> kept[1]), "calls ended by reclaimed work did not count as kept");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeDuringAKeptCallEndsTheLoop() throws Exception {
        AioContext ctx = AioContext.start("keep-close", Backend.VIRTUAL);
        CountDownLatch inCall = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ctx.spawn("keeper", () -> Coroutine.blocking(() -> {
            inCall.countDown();
            return release.await(10, TimeUnit.SECONDS);
        }));
        assertTrue(inCall.await(10, TimeUnit.SECONDS));
        ctx.close(); // waits for the loop to end: it must get its turn back from the call
        assertTrue(ctx.awaitTermination(Duration.ZERO));
        release.countDown();
    }
}
