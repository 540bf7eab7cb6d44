package io.corio.core;

import static io.corio.core.CoTesting.HANG_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Coroutine.awaitChannel: the loop waits for channels, timers and work in one select. */
class ChannelWaitTest {

    /** Reads exactly {@code n} bytes from a non-blocking pipe, waiting for it in the coroutine. */
    private static byte[] readFully(Pipe.SourceChannel in, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                throw new IOException("end of stream after " + b.position());
            }
            if (b.hasRemaining()) {
                Coroutine.awaitChannel(in, SelectionKey.OP_READ);
            }
        }
        return b.array();
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aReaderWaitsForDataWrittenByAnotherThread(Backend backend) throws Exception {
        Pipe pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        try (AioContext ctx = AioContext.start("chan", backend)) {
            CompletableFuture<String> got = new CompletableFuture<>();
            ctx.spawn("reader", () -> {
                try {
                    got.complete(new String(readFully(pipe.source(), 10)));
                } catch (Throwable t) {
                    got.completeExceptionally(t);
                }
            });
            for (String part : List.of("01", "234", "56789")) {
                Thread.sleep(20); // not for correctness: lets the reader wait between parts
                pipe.sink().write(ByteBuffer.wrap(part.getBytes()));
            }
            assertEquals("0123456789", got.get(HANG_SECONDS, TimeUnit.SECONDS));
        } finally {
            pipe.sink().close();
            pipe.source().close();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void timersAndTasksRunWhileACoroutineWaitsForAChannel(Backend backend) throws Exception {
        Pipe pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        try (AioContext ctx = AioContext.start("chan", backend)) {
            CompletableFuture<String> got = new CompletableFuture<>();
            ctx.spawn("reader", () -> {
                try {
                    got.complete(new String(readFully(pipe.source(), 2)));
                } catch (Throwable t) {
                    got.completeExceptionally(t);
                }
            });
            // the loop now sleeps in select: a sleeping coroutine and a submitted task must
            // still run on time, and the reader keeps waiting
            CompletableFuture<Long> slept = new CompletableFuture<>();
            ctx.spawn("sleeper", () -> {
                long t0 = System.nanoTime();
                Coroutine.sleep(Duration.ofMillis(30));
                slept.complete(System.nanoTime() - t0);
            });
            long took = slept.get(HANG_SECONDS, TimeUnit.SECONDS);
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(30), "slept only " + took + " ns");
            assertEquals("task", ctx.call(() -> "task"));
            assertTrue(!got.isDone(), "the reader finished without data: " + got);
            pipe.sink().write(ByteBuffer.wrap("ok".getBytes()));
            assertEquals("ok", got.get(HANG_SECONDS, TimeUnit.SECONDS));
        } finally {
            pipe.sink().close();
            pipe.source().close();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void closingTheChannelEndsTheWait(Backend backend) throws Exception {
        Pipe pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        try (AioContext ctx = AioContext.start("chan", backend)) {
            CompletableFuture<Throwable> failed = new CompletableFuture<>();
            CompletableFuture<Void> waiting = new CompletableFuture<>();
            ctx.spawn("reader", () -> {
                try {
                    waiting.complete(null);
                    readFully(pipe.source(), 1);
                    failed.complete(null);
                } catch (Throwable t) {
                    failed.complete(t);
                }
            });
            waiting.get(HANG_SECONDS, TimeUnit.SECONDS);
            ctx.call(() -> null); // the reader has run up to its wait
            ctx.closeChannel(pipe.source());
            assertInstanceOf(ClosedChannelException.class, failed.get(HANG_SECONDS, TimeUnit.SECONDS));
        } finally {
            pipe.sink().close();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aWakeEndsTheWaitAndALateReadinessIsDropped(Backend backend) throws Exception {
        Pipe pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        try (AioContext ctx = AioContext.start("chan", backend)) {
            List<String> events = new ArrayList<>();
            CompletableFuture<Coroutine> started = new CompletableFuture<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            ctx.spawn("waiter", () -> {
                try {
                    started.complete(Coroutine.current());
                    Coroutine.awaitChannel(pipe.source(), SelectionKey.OP_READ);
                    events.add("woken");
                    Coroutine.yield(); // a stale readiness must not enter us here
                    events.add("woken again");
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            Coroutine co = started.get(HANG_SECONDS, TimeUnit.SECONDS);
            ctx.call(() -> null);
            co.wake();
            ctx.call(() -> null);
            pipe.sink().write(ByteBuffer.wrap("x".getBytes())); // readiness nobody waits for
            ctx.call(() -> null);
            ctx.call(() -> null);
            assertEquals(List.of("woken"), ctx.call(() -> List.copyOf(events)));
            co.wake();
            done.get(HANG_SECONDS, TimeUnit.SECONDS);
            assertEquals(List.of("woken", "woken again"), ctx.call(() -> List.copyOf(events)));
        } finally {
            pipe.sink().close();
            pipe.source().close();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aBlockingChannelAndASecondReaderAreRefused(Backend backend) throws Exception {
        Pipe pipe = Pipe.open();
        try (AioContext ctx = AioContext.start("chan", backend)) {
            assertThrows(IllegalArgumentException.class, () -> ctx.call(() -> {
                Coroutine.awaitChannel(pipe.source(), SelectionKey.OP_READ);
                return null;
            }));
            pipe.source().configureBlocking(false);
            ctx.spawn("first", () -> {
                try {
                    Coroutine.awaitChannel(pipe.source(), SelectionKey.OP_READ);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            ctx.call(() -> null);
            assertThrows(IllegalStateException.class, () -> ctx.call(() -> {
                Coroutine.awaitChannel(pipe.source(), SelectionKey.OP_READ);
                return null;
            }));
            assertThrows(IllegalStateException.class,
                    () -> Coroutine.awaitChannel(pipe.source(), SelectionKey.OP_READ)); // not in a coroutine
        } finally {
            pipe.sink().close();
            pipe.source().close();
        }
    }
}
