package io.corio.blockio.qcow2;

import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.BitSet;

/**
 * The guest-to-host mapping of one qcow2 image: the L1 table (read at open) and the L2 tables
 * (through an {@link L2Cache}). {@link #lookup} answers what a guest offset maps to, as a run
 * as long as possible inside one L2 table. Every offset taken from the image is checked
 * before it is used: a table or cluster outside the file, or an unaligned one, is a
 * {@link BlockError#EIO} naming the image as corrupt, never a read of other bytes.
 */
final class ClusterMap {

    /*
     * Implementation notes.
     *
     * Entry layouts (docs/interop/qcow2.rst):
     *   L1 entry: bits 9..55 the L2 table's offset (0: no table, all unallocated); bit 63
     *   COPIED (refcount is 1); the other bits reserved.
     *   L2 entry, standard: bit 0 "reads as zero" (version 3), bits 9..55 the host cluster
     *   (0: unallocated), bit 62 clear, bit 63 COPIED.
     *   L2 entry, compressed (bit 62 set): with x = 62 - (cluster_bits - 8), bits 0..x-1 the
     *   host offset of the compressed data (any byte), bits x..61 the number of 512-byte
     *   sectors it spans after the one holding its first byte.
     *
     * The L1 table and the cached L2 tables are changed only by the write path
     * (Qcow2Writes), under its metadata lock; lookups run without a lock and read entries
     * with getAcquire, the writer stores them with setRelease, so a lookup sees an entry
     * either old or new, never torn, and sees the data written before it was set. The cache
     * key (the L2 offset) stays valid since a table is never moved, only copied to a new
     * offset when it is shared (COW). `l1Dirty` (guarded by the write path's metadata lock)
     * marks the L1 entries changed in memory and not yet written.
     */

    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    static final long ZERO_FLAG = 1L;
    static final long COMPRESSED_FLAG = 1L << 62;
    static final long COPIED_FLAG = 1L << 63;

    private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(long[].class);

    /** The L2 cache's bound in bytes of tables (at least {@link #MIN_CACHED_TABLES} tables). */
    static final int CACHE_BYTES = 4 << 20;
    static final int MIN_CACHED_TABLES = 4;

    private final String name; // the image, for messages
    private final Qcow2Header header;
    private final ImageFile file;
    private final long[] l1; // entries through ENTRY
    private final BitSet l1Dirty = new BitSet(); // guarded by the write path's metadata lock
    private final L2Cache cache;
    private final int clusterBits;
    private final long clusterSize;
    private final int l2Bits; // log2 of entries per L2 table
    private final int compressedShift; // x above
    private final long compressedSectorsMask;

    private ClusterMap(String name, Qcow2Header header, ImageFile file, long[] l1) {
        this.name = name;
        this.header = header;
        this.file = file;
        this.l1 = l1;
        this.clusterBits = header.clusterBits();
        this.clusterSize = 1L << clusterBits;
        this.l2Bits = clusterBits - 3;
        this.compressedShift = 62 - (clusterBits - 8);
        this.compressedSectorsMask = (1L << (clusterBits - 8)) - 1;
        this.cache = new L2Cache(this::loadTable,
                Math.max(MIN_CACHED_TABLES, CACHE_BYTES >> clusterBits));
    }

    /**
     * Reads the L1 table of the image and checks every entry; blocks.
     *
     * @throws IOException naming the first bad entry
     */
    static ClusterMap open(String name, Qcow2Header header, ImageFile file) throws IOException {
        long[] l1 = new long[header.l1Size()];
        ByteBuffer b = file.readNow(header.l1TableOffset(), 8 * l1.length);
        if (b.remaining() != 8 * l1.length) {
            throw new IOException(name + ": the file ends inside the L1 table");
        }
        b.asLongBuffer().get(l1);
        long clusterSize = header.clusterSize();
        for (int i = 0; i < l1.length; i++) {
            long table = l1[i] & OFFSET_MASK;
            if (table != 0 && ((table & (clusterSize - 1)) != 0
                    || table > file.length() - clusterSize)) {
                throw new IOException(name + ": corrupt image: L1 entry " + i + " points to an L2"
                        + " table at " + table + ", " + (table > file.length() - clusterSize
                        ? "beyond the end of the file (" + file.length() + " bytes)"
                        : "not aligned to the " + clusterSize + "-byte cluster"));
            }
        }
        return new ClusterMap(name, header, file, l1);
    }

    L2Cache cache() {
        return cache;
    }

    long clusterSize() {
        return clusterSize;
    }

    /**
     * What {@code [offset, offset + max)} maps to, from {@code offset}: a run of one kind,
     * of at most {@code max} bytes and not past the L2 table that maps {@code offset}. A
     * compressed run stays inside its cluster. A coroutine function.
     *
     * @param offset a guest offset below the virtual size
     * @param max at least 1
     */
    Mapping lookup(long offset, long max) throws BlockException {
        long tableSpan = 1L << (clusterBits + l2Bits);
        long end = Math.min(offset + max, (offset | (tableSpan - 1)) + 1);
        int l1Index = (int) (offset >>> (clusterBits + l2Bits));
        long tableOffset = l1(l1Index) & OFFSET_MASK;
        if (tableOffset == 0) {
            return new Mapping.Unallocated(end - offset);
        }
        long[] table = cache.get(tableOffset);
        int index = (int) ((offset >>> clusterBits) & ((1L << l2Bits) - 1));
        long inCluster = offset & (clusterSize - 1);
        long entry = entry(table, index);
        if ((entry & COMPRESSED_FLAG) != 0) {
            return compressed(offset, entry, (int) inCluster, Math.min(end - offset,
                    clusterSize - inCluster));
        }
        long host = standardHost(offset, entry);
        boolean zero = (entry & ZERO_FLAG) != 0;
        // extend the run over the following entries of the same kind
        long pos = offset - inCluster + clusterSize;
        for (int i = index + 1; pos < end; i++, pos += clusterSize) {
            long next = entry(table, i);
            if ((next & COMPRESSED_FLAG) != 0 || ((next & ZERO_FLAG) != 0) != zero
                    || (!zero && ((next ^ entry) & COPIED_FLAG) != 0)) {
                break;
            }
            long nextHost = standardHost(pos, next);
            boolean joins = zero // a zero run ignores preallocation
                    || (host == 0 ? nextHost == 0 : nextHost == host + (pos - offset + inCluster));
            if (!joins) {
                break;
            }
        }
        long length = Math.min(pos, end) - offset;
        if (zero) {
            return new Mapping.Zero(host, length);
        }
        return host == 0 ? new Mapping.Unallocated(length)
                : new Mapping.Data(host + inCluster, length, (entry & COPIED_FLAG) != 0);
    }

    /**
     * What the L2 entry {@code entry} of the guest cluster holding {@code guest} maps
     * {@code [guest, guest + length)} to; the range lies inside that cluster. Checked as
     * {@link #lookup} checks. The write path reads what a new cluster copies with it.
     */
    Mapping decode(long guest, long entry, long length) throws BlockException {
        int inCluster = (int) (guest & (clusterSize - 1));
        if ((entry & COMPRESSED_FLAG) != 0) {
            return compressed(guest, entry, inCluster, length);
        }
        long host = standardHost(guest, entry);
        if ((entry & ZERO_FLAG) != 0) {
            return new Mapping.Zero(host, length);
        }
        return host == 0 ? new Mapping.Unallocated(length)
                : new Mapping.Data(host + inCluster, length, (entry & COPIED_FLAG) != 0);
    }

    /** The host clusters (offsets) that the compressed entry {@code entry} spans. */
    long[] compressedClusters(long entry) {
        long host = entry & ((1L << compressedShift) - 1);
        long sectors = ((entry >>> compressedShift) & compressedSectorsMask) + 1;
        long last = ((host & ~511L) + sectors * 512 - 1) >>> clusterBits;
        long first = host >>> clusterBits;
        long[] out = new long[(int) (last - first + 1)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (first + i) << clusterBits;
        }
        return out;
    }

    // ---- for the write path (Qcow2Writes), under its metadata lock ------------------------

    static long entry(long[] table, int index) {
        return (long) ENTRY.getAcquire(table, index);
    }

    static void setEntry(long[] table, int index, long value) {
        ENTRY.setRelease(table, index, value);
    }

    long l1(int index) {
        return entry(l1, index);
    }

    void setL1(int index, long value) {
        setEntry(l1, index, value);
        l1Dirty.set(index);
    }

    int l1Size() {
        return l1.length;
    }

    int clusterBits() {
        return clusterBits;
    }

    /** log2 of the entries of one L2 table. */
    int l2Bits() {
        return l2Bits;
    }

    ImageFile file() {
        return file;
    }

    boolean l1Dirty() {
        return !l1Dirty.isEmpty();
    }

    /**
     * Writes the L1 entries changed since the last call, in 4 KiB pieces of the table. A
     * coroutine function, called under the write path's metadata lock.
     */
    void writeL1() throws BlockException {
        int chunk = 512; // entries: 4 KiB
        for (int from = l1Dirty.nextSetBit(0); from >= 0;
                from = l1Dirty.nextSetBit(from)) {
            int start = from - from % chunk;
            int end = Math.min(l1.length, start + chunk);
            ByteBuffer b = ByteBuffer.allocate(8 * (end - start));
            for (int i = start; i < end; i++) {
                b.putLong(l1(i));
            }
            file.write(header.l1TableOffset() + 8L * start, b.flip(), "L1 table");
            l1Dirty.clear(start, end);
            from = end;
        }
    }

    /** The host cluster of a standard entry mapping the guest cluster at {@code guest}, checked. */
    private long standardHost(long guest, long entry) throws BlockException {
        long host = entry & OFFSET_MASK;
        if (host != 0 && ((host & (clusterSize - 1)) != 0 || host >= file.length())) {
            throw corrupt("the L2 entry of guest offset " + guest + " points to a cluster at "
                    + host + ", " + (host >= file.length() ? "beyond the end of the file ("
                    + file.length() + " bytes)" : "not aligned to the cluster size"));
        }
        return host;
    }

    private Mapping compressed(long guest, long entry, int inCluster, long length)
            throws BlockException {
        long host = entry & ((1L << compressedShift) - 1);
        long sectors = ((entry >>> compressedShift) & compressedSectorsMask) + 1;
        long size = sectors * 512 - (host & 511);
        if (host >= file.length() || host == 0) {
            throw corrupt("the compressed cluster of guest offset " + guest + " is at " + host
                    + ", outside the file (" + file.length() + " bytes)");
        }
        return new Mapping.Compressed(host, (int) size, inCluster, length);
    }

    private long[] loadTable(long offset) throws BlockException {
        if (offset > file.length() - clusterSize) { // checked at open; the write path adds tables
            throw corrupt("an L2 table at " + offset + " is beyond the end of the file");
        }
        ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
        file.read(offset, b, "L2 table");
        long[] table = new long[(int) (clusterSize / 8)];
        b.flip().asLongBuffer().get(table);
        return table;
    }

    BlockException corrupt(String why) {
        return new BlockException(BlockError.EIO, name + ": corrupt image: " + why);
    }

    Qcow2Header header() {
        return header;
    }
}
