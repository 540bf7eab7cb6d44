package io.corio.ninep.server;

import io.corio.core.AioContext;
import io.corio.core.CoSemaphore;
import io.corio.core.Coroutine;
import io.corio.ninep.fs.FsException;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.FrameReader;
import io.corio.ninep.protocol.FramingException;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.ProtocolException;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.Rflush;
import io.corio.ninep.protocol.Rmessage.Rlerror;
import io.corio.ninep.protocol.Rmessage.Rversion;
import io.corio.ninep.protocol.Tmessage;
import io.corio.ninep.protocol.Tmessage.Tflush;
import io.corio.ninep.protocol.Tmessage.Tversion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its own {@link AioContext}, a reader coroutine that cuts the byte
 * stream into frames, one coroutine per request, replies written whole by a
 * {@link ReplyWriter} in whatever order requests finish.
 *
 * <p>Why a context per connection: everything a session owns (fid table, tag table, msize) is
 * then confined to one loop and needs no lock, a slow or misbehaving client cannot delay
 * another client's requests on a shared loop, and ending a connection is closing its context.
 * The loop is a virtual thread, so an idle connection costs little.
 *
 * <p>Flow control: the reader takes one unit of a {@link CoSemaphore} of {@code maxRequests}
 * units before it spawns a request and the request gives it back when it ends, so at most
 * {@code maxRequests} requests of a connection run at once and the reader stops reading (TCP
 * pushes back on the client) meanwhile. Tversion and the end of the connection take all units,
 * so they run alone: they wait for the requests under way, then clunk every fid.
 *
 * <p>Errors: a frame with intact framing but a malformed message gets Rlerror with the
 * decoder's errno and the session goes on; lost framing (a size field below the header or
 * above msize) or an I/O error ends this connection only.
 */
final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** A request in flight; lives in {@link #inFlight} from spawn until its reply is sent. */
    private static final class Request {
        final int tag;
        final List<Integer> flushes = new ArrayList<>(); // tags of Tflush waiting for our reply

        Request(int tag) {
            this.tag = tag;
        }
    }

    private final String name;
    private final ByteChannel channel;
    private final AioContext ctx;
    private final int maxMsize;
    private final int maxRequests;
    private final CoSemaphore slots;
    private final ReplyWriter writer;
    private final FileService files;
    private final ServerStats stats; // thread-safe
    private final Runnable onEnd;
    private final FrameReader frames; // reader coroutine only
    private final Map<Integer, Request> inFlight = new HashMap<>(); // context only
    private int msize; // context only

    Session(String name, ByteChannel channel, NinepServer.Config config, Runnable onEnd) {
        this.name = name;
        this.channel = channel;
        this.maxMsize = config.maxMsize();
        this.maxRequests = config.maxRequests();
        this.msize = maxMsize;
        this.slots = CoSemaphore.create(name + "-requests", maxRequests);
        this.writer = new ReplyWriter(name, channel);
        this.stats = config.stats();
        this.files = new FileService(config.exports(), config.locks(), stats, msize);
        this.frames = new FrameReader(maxMsize);
        this.onEnd = onEnd;
        this.ctx = AioContext.start(name);
    }

    void start() {
        ctx.spawn(name + "-reader", this::readLoop);
    }

    /** Closes the connection; the reader then ends the session. Callable from any thread. */
    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("{}: close: {}", name, e.toString());
        }
    }

    private void readLoop() {
        try {
            while (true) {
                ByteBuffer frame = frames.next();
                if (frame == null) {
                    int n = Coroutine.blocking(() -> frames.readFrom(channel));
                    if (n < 0) {
                        log.debug("{}: end of stream", name);
                        break;
                    }
                    continue;
                }
                dispatch(frame);
            }
        } catch (FramingException e) {
            log.warn("{}: closing the connection: {}", name, e.getMessage());
        } catch (IOException e) {
            log.debug("{}: connection lost: {}", name, e.toString());
        } finally {
            end();
        }
    }

    private void dispatch(ByteBuffer frame) throws FramingException {
        Tmessage t;
        try {
            t = Codec.decodeT(frame);
        } catch (ProtocolException e) {
            log.debug("{}: {}", name, e.getMessage());
            int tag = e.tag();
            slots.acquire(1);
            ctx.spawn(name + "-error-" + tag, () -> {
                try {
                    writer.send(new Rlerror(tag, e.errno()));
                } finally {
                    slots.release(1);
                }
            });
            return;
        }
        if (t instanceof Tversion v) {
            version(v); // alone: no request runs meanwhile
            return;
        }
        slots.acquire(1);
        Request req = new Request(t.tag());
        Request dup = inFlight.putIfAbsent(t.tag(), req);
        if (dup != null) {
            log.warn("{}: tag {} reused while in flight", name, t.tag());
        }
        ctx.spawn(name + "-" + t.getClass().getSimpleName() + "-" + t.tag(), () -> {
            try {
                run(t, dup == null ? req : null);
            } finally {
                slots.release(1);
            }
        });
    }

    private void run(Tmessage t, Request req) {
        if (t instanceof Tflush f) {
            Request target = inFlight.get(f.oldtag());
            if (target != null && target != req) {
                target.flushes.add(f.tag()); // Rflush goes out right after the target's reply
                return;
            }
            reply(req, t.tag(), new Rflush(t.tag()));
            return;
        }
        Rmessage r;
        stats.requests.increment();
        try {
            r = files.handle(t);
        } catch (FsException e) {
            r = new Rlerror(t.tag(), e.errno());
        } catch (RuntimeException e) {
            log.error("{}: {} failed", name, t, e);
            r = new Rlerror(t.tag(), Errno.EIO);
        }
        if (Codec.size(r) > msize) { // e.g. a readlink target longer than the msize allows
            log.warn("{}: reply to {} exceeds msize {}", name, t, msize);
            r = new Rlerror(t.tag(), Errno.EMSGSIZE);
        }
        reply(req, t.tag(), r);
    }

    /**
     * Sends {@code r}, then the Rflush of every Tflush that waited for it. The tag leaves
     * {@link #inFlight} under the write lock and before the reply is written: the client may
     * reuse the tag as soon as the reply reaches it (diodload always uses tag 0), and a Tflush
     * that arrives after the removal answers at once but queues behind this reply.
     */
    private void reply(Request req, int tag, Rmessage r) {
        writer.sendAll(() -> {
            List<Rmessage> out = new ArrayList<>();
            out.add(r);
            if (req != null && inFlight.get(tag) == req) {
                inFlight.remove(tag);
                for (int flushTag : req.flushes) {
                    Request flush = inFlight.remove(flushTag);
                    out.add(new Rflush(flushTag));
                    if (flush != null) {
                        for (int more : flush.flushes) { // a flush of a flush
                            inFlight.remove(more);
                            out.add(new Rflush(more));
                        }
                    }
                }
            }
            return out;
        });
    }

    private void version(Tversion v) {
        slots.acquire(maxRequests);
        try {
            int m = Math.clamp(Integer.toUnsignedLong(v.msize()), P9.MIN_MSIZE, maxMsize);
            String version = v.version().startsWith(P9.VERSION_9P2000_L)
                    ? P9.VERSION_9P2000_L : P9.VERSION_UNKNOWN;
            files.reset(m);
            inFlight.clear();
            msize = m;
            frames.setMaxFrameSize(m);
            writer.send(new Rversion(v.tag(), m, version));
        } finally {
            slots.release(maxRequests);
        }
    }

    /** Waits for the requests under way, clunks every fid, closes the connection and context. */
    private void end() {
        close();
        slots.acquire(maxRequests);
        files.reset(msize);
        inFlight.clear();
        onEnd.run();
        ctx.close(); // from inside the context: returns, the loop ends after this coroutine
    }

    @Override
    public String toString() {
        return name;
    }
}
