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
import java.util.ArrayDeque;
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
 * <p>Flow control: at most {@code maxRequests} requests of a connection run at once; up to
 * {@link #MAX_WAITING} more are read and wait, in order, for a run slot. The reader takes one
 * unit of a {@link CoSemaphore} of {@code maxRequests + MAX_WAITING} units for every frame
 * and the frame gives it back when it has been answered (or cancelled), so past that the
 * reader stops reading (TCP pushes back on the client). Tversion and the end of the
 * connection take all units, so they run alone: they cancel the waiting requests, wait for
 * the running ones, then clunk every fid.
 *
 * <p>Tflush: a request that still waits for a run slot has done nothing yet, so a Tflush of
 * it cancels it: it never runs, it gets no reply, only the Rflush goes out, at once. A running
 * request is never cancelled, whatever it does (its back-end call runs on a worker thread and
 * cannot be stopped half-way, and even a read consumes data from a pipe); the Rflush then
 * follows its reply. A Tflush of a tag not in flight answers at once. There is no other wait
 * to cancel: Tlock never waits (a conflict answers BLOCKED at once).
 *
 * <p>Errors: a frame with intact framing but a malformed message gets Rlerror with the
 * decoder's errno and the session goes on; lost framing (a size field below the header or
 * above msize) or an I/O error ends this connection only.
 */
final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** Requests read beyond the {@code maxRequests} that run: what a Tflush can still cancel. */
    static final int MAX_WAITING = 16;

    /*
     * A request's life, from the reading of its frame to its reply:
     *
     *   WAITING --a run slot is free-------------------------> RUNNING --reply sent--> (gone)
     *   WAITING --Tflush of it, Tversion, end of connection--> CANCELLED (no reply)
     *
     * A Tflush is RUNNING at once: it needs no run slot. A request is in `inFlight` under
     * its tag from its reading until its reply is sent or it is cancelled, unless its tag was
     * already in flight (a client error: it runs but cannot be flushed).
     */
    private enum State { WAITING, RUNNING, CANCELLED }

    private static final class Request {
        final Tmessage message;
        boolean tracked; // the inFlight entry of its tag
        State state = State.WAITING;
        final List<Request> flushes = new ArrayList<>(); // Tflush answered right after our reply

        Request(Tmessage message) {
            this.message = message;
        }

        int tag() {
            return message.tag();
        }
    }

    private final String name;
    private final ByteChannel channel;
    private final AioContext ctx;
    private final int maxMsize;
    private final int maxRequests;
    private final CoSemaphore frameUnits; // one per frame read and not yet answered
    private final ReplyWriter writer;
    private final FileService files;
    private final ServerStats stats; // thread-safe
    private final Runnable onEnd;
    private final FrameReader frames; // reader coroutine only
    private final Map<Integer, Request> inFlight = new HashMap<>(); // context only
    private final ArrayDeque<Request> waiting = new ArrayDeque<>(); // context only; FIFO
    private int running; // context only; waiting is empty unless running == maxRequests
    private int msize; // context only

    Session(String name, ByteChannel channel, NinepServer.Config config, Runnable onEnd) {
        this.name = name;
        this.channel = channel;
        this.maxMsize = config.maxMsize();
        this.maxRequests = config.maxRequests();
        this.msize = maxMsize;
        this.frameUnits = CoSemaphore.create(name + "-frames", maxRequests + MAX_WAITING);
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
            frameUnits.acquire(1);
            ctx.spawn(name + "-error-" + tag, () -> {
                try {
                    writer.send(new Rlerror(tag, e.errno()));
                } finally {
                    frameUnits.release(1);
                }
            });
            return;
        }
        if (t instanceof Tversion v) {
            version(v); // alone: no request runs meanwhile
            return;
        }
        frameUnits.acquire(1);
        Request req = new Request(t);
        if (inFlight.putIfAbsent(t.tag(), req) == null) {
            req.tracked = true;
        } else {
            log.warn("{}: tag {} reused while in flight", name, t.tag());
        }
        if (t instanceof Tflush f) {
            flush(req, f);
            return;
        }
        waiting.addLast(req);
        startWaiting();
    }

    /** Starts waiting requests, oldest first, while run slots are free. */
    private void startWaiting() {
        while (running < maxRequests && !waiting.isEmpty()) {
            Request req = waiting.pollFirst();
            assert req.state == State.WAITING : req.state;
            req.state = State.RUNNING;
            running++;
            ctx.spawn(name + "-" + req.message.getClass().getSimpleName() + "-" + req.tag(), () -> {
                try {
                    run(req);
                } finally {
                    running--;
                    frameUnits.release(1);
                    startWaiting();
                }
            });
        }
    }

    /**
     * Answers Tflush {@code req}: cancels a waiting target and answers at once, queues the
     * Rflush behind the reply of a running one, answers at once if the tag is not in flight.
     */
    private void flush(Request req, Tflush f) {
        req.state = State.RUNNING;
        Request target = inFlight.get(f.oldtag());
        if (target != null && target != req && target.state == State.RUNNING) {
            target.flushes.add(req); // Rflush goes out right after the target's reply
            frameUnits.release(1);
            return;
        }
        if (target != null && target != req) {
            cancel(target);
        }
        ctx.spawn(name + "-Tflush-" + req.tag(), () -> {
            try {
                reply(req, new Rflush(req.tag()));
            } finally {
                frameUnits.release(1);
            }
        });
    }

    /** Drops a request that waits for a run slot: it never runs and gets no reply. */
    private void cancel(Request req) {
        assert req.state == State.WAITING : req.state;
        assert req.flushes.isEmpty() : "a flush waits for a request that has not run";
        boolean removed = waiting.remove(req);
        assert removed : "waiting request not queued";
        req.state = State.CANCELLED;
        if (req.tracked) {
            inFlight.remove(req.tag(), req);
        }
        frameUnits.release(1);
        log.debug("{}: {} cancelled before it ran", name, req.message);
    }

    private void cancelWaiting() {
        while (!waiting.isEmpty()) {
            cancel(waiting.peekFirst());
        }
    }

    private void run(Request req) {
        Tmessage t = req.message;
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
        reply(req, r);
    }

    /**
     * Sends {@code r}, then the Rflush of every Tflush that waited for it (and of the Tflush
     * that waited for those). The tags leave {@link #inFlight} under the write lock and before
     * the reply is written: the client may reuse a tag as soon as the reply reaches it
     * (diodload always uses tag 0), and a Tflush that arrives after the removal answers at
     * once but queues behind this reply.
     */
    private void reply(Request req, Rmessage r) {
        writer.sendAll(() -> {
            List<Integer> flushed = new ArrayList<>();
            retire(req, flushed);
            List<Rmessage> out = new ArrayList<>(1 + flushed.size());
            out.add(r);
            for (int flushTag : flushed) {
                out.add(new Rflush(flushTag));
            }
            return out;
        });
    }

    /** Takes {@code req} and the flushes queued on it out of {@link #inFlight}, in reply order. */
    private void retire(Request req, List<Integer> flushTags) {
        if (req.tracked) {
            inFlight.remove(req.tag(), req);
        }
        for (Request flush : req.flushes) {
            flushTags.add(flush.tag());
            retire(flush, flushTags);
        }
    }

    private void version(Tversion v) {
        cancelWaiting(); // Tversion aborts what is outstanding: what has not started never will
        frameUnits.acquire(frameUnits.capacity());
        try {
            int m = Math.clamp(Integer.toUnsignedLong(v.msize()), P9.MIN_MSIZE, maxMsize);
            String version = v.version().startsWith(P9.VERSION_9P2000_L)
                    ? P9.VERSION_9P2000_L : P9.VERSION_UNKNOWN;
            files.reset(m);
            assert inFlight.isEmpty() : inFlight.keySet();
            inFlight.clear();
            msize = m;
            frames.setMaxFrameSize(m);
            writer.send(new Rversion(v.tag(), m, version));
        } finally {
            frameUnits.release(frameUnits.capacity());
        }
    }

    /**
     * Cancels the waiting requests, waits for the running ones, clunks every fid, closes the
     * connection and context.
     */
    private void end() {
        close();
        cancelWaiting();
        frameUnits.acquire(frameUnits.capacity());
        files.reset(msize);
        assert inFlight.isEmpty() : inFlight.keySet();
        inFlight.clear();
        onEnd.run();
        ctx.close(); // from inside the context: returns, the loop ends after this coroutine
    }

    @Override
    public String toString() {
        return name;
    }
}
