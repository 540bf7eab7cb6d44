package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.core.CoSemaphore;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes of requests one connection may have in flight: its reader thread takes a request's
 * cost before reading the request's payload ({@link #acquire}), and the reply writer gives it
 * back once the reply's bytes are written or dropped ({@link #release}).
 *
 * <p>Contract: {@code acquire} is called by one thread at a time (the connection's reader), so
 * requests are served in the order they were read, whatever their size: a large request is
 * never overtaken by small ones. It blocks, uninterruptibly, until the bytes are there; it may
 * run on a virtual thread. {@code release} may be called from any thread. Acquiring more than
 * the capacity, or releasing more than was acquired, is {@link IllegalArgumentException} /
 * {@link IllegalStateException}. Happens-before: what a thread did before a {@code release} is
 * visible to the {@code acquire} those bytes satisfy.
 *
 * <p>Public so that another server on the same transport (the {@code CompletableFuture}-style
 * server in benchmarks/) has the same flow control as the coroutine server.
 */
public final class ByteBudget {
    /** Budget bytes every request costs besides its payload: its task and bookkeeping. */
    public static final long REQUEST_OVERHEAD = 4096;

    private final long capacity;
    private final CoSemaphore units; // forCoroutines: the budget is this semaphore; else null
    private volatile long waitsFor; // forCoroutines: what the reader coroutine waits for, for toString
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private long available; // guarded by lock; 0 <= available <= capacity
    private long wanted; // guarded by lock: what the acquirer waits for, 0 if it does not wait

    public ByteBudget(long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("budget capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
        this.available = capacity;
        this.units = null;
    }

    private ByteBudget(long capacity, CoSemaphore units) {
        this.capacity = capacity;
        this.units = units;
    }

    /**
     * A budget whose {@link #acquire} is called by a coroutine and yields instead of blocking
     * its thread (a {@link CoSemaphore}): for a connection whose reader is a coroutine.
     */
    public static ByteBudget forCoroutines(long capacity) {
        return new ByteBudget(capacity, CoSemaphore.create("budget", capacity));
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes not taken now. */
    long available() {
        if (units != null) {
            return units.available();
        }
        lock.lock();
        try {
            return available;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code bytes} are available, then takes them. */
    public void acquire(long bytes) {
        if (bytes < 1 || bytes > capacity) {
            throw new IllegalArgumentException("acquire " + bytes + " of a " + capacity + "-byte budget");
        }
        if (units != null) {
            if (!units.tryAcquire(bytes)) {
                waitsFor = bytes;
                try {
                    units.acquire(bytes);
                } finally {
                    waitsFor = 0;
                }
            }
            return;
        }
        lock.lock();
        try {
            assert wanted == 0 : "two threads acquire at once";
            while (available < bytes) {
                wanted = bytes;
                freed.awaitUninterruptibly();
            }
            wanted = 0;
            available -= bytes;
        } finally {
            lock.unlock();
        }
    }

    /** Gives back {@code bytes} taken by {@link #acquire}. */
    public void release(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("release " + bytes + " bytes");
        }
        if (units != null) {
            if (bytes > 0) {
                units.release(bytes);
            }
            return;
        }
        lock.lock();
        try {
            if (bytes > capacity - available) {
                throw new IllegalStateException("release " + bytes + " bytes with only "
                        + (capacity - available) + " taken");
            }
            available += bytes;
            if (wanted != 0 && available >= wanted) {
                freed.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The bytes a request with header {@code h} holds while in flight: the overhead, plus the
     * payload of a WRITE or a READ (one too long to serve costs no payload), at most all of it.
     */
    public long cost(TransmissionCodec.Header h) {
        long data = (h.type() == CMD_READ && h.length() <= MAX_PAYLOAD) || h.type() == CMD_WRITE
                ? h.length() : 0;
        return Math.min(REQUEST_OVERHEAD + data, capacity);
    }

    /** For diagnostics: what is available, and what the reader waits for if it waits. */
    @Override
    public String toString() {
        if (units != null) {
            long w = waitsFor;
            return "budget " + units.available() + " of " + capacity + " bytes available"
                    + (w != 0 ? ", reader waits for " + w : "");
        }
        lock.lock();
        try {
            return "budget " + available + " of " + capacity + " bytes available"
                    + (wanted != 0 ? ", reader waits for " + wanted : "");
        } finally {
            lock.unlock();
        }
    }
}
