package io.corio.blockio.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Buffered big-endian reads from a byte stream, for decoders written as sequential code:
 * {@code require(16)} waits until 16 bytes are buffered, then {@code getLong()} and friends take
 * them. The source is called only when more bytes are needed, and each call fills as much of the
 * buffer as the source has, so a burst of small requests costs one read.
 *
 * <p>Not thread-safe: one reader per connection. In the server the source is a blocking socket
 * read on the connection's reader thread, into a direct buffer ({@link #direct}), so the JDK
 * needs no bounce buffer; in the client a socket read inside {@code Coroutine.blocking}; in
 * tests it hands out bytes in chunks of any size.
 */
public final class WireIn {

    /** Where bytes come from: reads into {@code dst}, returns the count or -1 at end of stream. */
    @FunctionalInterface
    public interface Source {
        int read(ByteBuffer dst) throws IOException;
    }

    /** The buffer size unless a single message needs more. */
    static final int BUFFER_SIZE = 64 * 1024;

    private final Source source;
    private ByteBuffer buf; // read mode: [position, limit) is buffered and not yet taken

    public WireIn(Source source) {
        this(source, BUFFER_SIZE);
    }

    public WireIn(Source source, int bufferSize) {
        this(source, ByteBuffer.allocate(bufferSize));
    }

    private WireIn(Source source, ByteBuffer empty) {
        this.source = source;
        this.buf = empty.flip();
    }

    /** A reader whose buffer is direct: for a source that is a channel. */
    public static WireIn direct(Source source) {
        return new WireIn(source, ByteBuffer.allocateDirect(BUFFER_SIZE));
    }

    /** Bytes buffered and not yet taken. */
    public int buffered() {
        return buf.remaining();
    }

    /**
     * Waits until at least {@code n} bytes are buffered.
     *
     * @throws EOFException if the stream ends first (the message names how many bytes were there)
     */
    public void require(int n) throws IOException {
        if (buf.remaining() >= n) {
            return;
        }
        if (buf.capacity() < n) {
            int size = Math.max(n, buf.capacity() * 2);
            ByteBuffer bigger = buf.isDirect() ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
            bigger.put(buf).flip();
            buf = bigger;
        }
        buf.compact(); // write mode
        try {
            while (buf.position() < n) {
                if (source.read(buf) < 0) {
                    throw new EOFException("stream ended with " + buf.position() + " of "
                            + n + " bytes");
                }
            }
        } finally {
            buf.flip();
        }
    }

    /**
     * Whether the stream has ended with nothing left buffered: a clean end between messages.
     * Reads once if nothing is buffered.
     */
    public boolean atEnd() throws IOException {
        if (buf.hasRemaining()) {
            return false;
        }
        buf.clear();
        int n;
        try {
            n = source.read(buf);
        } finally {
            buf.flip();
        }
        return n < 0;
    }

    public byte get() {
        return buf.get();
    }

    public short getShort() {
        return buf.getShort();
    }

    public int getInt() {
        return buf.getInt();
    }

    public long getLong() {
        return buf.getLong();
    }

    /** Takes {@code n} buffered bytes as a new array; {@link #require} them first. */
    public byte[] getBytes(int n) {
        byte[] b = new byte[n];
        buf.get(b);
        return b;
    }

    /**
     * Reads the next {@code n} bytes into a buffer of their own (position 0, limit n); see
     * {@link #read(ByteBuffer)}.
     */
    public ByteBuffer payload(int n) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(n);
        read(out);
        return out.flip();
    }

    /**
     * Reads the next {@code dst.remaining()} bytes into {@code dst}. What is already buffered is
     * copied; the rest of a large payload is read straight into {@code dst}, so it is never
     * copied twice. A small payload is read ahead into our buffer, so the next header comes with
     * it in the same read.
     */
    public void read(ByteBuffer dst) throws IOException {
        int n = dst.remaining();
        if (n - buf.remaining() <= buf.capacity() / 2) {
            require(n);
        }
        int take = Math.min(n, buf.remaining());
        dst.put(buf.slice(buf.position(), take));
        buf.position(buf.position() + take);
        while (dst.hasRemaining()) {
            if (source.read(dst) < 0) {
                throw new EOFException("stream ended with " + (n - dst.remaining()) + " of " + n
                        + " payload bytes");
            }
        }
    }

    /** Takes and drops the next {@code n} bytes. */
    public void skip(long n) throws IOException {
        while (n > 0) {
            int step = (int) Math.min(n, buf.capacity());
            require(step);
            buf.position(buf.position() + step);
            n -= step;
        }
    }
}
