package io.corio.core.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * request takes the smallest that fits, so a 4 KiB read does not pin a 1 MiB buffer. What is in
 * use is bounded by the callers (a connection's budget of bytes or frames), not here.
 *
 * <p>What waits in the pool is bounded twice: by {@code maxPooledBytes}, beyond which a returned
 * buffer is released at once, and by use: a buffer that no {@link #take} needed for a whole
 * {@link #TRIM_INTERVAL} is released then, by a virtual thread of the pool's that runs
 * while anything waits in it. So a burst (a client's 1 MiB writes, 128 reads that all woke
 * together) does not leave its buffers resident for the life of the server, whatever the
 * server does next. Released means freed at once, not left to the garbage
 * collector, which frees a direct buffer that lived long enough to be promoted only at a full
 * collection (with a small young generation, perhaps never), and unmapped, not left in the C
 * library's free lists (on Linux; see {@code Pages}). Thread-safe.
 *
 * <p>Misuse to avoid: giving a buffer back twice, or while anything still reads or writes it,
 * hands one buffer to two requests. Each buffer has one owner at a time: the reader until its
 * request runs, the request until its reply is queued, then the writer. A buffer released while
 * something still holds it fails that holder's next access with {@link IllegalStateException}
 * (the memory is never reused behind its back); a buffer dropped without being given back is
 * freed once it is unreachable.
 */
public final class BufferPool implements Buffers {
    /*
     * Implementation notes. Each buffer views memory that lives as long as its own shared
     * Arena: pages mapped for it alone (Pages: mmap, so that closing returns them to the
     * kernel, not to malloc's free lists), not counted against -XX:MaxDirectMemorySize as
     * allocateDirect's memory is, which the JDK can free only through the garbage collector.
     * `owners` maps the buffer's address to that arena, so that the pool can close it: on
     * release (over the limit, or idle), or from the Cleaner once the buffer is unreachable,
     * whichever comes first.
     *
     * Each size class is a stack, taken from and given to at its head (the warmest buffer
     * next) and trimmed at its tail (the coldest). Its low-water mark is the fewest buffers it
     * held since the last trim: that many sat unused for the whole interval, and the trim
     * releases that many from the tail. Counts are approximate under races (a take between
     * reading the mark and trimming), never unsafe: each buffer is polled by one thread only.
     */

    /** The smallest buffer handed out. */
    public static final int MIN_SIZE = 4096;
    /** Where every buffer starts: a page boundary. */
    public static final int ALIGN = 4096;
    /** A pooled buffer no take needed for this long (and at most twice this) is released. */
    public static final Duration TRIM_INTERVAL = Duration.ofMillis(500);

    private static final int CLASSES = 32 - Integer.numberOfLeadingZeros(Integer.MAX_VALUE / MIN_SIZE);
    private static final Cleaner CLEANER = Cleaner.create();

    /** A buffer's memory: closing the arena frees it; the cleanable does that once. */
    private record Owner(Arena arena, Cleaner.Cleanable cleanable) {}

    private static final class SizeClass {
        final ConcurrentLinkedDeque<ByteBuffer> free = new ConcurrentLinkedDeque<>();
        final AtomicInteger count = new AtomicInteger(); // CAS only: buffers in `free`, about
        final AtomicInteger lowWater = new AtomicInteger(); // CAS only: the fewest since the last trim
    }

    private final long maxPooledBytes;
    private final SizeClass[] classes = new SizeClass[CLASSES];
    private final ConcurrentHashMap<Long, Owner> owners = new ConcurrentHashMap<>(); // by address; every buffer not freed
    private final AtomicLong pooledBytes = new AtomicLong(); // CAS only
    private final AtomicBoolean trimming = new AtomicBoolean(); // CAS only: the trimmer runs

    /** A pool that keeps at most {@code maxPooledBytes} of returned buffers for reuse. */
    public BufferPool(long maxPooledBytes) {
        if (maxPooledBytes < 0) {
            throw new IllegalArgumentException("maxPooledBytes " + maxPooledBytes + " < 0");
        }
        this.maxPooledBytes = maxPooledBytes;
        for (int i = 0; i < CLASSES; i++) {
            classes[i] = new SizeClass();
        }
    }

    /**
     * A direct, page-aligned, big-endian buffer with position 0 and limit {@code size}, its
     * contents undefined; give it back with {@link #give} when nothing refers to it any more.
     *
     * @throws OutOfMemoryError if a new buffer is needed and native memory is exhausted
     */
    @Override
    public ByteBuffer take(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " < 0");
        }
        int c = sizeClass(size);
        SizeClass sc = classes[c];
        ByteBuffer b = sc.free.pollFirst();
        if (b == null) {
            b = allocate(MIN_SIZE << c);
        } else {
            int left = sc.count.decrementAndGet();
            if (left < sc.lowWater.get()) {
                sc.lowWater.accumulateAndGet(left, Math::min);
            }
            pooledBytes.addAndGet(-b.capacity());
        }
        return b.clear().limit(size).order(ByteOrder.BIG_ENDIAN);
    }

    /**
     * Takes back a buffer from {@link #take}. Anything else (a heap buffer, a slice, another
     * pool's buffer) is ignored, so giving back a reply's payload whatever it is stays safe.
     */
    @Override
    public void give(ByteBuffer b) {
        int cap = b.capacity();
        if (!b.isDirect() || cap < MIN_SIZE || Integer.bitCount(cap) != 1 || !owns(b)) {
            return;
        }
        if (pooledBytes.addAndGet(cap) > maxPooledBytes) {
            pooledBytes.addAndGet(-cap);
            release(b);
        } else {
            SizeClass sc = classes[sizeClass(cap)];
            sc.free.offerFirst(b); // last in, first out: the warmest buffer next
            sc.count.incrementAndGet();
            if (!trimming.get() && trimming.compareAndSet(false, true)) {
                Thread.ofVirtual().name("buffer-pool-trim").start(this::trimWhilePooled);
            }
        }
    }

    /** Bytes waiting in the pool now. */
    public long pooledBytes() {
        return pooledBytes.get();
    }

    /** Buffers made and not yet freed: in use or waiting in the pool. For tests. */
    int liveBuffers() {
        return owners.size();
    }

    private ByteBuffer allocate(int capacity) {
        Arena arena = Arena.ofShared();
        MemorySegment memory;
        try {
            memory = Pages.map(capacity, arena);
        } catch (Throwable e) { // OutOfMemoryError: no native memory
            arena.close();
            throw e;
        }
        long address = memory.address();
        ConcurrentHashMap<Long, Owner> map = owners; // the cleaning action must not refer to the buffer
        ByteBuffer b = memory.asByteBuffer();
        Owner[] self = new Owner[1];
        Cleaner.Cleanable cleanable = CLEANER.register(b, () -> {
            map.remove(address, self[0]);
            arena.close();
        });
        self[0] = new Owner(arena, cleanable);
        owners.put(address, self[0]);
        return b;
    }

    /** Whether {@code b} views the memory of a live buffer of this pool (the same arena). */
    private boolean owns(ByteBuffer b) {
        MemorySegment m = MemorySegment.ofBuffer(b); // from b's position
        Owner o = owners.get(m.address() - b.position());
        return o != null && m.scope().equals(o.arena().scope()) && m.scope().isAlive();
    }

    /** Frees {@code b}'s memory now; nothing may use it afterwards. */
    private void release(ByteBuffer b) {
        Owner o = owners.get(MemorySegment.ofBuffer(b).address() - b.position());
        if (o != null) {
            o.cleanable().clean(); // runs once: removes the owner, closes the arena
        }
    }

    /** The trimmer: every interval a {@link #trim}, until nothing waits in the pool. */
    private void trimWhilePooled() {
        try {
            while (true) {
                Thread.sleep(TRIM_INTERVAL);
                trim();
                if (pooledBytes.get() == 0) {
                    trimming.set(false);
                    // a give that saw the trimmer still running did not start another
                    if (pooledBytes.get() == 0 || !trimming.compareAndSet(false, true)) {
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            trimming.set(false); // the next give starts another
        }
    }

    /** Releases, in each class, as many buffers as it never went below since the last trim. */
    void trim() {
        for (SizeClass sc : classes) {
            for (int idle = sc.lowWater.get(); idle > 0; idle--) {
                ByteBuffer b = sc.free.pollLast(); // the coldest
                if (b == null) {
                    break;
                }
                sc.count.decrementAndGet();
                pooledBytes.addAndGet(-b.capacity());
                release(b);
            }
            sc.lowWater.set(sc.count.get());
        }
    }

    private static int sizeClass(int size) {
        int units = Math.max(1, (size + MIN_SIZE - 1) / MIN_SIZE);
        return 32 - Integer.numberOfLeadingZeros(units - 1);
    }
}
