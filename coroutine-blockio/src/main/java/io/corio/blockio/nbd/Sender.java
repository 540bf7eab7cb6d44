package io.corio.blockio.nbd;

import io.corio.core.CoMutex;
import io.corio.core.Coroutine;
import io.corio.core.io.FrameWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending half of a client connection ({@link ClientLink}): each {@link #send} writes its
 * buffers whole, in one gathering write loop, under a {@link CoMutex}, so messages of concurrent
 * coroutines go out in the order they take the lock and never interleave on the wire (qemu-nbd's
 * {@code send_lock}). Coroutine-only. The server queues its replies to a
 * {@link FrameWriter} thread instead, so that no request waits for another's
 * write.
 *
 * <p>A failed write closes the channel (the reader then ends the session) and every later send
 * returns false at once.
 */
final class Sender {
    private static final Logger log = LoggerFactory.getLogger(Sender.class);

    private final String name;
    private final GatheringByteChannel channel;
    private final CoMutex lock;
    private boolean failed; // guarded by lock

    Sender(String name, GatheringByteChannel channel) {
        this.name = name;
        this.channel = channel;
        this.lock = CoMutex.create(name + "-send");
    }

    /** Writes {@code bufs} whole after every earlier send; false if the connection is broken. */
    boolean send(ByteBuffer... bufs) {
        lock.lock();
        try {
            if (failed) {
                return false;
            }
            Coroutine.blocking(() -> {
                FrameWriter.writeFully(channel, bufs);
                return null;
            });
            return true;
        } catch (IOException e) {
            failed = true;
            log.debug("{}: write failed, closing: {}", name, e.toString());
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing
            }
            return false;
        } finally {
            lock.unlock();
        }
    }
}
