package io.corio.blockio.nbd;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.core.Coroutine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only sparse memory driver: 4 KiB blocks allocated on first write, freed by discard and
 * by writeZeroes with MAY_TRIM. Counts flushes and FUA writes, and can park requests at a
 * {@link Gate}. Every method runs without yielding (apart from the gate), under this object's
 * monitor.
 */
final class SparseTestDriver implements BlockDriver {
    static final int BLOCK = 4096;

    private final long length;
    private final boolean readOnly;
    private final Map<Long, byte[]> blocks = new HashMap<>(); // guarded by this
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger fuaWrites = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();
    volatile Gate gate; // if set, reads and writes wait there
    volatile Gate statusGate; // if set, blockStatus waits there
    volatile boolean lieAboutHoles; // if set, blockStatus calls everything a hole that reads zero

    SparseTestDriver(long length, boolean readOnly) {
        this.length = length;
        this.readOnly = readOnly;
    }

    SparseTestDriver(long length) {
        this(length, false);
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public boolean canFua() {
        return true;
    }

    @Override
    public boolean canFastZero() {
        return true;
    }

    @Override
    public boolean canDiscard() {
        return true;
    }

    private void check(long offset, long len, boolean write) throws BlockException {
        if (!Coroutine.inCoroutine()) {
            throw new IllegalStateException("coroutine-only");
        }
        if (offset < 0 || len < 0 || offset > length || len > length - offset) {
            throw new BlockException(BlockError.EINVAL, "range " + offset + "+" + len);
        }
        if (write && readOnly) {
            throw new BlockException(BlockError.EPERM, "read-only");
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        check(offset, dst.remaining(), false);
        reads.incrementAndGet();
        Gate g = gate;
        if (g != null) {
            g.pass();
        }
        synchronized (this) {
            while (dst.hasRemaining()) {
                long b = offset / BLOCK;
                int in = (int) (offset % BLOCK);
                int n = Math.min(dst.remaining(), BLOCK - in);
                byte[] block = blocks.get(b);
                if (block == null) {
                    dst.put(new byte[n]);
                } else {
                    dst.put(block, in, n);
                }
                offset += n;
            }
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        if ((flags & ~FUA) != 0) {
            throw new IllegalArgumentException("flags " + flags);
        }
        check(offset, src.remaining(), true);
        Gate g = gate;
        if (g != null) {
            g.pass();
        }
        if ((flags & FUA) != 0) {
            fuaWrites.incrementAndGet();
        }
        synchronized (this) {
            while (src.hasRemaining()) {
                int in = (int) (offset % BLOCK);
                int n = Math.min(src.remaining(), BLOCK - in);
                src.get(blocks.computeIfAbsent(offset / BLOCK, k -> new byte[BLOCK]), in, n);
                offset += n;
            }
        }
    }

    @Override
    public void flush() {
        flushes.incrementAndGet();
    }

    @Override
    public void discard(long offset, long len) throws BlockException {
        check(offset, len, true);
        zero(offset, len, true);
    }

    @Override
    public void writeZeroes(long offset, long len, int flags) throws BlockException {
        check(offset, len, true);
        zero(offset, len, (flags & MAY_TRIM) != 0);
        if ((flags & FUA) != 0) {
            fuaWrites.incrementAndGet();
        }
    }

    private synchronized void zero(long offset, long len, boolean trim) {
        long end = offset + len;
        while (offset < end) {
            long b = offset / BLOCK;
            int in = (int) (offset % BLOCK);
            int n = (int) Math.min(end - offset, BLOCK - in);
            if (trim && n == BLOCK) {
                blocks.remove(b);
            } else {
                byte[] block = trim ? blocks.get(b) : blocks.computeIfAbsent(b, k -> new byte[BLOCK]);
                if (block != null) {
                    java.util.Arrays.fill(block, in, in + n, (byte) 0);
                }
            }
            offset += n;
        }
    }

    @Override
    public List<Extent> blockStatus(long offset, long len) throws BlockException {
        check(offset, len, false);
        Gate g = statusGate;
        if (g != null) {
            g.pass();
        }
        if (lieAboutHoles) {
            return List.of(new Extent(offset, len, Extent.HOLE | Extent.ZERO));
        }
        return extents(offset, len);
    }

    private synchronized List<Extent> extents(long offset, long len) {
        List<Extent> out = new ArrayList<>();
        long end = offset + len;
        long at = offset;
        while (at < end) {
            long next = Math.min(end, (at / BLOCK + 1) * BLOCK);
            int flags = blocks.containsKey(at / BLOCK) ? 0 : Extent.HOLE | Extent.ZERO;
            if (!out.isEmpty() && out.getLast().flags() == flags) {
                Extent last = out.removeLast();
                out.add(new Extent(last.offset(), next - last.offset(), flags));
            } else {
                out.add(new Extent(at, next - at, flags));
            }
            at = next;
        }
        return out;
    }

    /** Whether the block holding {@code offset} is allocated. */
    synchronized boolean allocated(long offset) {
        return blocks.containsKey(offset / BLOCK);
    }

    @Override
    public void close() {}

    /**
     * Parks every coroutine that passes until {@link #open()}; counts how many are inside at
     * once. The peak is what the concurrency tests look at.
     */
    static final class Gate {
        private final List<Coroutine> parked = new ArrayList<>(); // guarded by this
        private boolean open; // guarded by this
        private int inside; // guarded by this
        private int peak; // guarded by this

        void pass() {
            Coroutine me = Coroutine.current();
            synchronized (this) {
                inside++;
                peak = Math.max(peak, inside);
                notifyAll();
                if (open) {
                    inside--;
                    return;
                }
                parked.add(me);
            }
            while (true) {
                synchronized (this) {
                    if (open) {
                        inside--;
                        return;
                    }
                }
                Coroutine.yield(); // woken by open()
            }
        }

        /** Waits (from a plain thread) until {@code n} coroutines are inside at once. */
        synchronized void awaitInside(int n) throws InterruptedException {
            while (inside < n) {
                wait();
            }
        }

        synchronized int inside() {
            return inside;
        }

        synchronized int peak() {
            return peak;
        }

        /** Lets every parked coroutine, and every later one, through. */
        void open() {
            List<Coroutine> wake;
            synchronized (this) {
                open = true;
                wake = List.copyOf(parked);
                parked.clear();
            }
            wake.forEach(Coroutine::wake);
        }
    }
}
