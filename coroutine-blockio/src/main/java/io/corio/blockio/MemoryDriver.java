package io.corio.blockio;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A sparse block device in the Java heap ({@link BlockDriver#memory(long)}). Memory is taken
 * on write, one {@value #CHUNK}-byte chunk at a time; a chunk never written reads as zero and
 * is reported as {@code HOLE | ZERO}. {@link #discard} and {@link #writeZeroes} with
 * {@link #MAY_TRIM} free the chunks they cover whole and zero the bytes of the ones they
 * cover in part. {@code writeZeroes} without {@code MAY_TRIM} (NBD's
 * {@code NBD_CMD_FLAG_NO_HOLE}: "the area MUST be fully provisioned") allocates every chunk it
 * touches and zeroes the range; a chunk it covers whole, or one it had to allocate, is then
 * reported as {@code ZERO} alone (allocated, reads as zero) until it is written. Zeroing is
 * always fast, so {@link #FAST_ZERO} is always honoured; flush and FUA have nothing to do.
 *
 * <p>Thread-safe: coroutines of any number of contexts may call it at once. Data is lost
 * with the driver: {@link #close()} frees it, and later requests fail with
 * {@link BlockError#ESHUTDOWN}. A write (or a zeroing without {@code MAY_TRIM}) that finds the
 * heap exhausted fails with {@link BlockError#ENOSPC}, possibly after writing the chunks before
 * the one it could not allocate.
 */
final class MemoryDriver implements BlockDriver {

    /*
     * Implementation notes.
     *
     * Chunks live in a two-level table, so that a large empty device costs almost nothing and
     * block status skips a never-touched region a page at a time: `pages` (one slot per
     * PAGE_CHUNKS chunks, 256 MiB of device) holds lazily made pages, each an array of chunk
     * slots. A page is installed with a CAS and never removed until close; a chunk slot is
     * set (allocate) or cleared (free) only under the chunk's stripe lock.
     *
     * Every copy into or out of a chunk, and every change of its slot, happens under its
     * stripe lock (`stripes[chunk % STRIPES]`), one chunk at a time: a request spanning
     * several chunks takes their locks one after another, never two at once, so there is no
     * lock order to respect and no deadlock. The lock gives what the contract asks: a read
     * that starts after a write completed sees it (the write released the lock the read
     * takes), two writers to different bytes of one chunk both land (a writer cannot copy
     * into a chunk another request has just freed), and a chunk is allocated once. The
     * critical sections are a copy of at most one chunk with no yield inside, so a plain
     * monitor is right: it never parks a coroutine across a yield, and adjacent chunks have
     * different stripes, so writers on different chunks rarely meet.
     *
     * A chunk is a Chunk: its bytes, and whether they are known to be all zero (it was
     * allocated or zeroed whole by writeZeroes without MAY_TRIM, and not written since). That
     * mark is changed under the stripe lock with the bytes.
     *
     * Block status reads the slots and marks without the lock (they are volatile): its answer
     * is a snapshot, which is all the contract promises for requests running concurrently.
     */

    /** Bytes per allocation unit. */
    static final int CHUNK = 64 * 1024;
    private static final int CHUNK_SHIFT = 16;
    private static final int PAGE_SHIFT = 12; // chunks per page: 4096, so 256 MiB of device
    private static final int PAGE_CHUNKS = 1 << PAGE_SHIFT;
    private static final int STRIPES = 64;
    /** The largest device: 64 TiB, a directory of 256 Ki pages (about 1 MiB of references). */
    static final long MAX_LENGTH = 1L << 46;
    /** At most this many extents per block-status answer; the caller asks again for more. */
    static final int MAX_EXTENTS = 1024;

    private static final byte[] ZEROS = new byte[CHUNK];

    /** An allocated chunk. */
    private static final class Chunk {
        final byte[] bytes;
        volatile boolean zero; // written under the stripe lock: the bytes are known to be all zero

        Chunk(int size) {
            bytes = new byte[size];
        }
    }

    private final long length;
    private final boolean anyThread; // callable outside a coroutine: see BlockDriver.unconfinedMemory
    private final Object[] stripes = new Object[STRIPES];
    // the directory: CAS only; a page's slots: set under the chunk's stripe lock, read anywhere
    private final AtomicReferenceArray<AtomicReferenceArray<Chunk>> pages;
    private final AtomicLong allocated = new AtomicLong(); // chunks; changed under stripe locks
    private volatile boolean closed;

    MemoryDriver(long length) {
        this(length, false);
    }

    MemoryDriver(long length, boolean anyThread) {
        this.anyThread = anyThread;
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("memory device length " + length
                    + " is not in [0, " + MAX_LENGTH + "]");
        }
        this.length = length;
        long chunks = (length + CHUNK - 1) >>> CHUNK_SHIFT;
        this.pages = new AtomicReferenceArray<>((int) ((chunks + PAGE_CHUNKS - 1) >>> PAGE_SHIFT));
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public boolean canFua() {
        return true; // nothing to make durable: FUA costs nothing
    }

    @Override
    public boolean canFastZero() {
        return true;
    }

    @Override
    public boolean canDiscard() {
        return true;
    }

    /** How many bytes of chunks are allocated now (a chunk counts whole). */
    long allocatedBytes() {
        return allocated.get() << CHUNK_SHIFT;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        begin("read", offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            long c = pos >>> CHUNK_SHIFT;
            int in = (int) (pos & (CHUNK - 1));
            int n = Math.min(CHUNK - in, dst.remaining());
            synchronized (stripe(c)) {
                Chunk chunk = chunk(c);
                dst.put(chunk != null ? chunk.bytes : ZEROS, chunk != null ? in : 0, n);
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        Requests.checkFlags("write", flags, Requests.WRITE_FLAGS);
        begin("write", offset, src.remaining());
        long pos = offset;
        while (src.hasRemaining()) {
            long c = pos >>> CHUNK_SHIFT;
            int in = (int) (pos & (CHUNK - 1));
            int n = Math.min(CHUNK - in, src.remaining());
            synchronized (stripe(c)) {
                Chunk chunk = allocate(c);
                chunk.zero = false;
                src.get(chunk.bytes, in, n);
            }
            pos += n;
        }
    }

    @Override
    public void flush() throws BlockException {
        requireCoroutine("flush");
        if (closed) {
            throw Requests.closed("flush", this);
        }
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        begin("discard", offset, length);
        zero(offset, length, true);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        Requests.checkFlags("writeZeroes", flags, Requests.ZERO_FLAGS);
        begin("writeZeroes", offset, length);
        zero(offset, length, (flags & MAY_TRIM) != 0);
    }

    /** Zeroes the range: frees whole chunks if {@code free}, else provisions every chunk. */
    private void zero(long offset, long length, boolean free) throws BlockException {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long c = pos >>> CHUNK_SHIFT;
            int in = (int) (pos & (CHUNK - 1));
            int n = (int) Math.min(CHUNK - in, end - pos);
            synchronized (stripe(c)) {
                Chunk chunk = chunk(c);
                if (free) {
                    if (chunk != null && n == chunk.bytes.length) {
                        page(c, false).set(slot(c), null);
                        allocated.decrementAndGet();
                    } else if (chunk != null) {
                        Arrays.fill(chunk.bytes, in, in + n, (byte) 0);
                    }
                } else if (chunk == null) {
                    allocate(c).zero = true; // fresh, so all zero
                } else {
                    Arrays.fill(chunk.bytes, in, in + n, (byte) 0);
                    if (n == chunk.bytes.length) {
                        chunk.zero = true;
                    }
                }
            }
            pos += n;
        }
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws BlockException {
        requireCoroutine("blockStatus");
        Requests.checkStatusRange(offset, length, this.length);
        if (closed) {
            throw Requests.closed("blockStatus", this);
        }
        List<Extent> out = new ArrayList<>();
        long end = offset + length;
        long start = offset;
        int flags = -1;
        long pos = offset;
        while (pos < end) {
            long c = pos >>> CHUNK_SHIFT;
            AtomicReferenceArray<Chunk> page = pages.get((int) (c >>> PAGE_SHIFT));
            int here;
            long next;
            if (page == null) { // a whole page never written: skip it at once
                here = Extent.HOLE | Extent.ZERO;
                next = ((c >>> PAGE_SHIFT) + 1) << (PAGE_SHIFT + CHUNK_SHIFT);
            } else {
                Chunk chunk = page.get(slot(c));
                here = chunk == null ? Extent.HOLE | Extent.ZERO : chunk.zero ? Extent.ZERO : 0;
                next = (c + 1) << CHUNK_SHIFT;
            }
            if (here != flags) {
                if (flags != -1) {
                    out.add(new Extent(start, pos - start, flags));
                    if (out.size() == MAX_EXTENTS) {
                        return out;
                    }
                }
                start = pos;
                flags = here;
            }
            pos = Math.min(next, end);
        }
        out.add(new Extent(start, pos - start, flags));
        return out;
    }

    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < pages.length(); i++) {
            pages.set(i, null);
        }
    }

    @Override
    public String toString() {
        return "memory " + Requests.size(length) + " (" + Requests.size(allocatedBytes())
                + " allocated" + (closed ? ", closed)" : ")");
    }

    // ---- chunks -------------------------------------------------------------------------

    private void requireCoroutine(String op) {
        if (!anyThread) {
            Requests.requireCoroutine(op);
        }
    }

    private void begin(String op, long offset, long count) throws BlockException {
        requireCoroutine(op);
        Requests.checkRange(op, offset, count, length);
        if (closed) {
            throw Requests.closed(op, this);
        }
    }

    private Object stripe(long c) {
        return stripes[(int) (c % STRIPES)];
    }

    private static int slot(long c) {
        return (int) (c & (PAGE_CHUNKS - 1));
    }

    /** The page of chunk {@code c}, made if absent and {@code create}, else maybe null. */
    private AtomicReferenceArray<Chunk> page(long c, boolean create) {
        int p = (int) (c >>> PAGE_SHIFT);
        AtomicReferenceArray<Chunk> page = pages.get(p);
        if (page == null && create) {
            AtomicReferenceArray<Chunk> fresh = new AtomicReferenceArray<>(PAGE_CHUNKS);
            page = pages.compareAndExchange(p, null, fresh);
            if (page == null) {
                page = fresh;
            }
        }
        return page;
    }

    /** Chunk {@code c}, or null if it is a hole. Caller holds its stripe lock. */
    private Chunk chunk(long c) {
        AtomicReferenceArray<Chunk> page = page(c, false);
        return page == null ? null : page.get(slot(c));
    }

    /** Chunk {@code c}, allocated (zeroed) if it was a hole. Caller holds its stripe lock. */
    private Chunk allocate(long c) throws BlockException {
        AtomicReferenceArray<Chunk> page = page(c, true);
        Chunk chunk = page.get(slot(c));
        if (chunk == null) {
            long start = c << CHUNK_SHIFT;
            try {
                chunk = new Chunk((int) Math.min(CHUNK, length - start));
            } catch (OutOfMemoryError e) {
                throw new BlockException(BlockError.ENOSPC, "no heap left for the chunk at "
                        + start + " of " + this);
            }
            page.set(slot(c), chunk);
            allocated.incrementAndGet();
        }
        return chunk;
    }
}
