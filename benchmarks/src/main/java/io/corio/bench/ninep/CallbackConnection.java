package io.corio.bench.ninep;

import io.corio.core.AioContext;
import io.corio.core.io.BufferPool;
import io.corio.core.io.FrameWriter;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.FrameReader;
import io.corio.ninep.protocol.FramingException;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.ProtocolException;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.Rlerror;
import io.corio.ninep.protocol.Rmessage.Rversion;
import io.corio.ninep.protocol.Tmessage;
import io.corio.ninep.protocol.Tmessage.Tversion;
import io.corio.ninep.server.Replies;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of the {@link CallbackServer}, on the real server's transport: a reader
 * thread cuts the stream into pooled frames and decodes them, the connection's own
 * {@link AioContext} runs the requests, a {@link FrameWriter} thread writes the replies. What
 * differs from the real {@code Session} is how a request runs: not as a coroutine but as a
 * bottom half that starts its handler ({@link CallbackFiles}), which goes on in post-ops.
 *
 * <p>Flow control as in {@code Session}: the reader takes one unit of a {@link Semaphore} of
 * {@link #MAX_IN_FLIGHT} units for each frame and the FrameWriter gives it back once the reply
 * is written, so past that the reader stops reading. There are no run slots: every request
 * read starts at once, so there is no waiting request for a Tflush to cancel, and Tflush is not
 * served ({@code EOPNOTSUPP}). Tversion and the end of the connection take every unit, so they
 * come after every request has been answered, then clunk every fid on the context.
 *
 * <p>Errors as in {@code Session}: a malformed message with intact framing gets Rlerror and the
 * connection goes on; lost framing or an I/O error ends this connection only.
 */
final class CallbackConnection {
    private static final Logger log = LoggerFactory.getLogger(CallbackConnection.class);

    /** Frames read and not yet answered, at most: the real server's 64 run slots plus 16 waiting. */
    static final int MAX_IN_FLIGHT = 64 + 16;

    /**
     * One request from its reading to its reply, QEMU's {@code V9fsPDU}: the message and the
     * frame its payload views point into, which goes back to the pool with the reply.
     */
    static final class Pdu {
        final Tmessage message;
        final ByteBuffer frame;
        private boolean answered; // context only

        Pdu(Tmessage message, ByteBuffer frame) {
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
    private final Semaphore frameUnits = new Semaphore(MAX_IN_FLIGHT); // thread-safe
    private final FrameWriter writer;
    private final BufferPool buffers; // thread-safe
    private final FrameReader frames; // reader thread only
    private final CallbackFiles files; // context only
    private final int maxMsize;
    private final Runnable onEnd;

    CallbackConnection(String name, ByteChannel channel, CallbackServer.Shared shared, Runnable onEnd) {
        this.name = name;
        this.channel = channel;
        this.maxMsize = shared.maxMsize();
        this.buffers = shared.buffers();
        this.writer = new FrameWriter(name, channel, buffers, n -> frameUnits.release((int) n));
        this.frames = new FrameReader(maxMsize, buffers);
        this.onEnd = onEnd;
        this.ctx = AioContext.start(name);
        this.files = new CallbackFiles(this, ctx, shared.exports(), shared.io(), buffers, shared.stats(),
                maxMsize);
    }

    void start() {
        writer.start();
        Thread.ofVirtual().name(name + "-reader").start(this::readLoop);
    }

    /** Closes the connection; the reader then ends it. Callable from any thread. */
    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("{}: close: {}", name, e.toString());
        }
    }

    /** Sends the one reply of {@code pdu} and gives its frame back; on the context. */
    void reply(Pdu pdu, Rmessage r) {
        assert ctx.inContext();
        assert !pdu.answered : "answered twice: " + pdu.message;
        pdu.answered = true;
        buffers.give(pdu.frame); // the back end is done with the payload
        Replies.send(writer, r, 1); // its frame unit goes back once the reply is written
    }

    private void readLoop() {
        try {
            while (true) {
                ByteBuffer frame = frames.next();
                if (frame == null) {
                    if (frames.readFrom(channel) < 0) {
                        log.debug("{}: end of stream", name);
                        break;
                    }
                    continue;
                }
                frameUnits.acquireUninterruptibly(); // given back when the frame is answered
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

    /** Decodes a frame on the reader thread and hands it to the context as a bottom half. */
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
            version(v);
            return;
        }
        ctx.execute(() -> files.handle(new Pdu(t, frame)));
    }

    /**
     * Tversion, on the reader thread, which holds one frame unit for it: waits until every
     * request is answered, then resets the connection on the context and answers; the reader
     * reads on once Rversion is written, when its units come back.
     */
    private void version(Tversion v) {
        frameUnits.acquireUninterruptibly(MAX_IN_FLIGHT - 1);
        int m = Math.clamp(Integer.toUnsignedLong(v.msize()), P9.MIN_MSIZE, maxMsize);
        String version = v.version().startsWith(P9.VERSION_9P2000_L)
                ? P9.VERSION_9P2000_L : P9.VERSION_UNKNOWN;
        frames.setMaxFrameSize(m);
        ctx.execute(() -> {
            files.reset(m);
            Replies.send(writer, new Rversion(v.tag(), m, version), MAX_IN_FLIGHT);
        });
    }

    /**
     * On the reader thread when the stream ends: waits until every request is answered (or its
     * reply dropped), clunks every fid on the context, then closes the context and the writer.
     */
    private void end() {
        close();
        frameUnits.acquireUninterruptibly(MAX_IN_FLIGHT);
        ctx.execute(() -> files.reset(P9.MIN_MSIZE));
        ctx.close(); // runs the reset first
        writer.close();
        onEnd.run();
    }

    @Override
    public String toString() {
        return name;
    }
}
