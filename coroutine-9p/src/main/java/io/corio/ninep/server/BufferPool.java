package io.corio.ninep.server;

import io.corio.ninep.protocol.FrameReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers for large frames and read payloads, reused across the server's requests. A
 * Twrite arrives from the socket straight into one and goes from there to the back end; a read goes from the
 * back end into a direct buffer (pread straight into it, no bounce through the Java heap) and
 * from there to the socket (no copy into a native buffer), and the buffer is taken back once
 * the reply is written: no payload is allocated, zeroed or copied per request.
 *
 * <p>Buffers come in power-of-two sizes from {@link #MIN_SIZE}; a request takes the smallest
 * that fits its count, so a 4 KiB read does not pin an msize buffer. At most
 * {@code maxPooledBytes} wait in the pool; beyond that a returned buffer is left to the
 * garbage collector. Thread-safe.
 *
 * <p>Public so that another server on the same transport (the callback-style server in
 * {@code benchmarks/}) pools its buffers exactly as {@link NinepServer} does.
 */
public final class BufferPool implements FrameReader.Buffers {
    /** The smallest buffer handed out. */
    static final int MIN_SIZE = 4096;

    private static final int CLASSES = 32 - Integer.numberOfLeadingZeros(Integer.MAX_VALUE / MIN_SIZE);

    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedDeque<ByteBuffer>[] free = new ConcurrentLinkedDeque[CLASSES];
    private final AtomicLong pooledBytes = new AtomicLong(); // CAS only
    private final long maxPooledBytes;

    public BufferPool(long maxPooledBytes) {
        this.maxPooledBytes = maxPooledBytes;
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ConcurrentLinkedDeque<>();
        }
    }

    /**
     * A direct little-endian buffer with position 0 and limit {@code size}, its contents
     * undefined; give it back with {@link #give} when nothing refers to it any more.
     */
    @Override
    public ByteBuffer take(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " < 0");
        }
        int c = sizeClass(size);
        ByteBuffer b = free[c].pollFirst();
        if (b == null) {
            b = ByteBuffer.allocateDirect(MIN_SIZE << c).order(ByteOrder.LITTLE_ENDIAN);
        } else {
            pooledBytes.addAndGet(-b.capacity());
        }
        return b.clear().limit(size);
    }

    /**
     * Takes back a buffer from {@link #take}. Anything else (a heap buffer, a slice, a buffer
     * of another size) is ignored, so passing a reply's payload whatever it is stays safe.
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

    private static int sizeClass(int size) {
        int units = Math.max(1, (size + MIN_SIZE - 1) / MIN_SIZE);
        return 32 - Integer.numberOfLeadingZeros(units - 1);
    }
}
