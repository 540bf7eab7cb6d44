package io.corio.ninep.fs;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.Qid;
import java.lang.foreign.MemorySegment;

/**
 * What statx(2) says about a file, as the local back end uses it: {@code dev} and {@code ino}
 * identify it, {@code rdev} is a glibc dev_t, times are seconds and nanoseconds;
 * {@code btimeSec} is -1 when the file system keeps no birth time.
 */
record Stat(int mode, int uid, int gid, long nlink, long dev, long ino, long rdev, long size,
        long blksize, long blocks, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec,
        long ctimeSec, long ctimeNsec, long btimeSec, long btimeNsec) {

    private static final int STATX_BTIME = 0x800;

    /** Reads a {@code struct statx} (the same layout on every architecture). */
    static Stat ofStatx(MemorySegment b) {
        int mask = b.get(JAVA_INT, 0);
        boolean btime = (mask & STATX_BTIME) != 0;
        return new Stat(
                Short.toUnsignedInt(b.get(JAVA_SHORT, 28)), // stx_mode
                b.get(JAVA_INT, 20), b.get(JAVA_INT, 24), // stx_uid, stx_gid
                Integer.toUnsignedLong(b.get(JAVA_INT, 16)), // stx_nlink
                Posix.makedev(b.get(JAVA_INT, 136), b.get(JAVA_INT, 140)), // stx_dev_major/minor
                b.get(JAVA_LONG, 32), // stx_ino
                Posix.makedev(b.get(JAVA_INT, 128), b.get(JAVA_INT, 132)), // stx_rdev_major/minor
                b.get(JAVA_LONG, 40), // stx_size
                Integer.toUnsignedLong(b.get(JAVA_INT, 4)), // stx_blksize
                b.get(JAVA_LONG, 48), // stx_blocks
                b.get(JAVA_LONG, 64), Integer.toUnsignedLong(b.get(JAVA_INT, 72)), // stx_atime
                b.get(JAVA_LONG, 112), Integer.toUnsignedLong(b.get(JAVA_INT, 120)), // stx_mtime
                b.get(JAVA_LONG, 96), Integer.toUnsignedLong(b.get(JAVA_INT, 104)), // stx_ctime
                btime ? b.get(JAVA_LONG, 80) : -1, // stx_btime
                btime ? Integer.toUnsignedLong(b.get(JAVA_INT, 88)) : 0);
    }

    int type() {
        return mode & Posix.S_IFMT;
    }

    /** This stat with a client's view of owner, mode and device laid over the host's. */
    Stat withClientView(int mode, int uid, int gid, long rdev) {
        return new Stat(mode, uid, gid, nlink, dev, ino, rdev, size, blksize, blocks,
                atimeSec, atimeNsec, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec, btimeSec, btimeNsec);
    }

    Qid qid(long path) {
        return new Qid(Posix.qidType(mode), Posix.qidVersion(mtimeSec, size), path);
    }

    Attr attr(Qid qid) {
        return Posix.attr(qid, mode, uid, gid, nlink, rdev, size, blksize, blocks,
                atimeSec, atimeNsec, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec, btimeSec, btimeNsec);
    }
}
