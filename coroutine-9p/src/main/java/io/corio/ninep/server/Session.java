package io.corio.ninep.server;

import io.corio.core.AioContext;
import io.corio.core.CoSemaphore;
import io.corio.core.io.BufferPool;
import io.corio.core.io.ConnectionIo;
import io.corio.core.io.FrameWriter;
import io.corio.core.io.LoopReader;
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
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its own {@link AioContext}, a reader thread that cuts the byte stream
 * into frames and hands each to the context, one coroutine per request, replies written whole
 * by a {@link FrameWriter} in whatever order requests finish.
 *
 * <p>Why a context per connection: everything a session owns (fid table, tag table, msize) is
 * then confined to one loop and needs no lock, a slow or misbehaving client cannot delay
 * another client's requests on a shared loop, and ending a connection is closing its context.
 * The loop is a virtual thread, so an idle connection costs little. The reader and the
 * writer are virtual threads outside the context: reading the next request and writing a reply
 * never take the loop's turn, so a request costs the loop one bottom half and its coroutine.
 * That is the {@code THREADS} connection ({@link ConnectionIo}); by default, on the
 * {@code continuation} backend, a TCP or Unix socket connection runs its I/O in the context
 * instead ({@code LOOP}): the reader is a coroutine on the non-blocking socket
 * ({@link LoopReader}), replies are written by the coroutines that make them
 * ({@link FrameWriter#inContext}), the loop is a platform thread in select, and the frame units
 * below are a {@link CoSemaphore}. Everything else is the same code.
 *
 * <p>Flow control: at most {@code maxRequests} requests of a connection run at once; up to
 * {@link #MAX_WAITING} more are read and wait, in order, for a run slot. The reader takes one
 * unit of a {@link Semaphore} of {@code maxRequests + MAX_WAITING} units for every frame
 * and the frame gives it back when its reply has been written (or it was cancelled), so past
 * that the reader stops reading (TCP pushes back on the client). Tversion and the end of the
 * connection take all units, so they run alone: they cancel the waiting requests, wait for
 * the running ones and their replies, then clunk every fid.
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
        final ByteBuffer frame; // what message's payload views point into; back to the pool when done
        boolean tracked; // the inFlight entry of its tag
        State state = State.WAITING;
        final List<Request> flushes = new ArrayList<>(); // Tflush answered right after our reply

        Request(Tmessage message, ByteBuffer frame) {
            this.message = message;
            this.frame = frame;
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
    private final Units frameUnits; // one per frame read and not yet answered; thread-safe
    private final ReadableByteChannel in; // the channel, or a LoopReader on it
    private final boolean inLoop;
    private final int capacity; // frameUnits' total
    private final FrameWriter writer;
    private final FileService files;
    private final ServerStats stats; // thread-safe
    private final Runnable onEnd;
    private final FrameReader frames; // reader thread only
    private final BufferPool buffers; // thread-safe; large frames go back here once answered
    private final Map<Integer, Request> inFlight = new HashMap<>(); // context only
    private final ArrayDeque<Request> waiting = new ArrayDeque<>(); // context only; FIFO
    private int running; // context only; waiting is empty unless running == maxRequests
    private int msize; // context only

    /** The frame units: a Semaphore for a reader thread, a CoSemaphore for a reader coroutine. */
    private interface Units {
        void acquire(int n);

        void release(int n);

        static Units blocking(int capacity) {
            Semaphore s = new Semaphore(capacity);
            return new Units() {
                public void acquire(int n) {
                    s.acquireUninterruptibly(n);
                }

                public void release(int n) {
                    s.release(n);
                }
            };
        }

        static Units yielding(int capacity) {
            CoSemaphore s = CoSemaphore.create("frame units", capacity);
            return new Units() {
                public void acquire(int n) {
                    s.acquire(n);
                }

                public void release(int n) {
                    s.release(n);
                }
            };
        }
    }

    Session(String name, ByteChannel channel, NinepServer.Config config, Runnable onEnd) throws IOException {
        this.name = name;
        this.channel = channel;
        this.maxMsize = config.maxMsize();
        this.maxRequests = config.maxRequests();
        this.msize = maxMsize;
        this.capacity = maxRequests + MAX_WAITING;
        this.ctx = AioContext.start(name, config.coroutines());
        this.inLoop = config.inLoop() && channel instanceof SocketChannel;
        if (inLoop) {
            SocketChannel socket = (SocketChannel) channel;
            socket.configureBlocking(false);
            this.frameUnits = Units.yielding(capacity);
            this.writer = FrameWriter.inContext(ctx, name, socket, config.buffers(), n -> frameUnits.release((int) n));
            this.in = new LoopReader(socket);
        } else {
            this.frameUnits = Units.blocking(capacity);
            this.writer = new FrameWriter(name, channel, config.buffers(), n -> frameUnits.release((int) n));
            this.in = channel;
        }
        this.stats = config.stats();
        this.files = new FileService(config.exports(), config.locks(), stats, config.buffers(), config.io(), msize);
        this.buffers = config.buffers();
        this.frames = new FrameReader(maxMsize, buffers);
        this.onEnd = onEnd;
    }

    void start() {
        writer.start();
        if (inLoop) {
            ctx.spawn(name + "-reader", this::readLoop);
        } else {
            Thread.ofVirtual().name(name + "-reader").start(this::readLoop);
        }
    }

    /** Closes the connection; the reader then ends the session. Callable from any thread. */
    void close() {
        try {
            ctx.closeChannel(channel); // a reader coroutine waiting for it sees the close
        } catch (IOException e) {
            log.debug("{}: close: {}", name, e.toString());
        }
    }

    private void readLoop() {
        try {
            while (true) {
                ByteBuffer frame = frames.next();
                if (frame == null) {
                    if (frames.readFrom(in) < 0) {
                        log.debug("{}: end of stream", name);
                        break;
                    }
                    continue;
                }
                frameUnits.acquire(1); // given back when the frame is answered
                decode(frame);
            }
        } catch (FramingException e) {
            log.warn("{}: closing the connection: {}", name, e.getMessage());
        } catch (IOException e) {
            log.debug("{}: connection lost: {}", name, e.toString());
        } finally {
            end();
        }
    }

    /** Decodes a frame on the reader thread and hands it to the context. */
    private void decode(ByteBuffer frame) throws FramingException {
        Tmessage t;
        try {
            t = Codec.decodeT(frame);
        } catch (ProtocolException e) {
            log.debug("{}: {}", name, e.getMessage());
            buffers.give(frame);
            Replies.send(writer, new Rlerror(e.tag(), e.errno()), 1);
            return;
        }
        if (t instanceof Tversion v) {
            buffers.give(frame);
            version(v); // alone: no request runs meanwhile
            return;
        }
        ctx.execute(() -> dispatch(t, frame));
    }

    /** Files request {@code t} (a bottom half of the context): runs, queues or flushes it. */
    private void dispatch(Tmessage t, ByteBuffer frame) {
        Request req = new Request(t, frame);
        if (inFlight.putIfAbsent(t.tag(), req) == null) {
            req.tracked = true;
        } else {
            log.warn("{}: tag {} reused while in flight", name, t.tag());
        }
        if (t instanceof Tflush f) {
            buffers.give(frame);
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
                    run(req); // its frame unit goes back when the reply is written
                } finally {
                    buffers.give(req.frame); // the back end is done with the payload
                    running--;
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
        reply(req, new Rflush(req.tag()));
    }

    /** Drops a request that waits for a run slot: it never runs and gets no reply. */
    private void cancel(Request req) {
        assert req.state == State.WAITING : req.state;
        assert req.flushes.isEmpty() : "a flush waits for a request that has not run";
        boolean removed = waiting.remove(req);
        assert removed : "waiting request not queued";
        req.state = State.CANCELLED;
        buffers.give(req.frame);
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

    // loc-begin: 9p-coroutine-common (a request's errors become its Rlerror here)
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
    // loc-end

    /**
     * Sends {@code r}, then the Rflush of every Tflush that waited for it (and of the Tflush
     * that waited for those). The tags leave {@link #inFlight} under the context's turn and before
     * the reply is queued: the client may reuse a tag as soon as the reply reaches it
     * (diodload always uses tag 0), and a Tflush that arrives after the removal answers at
     * once but queues behind this reply.
     */
    private void reply(Request req, Rmessage r) {
        assert ctx.inContext();
        List<Integer> flushed = new ArrayList<>();
        retire(req, flushed);
        List<Rmessage> out = new ArrayList<>(1 + flushed.size());
        out.add(r);
        for (int flushTag : flushed) {
            out.add(new Rflush(flushTag));
        }
        Replies.sendAll(writer, out, 1);
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

    /**
     * Tversion, on the reader thread, which holds one frame unit for it: cancels what waits,
     * lets the running requests finish and their replies go out, resets the session, and lets
     * the reader go on once Rversion is written.
     */
    private void version(Tversion v) {
        ctx.call(name + "-Tversion", () -> {
            cancelWaiting(); // Tversion aborts what is outstanding: what has not started never will
            return null;
        });
        frameUnits.acquire(capacity - 1);
        int m = Math.clamp(Integer.toUnsignedLong(v.msize()), P9.MIN_MSIZE, maxMsize);
        String version = v.version().startsWith(P9.VERSION_9P2000_L)
                ? P9.VERSION_9P2000_L : P9.VERSION_UNKNOWN;
        frames.setMaxFrameSize(m);
        ctx.call(name + "-Tversion", () -> {
            files.reset(m);
            assert inFlight.isEmpty() : inFlight.keySet();
            inFlight.clear();
            msize = m;
            Replies.send(writer, new Rversion(v.tag(), m, version), capacity);
            return null;
        });
    }

    /**
     * On the reader thread when the stream ends: cancels the waiting requests, waits for the
     * running ones and their replies, clunks every fid, closes the connection and context.
     */
    private void end() {
        close();
        ctx.call(name + "-end", () -> {
            cancelWaiting();
            return null;
        });
        frameUnits.acquire(capacity);
        ctx.call(name + "-end", () -> {
            files.reset(msize);
            assert inFlight.isEmpty() : inFlight.keySet();
            inFlight.clear();
            return null;
        });
        writer.close();
        onEnd.run();
        ctx.close();
    }

    @Override
    public String toString() {
        return name;
    }
}
