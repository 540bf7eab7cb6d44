package io.corio.core.io;

import io.corio.core.Coroutine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * Reads a non-blocking socket from a coroutine as if it were blocking: a read that finds
 * nothing waits in the context's loop ({@link Coroutine#awaitChannel}, QEMU's
 * {@code qio_channel_yield}) and tries again, so {@link #read} returns at least one byte, or
 * -1 at end of stream. A read that did not fill the buffer emptied the socket, so the next one
 * waits for readiness first instead of spending a system call to find nothing. For the reader
 * coroutine of a connection whose I/O runs in its context; one coroutine at a time.
 */
public final class LoopReader implements ReadableByteChannel {
    private final SocketChannel channel;
    private boolean drained; // the last read emptied the socket

    /** @throws IllegalArgumentException if {@code channel} is in blocking mode */
    public LoopReader(SocketChannel channel) {
        if (channel.isBlocking()) {
            throw new IllegalArgumentException(channel + " is in blocking mode");
        }
        this.channel = channel;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        while (true) {
            if (drained) {
                Coroutine.awaitChannel(channel, SelectionKey.OP_READ);
            }
            int room = dst.remaining();
            int n = channel.read(dst);
            drained = n == 0 || (n > 0 && n < room);
            if (n != 0) {
                return n;
            }
        }
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
