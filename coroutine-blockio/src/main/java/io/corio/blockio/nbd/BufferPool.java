package io.corio.blockio.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers for READ and WRITE payloads, reused across the server's requests. A WRITE
 * payload goes from the socket straight into one and from there to the driver; a READ goes
 * from the driver into one and from there to the socket, and the buffer comes back once the
 * reply is written. So no payload is allocated, zeroed or copied through a JDK bounce buffer
 * per request (a heap buffer costs a zeroing on allocation and a copy on every socket call).
 *
 * <p>Buffers are page-aligned and come in power-of-two sizes from {@link #MIN_SIZE}; a request
 * takes the smallest that fits, so a 4 KiB read does not pin a 32 MiB buffer. At most
 * {@code maxPooledBytes} wait in the pool; beyond that a returned buffer is left to the garbage
 * collector. What is in use is bounded by the connections' budgets, not here. Thread-safe.
 *
 * <p>Misuse to avoid: giving a buffer back twice, or while anything still reads or writes it,
 * hands one buffer to two requests. Each buffer has one owner at a time: the reader until its
 * request runs, the request until its reply is queued, then the reply writer.
 */
final class BufferPool {
    /** The smallest buffer handed out. */
    static final int MIN_SIZE = 4096;
    /**
     * Where every buffer starts: a page boundary, so that a file export opened with
     * {@code O_DIRECT} reads and writes the buffer as it is instead of through a copy.
     */
    static final int ALIGN = 4096;

    private static final int CLASSES = 32 - Integer.numberOfLeadingZeros(Integer.MAX_VALUE / MIN_SIZE);

    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedDeque<ByteBuffer>[] free = new ConcurrentLinkedDeque[CLASSES];
    private final AtomicLong pooledBytes = new AtomicLong(); // CAS only
    private final long maxPooledBytes;

    BufferPool(long maxPooledBytes) {
        this.maxPooledBytes = maxPooledBytes;
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ConcurrentLinkedDeque<>();
        }
    }

    /**
     * A direct buffer with position 0 and limit {@code size}, its contents undefined; give it
     * back with {@link #give} when nothing refers to it any more.
     */
    ByteBuffer take(int size) {
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
        return b.clear().limit(size);
    }

    /**
     * Takes back a buffer from {@link #take}. Anything else (a heap buffer, a slice, a buffer of
     * another size) is ignored.
     */
    void give(ByteBuffer b) {
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
    long pooledBytes() {
        return pooledBytes.get();
    }

    private static int sizeClass(int size) {
        int units = Math.max(1, (size + MIN_SIZE - 1) / MIN_SIZE);
        return 32 - Integer.numberOfLeadingZeros(units - 1);
    }
}
