package io.corio.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers for request and reply payloads, reused across a server's requests. A write
 * request's payload goes from the socket straight into one and from there to the back end; a
 * read goes from the back end into one (pread straight into it, no bounce through the Java
 * heap) and from there to the socket, and the buffer comes back once the reply is written. So
 * no payload is allocated, zeroed or copied through a JDK bounce buffer per request (a heap
 * buffer costs a zeroing on allocation and a copy on every socket call).
 *
 * <p>Buffers start on a page boundary ({@link #ALIGN}), so a file opened with {@code O_DIRECT}
 * reads and writes them as they are, and come in power-of-two sizes from {@link #MIN_SIZE}; a
 * request takes the smallest that fits, so a 4 KiB read does not pin a 1 MiB buffer. At most
 * {@code maxPooledBytes} wait in the pool; beyond that a returned buffer is left to the garbage
 * collector. What is in use is bounded by the callers (a connection's budget of bytes or
 * frames), not here. Thread-safe.
 *
 * <p>Misuse to avoid: giving a buffer back twice, or while anything still reads or writes it,
 * hands one buffer to two requests. Each buffer has one owner at a time: the reader until its
 * request runs, the request until its reply is queued, then the writer.
 */
public final class BufferPool implements Buffers {
    /** The smallest buffer handed out. */
    public static final int MIN_SIZE = 4096;
    /** Where every buffer starts: a page boundary. */
    public static final int ALIGN = 4096;

    private static final int CLASSES = 32 - Integer.numberOfLeadingZeros(Integer.MAX_VALUE / MIN_SIZE);

    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedDeque<ByteBuffer>[] free = new ConcurrentLinkedDeque[CLASSES];
    private final AtomicLong pooledBytes = new AtomicLong(); // CAS only
    private final long maxPooledBytes;

    /** A pool that keeps at most {@code maxPooledBytes} of returned buffers for reuse. */
    public BufferPool(long maxPooledBytes) {
        if (maxPooledBytes < 0) {
            throw new IllegalArgumentException("maxPooledBytes " + maxPooledBytes + " < 0");
        }
        this.maxPooledBytes = maxPooledBytes;
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ConcurrentLinkedDeque<>();
        }
    }

    /**
     * A direct, page-aligned, big-endian buffer with position 0 and limit {@code size}, its
     * contents undefined; give it back with {@link #give} when nothing refers to it any more.
     */
    @Override
    public ByteBuffer take(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " < 0");
        }
        int c = sizeClass(size);
        ByteBuffer b = free[c].pollFirst();
        if (b == null) {
            b = ByteBuffer.allocateDirect((MIN_SIZE << c) + ALIGN - 1).alignedSlice(ALIGN);
        } else {
            pooledBytes.addAndGet(-b.capacity());
        }
        return b.clear().limit(size).order(ByteOrder.BIG_ENDIAN);
    }

    /**
     * Takes back a buffer from {@link #take}. Anything else (a heap buffer, a slice, a buffer of
     * another size) is ignored, so giving back a reply's payload whatever it is stays safe.
     */
    @Override
    public void give(ByteBuffer b) {
        int cap = b.capacity();
        if (!b.isDirect() || cap < MIN_SIZE || Integer.bitCount(cap) != 1) {
            return;
        }
        if (pooledBytes.addAndGet(cap) > maxPooledBytes) {
            pooledBytes.addAndGet(-cap);
            return;
        }
        free[sizeClass(cap)].offerFirst(b); // last in, first out: the warmest buffer next
    }

    /** Bytes waiting in the pool now. */
    public long pooledBytes() {
        return pooledBytes.get();
    }

    private static int sizeClass(int size) {
        int units = Math.max(1, (size + MIN_SIZE - 1) / MIN_SIZE);
        return 32 - Integer.numberOfLeadingZeros(units - 1);
    }
}
