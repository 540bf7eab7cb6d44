package io.corio.ninep.protocol;

import io.corio.core.io.Buffers;
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
 *
 * <p><b>Pooled mode</b> ({@link #FrameReader(int, Buffers)}, for servers): bytes arrive in a
 * direct buffer the reader reuses, so the socket read needs no bounce buffer; a small frame is
 * copied out into a heap buffer of its own, and a large one (over {@link #SMALL_FRAME} bytes,
 * a Twrite payload) into a buffer from the pool, its remaining bytes read straight into it.
 * The caller gives each frame back to the pool when nothing refers to it any more (the pool
 * ignores the heap ones). Pooled mode reads only from channels: {@link #feed} is refused.
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
     *
     * Pooled mode: buf is one direct buffer, reused (compacted) since frames are copied out
     * of it. next() moves a large frame that has begun into `big`, a pool buffer of the
     * frame's size, with the bytes already received; readFrom then reads into `big` until it
     * is full, and next() hands it out.
     */

    /** Frames up to this size are copied out to the heap in pooled mode; larger use the pool. */
    public static final int SMALL_FRAME = 8 * 1024;

    /** Size of the receive buffers, unless a single frame needs more. */
    static final int BUFFER_SIZE = 64 * 1024;
    /** Room left for one channel read when no frame has begun. */
    static final int READ_ROOM = 8 * 1024;

    private int maxFrameSize;
    private final Buffers pool; // null: heap mode
    private ByteBuffer buf;
    private ByteBuffer big; // pooled mode: a large frame being received into its own buffer
    private int start;
    private String failure; // set once framing is lost; every later call throws

    /** A reader accepting frames of up to {@code maxFrameSize} bytes. */
    public FrameReader(int maxFrameSize) {
        this(maxFrameSize, null);
    }

    /** A reader in pooled mode (see the class comment), or heap mode if {@code pool} is null. */
    public FrameReader(int maxFrameSize, Buffers pool) {
        setMaxFrameSize(maxFrameSize);
        this.pool = pool;
        buf = (pool == null ? ByteBuffer.allocate(BUFFER_SIZE) : ByteBuffer.allocateDirect(BUFFER_SIZE))
                .order(ByteOrder.LITTLE_ENDIAN);
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
        return buf.position() - start + (big == null ? 0 : big.position());
    }

    /** Takes all remaining bytes of {@code chunk}, consuming it; the chunk may be reused. */
    public void feed(ByteBuffer chunk) throws FramingException {
        if (pool != null) {
            throw new UnsupportedOperationException("a pooled FrameReader reads from a channel");
        }
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
        if (pool != null && big == null) {
            beginLarge();
        }
        if (big != null) {
            return channel.read(big); // big is set only while it still lacks bytes
        }
        makeRoom();
        int n = channel.read(buf);
        pendingFrameSize();
        return n;
    }

    /** The next whole frame, or null until more bytes arrive. */
    public ByteBuffer next() throws FramingException {
        if (big != null) {
            if (big.hasRemaining()) {
                return null;
            }
            ByteBuffer frame = big.flip();
            big = null;
            return frame;
        }
        int size = pendingFrameSize();
        if (pool != null && size >= 0) {
            return nextPooled(size);
        }
        if (size < 0 || buffered() < size) {
            return null;
        }
        ByteBuffer frame = buf.slice(start, size).order(ByteOrder.LITTLE_ENDIAN);
        start += size;
        return frame;
    }

    private ByteBuffer nextPooled(int size) throws FramingException {
        int have = buf.position() - start;
        if (have < size) {
            beginLarge();
            return null;
        }
        ByteBuffer frame = size <= SMALL_FRAME
                ? ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN)
                : pool.take(size).order(ByteOrder.LITTLE_ENDIAN);
        frame.put(0, buf, start, size);
        start += size;
        return frame;
    }

    /** Pooled mode: moves a large frame that has begun but not arrived into {@code big}. */
    private void beginLarge() throws FramingException {
        int size = pendingFrameSize();
        int have = buf.position() - start;
        if (size <= SMALL_FRAME || have >= size) {
            return;
        }
        ByteBuffer frame = pool.take(size).order(ByteOrder.LITTLE_ENDIAN);
        frame.put(0, buf, start, have).position(have);
        start += have;
        big = frame;
    }

    /** Bytes in {@code buf} not yet handed out. */
    private int staged() {
        return buf.position() - start;
    }

    /** The size of the frame that has begun, or -1 if fewer than four bytes are pending. */
    private int pendingFrameSize() throws FramingException {
        if (failure != null) {
            throw new FramingException(failure);
        }
        if (staged() < 4) {
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
        int pending = staged();
        int size = pendingFrameSize();
        int want = size < 0 ? READ_ROOM : Math.max(1, size - pending);
        if (buf.remaining() >= want) {
            return;
        }
        if (pool != null) { // frames were copied out: move the pending bytes to the front
            assert pending + want <= buf.capacity() : pending + " + " + want;
            buf.put(0, buf, start, pending).position(pending);
            start = 0;
            return;
        }
        ByteBuffer fresh = ByteBuffer.allocate(Math.max(BUFFER_SIZE, pending + want))
                .order(ByteOrder.LITTLE_ENDIAN);
        fresh.put(buf.slice(start, pending));
        buf = fresh;
        start = 0;
    }
}
