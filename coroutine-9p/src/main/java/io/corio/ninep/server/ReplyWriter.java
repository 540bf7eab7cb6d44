package io.corio.ninep.server;

import io.corio.core.CoMutex;
import io.corio.core.Coroutine;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.Rread;
import io.corio.ninep.protocol.Rmessage.Rreaddir;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a session's replies: each frame whole, one writer at a time under a {@link CoMutex}
 * (FIFO, so replies go out in the order their coroutines asked), the write itself in
 * {@link Coroutine#blocking}. The payload of Rread and Rreaddir is written from its own buffer,
 * not copied into the frame. A failed write closes the channel; the session's reader then ends
 * the session. Coroutines of the session's context only.
 */
final class ReplyWriter {
    private static final Logger log = LoggerFactory.getLogger(ReplyWriter.class);

    private final String name;
    private final ByteChannel channel;
    private final CoMutex lock;

    ReplyWriter(String name, ByteChannel channel) {
        this.name = name;
        this.channel = channel;
        this.lock = CoMutex.create(name + "-write");
    }

    /** Writes {@code r}. */
    void send(Rmessage r) {
        sendAll(() -> List.of(r));
    }

    /**
     * Takes the write lock, asks {@code replies} what to write, and writes that in order before
     * anyone else writes: what {@code replies} decides is atomic with the writing.
     */
    void sendAll(Supplier<List<Rmessage>> replies) {
        lock.lock();
        try {
            for (Rmessage r : replies.get()) {
                write(r);
            }
        } finally {
            lock.unlock();
        }
    }

    private void write(Rmessage r) {
        int size = Codec.size(r);
        ByteBuffer[] bufs;
        if (r instanceof Rread || r instanceof Rreaddir) {
            ByteBuffer payload = r instanceof Rread rr ? rr.data() : ((Rreaddir) r).data();
            ByteBuffer head = ByteBuffer.allocate(size - payload.remaining());
            ByteBuffer body = Codec.encodeHead(r, head);
            bufs = new ByteBuffer[] {head.flip(), body};
        } else {
            ByteBuffer out = ByteBuffer.allocate(size);
            Codec.encode(r, out);
            bufs = new ByteBuffer[] {out.flip()};
        }
        try {
            Coroutine.blocking(() -> {
                writeFully(bufs);
                return null;
            });
        } catch (IOException e) {
            log.debug("{}: write failed: {}", name, e.toString());
            try {
                channel.close();
            } catch (IOException again) {
                log.debug("{}: close: {}", name, again.toString());
            }
        }
    }

    private void writeFully(ByteBuffer[] bufs) throws IOException {
        if (channel instanceof GatheringByteChannel g) {
            long left = 0;
            for (ByteBuffer b : bufs) {
                left += b.remaining();
            }
            while (left > 0) {
                left -= g.write(bufs);
            }
            return;
        }
        for (ByteBuffer b : bufs) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }
}
