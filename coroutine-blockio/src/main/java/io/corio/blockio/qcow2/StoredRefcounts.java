package io.corio.blockio.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * The refcounts an image stores, as its refcount table and blocks say, for the checker: read
 * through a cache of blocks, and changed in place by {@link #set} and {@link #flush} when
 * repairing. A cluster past the table, or in a block the table has no entry for, has
 * refcount 0, as qemu reads it. Not thread-safe: one checker at a time.
 */
final class StoredRefcounts {
    private final FileChannel file;
    private final int clusterBits;
    private final int order;
    private final long perBlock;
    private final long[] table;
    private final Map<Long, ByteBuffer> blocks = new HashMap<>(); // by table index
    private final Map<Long, ByteBuffer> dirty = new HashMap<>();

    StoredRefcounts(FileChannel file, int clusterBits, int order, long[] table) {
        this.file = file;
        this.clusterBits = clusterBits;
        this.order = order;
        this.perBlock = RefcountEntries.perBlock(clusterBits, order);
        this.table = table;
    }

    /** Entries one refcount block holds. */
    long perBlock() {
        return perBlock;
    }

    /** The refcount table as read. */
    long[] table() {
        return table;
    }

    /**
     * The stored refcount of {@code cluster}.
     *
     * @throws IOException if its refcount block's table entry is not cluster-aligned
     */
    long get(long cluster) throws IOException {
        ByteBuffer block = block(cluster / perBlock);
        return block == null ? 0 : RefcountEntries.get(block, (int) (cluster % perBlock), order);
    }

    /**
     * Stores {@code value} as the refcount of {@code cluster}, written by {@link #flush}.
     *
     * @throws IOException if no refcount block holds the cluster (it cannot be raised from 0
     *     in place: the structure needs a rebuild)
     */
    void set(long cluster, long value) throws IOException {
        long index = cluster / perBlock;
        ByteBuffer block = block(index);
        if (block == null) {
            if (value == 0) {
                return;
            }
            throw new IOException("no refcount block holds cluster " + cluster);
        }
        RefcountEntries.set(block, (int) (cluster % perBlock), order, value);
        dirty.put(index, block);
    }

    /** Writes the changed blocks back in place. */
    void flush() throws IOException {
        for (Map.Entry<Long, ByteBuffer> e : dirty.entrySet()) {
            Qcow2Check.write(file, e.getValue(), table[(int) (long) e.getKey()]
                    & RefcountEntries.TABLE_OFFSET_MASK);
        }
        dirty.clear();
    }

    private ByteBuffer block(long index) throws IOException {
        if (index >= table.length) {
            return null;
        }
        long offset = table[(int) index] & RefcountEntries.TABLE_OFFSET_MASK;
        if (offset == 0) {
            return null;
        }
        if ((offset & ((1L << clusterBits) - 1)) != 0) {
            throw new IOException("refcount block offset 0x" + Long.toHexString(offset)
                    + " is not cluster-aligned (refcount table index " + index + ")");
        }
        ByteBuffer b = blocks.get(index);
        if (b == null) {
            b = Qcow2Check.read(file, offset, 1 << clusterBits);
            blocks.put(index, b);
        }
        return b;
    }
}
