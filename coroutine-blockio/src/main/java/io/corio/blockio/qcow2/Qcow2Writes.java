package io.corio.blockio.qcow2;

import static io.corio.blockio.qcow2.ClusterMap.COMPRESSED_FLAG;
import static io.corio.blockio.qcow2.ClusterMap.COPIED_FLAG;
import static io.corio.blockio.qcow2.ClusterMap.OFFSET_MASK;
import static io.corio.blockio.qcow2.ClusterMap.ZERO_FLAG;

import io.corio.blockio.BlockException;
import io.corio.core.CoMutex;
import io.corio.core.CoQueue;
import io.corio.core.CoRwLock;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The write path of a writable qcow2 image ({@link Qcow2#openReadWrite}): writes with cluster
 * allocation (the new clusters' contents built by {@link CopyOnWrite}), zero clusters for
 * discard and write-zeroes ({@link #zeroClusters}, which {@link Qcow2Zeroes} calls for the
 * whole clusters of a range), and flush with the metadata written back in qcow2's order.
 * Used by {@link Qcow2Driver}; its methods are coroutine functions, safe for coroutines of
 * any number of contexts.
 *
 * <p>Guarantees (see {@code docs/qcow2.md}): a write into a cluster whose L2 entry has COPIED
 * goes in place; any other write gets new clusters, written whole in one go (the untouched
 * head and tail copied from the old cluster, the backing file or zeros), and the L2 entries
 * are switched to them after that write completed. On disk, at every moment, every L1/L2
 * entry points to a cluster whose refcount is written and synced, and a refcount is
 * decremented only after the entry that dropped the reference is written and synced: a
 * crash may leak clusters, never leave a reference to a free one. With lazy refcounts the
 * first half is relaxed behind the dirty bit ({@link WriteBack}).
 */
final class Qcow2Writes {

    /*
     * Implementation notes.
     *
     * Locks, always taken in this order:
     *   reclaim (CoRwLock): held shared by every read and write of guest data, from its
     *     lookup to the end of its I/O, since an unlocked lookup found a host cluster; held
     *     exclusively while freed clusters get their refcounts decremented (after a flush
     *     made their removal durable), so no I/O can still be aimed at a cluster that is
     *     being handed out again.
     *   meta (CoMutex): the L1 table, the L2 entries, the refcounts, `inflight` and the
     *     pending releases. It is held across yields (table loads, write-back), never across
     *     data I/O.
     *
     * An allocating write has three steps: under meta, wait until no allocation in flight
     * overlaps its guest clusters, take the entries, allocate host clusters and register the
     * guest range in `inflight`; without meta, build the new clusters (head COW + data + tail
     * COW) and write them in one pwrite (CopyOnWrite); under meta, point the L2 entries to them (the L2
     * table allocated, or copied if shared, first), queue the old clusters for release,
     * unregister and wake the waiters (QEMU's dependent requests). A later writer to the
     * same cluster finds it allocated with COPIED and writes in place.
     *
     * Write-back is WriteBack's (under meta), in qcow2's order or with lazy refcounts. Dirty
     * tables and blocks are never evicted; it runs on flush and when too many are dirty.
     * Releases queued before a write-back are durable after it; flush decrements them (under
     * reclaim, exclusive), so a freed cluster is reused only after that.
     */

    /** The most bytes one allocating step writes (at least one cluster). */
    static final int MAX_ALLOCATION_BYTES = 1 << 20;

    /** What a run of whole clusters becomes in {@link #zeroClusters}. */
    enum ZeroMode { DISCARD, ZERO_TRIM, ZERO_KEEP }

    /** Reads the guest range {@code m} maps, from {@code pos}, into {@code dst}: the read path. */
    @FunctionalInterface
    interface Reader {
        void read(Mapping m, long pos, ByteBuffer dst) throws BlockException;
    }

    private final String name;
    private final ClusterMap map;
    private final ImageFile file;
    private final L2Cache cache;
    private final Refcounts refcounts;
    private final CopyOnWrite cow;
    private final boolean hasBacking;
    private final int version;
    private final int clusterBits;
    private final long clusterSize;
    private final int l2Bits;
    private final int maxClusters;
    private final CoRwLock reclaim = CoRwLock.create("qcow2 reclaim");
    private final CoMutex meta = CoMutex.create("qcow2 metadata");
    private final CoQueue allocated = CoQueue.create("qcow2 allocations");
    private final WriteBack writeBack; // guarded by meta

    private final TreeMap<Long, Long> inflight = new TreeMap<>(); // guarded by meta: [start, end) guest clusters

    Qcow2Writes(String name, ClusterMap map, Refcounts refcounts, Reader reader,
            boolean hasBacking) {
        this.name = name;
        this.map = map;
        this.file = map.file();
        this.cache = map.cache();
        this.refcounts = refcounts;
        this.cow = new CopyOnWrite(map, reader, hasBacking);
        this.hasBacking = hasBacking;
        this.version = map.header().version();
        this.clusterBits = map.clusterBits();
        this.clusterSize = map.clusterSize();
        this.l2Bits = map.l2Bits();
        this.maxClusters = Math.min(refcounts.maxRun(),
                Math.max(1, MAX_ALLOCATION_BYTES >> clusterBits));
        this.writeBack = new WriteBack(map, refcounts);
    }

    /** Whether the image is written with lazy refcounts (its compatible bit). */
    boolean lazyRefcounts() {
        return writeBack.lazy();
    }

    /** Held around a read of guest data (see the notes on reclaim). */
    void beginRead() {
        reclaim.readLock();
    }

    void endRead() {
        reclaim.unlock();
    }

    // ---- write ----------------------------------------------------------------------------

    /** Writes {@code src} at {@code offset}, advancing its position; then flushes for FUA. */
    void write(long offset, ByteBuffer src, boolean fua) throws BlockException {
        reclaim.readLock();
        try {
            long pos = offset;
            while (src.hasRemaining()) {
                Mapping m = map.lookup(pos, src.remaining());
                int n;
                if (m instanceof Mapping.Data d && d.copied()) {
                    n = (int) d.length();
                    file.write(d.host(), src.slice(src.position(), n), "data");
                } else {
                    n = allocatingWrite(pos, src.slice());
                }
                src.position(src.position() + n);
                pos += n;
            }
        } finally {
            reclaim.unlock();
        }
        if (fua) {
            flush();
        }
    }

    /**
     * Writes the start of {@code data} at {@code pos} into new clusters; answers how many
     * bytes it wrote, or 0 when the first cluster turned out to be allocated with COPIED
     * meanwhile (the caller writes it in place).
     */
    private int allocatingWrite(long pos, ByteBuffer data) throws BlockException {
        long end = pos + data.remaining();
        long g0 = pos >>> clusterBits;
        long tableEnd = ((g0 >>> l2Bits) + 1) << l2Bits;
        long gEnd = Math.min(Math.min((end + clusterSize - 1) >>> clusterBits, tableEnd),
                g0 + maxClusters);
        long[] old;
        long host;
        boolean reuse = false; // a preallocated zero cluster of ours: written in place
        meta.lock();
        try {
            while (overlapsInflight(g0, gEnd)) {
                allocated.await(meta);
            }
            long first = entryOf(g0);
            if (isCopiedData(first)) {
                return 0;
            }
            int n = 1;
            if (isOwnZeroCluster(first)) {
                reuse = true;
                host = first & OFFSET_MASK;
            } else {
                while (g0 + n < gEnd && needsNewCluster(entryOf(g0 + n))) {
                    n++;
                }
                host = refcounts.allocate(n);
            }
            old = new long[n];
            for (int i = 0; i < n; i++) {
                old[i] = entryOf(g0 + i);
            }
            inflight.put(g0, g0 + n);
        } finally {
            meta.unlock();
        }
        int n = old.length;
        long dataEnd = Math.min(end, (g0 + n) << clusterBits);
        boolean linked = false;
        try {
            cow.write(host, g0, old, pos, data.slice(data.position(), (int) (dataEnd - pos)));
            meta.lock();
            try {
                long[] table = tableForUpdate(g0);
                int index = (int) (g0 & ((1L << l2Bits) - 1));
                for (int i = 0; i < n; i++) {
                    long cur = ClusterMap.entry(table, index + i);
                    if (cur != old[i]) {
                        throw new AssertionError(name + ": the L2 entry of guest cluster "
                                + (g0 + i) + " changed under an allocation in flight: "
                                + Long.toHexString(old[i]) + " -> " + Long.toHexString(cur));
                    }
                    ClusterMap.setEntry(table, index + i, (host + ((long) i << clusterBits))
                            | COPIED_FLAG);
                    if (!reuse) {
                        writeBack.release(cur);
                    }
                }
                linked = true;
                writeBack.maybeWriteBack();
            } finally {
                endAllocation(g0, linked || reuse ? 0 : n, host);
                meta.unlock();
            }
        } catch (BlockException | RuntimeException | Error e) {
            if (!linked) { // the data write failed: give the new clusters back
                meta.lock();
                try {
                    if (inflight.containsKey(g0)) {
                        endAllocation(g0, reuse ? 0 : n, host);
                    }
                } finally {
                    meta.unlock();
                }
            }
            throw e;
        }
        return (int) (dataEnd - pos);
    }

    /**
     * Unregisters the allocation at guest cluster {@code g0} and wakes the writers waiting
     * for it; frees {@code unused} clusters at {@code host} it allocated and never linked
     * (no entry ever pointed to them). Under meta.
     */
    private void endAllocation(long g0, int unused, long host) throws BlockException {
        inflight.remove(g0);
        allocated.restartAll();
        for (int i = 0; i < unused; i++) {
            refcounts.decrement(host + ((long) i << clusterBits));
        }
    }

    // ---- zero clusters --------------------------------------------------------------------

    /** Sets the entries of guest clusters [g, gEnd) as {@code mode} says, table by table. */
    void zeroClusters(long g, long gEnd, ZeroMode mode) throws BlockException {
        while (g < gEnd) {
            long to = Math.min(gEnd, ((g >>> l2Bits) + 1) << l2Bits);
            meta.lock();
            try {
                while (overlapsInflight(g, to)) {
                    allocated.await(meta);
                }
                boolean change = false;
                for (long c = g; c < to && !change; c++) {
                    long e = entryOf(c);
                    change = zeroed(mode, e) != e;
                }
                if (change) {
                    long[] table = tableForUpdate(g);
                    int index = (int) (g & ((1L << l2Bits) - 1));
                    for (int i = 0; i < to - g; i++) {
                        long e = ClusterMap.entry(table, index + i);
                        long z = zeroed(mode, e);
                        if (z != e) {
                            ClusterMap.setEntry(table, index + i, z);
                            if ((z & OFFSET_MASK) == 0 || (e & COMPRESSED_FLAG) != 0) {
                                writeBack.release(e);
                            }
                        }
                    }
                    writeBack.maybeWriteBack();
                }
            } finally {
                meta.unlock();
            }
            g = to;
        }
    }

    /** The entry that {@code e} becomes. */
    private long zeroed(ZeroMode mode, long e) {
        boolean own = (e & COMPRESSED_FLAG) == 0 && (e & OFFSET_MASK) != 0
                && (e & COPIED_FLAG) != 0;
        if (version == 2 || (e == 0 && !hasBacking)) {
            return 0; // no backing file here: unallocated reads as zero
        }
        return switch (mode) {
            case DISCARD -> hasBacking ? ZERO_FLAG : 0;
            case ZERO_TRIM -> ZERO_FLAG;
            case ZERO_KEEP -> own ? (e & OFFSET_MASK) | COPIED_FLAG | ZERO_FLAG : ZERO_FLAG;
        };
    }

    // ---- metadata, under meta -------------------------------------------------------------

    private boolean overlapsInflight(long from, long to) {
        Map.Entry<Long, Long> e = inflight.lowerEntry(to);
        return e != null && e.getValue() > from;
    }

    /** The L2 entry of guest cluster {@code g} (0 without a table). */
    private long entryOf(long g) throws BlockException {
        long table = map.l1((int) (g >>> l2Bits)) & OFFSET_MASK;
        if (table == 0) {
            return 0;
        }
        return ClusterMap.entry(cache.get(table), (int) (g & ((1L << l2Bits) - 1)));
    }

    private static boolean isCopiedData(long e) {
        return (e & (COMPRESSED_FLAG | ZERO_FLAG)) == 0 && (e & OFFSET_MASK) != 0
                && (e & COPIED_FLAG) != 0;
    }

    /** A preallocated zero cluster with refcount 1: a write can fill it in place. */
    private static boolean isOwnZeroCluster(long e) {
        return (e & COMPRESSED_FLAG) == 0 && (e & ZERO_FLAG) != 0 && (e & OFFSET_MASK) != 0
                && (e & COPIED_FLAG) != 0;
    }

    private static boolean needsNewCluster(long e) {
        return !isCopiedData(e) && !isOwnZeroCluster(e);
    }

    /**
     * The L2 table of guest cluster {@code g}, ready for changes: allocated (empty) if the
     * L1 entry has none, copied to a new cluster if it is shared (no COPIED), marked dirty.
     */
    private long[] tableForUpdate(long g) throws BlockException {
        int l1Index = (int) (g >>> l2Bits);
        long e = map.l1(l1Index);
        long offset = e & OFFSET_MASK;
        if (offset != 0 && (e & COPIED_FLAG) != 0) {
            return cache.getForUpdate(offset);
        }
        long[] table = offset == 0 ? new long[1 << l2Bits] : cache.get(offset).clone();
        long at = refcounts.allocate(1);
        cache.put(at, table);
        map.setL1(l1Index, at | COPIED_FLAG);
        if (offset != 0) {
            writeBack.releaseCluster(offset);
        }
        return table;
    }

    /**
     * Flushes, then writes back and syncs the refcount decrements that flush made, so that a
     * closed image leaks nothing; with lazy refcounts, then clears the dirty bit (synced).
     * The last call before the file is closed.
     */
    void close() throws BlockException {
        flush();
        meta.lock();
        try {
            writeBack.markClean();
        } finally {
            meta.unlock();
        }
    }

    /**
     * Makes every completed write durable: metadata written back in order, synced; then the
     * clusters released before it get their refcounts decremented (free for reuse; the
     * decrements reach the disk with the next write-back).
     */
    void flush() throws BlockException {
        List<Long> ready;
        meta.lock();
        try {
            writeBack.writeBack();
            ready = writeBack.takeDurableReleases();
        } finally {
            meta.unlock();
        }
        if (ready.isEmpty()) {
            return;
        }
        reclaim.writeLock(); // no read or write still aimed at a cluster found before
        try {
            meta.lock();
            try {
                for (long host : ready) {
                    if (refcounts.decrement(host)) {
                        cache.drop(host); // an L2 table's cluster, maybe
                    }
                }
            } finally {
                meta.unlock();
            }
        } finally {
            reclaim.unlock();
        }
    }
}
