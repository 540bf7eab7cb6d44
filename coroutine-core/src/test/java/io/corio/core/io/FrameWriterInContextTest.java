package io.corio.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * FrameWriter.inContext on a real socket: frames leave whole and in order whether the sender
 * writes them at once or the writer coroutine waits for room; credit comes back once per frame,
 * after its bytes are on the wire or dropped; close() waits for what is queued.
 */
@Timeout(60)
class FrameWriterInContextTest {

    /** A connected pair: [0] the writer's end (non-blocking), [1] the peer's (blocking). */
    private static SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel a = SocketChannel.open(server.getLocalAddress());
            SocketChannel b = server.accept();
            a.configureBlocking(false);
            return new SocketChannel[] {a, b};
        }
    }

    /** Frame i: a 4-byte index then {@code size(i) - 4} bytes of (i + j). */
    private static int size(int i) {
        return i % 3 == 0 ? 200_000 + i : 100 + i; // large ones go to the writer coroutine
    }

    private static ByteBuffer[] frame(int i) {
        int n = size(i);
        ByteBuffer head = ByteBuffer.allocate(4).putInt(0, i);
        ByteBuffer body = ByteBuffer.allocate(n - 4);
        for (int j = 0; j < n - 4; j++) {
            body.put(j, (byte) (i + j));
        }
        return new ByteBuffer[] {head, body};
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void framesLeaveWholeAndInOrderThroughAFullSocket(Backend backend) throws Exception {
        SocketChannel[] p = pair();
        int frames = 60;
        AtomicLong credit = new AtomicLong();
        try (AioContext ctx = AioContext.start("fw", backend)) {
            FrameWriter w = FrameWriter.inContext(ctx, "fw", p[0], null, credit::addAndGet);
            CompletableFuture<Long> creditAtClose = new CompletableFuture<>();
            ctx.spawn("senders", () -> {
                for (int i = 0; i < frames; i++) {
                    w.send(frame(i), null, 1);
                }
                w.close(); // waits for the writer coroutine to empty the queue
                creditAtClose.complete(credit.get());
            });
            // the peer reads only now, so the socket has been full and the writer waited
            for (int i = 0; i < frames; i++) {
                ByteBuffer f = ByteBuffer.allocate(size(i));
                while (f.hasRemaining()) {
                    assertTrue(p[1].read(f) > 0, "end of stream in frame " + i);
                }
                assertEquals(i, f.getInt(0), "frame order");
                for (int j = 0; j < size(i) - 4; j++) {
                    if (f.get(4 + j) != (byte) (i + j)) {
                        throw new AssertionError("frame " + i + " byte " + j + " differs");
                    }
                }
            }
            assertEquals(frames, creditAtClose.get(30, TimeUnit.SECONDS), "credit back once per frame");
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aFailedWriteDropsTheQueueAndStillGivesBackCredit(Backend backend) throws Exception {
        SocketChannel[] p = pair();
        AtomicLong credit = new AtomicLong();
        try (AioContext ctx = AioContext.start("fw", backend)) {
            FrameWriter w = FrameWriter.inContext(ctx, "fw", p[0], null, credit::addAndGet);
            p[1].close(); // the peer is gone: writes fail (at once or after the first)
            CompletableFuture<Integer> sent = new CompletableFuture<>();
            ctx.spawn("senders", () -> {
                int n = 0;
                while (p[0].isOpen() && n < 100_000) { // until a write has failed
                    w.send(frame(n), null, 1);
                    n++;
                    Coroutine.sleep(Duration.ofMillis(1)); // lets the writer coroutine run
                }
                w.send(frame(n), null, 1); // after the failure: dropped, credit back at once
                n++;
                w.close();
                sent.complete(n);
            });
            int n = sent.get(30, TimeUnit.SECONDS);
            assertEquals(false, p[0].isOpen(), "a failed write closes the channel");
            assertEquals(n, credit.get(), "every frame's credit, written or dropped");
        } finally {
            p[0].close();
        }
    }
}
