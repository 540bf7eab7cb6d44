package io.corio.blockio.qcow2;

import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The refcounts of a writable qcow2 image: the refcount table (in memory, read at open) and
 * a write-back cache of refcount blocks, with cluster allocation on top. Not thread-safe:
 * every method is called under the write path's metadata lock ({@code Qcow2Writes}); the
 * methods that read or write the file are coroutine functions.
 *
 * <p>Allocation takes the first run of free clusters (refcount 0) from a hint that moves
 * forward with each allocation and back to a cluster when it is freed, as QEMU does: space
 * freed by discards is reused, and an image without holes grows at its end. Changes stay in
 * the cache until {@link #writeBack}, which the write path calls before it writes any L2
 * table that points to a new cluster (the qcow2 rule: a refcount is on disk before a
 * reference to it).
 */
final class Refcounts {

    /*
     * Implementation notes.
     *
     * Layout (docs/interop/qcow2.rst): the table is contiguous, entries are the offsets of
     * refcount blocks (0: none, every refcount it would hold is 0); a block is one cluster of
     * refcount_bits-wide big-endian entries; below 8 bits, entry 0 is in the least
     * significant bits of the byte.
     *
     * A missing block is made when an allocation needs one: it is placed in the range of
     * clusters it covers (all free, since it did not exist), at the first candidate cluster,
     * and counts itself; its table entry is marked dirty. writeBack writes dirty blocks first,
     * then, after an fdatasync, the dirty table entries, so the table never points to a block
     * that is not on disk.
     *
     * A table too short for an allocation grows: the new table and the blocks covering it are
     * placed after everything the old table covers and after the end of the file (all free),
     * written with the old entries, synced, and only then is the header switched to them (one
     * 12-byte write, synced); the old table's clusters are freed after that.
     *
     * Dirty blocks are never evicted; the write path writes them back when dirtyCount() grows.
     */

    static final long TABLE_OFFSET_MASK = ~511L;

    /** The refcount table's upper bound, as QEMU's: 8 MiB. */
    static final long MAX_TABLE_BYTES = 8L << 20;

    /** Refcount blocks cached, in bytes (at least {@link #MIN_CACHED_BLOCKS} blocks). */
    static final int CACHE_BYTES = 1 << 20;
    static final int MIN_CACHED_BLOCKS = 4;

    private static final class Block {
        final byte[] data;
        boolean dirty;

        Block(byte[] data) {
            this.data = data;
        }
    }

    private final String name; // the image, for messages
    private final ImageFile file;
    private final int clusterBits;
    private final int clusterSize;
    private final int order; // log2 of refcount bits
    private final long max; // the largest refcount
    private final int blockBits; // log2 of entries per block
    private final int capacity; // blocks cached

    // all guarded by the write path's metadata lock
    private long tableOffset;
    private int tableClusters;
    private long[] table;
    private final BitSet dirtyEntries = new BitSet();
    private final LinkedHashMap<Long, Block> blocks = new LinkedHashMap<>(16, 0.75f, true);
    private int dirtyBlocks;
    private long freeHint; // a cluster index: no free cluster below it, as far as allocate knows

    private Refcounts(String name, ImageFile file, Qcow2Header h, long[] table) {
        this.name = name;
        this.file = file;
        this.clusterBits = h.clusterBits();
        this.clusterSize = 1 << clusterBits;
        this.order = h.refcountOrder();
        this.max = order == 6 ? -1L >>> 1 : (1L << (1 << order)) - 1; // 64 bits: stay positive
        this.blockBits = clusterBits + 3 - order;
        this.capacity = Math.max(MIN_CACHED_BLOCKS, CACHE_BYTES >> clusterBits);
        this.tableOffset = h.refcountTableOffset();
        this.tableClusters = h.refcountTableClusters();
        this.table = table;
    }

    /**
     * Reads the refcount table of the image and checks it; blocks.
     *
     * @throws IOException naming what is wrong
     */
    static Refcounts open(String name, Qcow2Header h, ImageFile file) throws IOException {
        long bytes = (long) h.refcountTableClusters() * h.clusterSize();
        long offset = h.refcountTableOffset();
        if (h.refcountTableClusters() <= 0 || bytes > MAX_TABLE_BYTES
                || (offset & (h.clusterSize() - 1)) != 0 || offset <= 0
                || offset > file.length() - bytes) {
            throw new IOException(name + ": the refcount table (" + h.refcountTableClusters()
                    + " clusters at " + offset + ") is not a cluster-aligned table of at most "
                    + MAX_TABLE_BYTES + " bytes inside the file of " + file.length() + " bytes");
        }
        ByteBuffer b = file.readNow(offset, (int) bytes);
        long[] table = new long[(int) (bytes / 8)];
        b.asLongBuffer().get(table);
        for (int i = 0; i < table.length; i++) {
            long block = table[i] & TABLE_OFFSET_MASK;
            if (block != 0 && ((block & (h.clusterSize() - 1)) != 0
                    || block > file.length() - h.clusterSize())) {
                throw new IOException(name + ": corrupt image: refcount table entry " + i
                        + " points to a block at " + block + ", not a cluster inside the file");
            }
        }
        return new Refcounts(name, file, h, table);
    }

    /** The refcount of the cluster at index {@code cluster}. A coroutine function. */
    long get(long cluster) throws BlockException {
        long r = cluster >>> blockBits;
        if (r >= table.length || (table[(int) r] & TABLE_OFFSET_MASK) == 0) {
            return 0;
        }
        return read(block(r).data, (int) (cluster & ((1L << blockBits) - 1)));
    }

    private void set(long cluster, long value) throws BlockException {
        Block b = block(cluster >>> blockBits);
        if (!b.dirty) {
            b.dirty = true;
            dirtyBlocks++;
        }
        write(b.data, (int) (cluster & ((1L << blockBits) - 1)), value);
    }

    /**
     * The most clusters one {@link #allocate} takes: half a refcount block's range, so that
     * a run always fits beside the block at the start of a new range (a block covers itself).
     */
    int maxRun() {
        return 1 << (blockBits - 1);
    }

    /**
     * Allocates {@code n} contiguous free clusters ({@code n <= maxRun()}), sets their refcounts to 1 (in the cache)
     * and answers the offset of the first. A coroutine function.
     */
    long allocate(int n) throws BlockException {
        long c = freeHint;
        search:
        while (true) {
            for (int i = 0; i < n; i++) {
                if (get(c + i) != 0) {
                    c += i + 1;
                    continue search;
                }
            }
            for (long r = c >>> blockBits; r <= (c + n - 1) >>> blockBits; r++) {
                if (r >= table.length) {
                    grow(r);
                    continue search; // the new table took clusters: look again from c
                }
                if ((table[(int) r] & TABLE_OFFSET_MASK) == 0) {
                    newBlock(r, Math.max(c, r << blockBits));
                    continue search;
                }
            }
            if (((c + n) << clusterBits) >>> 56 != 0) {
                throw new BlockException(BlockError.ENOSPC, name + ": no room for " + n
                        + " clusters below 64 PB in the image file");
            }
            for (int i = 0; i < n; i++) {
                set(c + i, 1);
            }
            freeHint = c + n;
            return c << clusterBits;
        }
    }

    /**
     * Decrements the refcount of the cluster at {@code offset}; answers whether it is free
     * now (and may be allocated again). A coroutine function.
     *
     * @throws BlockException EIO if it is already 0 (the image's refcounts are wrong)
     */
    boolean decrement(long offset) throws BlockException {
        long cluster = offset >>> clusterBits;
        long v = get(cluster);
        if (v == 0) {
            throw new BlockException(BlockError.EIO, name + ": corrupt image: the refcount of"
                    + " the cluster at " + offset + " is already 0 when it is released");
        }
        set(cluster, v - 1);
        if (v == 1) {
            freeHint = Math.min(freeHint, cluster);
            return true;
        }
        return false;
    }

    /** Makes block {@code r} at cluster {@code at}, which it covers, counting itself. */
    private void newBlock(long r, long at) throws BlockException {
        Block b = new Block(new byte[clusterSize]);
        b.dirty = true; // before caching it, or it could be evicted at once
        cache(at << clusterBits, b);
        table[(int) r] = at << clusterBits;
        dirtyEntries.set((int) r);
        set(at, 1);
    }

    private void grow(long needed) throws BlockException {
        writeBack(); // the new table copies the entries: their blocks must be on disk
        int perCluster = clusterSize / 8;
        long start = Math.max((long) table.length << blockBits,
                (file.length() + clusterSize - 1) >>> clusterBits);
        long entries = Math.max(2L * table.length, needed + 1);
        long tableClustersNew;
        long blocksNew = 1;
        while (true) {
            tableClustersNew = (entries + perCluster - 1) / perCluster;
            long last = start + tableClustersNew + blocksNew - 1;
            long blocksNeeded = (last >>> blockBits) - (start >>> blockBits) + 1;
            long entriesNeeded = (last >>> blockBits) + 1;
            if (blocksNeeded == blocksNew && entriesNeeded <= tableClustersNew * perCluster) {
                break;
            }
            blocksNew = Math.max(blocksNew, blocksNeeded);
            entries = Math.max(entries, entriesNeeded);
        }
        entries = tableClustersNew * perCluster;
        if (entries * 8 > MAX_TABLE_BYTES) {
            throw new BlockException(BlockError.ENOSPC, name + ": the refcount table would"
                    + " grow past " + MAX_TABLE_BYTES + " bytes");
        }
        long[] grown = Arrays.copyOf(table, (int) entries);
        long firstBlock = start + tableClustersNew;
        long firstIndex = start >>> blockBits;
        for (int k = 0; k < blocksNew; k++) {
            grown[(int) (firstIndex + k)] = (firstBlock + k) << clusterBits;
        }
        // the new blocks are back to back: entry i of block k is entry k * perBlock + i
        byte[] newBlocks = new byte[(int) (blocksNew << clusterBits)];
        for (long c = start; c < firstBlock + blocksNew; c++) {
            write(newBlocks, (int) (c - (firstIndex << blockBits)), 1);
        }
        ByteBuffer t = ByteBuffer.allocate((int) (entries * 8));
        t.asLongBuffer().put(grown);
        file.write(firstBlock << clusterBits, ByteBuffer.wrap(newBlocks), "new refcount blocks");
        file.write(start << clusterBits, t, "new refcount table");
        file.sync();
        ByteBuffer header = ByteBuffer.allocate(12);
        header.putLong(start << clusterBits).putInt((int) tableClustersNew).flip();
        file.write(48, header, "header (refcount table)");
        file.sync();
        long oldOffset = tableOffset;
        int oldClusters = tableClusters;
        table = grown;
        tableOffset = start << clusterBits;
        tableClusters = (int) tableClustersNew;
        dirtyEntries.clear();
        for (int i = 0; i < oldClusters; i++) {
            decrement(oldOffset + ((long) i << clusterBits));
        }
    }

    /** Whether anything changed since the last {@link #writeBack}. */
    boolean dirty() {
        return dirtyBlocks > 0 || !dirtyEntries.isEmpty();
    }

    int dirtyCount() {
        return dirtyBlocks;
    }

    int capacity() {
        return capacity;
    }

    /**
     * Writes the dirty blocks, then (after an fdatasync) the dirty table entries. A coroutine
     * function. Leaves the blocks written but not synced: the caller syncs before it writes
     * what refers to them.
     */
    void writeBack() throws BlockException {
        List<Map.Entry<Long, Block>> dirty = new ArrayList<>();
        for (Map.Entry<Long, Block> e : blocks.entrySet()) {
            if (e.getValue().dirty) {
                dirty.add(e);
            }
        }
        for (Map.Entry<Long, Block> e : dirty) {
            file.write(e.getKey(), ByteBuffer.wrap(e.getValue().data.clone()), "refcount block");
            e.getValue().dirty = false;
            dirtyBlocks--;
        }
        if (!dirtyEntries.isEmpty()) {
            file.sync();
            int perCluster = clusterSize / 8;
            for (int from = dirtyEntries.nextSetBit(0); from >= 0;
                    from = dirtyEntries.nextSetBit(from)) {
                int start = from - from % perCluster;
                int end = Math.min(table.length, start + perCluster);
                ByteBuffer b = ByteBuffer.allocate(8 * (end - start));
                for (int i = start; i < end; i++) {
                    b.putLong(table[i]);
                }
                file.write(tableOffset + 8L * start, b.flip(), "refcount table");
                dirtyEntries.clear(start, end);
                from = end;
            }
        }
        evict();
    }

    private Block block(long r) throws BlockException {
        long offset = table[(int) r] & TABLE_OFFSET_MASK;
        Block b = blocks.get(offset);
        if (b == null) {
            if ((offset & (clusterSize - 1)) != 0 || offset > file.length() - clusterSize) {
                throw new BlockException(BlockError.EIO, name + ": corrupt image: refcount"
                        + " block " + r + " at " + offset + " is not a cluster inside the file");
            }
            ByteBuffer buf = ByteBuffer.allocate(clusterSize);
            file.read(offset, buf, "refcount block");
            b = new Block(buf.array()); // nobody loaded it meanwhile: we hold the metadata lock
            cache(offset, b);
        }
        return b;
    }

    private void cache(long offset, Block b) {
        blocks.put(offset, b);
        if (b.dirty) {
            dirtyBlocks++;
        }
        evict();
    }

    private void evict() {
        Iterator<Block> it = blocks.values().iterator();
        while (blocks.size() > capacity && it.hasNext()) {
            if (!it.next().dirty) {
                it.remove();
            }
        }
    }

    private long read(byte[] data, int i) {
        return switch (order) {
            case 0, 1, 2 -> {
                int perByte = 8 >> order;
                int shift = (i % perByte) << order;
                yield ((data[i / perByte] & 0xff) >>> shift) & ((1 << (1 << order)) - 1);
            }
            case 3 -> data[i] & 0xffL;
            case 4 -> ((data[2 * i] & 0xffL) << 8) | (data[2 * i + 1] & 0xffL);
            case 5 -> ByteBuffer.wrap(data).getInt(4 * i) & 0xffff_ffffL;
            default -> ByteBuffer.wrap(data).getLong(8 * i);
        };
    }

    private void write(byte[] data, int i, long value) throws BlockException {
        if (value < 0 || value > max) {
            throw new BlockException(BlockError.EIO, name + ": refcount " + value
                    + " does not fit in " + (1 << order) + " bits");
        }
        switch (order) {
            case 0, 1, 2 -> {
                int perByte = 8 >> order;
                int shift = (i % perByte) << order;
                int mask = ((1 << (1 << order)) - 1) << shift;
                data[i / perByte] = (byte) ((data[i / perByte] & ~mask) | ((int) value << shift));
            }
            case 3 -> data[i] = (byte) value;
            case 4 -> {
                data[2 * i] = (byte) (value >>> 8);
                data[2 * i + 1] = (byte) value;
            }
            case 5 -> ByteBuffer.wrap(data).putInt(4 * i, (int) value);
            default -> ByteBuffer.wrap(data).putLong(8 * i, value);
        }
    }
}
