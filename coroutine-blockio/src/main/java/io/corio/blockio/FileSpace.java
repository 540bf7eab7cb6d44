package io.corio.blockio;

import static io.corio.blockio.Linux.FALLOC_FL_KEEP_SIZE;
import static io.corio.blockio.Linux.FALLOC_FL_PUNCH_HOLE;
import static io.corio.blockio.Linux.FALLOC_FL_ZERO_RANGE;

import io.corio.blockio.Linux.ErrnoException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The allocation side of a {@link FileDriver}'s file, through the calls {@code java.nio}
 * lacks: hole punching and zeroing with {@code fallocate}, and the allocation map with
 * {@code lseek(SEEK_DATA / SEEK_HOLE)}. Every method makes system calls and belongs inside
 * {@code Coroutine.blocking}; all are thread-safe.
 *
 * <p>A file system that refuses a {@code fallocate} mode ({@code EOPNOTSUPP}) is not asked
 * again: the mode is remembered as unsupported, so the answers of {@link #canPunch()} and
 * {@link #canZeroFast()} may turn false once, never back.
 */
final class FileSpace {

    /** At most this many extents per {@link #scan} answer. */
    static final int MAX_EXTENTS = 1024;

    private final Fd fd;
    // set once the file system answered EOPNOTSUPP to the mode; racy sets are idempotent
    private volatile boolean noPunch;
    private volatile boolean noZeroRange;
    private volatile boolean noAllocate;

    /** Takes over {@code fd}'s first reference; {@link #close()} drops it. */
    FileSpace(Fd fd) {
        this.fd = fd;
    }

    /** Whether holes may be punched (false once the file system refused). */
    boolean canPunch() {
        return !noPunch;
    }

    /** Whether some fast way of zeroing may work (false once all were refused). */
    boolean canZeroFast() {
        return !(noPunch && noZeroRange);
    }

    /**
     * Behaves from now on as on a file system that refuses every {@code fallocate} mode, so
     * that tests on any file system can reach the fallbacks.
     */
    void refuseFallocate() {
        noPunch = true;
        noZeroRange = true;
        noAllocate = true;
    }

    /** Punches a hole (reads as zero after); false if the file system cannot. */
    boolean punch(long offset, long length) throws IOException {
        return !noPunch && fallocate(FALLOC_FL_PUNCH_HOLE, offset, length);
    }

    /**
     * Makes the range read as zero without writing it, as QEMU does: a punch if
     * {@code mayTrim}, else {@code ZERO_RANGE}, else a punch and a fresh allocation (left
     * unallocated if the file system cannot allocate). False, having changed nothing, if the
     * file system can do none of these.
     */
    boolean zeroFast(long offset, long length, boolean mayTrim) throws IOException {
        if (mayTrim && punch(offset, length)) {
            return true;
        }
        if (!noZeroRange && fallocate(FALLOC_FL_ZERO_RANGE, offset, length)) {
            return true;
        }
        if (!mayTrim && !noAllocate && punch(offset, length)) {
            fallocate(0, offset, length); // refused: the range is zero, if unallocated
            return true;
        }
        return false;
    }

    /**
     * {@code fallocate(mode | KEEP_SIZE)} (mode 0: plain allocation); false, and the mode
     * remembered as unsupported, if the file system refuses it.
     */
    private boolean fallocate(int mode, long offset, long length) throws IOException {
        fd.retain();
        try {
            Linux.fallocate(fd.fd, mode == 0 ? 0 : mode | FALLOC_FL_KEEP_SIZE, offset, length);
            return true;
        } catch (ErrnoException e) {
            if (e.errno != Linux.EOPNOTSUPP && e.errno != Linux.ENOSYS) {
                throw e;
            }
            switch (mode) {
                case FALLOC_FL_PUNCH_HOLE -> noPunch = true;
                case FALLOC_FL_ZERO_RANGE -> noZeroRange = true;
                default -> noAllocate = true;
            }
            return false;
        } finally {
            fd.release();
        }
    }

    /**
     * The allocation of {@code [offset, end)} as extents: holes {@code HOLE | ZERO}, data 0;
     * at most {@link #MAX_EXTENTS}, contiguous from {@code offset}. All data if the file
     * system cannot report holes. Bytes past the end of the file count as a hole.
     */
    List<Extent> scan(long offset, long end) throws IOException {
        List<Extent> out = new ArrayList<>();
        fd.retain();
        try {
            long pos = offset;
            while (pos < end && out.size() < MAX_EXTENTS) {
                long data;
                try {
                    data = Linux.lseek(fd.fd, pos, Linux.SEEK_DATA);
                } catch (ErrnoException e) {
                    if (e.errno == Linux.ENXIO) {
                        data = end; // no data from pos on
                    } else if (e.errno == Linux.EINVAL || e.errno == Linux.EOPNOTSUPP) {
                        out.add(new Extent(pos, end - pos, 0)); // no hole reporting here
                        break;
                    } else {
                        throw e;
                    }
                }
                if (data > pos) {
                    long stop = Math.min(data, end);
                    out.add(new Extent(pos, stop - pos, Extent.HOLE | Extent.ZERO));
                    pos = stop;
                    continue;
                }
                long hole;
                try {
                    hole = Linux.lseek(fd.fd, pos, Linux.SEEK_HOLE);
                } catch (ErrnoException e) {
                    if (e.errno != Linux.ENXIO) {
                        throw e;
                    }
                    continue; // the file shrank between the two seeks: look again
                }
                if (hole > pos) { // else a hole was punched at pos meanwhile: look again
                    long stop = Math.min(hole, end);
                    out.add(new Extent(pos, stop - pos, 0));
                    pos = stop;
                }
            }
        } finally {
            fd.release();
        }
        return out;
    }

    /** Drops the creator's reference to the descriptor; idempotent only through the caller. */
    void close() {
        fd.release();
    }
}
