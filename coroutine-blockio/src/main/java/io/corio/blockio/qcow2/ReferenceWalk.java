package io.corio.blockio.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One check of one image, for {@link Qcow2Check}: counts the references to every cluster of
 * the file ({@link #calculate}), compares them with the stored refcounts ({@link #compare}),
 * and checks the COPIED flags of the active tables ({@link #checkCopied}), optionally
 * repairing as it goes. Classifies and words what it finds as {@code qemu-img check} does,
 * so that both tools agree on an image: corruptions, leaks, internal errors.
 */
final class ReferenceWalk {

    /*
     * Implementation notes.
     *
     * What references a cluster (docs/interop/qcow2.rst, and which qemu-img check counts):
     * the header (cluster 0, with its extensions and the backing name); the active L1 table
     * and every L2 table it names, and every data or preallocated zero cluster those name;
     * the same for each snapshot's L1 table (a table or data cluster shared by the active
     * layer and a snapshot is referenced once per L1 that reaches it, which is what qemu
     * stores); compressed data, each cluster its byte range touches (two compressed clusters
     * may share a host cluster, each counting once); the snapshot table; the refcount table;
     * each refcount block. The sum per cluster is the refcount the image should store.
     *
     * A referenced range that ends a whole cluster or more past the end of the file is a
     * corruption and is not counted (the last cluster may be partly written). A reference
     * past the end of the counts array grows it (the last, partial cluster).
     *
     * The comparison runs over every cluster of the file. Stored below referenced is a
     * corruption (the cluster could be allocated again); a referenced cluster stored as 0
     * means the refcount structure cannot be trusted and must be rebuilt (only -r all does).
     * Stored above referenced is a leak. COPIED must be set exactly where the stored refcount
     * is 1, on the active L1's entries and its L2 entries of data and preallocated zero
     * clusters; on compressed entries never (a corruption, found while counting).
     */

    /** The most internal snapshots a table may hold, as qemu allows. */
    static final int MAX_SNAPSHOTS = 65536;

    final FileChannel file;
    final long fileLength;
    final int clusterBits;
    final long clusterSize;
    final int order;
    final Qcow2Header header;
    final long snapshotsOffset;
    final long[] activeL1;

    long[] refs; // computed references per cluster
    private final List<long[]> structure = new ArrayList<>(); // refcount table/blocks: offset, length
    long snapshotsSize;
    final List<String> messages = new ArrayList<>();
    long corruptions;
    long leaks;
    long checkErrors;
    long corruptionsFixed;
    long leaksFixed;
    long allocated;
    long fragmented;
    long compressed;
    long highestCluster = -1;
    boolean rebuild;

    ReferenceWalk(FileChannel file, Qcow2Header header) throws IOException {
        this.file = file;
        this.fileLength = file.size();
        this.header = header;
        this.clusterBits = header.clusterBits();
        this.clusterSize = 1L << clusterBits;
        this.order = header.refcountOrder();
        this.snapshotsOffset = Qcow2Check.read(file, 64, 8).getLong(0);
        this.activeL1 = readTable(header.l1TableOffset(), header.l1Size());
        this.refs = new long[(int) clusters(fileLength)];
    }

    long clusters(long bytes) {
        return (bytes + clusterSize - 1) >> clusterBits;
    }

    /** The stored refcounts, as the header's refcount table says; read anew each time. */
    StoredRefcounts stored() throws IOException {
        long offset = header.refcountTableOffset();
        long clusters = Integer.toUnsignedLong(header.refcountTableClusters());
        if ((offset & (clusterSize - 1)) != 0 || offset <= 0 || clusters == 0
                || clusters > (Integer.MAX_VALUE >> clusterBits)
                || offset + (clusters << clusterBits) > fileLength + clusterSize) {
            throw new IOException("the refcount table (" + clusters + " clusters at "
                    + offset + ") is not cluster-aligned inside the file");
        }
        return new StoredRefcounts(file, clusterBits, order,
                readTable(offset, (int) ((clusters << clusterBits) / 8)));
    }

    private long[] readTable(long offset, int entries) throws IOException {
        long[] t = new long[entries];
        Qcow2Check.read(file, offset, 8 * entries).asLongBuffer().get(t);
        return t;
    }

    // ---- counting references ----

    /** Counts every reference; afterwards {@link #refs} holds what the refcounts should be. */
    void calculate(StoredRefcounts stored) throws IOException {
        inc(0, clusterSize); // the header
        walkL1(header.l1TableOffset(), header.l1Size(), true, activeL1);
        walkSnapshots();
        inc(snapshotsOffset, snapshotsSize);
        walkBitmaps();
        long tableBytes = Integer.toUnsignedLong(header.refcountTableClusters()) << clusterBits;
        inc(header.refcountTableOffset(), tableBytes);
        structure.add(new long[] {header.refcountTableOffset(), tableBytes});
        long[] table = stored.table();
        for (int i = 0; i < table.length; i++) {
            long offset = table[i] & RefcountEntries.TABLE_OFFSET_MASK;
            if ((offset & (clusterSize - 1)) != 0) {
                error("ERROR refcount block " + i + " is not cluster aligned; refcount table"
                        + " entry corrupted");
                rebuild = true;
                continue;
            }
            long cluster = offset >> clusterBits;
            if (cluster >= refs.length) {
                error("ERROR refcount block " + i + " is outside image");
                rebuild = true;
                continue;
            }
            if (offset != 0) {
                inc(offset, clusterSize);
                structure.add(new long[] {offset, clusterSize});
                if (refs[(int) cluster] != 1) {
                    error("ERROR refcount block " + i + " refcount=" + refs[(int) cluster]);
                    rebuild = true;
                }
            }
        }
    }

    private void walkL1(long offset, int size, boolean active, long[] l1) throws IOException {
        inc(offset, 8L * size);
        for (int i = 0; i < size; i++) {
            long l2 = l1[i] & ClusterMap.OFFSET_MASK;
            if (l2 == 0) {
                continue;
            }
            inc(l2, clusterSize);
            if ((l2 & (clusterSize - 1)) != 0) {
                error("ERROR l2_offset=" + Long.toHexString(l2) + ": Table is not cluster"
                        + " aligned; L1 entry corrupted");
                continue;
            }
            walkL2(l2, active);
        }
    }

    private void walkL2(long l2Offset, boolean active) throws IOException {
        long next = 0; // the host offset that continues the previous cluster (per table, as qemu)
        ByteBuffer t = Qcow2Check.read(file, l2Offset, (int) clusterSize);
        int shift = 62 - (clusterBits - 8);
        long sectorsMask = (1L << (clusterBits - 8)) - 1;
        for (int j = 0; j < clusterSize / 8; j++) {
            long e = t.getLong(8 * j);
            if ((e & ClusterMap.COMPRESSED_FLAG) != 0) {
                if ((e & ClusterMap.COPIED_FLAG) != 0) {
                    error("ERROR: coffset=0x" + Long.toHexString(e & ((1L << shift) - 1))
                            + ": copied flag must never be set for compressed clusters");
                    e &= ~ClusterMap.COPIED_FLAG;
                }
                long host = e & ((1L << shift) - 1);
                long sectors = ((e >>> shift) & sectorsMask) + 1;
                inc(host, sectors * 512 - (host & 511));
                if (active) {
                    allocated++;
                    compressed++;
                    fragmented++; // sector-granular: never contiguous with the next
                }
                continue;
            }
            long host = e & ClusterMap.OFFSET_MASK;
            if (host == 0) {
                continue; // unallocated, or a zero cluster without a preallocated one
            }
            if ((host & (clusterSize - 1)) != 0) {
                error("ERROR offset=" + Long.toHexString(host) + ": "
                        + ((e & ClusterMap.ZERO_FLAG) != 0 ? "Preallocated" : "Data")
                        + " cluster is not properly aligned; L2 entry corrupted.");
            }
            inc(host, clusterSize);
            if (active) {
                allocated++;
                if (next != 0 && host != next) {
                    fragmented++;
                }
                next = host + clusterSize;
            }
        }
    }

    private void walkSnapshots() throws IOException {
        int n = header.snapshots();
        if (n == 0) {
            return;
        }
        if (n < 0 || n > MAX_SNAPSHOTS || (snapshotsOffset & (clusterSize - 1)) != 0
                || snapshotsOffset <= 0 || snapshotsOffset >= fileLength) {
            throw new IOException("the snapshot table (" + Integer.toUnsignedString(n)
                    + " snapshots at " + snapshotsOffset + ") is invalid");
        }
        long pos = snapshotsOffset;
        for (int i = 0; i < n; i++) {
            ByteBuffer fixed = Qcow2Check.read(file, pos, 40);
            long l1Offset = fixed.getLong(0);
            int l1Size = fixed.getInt(8);
            int idSize = fixed.getShort(12) & 0xffff;
            int nameSize = fixed.getShort(14) & 0xffff;
            long extra = Integer.toUnsignedLong(fixed.getInt(36));
            if (extra > 1024) {
                throw new IOException("snapshot " + i + ": extra data of " + extra
                        + " bytes is too large");
            }
            ByteBuffer text = Qcow2Check.read(file, pos + 40 + extra, idSize + nameSize);
            String id = new String(text.array(), 0, idSize, StandardCharsets.UTF_8);
            String name = new String(text.array(), idSize, nameSize, StandardCharsets.UTF_8);
            pos += (40 + extra + idSize + nameSize + 7) & ~7L;
            if (pos > fileLength) {
                throw new IOException("the snapshot table runs past the end of the file");
            }
            if ((l1Offset & (clusterSize - 1)) != 0) {
                error("ERROR snapshot " + id + " (" + name + ") l1_offset=0x"
                        + Long.toHexString(l1Offset) + ": L1 table is not cluster aligned;"
                        + " snapshot table entry corrupted");
                continue;
            }
            if (Integer.toUnsignedLong(l1Size) > Qcow2Header.MAX_L1_ENTRIES) {
                error("ERROR snapshot " + id + " (" + name + ") l1_size=0x"
                        + Integer.toHexString(l1Size) + ": L1 table is too large; snapshot"
                        + " table entry corrupted");
                continue;
            }
            walkL1(l1Offset, l1Size, false, readTable(l1Offset, l1Size));
        }
        snapshotsSize = pos - snapshotsOffset;
    }

    /** The bitmaps extension's type; its bitmaps count only while autoclear bit 0 is set. */
    static final int EXT_BITMAPS = 0x23852875;
    static final long AUTOCLEAR_BITMAPS = 1L;

    /**
     * Persistent dirty bitmaps: their directory, each bitmap's table and the data clusters
     * the tables name (an entry's bits 9..55; bit 0 alone means all ones, no cluster).
     */
    private void walkBitmaps() throws IOException {
        if (header.version() < 3 || (header.autoclear() & AUTOCLEAR_BITMAPS) == 0) {
            return; // qemu ignores (and drops) the extension without the autoclear bit
        }
        ByteBuffer first = Qcow2Check.read(file, 0, (int) clusterSize);
        for (int pos = header.headerLength(); pos + 8 <= clusterSize; ) {
            int type = first.getInt(pos);
            int length = first.getInt(pos + 4);
            if (type == 0 || length < 0 || length > clusterSize - pos - 8) {
                return;
            }
            if (type == EXT_BITMAPS && length >= 24) {
                int count = first.getInt(pos + 8);
                long dirSize = first.getLong(pos + 16);
                long dirOffset = first.getLong(pos + 24);
                if (dirSize < 0 || dirSize > (64 << 20)) {
                    throw new IOException("the bitmap directory (" + dirSize + " bytes) is"
                            + " too large");
                }
                inc(dirOffset, dirSize);
                ByteBuffer dir = Qcow2Check.read(file, dirOffset, (int) dirSize);
                int at = 0;
                for (int i = 0; i < count && at + 24 <= dirSize; i++) {
                    long table = dir.getLong(at);
                    int entries = dir.getInt(at + 8);
                    int nameSize = dir.getShort(at + 18) & 0xffff;
                    long extra = Integer.toUnsignedLong(dir.getInt(at + 20));
                    at += (int) ((24 + extra + nameSize + 7) & ~7L);
                    if (entries < 0 || entries > Qcow2Header.MAX_L1_ENTRIES) {
                        error("ERROR bitmap " + i + ": table of " + entries + " entries is"
                                + " too large");
                        continue;
                    }
                    inc(table, 8L * entries);
                    for (long e : readTable(table, entries)) {
                        long data = e & ClusterMap.OFFSET_MASK;
                        if (data != 0) {
                            inc(data, clusterSize);
                        }
                    }
                }
            }
            pos += 8 + ((length + 7) & ~7);
        }
    }

    /** One more reference to each cluster that {@code length} bytes at {@code offset} touch. */
    private void inc(long offset, long length) {
        if (length <= 0) {
            return;
        }
        if (offset + length - fileLength >= clusterSize) {
            error("ERROR: counting reference for region exceeding the end of the file by one"
                    + " cluster or more: offset 0x" + Long.toHexString(offset) + " size 0x"
                    + Long.toHexString(length));
            return;
        }
        long max = RefcountEntries.max(order);
        for (long c = offset >> clusterBits; c <= (offset + length - 1) >> clusterBits; c++) {
            if (c >= refs.length) {
                refs = Arrays.copyOf(refs, (int) c + 1);
            }
            if (refs[(int) c] == max) {
                error("ERROR: overflow cluster offset=0x" + Long.toHexString(c << clusterBits));
                continue;
            }
            refs[(int) c]++;
        }
    }

    /** The references with the refcount table and blocks left out, for a rebuild. */
    long[] refsWithoutStructure() {
        long[] out = refs.clone();
        for (long[] r : structure) {
            for (long c = r[0] >> clusterBits; c <= (r[0] + r[1] - 1) >> clusterBits
                    && c < out.length; c++) {
                if (out[(int) c] > 0) {
                    out[(int) c]--;
                }
            }
        }
        return out;
    }

    // ---- comparing ----

    /**
     * Compares the stored refcount of every cluster with its references, counting (and
     * with {@code fixLeaks}/{@code fixErrors}, repairing in {@code stored}) the differences.
     */
    void compare(StoredRefcounts stored, boolean fixLeaks, boolean fixErrors) {
        for (long i = 0; i < refs.length; i++) {
            long have;
            try {
                have = stored.get(i);
            } catch (IOException e) {
                messages.add("Can't get refcount for cluster " + i + ": " + e.getMessage());
                checkErrors++;
                continue;
            }
            long want = refs[(int) i];
            if (have != 0 || want != 0) {
                highestCluster = i;
            }
            if (have == want) {
                continue;
            }
            boolean less = Long.compareUnsigned(have, want) < 0;
            boolean fix = have != 0 && (less ? fixErrors : fixLeaks);
            if (have == 0) {
                rebuild = true;
            }
            messages.add((fix ? "Repairing" : less ? "ERROR" : "Leaked") + " cluster " + i
                    + " refcount=" + Long.toUnsignedString(have) + " reference=" + want);
            if (fix) {
                try {
                    stored.set(i, want);
                    if (less) {
                        corruptionsFixed++;
                    } else {
                        leaksFixed++;
                    }
                    continue;
                } catch (IOException e) {
                    messages.add("ERROR could not fix cluster " + i + ": " + e.getMessage());
                }
            }
            if (less) {
                corruptions++;
            } else {
                leaks++;
            }
        }
    }

    // ---- COPIED flags ----

    /**
     * Checks that COPIED is set on the active L1's and L2s' entries exactly where the stored
     * refcount is 1; with {@code repair}, sets or clears the flags in the file.
     */
    void checkCopied(StoredRefcounts stored, boolean repair) throws IOException {
        boolean l1Dirty = false;
        for (int i = 0; i < activeL1.length; i++) {
            long entry = activeL1[i];
            long l2 = entry & ClusterMap.OFFSET_MASK;
            if (l2 == 0) {
                continue;
            }
            long refcount;
            try {
                refcount = stored.get(l2 >> clusterBits);
            } catch (IOException e) {
                continue; // already counted by the comparison
            }
            if ((refcount == 1) != ((entry & ClusterMap.COPIED_FLAG) != 0)) {
                messages.add((repair ? "Repairing" : "ERROR") + " OFLAG_COPIED L2 cluster:"
                        + " l1_index=" + i + " l1_entry=" + Long.toHexString(entry)
                        + " refcount=" + Long.toUnsignedString(refcount));
                if (repair) {
                    activeL1[i] = refcount == 1 ? entry | ClusterMap.COPIED_FLAG
                            : entry & ~ClusterMap.COPIED_FLAG;
                    l1Dirty = true;
                    corruptionsFixed++;
                } else {
                    corruptions++;
                }
            }
            if ((l2 & (clusterSize - 1)) != 0) {
                continue;
            }
            ByteBuffer t = Qcow2Check.read(file, l2, (int) clusterSize);
            boolean l2Dirty = false;
            for (int j = 0; j < clusterSize / 8; j++) {
                long e = t.getLong(8 * j);
                long host = e & ClusterMap.OFFSET_MASK;
                if ((e & ClusterMap.COMPRESSED_FLAG) != 0 || host == 0) {
                    continue;
                }
                try {
                    refcount = stored.get(host >> clusterBits);
                } catch (IOException ex) {
                    continue;
                }
                if ((refcount == 1) != ((e & ClusterMap.COPIED_FLAG) != 0)) {
                    messages.add((repair ? "Repairing" : "ERROR") + " OFLAG_COPIED data"
                            + " cluster: l2_entry=" + Long.toHexString(e) + " refcount="
                            + Long.toUnsignedString(refcount));
                    if (repair) {
                        t.putLong(8 * j, refcount == 1 ? e | ClusterMap.COPIED_FLAG
                                : e & ~ClusterMap.COPIED_FLAG);
                        l2Dirty = true;
                        corruptionsFixed++;
                    } else {
                        corruptions++;
                    }
                }
            }
            if (l2Dirty) {
                Qcow2Check.write(file, t, l2);
            }
        }
        if (l1Dirty) {
            ByteBuffer b = ByteBuffer.allocate(8 * activeL1.length);
            b.asLongBuffer().put(activeL1);
            Qcow2Check.write(file, b, header.l1TableOffset());
        }
    }

    private void error(String message) {
        messages.add(message);
        corruptions++;
    }
}
