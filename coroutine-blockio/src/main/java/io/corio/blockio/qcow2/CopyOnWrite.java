package io.corio.blockio.qcow2;

import static io.corio.blockio.qcow2.ClusterMap.COMPRESSED_FLAG;
import static io.corio.blockio.qcow2.ClusterMap.OFFSET_MASK;
import static io.corio.blockio.qcow2.ClusterMap.ZERO_FLAG;

import io.corio.blockio.BlockException;
import java.nio.ByteBuffer;

/**
 * The data half of an allocating write ({@link Qcow2Writes}): fills newly allocated host
 * clusters with a guest write, whole, in one pwrite: the untouched head and tail of the first
 * and last cluster copied from what the guest read there before (the old cluster, a
 * compressed one inflated, the backing file, or zeros), the data between. New clusters past
 * the end of the file whose untouched parts are to read as zeros already do (holes): then
 * only the data is written, so a 4 KiB write into a fresh 64 KiB cluster writes 4 KiB.
 *
 * <p>Holds no lock and changes no metadata: the caller allocated the clusters and registered
 * the guest range as in flight, and links the L2 entries once this returned. Its methods are
 * coroutine functions, as the reads it makes through {@link Qcow2Writes.Reader}.
 */
final class CopyOnWrite {
    private final ClusterMap map;
    private final ImageFile file;
    private final Qcow2Writes.Reader reader;
    private final boolean hasBacking;
    private final int version;
    private final int clusterBits;

    CopyOnWrite(ClusterMap map, Qcow2Writes.Reader reader, boolean hasBacking) {
        this.map = map;
        this.file = map.file();
        this.reader = reader;
        this.hasBacking = hasBacking;
        this.version = map.header().version();
        this.clusterBits = map.clusterBits();
    }

    /**
     * Writes {@code data} (its remaining bytes) at guest offset {@code pos} into the new host
     * clusters at {@code host}, which replace the guest clusters from {@code g0} whose old
     * L2 entries are {@code old}; {@code data} must end within them.
     */
    void write(long host, long g0, long[] old, long pos, ByteBuffer data)
            throws BlockException {
        int n = old.length;
        long start = g0 << clusterBits;
        long end = (g0 + n) << clusterBits;
        long dataEnd = pos + data.remaining();
        assert pos >= start && dataEnd <= end : pos + "+" + data.remaining() + " outside ["
                + start + ", " + end + ")";
        if (host >= file.length() && (pos == start || readsZero(old[0]))
                && (dataEnd == end || readsZero(old[n - 1]))) {
            file.write(host + (pos - start), data, "data");
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate((int) (end - start));
        if (pos > start) {
            copyOld(start, old[0], buf.slice(0, (int) (pos - start)));
        }
        buf.put((int) (pos - start), data, data.position(), data.remaining());
        if (dataEnd < end) {
            copyOld(dataEnd, old[n - 1], buf.slice((int) (dataEnd - start),
                    (int) (end - dataEnd)));
        }
        file.write(host, buf, "data");
    }

    /** Reads what the guest range at {@code guest} held under the old entry {@code entry}. */
    private void copyOld(long guest, long entry, ByteBuffer dst) throws BlockException {
        reader.read(map.decode(guest, entry, dst.remaining()), guest, dst);
    }

    /** Whether a guest cluster with entry {@code e} reads as zeros without the image file. */
    private boolean readsZero(long e) {
        if ((e & COMPRESSED_FLAG) != 0) {
            return false;
        }
        if (version >= 3 && (e & ZERO_FLAG) != 0) {
            return true;
        }
        return (e & OFFSET_MASK) == 0 && !hasBacking;
    }
}
