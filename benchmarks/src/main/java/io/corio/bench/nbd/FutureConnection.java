package io.corio.bench.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.blockio.nbd.ByteBudget;
import io.corio.blockio.nbd.FramingException;
import io.corio.blockio.nbd.Handshake;
import io.corio.blockio.nbd.Incoming;
import io.corio.blockio.nbd.Request;
import io.corio.blockio.nbd.WireIn;
import io.corio.core.io.BufferPool;
import io.corio.core.io.FrameWriter;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of {@link FutureServer}: the coroutine server's {@code Session} with the
 * context taken out. A reader thread runs the real server's {@link Handshake}, then reads
 * requests, takes each one's cost from the connection's {@link ByteBudget} (as the coroutine
 * server does, so TCP pushes back alike) and hands it to {@link FutureTransmission#serve}; the
 * reply future's completion queues the reply to the {@link FrameWriter}, which gives the cost
 * back once it is written. No request is run on a loop of its own: a request runs on the thread
 * that completes its driver's futures.
 *
 * <p>Ends as {@code Session} does: NBD_CMD_DISC, end of stream or {@link #shutdown()} stop the
 * reader, which waits for every reply to be written (all budget back) and closes; lost framing
 * or an internal error closes the socket at once, and replies still to come are dropped.
 */
final class FutureConnection {
    private static final Logger log = LoggerFactory.getLogger(FutureConnection.class);

    private final String name;
    private final SocketChannel channel;
    private final FutureServer.Config config;
    private final BufferPool pool; // thread-safe
    private final Runnable onEnd;
    private final ByteBudget budget; // thread-safe
    private final FrameWriter out; // thread-safe
    private final WireIn in; // reader thread only
    private final Thread reader;
    private final CountDownLatch ended = new CountDownLatch(1);

    FutureConnection(String name, SocketChannel channel, FutureServer.Config config, Runnable onEnd) {
        this.name = name;
        this.channel = channel;
        this.config = config;
        this.pool = config.pool();
        this.onEnd = onEnd;
        this.budget = new ByteBudget(config.budget());
        this.out = new FrameWriter(name, channel, pool, budget::release);
        this.in = WireIn.direct(channel::read);
        this.reader = Thread.ofVirtual().name(name + "-reader").unstarted(this::run);
    }

    void start() {
        out.start();
        reader.start();
    }

    /** Stops reading; requests in flight finish and are answered, then the connection closes. */
    void shutdown() {
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            close();
        }
    }

    /** Closes the socket at once. Callable from any thread. */
    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("{}: close: {}", name, e.toString());
        }
    }

    boolean awaitEnd(long millis) throws InterruptedException {
        return ended.await(millis, TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            Handshake.Result agreed = new Handshake(name, in, out, config.exports()).run();
            if (agreed != null) {
                FutureDriver driver = config.drivers().get(agreed.export().name());
                readRequests(new FutureTransmission(name, pool, agreed, driver));
            }
        } catch (FramingException e) {
            log.warn("{}: closing the connection: {}", name, e.getMessage());
            close();
        } catch (EOFException e) {
            log.debug("{}: client went away: {}", name, e.getMessage());
        } catch (IOException e) {
            log.debug("{}: connection lost: {}", name, e.toString());
        } catch (RuntimeException e) {
            log.error("{}: closing the connection after an internal error", name, e);
            close();
        } finally {
            end();
        }
    }

    /** The reader loop of the transmission phase; returns on DISC or end of stream. */
    private void readRequests(FutureTransmission t) throws IOException {
        assert Thread.currentThread() == reader : name + " reads requests outside its reader";
        while (!in.atEnd()) {
            Incoming x = Incoming.read(in, budget, pool);
            if (x == null) {
                log.debug("{}: NBD_CMD_DISC", name);
                return;
            }
            serve(t, x.request(), x.cost(), x.payload());
        }
        log.debug("{}: end of stream", name);
    }

    // loc-begin: nbd-future-common
    /** Starts {@code r}; once its reply is ready, queues it with its budget. */
    private void serve(FutureTransmission t, Request r, long cost, ByteBuffer payload) {
        t.serve(r).whenComplete((reply, e) -> {
            if (payload != null) {
                pool.give(payload); // the driver is done with the WRITE data
            }
            if (reply != null) {
                out.send(reply.buffers(), reply.pooled(), cost);
            } else { // serve() broke its promise: the client would wait forever for this reply
                log.error("{}: {} has no reply", name, r, e);
                budget.release(cost);
                close();
            }
        });
    }
    // loc-end

    /** On the reader: waits for every reply to be written or dropped, then closes everything. */
    private void end() {
        assert Thread.currentThread() == reader : name + " ends outside its reader";
        budget.acquire(budget.capacity());
        out.close();
        close();
        onEnd.run();
        ended.countDown();
    }

    @Override
    public String toString() {
        return name;
    }
}
