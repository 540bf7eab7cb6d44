package io.corio.guide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import io.corio.core.io.BufferPool;
import io.corio.core.io.FrameWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The examples of docs/guide.md, part 3 (serving a socket), compiled and run. */
@Timeout(30)
class GuidePart3Test {

    @Test
    void repliesThroughAFrameWriter() throws Exception {
        Pipe pipe = Pipe.open(); // stands in for a client's socket
        Pipe.SinkChannel channel = pipe.sink();
        // example: frame-writer
        BufferPool pool = new BufferPool(1 << 20);
        Semaphore inFlight = new Semaphore(128); // the connection's bound on requests
        FrameWriter out = new FrameWriter("conn", channel, pool, n -> inFlight.release((int) n));
        out.start();
        try (AioContext ctx = AioContext.start("conn")) {
            for (int i = 0; i < 10; i++) {
                inFlight.acquireUninterruptibly(); // the reader: one credit per request read
                int id = i;
                ctx.spawn("request-" + id, () -> {
                    Coroutine.sleep(Duration.ofMillis(10 - id)); // requests finish in any order
                    ByteBuffer payload = pool.take(8).putLong(id * 100L).flip();
                    ByteBuffer header = ByteBuffer.allocate(4).putInt(id).flip();
                    out.send(new ByteBuffer[] {header, payload}, payload, 1); // both back once written
                });
            }
            inFlight.acquireUninterruptibly(128); // every reply is on the wire
        }
        out.close(); // writes what is still queued (nothing here), then returns
        // end
        ByteBuffer in = ByteBuffer.allocate(10 * 12);
        while (in.hasRemaining()) {
            pipe.source().read(in);
        }
        in.flip();
        TreeSet<Integer> ids = new TreeSet<>();
        while (in.hasRemaining()) {
            int id = in.getInt();
            assertEquals(id * 100L, in.getLong(), "reply " + id + " arrived whole");
            ids.add(id);
        }
        assertEquals(10, ids.size());
        assertEquals(0, ids.first());
        assertEquals(9, ids.last());
        long pooled = pool.pooledBytes(); // payloads came back, and later requests reused them
        assertTrue(pooled >= 4096 && pooled <= 10 * 4096, "pooled " + pooled);
    }

    @Test
    void aReaderCoroutineWaitsForItsChannelInTheLoop() throws Exception {
        Pipe pipe = Pipe.open(); // stands in for a client's socket
        Pipe.SourceChannel source = pipe.source();
        Pipe.SinkChannel sink = pipe.sink();
        CompletableFuture<Long> got = new CompletableFuture<>();
        // example: channel-wait
        try (AioContext ctx = AioContext.start("conn", Backend.CONTINUATION)) {
            source.configureBlocking(false); // a socket would be the same
            ctx.spawn("reader", () -> {
                ByteBuffer request = ByteBuffer.allocate(8);
                try {
                    while (request.hasRemaining()) {
                        if (source.read(request) == 0) { // nothing there: wait in the loop
                            Coroutine.awaitChannel(source, SelectionKey.OP_READ);
                        }
                    }
                } catch (IOException e) {
                    got.completeExceptionally(e);
                    return;
                }
                got.complete(request.flip().getLong());
            });
            sink.write(ByteBuffer.allocate(8).putLong(42).flip()); // the client sends a request
            assertEquals(42L, got.get(10, TimeUnit.SECONDS));
        }
        // end
        source.close();
        sink.close();
    }
}
