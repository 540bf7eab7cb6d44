package io.corio.blockio.qcow2;

import static io.corio.blockio.qcow2.ClusterMap.COMPRESSED_FLAG;
import static io.corio.blockio.qcow2.ClusterMap.OFFSET_MASK;

import io.corio.blockio.BlockException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The write-back of a writable qcow2 image's metadata, for {@link Qcow2Writes}: dirty refcount
 * blocks, L2 tables and L1 entries written in qcow2's order and synced, the host clusters
 * dropped from the mapping held back until that drop is durable, and the dirty bit of lazy
 * refcounts. Not thread-safe: every method is called under the write path's metadata lock;
 * the methods that write are coroutine functions.
 *
 * <p>Two orders, chosen at open by the image's {@code lazy_refcounts} compatible bit:
 * <ul>
 *   <li>strict (no bit): refcount blocks are on disk and synced before any L2 table or L1
 *       entry that uses them, so the refcounts on disk are never below the references; a
 *       crash may only leak.
 *   <li>lazy (the bit): the header's dirty bit is set and synced before the first table is
 *       written; from then on refcount blocks are written only when their cache needs room
 *       and at {@link #markClean}, with no ordering against the tables: a flush makes data,
 *       L2 tables and L1 entries durable with fewer syncs, and a crash leaves a dirty image
 *       whose refcounts the next writable open rebuilds from the references.
 * </ul>
 */
final class WriteBack {

    /*
     * Implementation notes.
     *
     * writeBack, strict: dirty refcount blocks (then, synced, refcount table entries, inside
     * Refcounts.writeBack); fdatasync; dirty L2 tables; if the L1 table changed, fdatasync
     * then its dirty entries; fdatasync. Lazy: the dirty bit first (once per dirty period:
     * header write, fdatasync); refcount blocks only when more than half their cache is
     * dirty (in any order against the tables: their values are rebuilt after a crash);
     * dirty L2 tables; fdatasync then L1 entries if L1 changed (a new L2 table must be on
     * disk before L1 points to it: that is data integrity, not refcounts); fdatasync.
     *
     * In both orders a cluster dropped from the mapping is decremented only after the
     * write-back that made the drop durable (releases -> durableReleases -> the caller's
     * flush, which decrements them under the reclaim lock), so a cluster is never reused
     * while an entry on disk still points to it: lazy refcounts relax when refcounts reach
     * the disk, not when clusters are reused.
     */

    /** Where the incompatible feature bits are in a version 3 header. */
    static final int INCOMPATIBLE_OFFSET = 72;

    /** The lazy refcounts compatible feature bit. */
    static final long LAZY_REFCOUNTS = 1L;

    private final ClusterMap map;
    private final ImageFile file;
    private final L2Cache cache;
    private final Refcounts refcounts;
    private final boolean lazy;
    private final long incompatible; // the header's bits at open, the dirty bit clear

    private boolean markedDirty; // guarded by meta: the dirty bit is set on disk
    private final List<Long> releases = new ArrayList<>(); // guarded by meta: host clusters, not yet durable
    private final List<Long> durableReleases = new ArrayList<>(); // guarded by meta

    WriteBack(ClusterMap map, Refcounts refcounts) {
        this.map = map;
        this.file = map.file();
        this.cache = map.cache();
        this.refcounts = refcounts;
        Qcow2Header h = map.header();
        this.lazy = h.version() == 3 && (h.compatible() & LAZY_REFCOUNTS) != 0;
        this.incompatible = h.incompatible() & ~Qcow2Header.DIRTY;
    }

    /** Whether this image is written with lazy refcounts. */
    boolean lazy() {
        return lazy;
    }

    /** Whether the dirty bit is set on disk (lazy refcounts not written back). */
    boolean markedDirty() {
        return markedDirty;
    }

    /** Queues the host clusters that L2 entry {@code e} held, for release after write-back. */
    void release(long e) {
        if ((e & COMPRESSED_FLAG) != 0) {
            for (long c : map.compressedClusters(e)) {
                releases.add(c);
            }
        } else if ((e & OFFSET_MASK) != 0) {
            releases.add(e & OFFSET_MASK);
        }
    }

    /** Queues the host cluster at {@code offset} (a replaced L2 table) for release. */
    void releaseCluster(long offset) {
        releases.add(offset);
    }

    /** Writes back when half of the L2 cache or of the refcount cache is dirty. */
    void maybeWriteBack() throws BlockException {
        if (cache.dirtyCount() > cache.capacity() / 2
                || refcounts.dirtyCount() > refcounts.capacity() / 2) {
            writeBack();
        }
    }

    /**
     * Writes back the dirty metadata in this image's order (see the class comment) and
     * syncs: every write completed before is durable, and so is every drop queued before.
     */
    void writeBack() throws BlockException {
        boolean tables = cache.dirtyCount() > 0 || map.l1Dirty();
        if (!lazy) {
            refcounts.writeBack();
            if (tables) {
                file.sync(); // refcounts and the data written so far, before what points to them
            }
        } else {
            if (tables) {
                markDirty();
            }
            if (refcounts.dirtyCount() > refcounts.capacity() / 2) {
                refcounts.writeBack(); // for room in the cache; in no order against the tables
            }
        }
        if (tables) {
            for (Map.Entry<Long, long[]> t : cache.dirtyTables().entrySet()) {
                long[] table = t.getValue();
                ByteBuffer b = ByteBuffer.allocate(table.length * 8);
                for (int i = 0; i < table.length; i++) {
                    b.putLong(ClusterMap.entry(table, i));
                }
                file.write(t.getKey(), b.flip(), "L2 table");
                cache.clean(t.getKey());
            }
            if (map.l1Dirty()) {
                file.sync(); // new L2 tables before the L1 entries pointing to them
                map.writeL1();
            }
        }
        file.sync();
        durableReleases.addAll(releases);
        releases.clear();
    }

    /** The releases a write-back made durable, taken: the caller decrements them. */
    List<Long> takeDurableReleases() {
        List<Long> ready = new ArrayList<>(durableReleases);
        durableReleases.clear();
        return ready;
    }

    /**
     * Writes back the refcounts and syncs; with lazy refcounts then clears the dirty bit and
     * syncs again. After a {@link #writeBack} and the decrements it allowed: the image on
     * disk is then clean and consistent.
     */
    void markClean() throws BlockException {
        if (refcounts.dirty()) {
            refcounts.writeBack();
            file.sync();
        }
        if (markedDirty) {
            writeIncompatible(incompatible);
            file.sync();
            markedDirty = false;
        }
    }

    /** Sets the dirty bit and syncs it, before the first table written with lazy refcounts. */
    private void markDirty() throws BlockException {
        if (!markedDirty) {
            writeIncompatible(incompatible | Qcow2Header.DIRTY);
            file.sync();
            markedDirty = true;
        }
    }

    private void writeIncompatible(long bits) throws BlockException {
        ByteBuffer b = ByteBuffer.allocate(8).putLong(0, bits);
        file.write(INCOMPATIBLE_OFFSET, b, "header (incompatible features)");
    }
}
