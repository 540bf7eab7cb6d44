package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.core.AioContext;
import io.corio.core.CoSemaphore;
import io.corio.core.Coroutine;
import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its own {@link AioContext}, a reader coroutine that runs the handshake
 * and then reads requests continuously, one coroutine per request, and replies sent in
 * completion order by a {@link Sender} (a {@code CoMutex} keeps them whole on the wire).
 *
 * <p>Why a context per connection: a connection's state is confined to one loop and needs no
 * lock, a slow client cannot delay another's requests on a shared loop, and ending a connection
 * is closing its context. The loop and the coroutines are virtual threads, so 128 requests in
 * flight cost 128 small stacks, not 128 platform threads.
 *
 * <p>Flow control is counted in bytes, not requests: before it reads a request's payload the
 * reader takes {@code REQUEST_OVERHEAD} plus the READ or WRITE length from a {@link CoSemaphore}
 * of {@code budget} bytes, and the request gives them back once its reply is written. When the
 * budget is spent the reader stops reading and TCP pushes back on the client. A request larger
 * than the budget takes all of it and runs alone.
 *
 * <p>Ends: NBD_CMD_DISC, end of stream, or {@link #shutdown()} stop the reader, which then waits
 * for every request in flight (all budget back) before closing. Lost framing (a bad magic, a
 * WRITE over {@link NbdProto#MAX_PAYLOAD}) or a failed write closes the socket at once; requests
 * already read still finish in the driver, their replies are dropped. Only this connection ends.
 */
final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** Budget bytes every request costs besides its payload: its coroutine and bookkeeping. */
    static final long REQUEST_OVERHEAD = 4096;

    private final String name;
    private final SocketChannel channel;
    private final NbdServer.Config config;
    private final Runnable onEnd;
    private final AioContext ctx;
    private final CoSemaphore budget;
    private final Sender out;
    private final WireIn in; // reader coroutine only
    private final CountDownLatch ended = new CountDownLatch(1);

    Session(String name, SocketChannel channel, NbdServer.Config config, Runnable onEnd) {
        this.name = name;
        this.channel = channel;
        this.config = config;
        this.onEnd = onEnd;
        this.budget = CoSemaphore.create(name + "-budget", config.budget());
        this.out = new Sender(name, channel);
        this.in = new WireIn(buf -> Coroutine.blocking(() -> channel.read(buf)));
        this.ctx = AioContext.start(name);
    }

    void start() {
        ctx.spawn(name + "-reader", this::run);
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
                readRequests(new Transmission(name, out, agreed));
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
        assert ctx.inContext() : name + " reader outside its context";
        while (!in.atEnd()) {
            TransmissionCodec.Header h = TransmissionCodec.readHeader(in);
            if (h.type() == CMD_DISC) {
                log.debug("{}: NBD_CMD_DISC", name);
                return;
            }
            boolean payload = TransmissionCodec.hasPayload(h);
            if (payload) {
                TransmissionCodec.checkPayload(h, MAX_PAYLOAD);
            }
            long cost = cost(h);
            budget.acquire(cost);
            Request r;
            try {
                r = TransmissionCodec.request(h, payload ? in.payload((int) h.length()) : null);
            } catch (IOException | RuntimeException e) {
                budget.release(cost);
                throw e;
            }
            ctx.spawn(name + "-" + h.handle(), () -> {
                try {
                    t.serve(r);
                } finally {
                    budget.release(cost);
                }
            });
        }
        log.debug("{}: end of stream", name);
    }

    /** The budget bytes a request holds while in flight. */
    private long cost(TransmissionCodec.Header h) {
        long data = (h.type() == CMD_READ && h.length() <= MAX_PAYLOAD) || h.type() == CMD_WRITE
                ? h.length() : 0;
        return Math.min(REQUEST_OVERHEAD + data, budget.capacity());
    }

    /** Waits for every request in flight, then closes the connection and the context. */
    private void end() {
        assert ctx.inContext() : name + " ends outside its context";
        budget.acquire(budget.capacity());
        close();
        onEnd.run();
        ended.countDown();
        ctx.close(); // from inside the context: the loop ends after this coroutine
    }

    /** The connection's live coroutines, for diagnostics. */
    String dump() {
        return ctx.isClosed() ? name + ": ended" : ctx.dumpString();
    }

    @Override
    public String toString() {
        return name;
    }
}
