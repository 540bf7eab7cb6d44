package io.corio.blockio.qcow2;

import io.corio.blockio.BlockException;
import java.nio.ByteBuffer;

/**
 * Discard and write-zeroes of a writable qcow2 image, in terms of {@link Qcow2Writes}: the
 * whole clusters of a range change their L2 entries ({@link Qcow2Writes#zeroClusters}, as
 * {@link Qcow2Writes.ZeroMode} says); the partial clusters at its ends are left as they are
 * by a discard and get zero bytes through the write path by a write-zeroes. A version 2 image
 * with a backing file has no zero clusters, and unmapping a cluster would show the backing
 * file: there a discard does nothing (a hint may) and write-zeroes writes zero bytes.
 *
 * <p>Holds no state of its own: its methods are coroutine functions with
 * {@link Qcow2Writes}'s guarantees and locking.
 */
final class Qcow2Zeroes {
    private static final ByteBuffer ZEROS = ByteBuffer.allocate(Qcow2Writes.MAX_ALLOCATION_BYTES)
            .asReadOnlyBuffer();

    private final Qcow2Writes writes;
    private final boolean noZeroClusters; // version 2 with a backing file
    private final long size;
    private final long clusterSize;
    private final int clusterBits;

    Qcow2Zeroes(Qcow2Writes writes, ClusterMap map, boolean hasBacking) {
        this.writes = writes;
        this.noZeroClusters = map.header().version() == 2 && hasBacking;
        this.size = map.header().size();
        this.clusterSize = map.clusterSize();
        this.clusterBits = map.clusterBits();
    }

    /** Discards the whole clusters of the range; partial clusters are left as they are. */
    void discard(long offset, long length) throws BlockException {
        if (noZeroClusters) {
            return;
        }
        long from = roundUp(offset);
        long to = wholeEnd(offset + length);
        if (from < to) {
            writes.zeroClusters(from >>> clusterBits, to >>> clusterBits,
                    Qcow2Writes.ZeroMode.DISCARD);
        }
    }

    /** Makes the range read as zero; {@code trim}: clusters may be released. */
    void writeZeroes(long offset, long length, boolean trim, boolean fua)
            throws BlockException {
        long end = offset + length;
        if (noZeroClusters) {
            writeZeroBytes(offset, length);
        } else {
            long from = roundUp(offset);
            long to = wholeEnd(end);
            if (from >= to) {
                writeZeroBytes(offset, length);
            } else {
                if (offset < from) {
                    writeZeroBytes(offset, from - offset);
                }
                if (to < end) {
                    writeZeroBytes(to, end - to);
                }
                writes.zeroClusters(from >>> clusterBits, to >>> clusterBits,
                        trim ? Qcow2Writes.ZeroMode.ZERO_TRIM : Qcow2Writes.ZeroMode.ZERO_KEEP);
            }
        }
        if (fua) {
            writes.flush();
        }
    }

    private void writeZeroBytes(long offset, long length) throws BlockException {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(end - pos, Qcow2Writes.MAX_ALLOCATION_BYTES);
            writes.write(pos, ZEROS.duplicate().limit(n), false);
            pos += n;
        }
    }

    private long roundUp(long offset) {
        return (offset + clusterSize - 1) & -clusterSize;
    }

    /** The end of the whole clusters before {@code end}; the device's end counts as whole. */
    private long wholeEnd(long end) {
        return end == size ? roundUp(end) : end & -clusterSize;
    }
}
