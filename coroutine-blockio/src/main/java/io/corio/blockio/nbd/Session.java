package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import io.corio.core.io.BufferPool;
import io.corio.core.io.FrameWriter;
import io.corio.core.io.LoopReader;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: a reader that runs the handshake and then reads requests
 * continuously, its own {@link AioContext} that runs one coroutine per request, and a
 * {@link FrameWriter} that writes replies whole, in completion order.
 *
 * <p>Where the reading and writing run ({@link io.corio.core.io.ConnectionIo}): with {@code LOOP} the reader is
 * a coroutine of the context on the non-blocking socket, waiting in the loop's select
 * ({@link Coroutine#awaitChannel}), and replies are written by the request coroutines
 * ({@link FrameWriter#inContext}); the budget is then a {@code CoSemaphore}. With
 * {@code THREADS} the reader and the writer are virtual threads beside the context, on a
 * blocking socket, as described below. Everything else is the same code.
 *
 * <p>Why a context per connection: a connection's requests are confined to one loop, a slow
 * client cannot delay another's requests on a shared loop, and ending a connection is closing
 * its context. The reader and the writer are virtual threads outside the context: reading the
 * next request and writing a reply never take the loop's turn, so a request costs the loop one
 * coroutine and the driver's work. 128 requests in flight cost 128 small stacks, not 128
 * platform threads.
 *
 * <p>Flow control is counted in bytes, not requests: before it reads a request's payload the
 * reader takes {@link ByteBudget#REQUEST_OVERHEAD} plus the READ or WRITE length from the connection's
 * {@link ByteBudget}, and the writer gives them back once the reply's bytes are written (or
 * dropped). When the budget is spent the reader stops reading and TCP pushes back on the
 * client; a client that stops reading replies holds at most the budget too. A request larger
 * than the budget takes all of it and runs alone. Payloads travel in buffers of the server's
 * {@link BufferPool}: a WRITE's from the socket to the driver, a READ's from the driver to the
 * socket.
 *
 * <p>Ends: NBD_CMD_DISC, end of stream, or {@link #shutdown()} stop the reader, which then waits
 * for every request in flight to be answered (all budget back), lets the writer finish and
 * closes. Lost framing (a bad magic, a WRITE over {@link NbdProto#MAX_PAYLOAD}) or a failed
 * write closes the socket at once; requests already read still finish in the driver, their
 * replies are dropped. Only this connection ends.
 */
final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    private final String name;
    private final SocketChannel channel;
    private final NbdServer.Config config;
    private final BufferPool pool; // thread-safe
    private final Runnable onEnd;
    private final AioContext ctx;
    private final ByteBudget budget; // thread-safe
    private final FrameWriter out; // thread-safe
    private final WireIn in; // reader thread only
    private final Thread reader; // null: the reader is a coroutine of ctx (config.inLoop())
    private volatile Coroutine readerCo;
    private final CountDownLatch ended = new CountDownLatch(1);

    Session(String name, SocketChannel channel, NbdServer.Config config, Runnable onEnd) throws IOException {
        this.name = name;
        this.channel = channel;
        this.config = config;
        this.pool = config.pool();
        this.onEnd = onEnd;
        this.ctx = AioContext.start(name, config.backend());
        if (config.inLoop()) {
            channel.configureBlocking(false);
            this.budget = ByteBudget.forCoroutines(config.budget());
            this.out = FrameWriter.inContext(ctx, name, channel, pool, budget::release);
            this.in = WireIn.direct(new LoopReader(channel)::read);
            this.reader = null;
        } else {
            this.budget = new ByteBudget(config.budget());
            this.out = new FrameWriter(name, channel, pool, budget::release);
            this.in = WireIn.direct(channel::read);
            this.reader = Thread.ofVirtual().name(name + "-reader").unstarted(this::run);
        }
    }

    void start() {
        out.start();
        if (reader != null) {
            reader.start();
        } else {
            readerCo = ctx.spawn(name + "-reader", this::run);
        }
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
            ctx.closeChannel(channel); // a reader coroutine waiting for it sees the close
        } catch (IOException e) {
            log.debug("{}: close: {}", name, e.toString());
        }
    }

    /** Waits up to {@code millis} for the session to end; true if it did. */
    boolean awaitEnd(long millis) throws InterruptedException {
        return ended.await(millis, TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            Handshake.Result agreed = new Handshake(name, in, out, config.exports()).run();
            if (agreed != null) {
                log.debug("{}: transmission on {} (structured replies {}, base:allocation {})", name,
                        agreed.export(), agreed.structured(), agreed.baseAllocation());
                readRequests(new Transmission(name, pool, agreed,
                        config.drivers().get(agreed.export().name())));
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
    private void readRequests(Transmission t) throws IOException {
        assert reader == null || Thread.currentThread() == reader : name + " reads requests outside its reader";
        while (!in.atEnd()) {
            Incoming x = Incoming.read(in, budget, pool);
            if (x == null) {
                log.debug("{}: NBD_CMD_DISC", name);
                return;
            }
            ctx.spawn(name + "-" + x.request().handle(),
                    () -> serve(t, x.request(), x.cost(), x.payload()));
        }
        log.debug("{}: end of stream", name);
    }

    // loc-begin: nbd-coroutine-common
    /** A request's coroutine: runs it and queues its reply, which carries its budget. */
    private void serve(Transmission t, Request r, long cost, ByteBuffer payload) {
        Transmission.Outgoing reply = null;
        try {
            reply = t.serve(r);
        } finally {
            if (payload != null) {
                pool.give(payload); // the driver is done with the WRITE data
            }
            if (reply != null) {
                out.send(reply.buffers(), reply.pooled(), cost);
            } else { // serve() threw an Error: the client would wait forever for this reply
                budget.release(cost);
                close();
            }
        }
    }
    // loc-end

    /** On the reader: waits for every reply to be written or dropped, then closes everything. */
    private void end() {
        assert reader == null || Thread.currentThread() == reader : name + " ends outside its reader";
        budget.acquire(budget.capacity());
        out.close();
        close();
        onEnd.run();
        ended.countDown();
        ctx.close();
    }

    /** The connection's reader and live coroutines, for diagnostics. */
    String dump() {
        if (ctx.isClosed()) {
            return name + ": ended";
        }
        Object state = reader != null ? reader.getState() : readerCo == null ? "not started" : readerCo.state();
        return "\"" + name + "-reader\" " + state + ", " + budget + "\n" + ctx.dumpString();
    }

    @Override
    public String toString() {
        return name;
    }
}
