package io.corio.ninep.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;

/**
 * Cuts a byte stream into whole 9P frames. Bytes go in as chunks of any size
 * ({@link #feed}) or straight from a channel ({@link #readFrom}); {@link #next} hands out
 * each complete frame as its own buffer (position 0, limit = frame size, little-endian),
 * ready for {@link Codec#decodeT}/{@link Codec#decodeR}. A frame handed out is never
 * written again by the reader, so it and any payload view decoded from it stay valid for
 * as long as the caller holds them. Not thread-safe: one reader per connection, used by
 * one reader at a time.
 *
 * <p>A size field below {@link P9#HEADER_SIZE} or above the maximum frame size (the
 * negotiated msize) means the stream has lost its framing: {@link FramingException}, at the
 * moment the four size bytes have arrived, and again on every later call. The connection
 * must then be closed.
 */
public final class FrameReader {
    /*
     * Implementation notes. Bytes are received into buf. [start, buf.position()) holds
     * bytes not yet handed out; everything before start belongs to frames already handed
     * out (as slices, not copies) and is never written again. When buf lacks room for what
     * is expected next (the rest of the current frame, or READ_ROOM bytes when no frame
     * has begun), a fresh buffer replaces it and only the pending bytes are copied over;
     * the old buffer lives on as long as the caller holds frames in it. So a frame read
     * from a channel is never copied, and one fed in chunks is copied exactly once.
     */

    /** Size of the receive buffers, unless a single frame needs more. */
    static final int BUFFER_SIZE = 64 * 1024;
    /** Room left for one channel read when no frame has begun. */
    static final int READ_ROOM = 8 * 1024;

    private int maxFrameSize;
    private ByteBuffer buf = ByteBuffer.allocate(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private int start;
    private String failure; // set once framing is lost; every later call throws

    /** A reader accepting frames of up to {@code maxFrameSize} bytes. */
    public FrameReader(int maxFrameSize) {
        setMaxFrameSize(maxFrameSize);
    }

    /**
     * Sets the largest frame accepted from now on, normally the msize agreed in Tversion.
     *
     * @throws IllegalArgumentException unless {@link P9#HEADER_SIZE} &le; size &le;
     *     {@link P9#MAX_MSIZE}
     */
    public void setMaxFrameSize(int maxFrameSize) {
        if (maxFrameSize < P9.HEADER_SIZE || maxFrameSize > P9.MAX_MSIZE) {
            throw new IllegalArgumentException("maxFrameSize must be in [" + P9.HEADER_SIZE
                    + ", " + P9.MAX_MSIZE + "]: " + maxFrameSize);
        }
        this.maxFrameSize = maxFrameSize;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    /** Bytes received but not yet handed out as frames. */
    public int buffered() {
        return buf.position() - start;
    }

    /** Takes all remaining bytes of {@code chunk}, consuming it; the chunk may be reused. */
    public void feed(ByteBuffer chunk) throws FramingException {
        while (chunk.hasRemaining()) {
            makeRoom();
            int n = Math.min(chunk.remaining(), buf.remaining());
            buf.put(chunk.slice(chunk.position(), n));
            chunk.position(chunk.position() + n);
        }
        pendingFrameSize(); // report lost framing as soon as the size field is in
    }

    /**
     * Does one {@code read} from {@code channel} straight into the receive buffer.
     *
     * @return the bytes read, or -1 at end of stream
     */
    public int readFrom(ReadableByteChannel channel) throws IOException {
        makeRoom();
        int n = channel.read(buf);
        pendingFrameSize();
        return n;
    }

    /** The next whole frame, or null until more bytes arrive. */
    public ByteBuffer next() throws FramingException {
        int size = pendingFrameSize();
        if (size < 0 || buffered() < size) {
            return null;
        }
        ByteBuffer frame = buf.slice(start, size).order(ByteOrder.LITTLE_ENDIAN);
        start += size;
        return frame;
    }

    /** The size of the frame that has begun, or -1 if fewer than four bytes are pending. */
    private int pendingFrameSize() throws FramingException {
        if (failure != null) {
            throw new FramingException(failure);
        }
        if (buffered() < 4) {
            return -1;
        }
        int size = buf.getInt(start);
        if (size < P9.HEADER_SIZE || size > maxFrameSize) { // a negative size is above 2 GiB
            failure = "frame size " + Integer.toUnsignedString(size) + " is outside ["
                    + P9.HEADER_SIZE + ", " + maxFrameSize + "]";
            throw new FramingException(failure);
        }
        return size;
    }

    private void makeRoom() throws FramingException {
        int pending = buffered();
        int size = pendingFrameSize();
        int want = size < 0 ? READ_ROOM : Math.max(1, size - pending);
        if (buf.remaining() >= want) {
            return;
        }
        ByteBuffer fresh = ByteBuffer.allocate(Math.max(BUFFER_SIZE, pending + want))
                .order(ByteOrder.LITTLE_ENDIAN);
        fresh.put(buf.slice(start, pending));
        buf = fresh;
        start = 0;
    }
}
