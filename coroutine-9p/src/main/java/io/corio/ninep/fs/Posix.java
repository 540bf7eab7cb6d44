package io.corio.ninep.fs;

import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;

/**
 * File-type and device-number facts shared by the back ends: the Linux {@code S_IF*} bits
 * (the same on every Linux architecture), glibc's {@code makedev} encoding, and the mapping
 * of a stat to a qid, a readdir type and an {@link Attr}.
 */
final class Posix {
    private Posix() {}

    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;
    static final int S_IFLNK = 0120000;
    static final int S_IFREG = 0100000;
    static final int S_IFBLK = 0060000;
    static final int S_IFDIR = 0040000;
    static final int S_IFCHR = 0020000;
    static final int S_IFIFO = 0010000;
    /** Permission bits, with set-uid, set-gid and sticky. */
    static final int S_IALLUGO = 07777;

    static boolean isDir(int mode) {
        return (mode & S_IFMT) == S_IFDIR;
    }

    static boolean isLink(int mode) {
        return (mode & S_IFMT) == S_IFLNK;
    }

    static boolean isReg(int mode) {
        return (mode & S_IFMT) == S_IFREG;
    }

    /** glibc's {@code makedev}: the dev_t that stat(2) reports and Rgetattr carries. */
    static long makedev(long major, long minor) {
        major &= 0xFFFF_FFFFL;
        minor &= 0xFFFF_FFFFL;
        return ((major & 0x0000_0FFFL) << 8) | ((major & 0xFFFF_F000L) << 32)
                | (minor & 0x0000_00FFL) | ((minor & 0xFFFF_FF00L) << 12);
    }

    /**
     * The file type of a mknod {@code mode} (0 means regular), or an error as Linux's
     * mknod(2) answers: {@code EPERM} for a directory, {@code EINVAL} for no type at all.
     */
    static int mknodType(int mode) throws FsException {
        int type = mode & S_IFMT;
        return switch (type) {
            case 0 -> S_IFREG;
            case S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK -> type;
            case S_IFDIR -> throw new FsException(Errno.EPERM, "mknod of a directory");
            default -> throw new FsException(Errno.EINVAL, "mknod type 0"
                    + Integer.toOctalString(type));
        };
    }

    /** The qid type bits for a file of {@code mode}. */
    static int qidType(int mode) {
        return switch (mode & S_IFMT) {
            case S_IFDIR -> P9.QTDIR;
            case S_IFLNK -> P9.QTSYMLINK;
            default -> P9.QTFILE;
        };
    }

    /** The readdir {@code d_type} for a file of {@code mode}. */
    static int dirType(int mode) {
        return switch (mode & S_IFMT) {
            case S_IFDIR -> P9.DT_DIR;
            case S_IFREG -> P9.DT_REG;
            case S_IFLNK -> P9.DT_LNK;
            case S_IFIFO -> P9.DT_FIFO;
            case S_IFCHR -> P9.DT_CHR;
            case S_IFBLK -> P9.DT_BLK;
            case S_IFSOCK -> P9.DT_SOCK;
            default -> P9.DT_UNKNOWN;
        };
    }

    /** QEMU's qid version: changes with the modification time and the size. */
    static int qidVersion(long mtimeSec, long size) {
        return (int) (mtimeSec ^ (size << 8));
    }

    /** An Rgetattr body from stat fields; {@code btimeSec < 0} means no birth time known. */
    static Attr attr(Qid qid, int mode, int uid, int gid, long nlink, long rdev, long size,
            long blksize, long blocks, long atimeSec, long atimeNsec, long mtimeSec,
            long mtimeNsec, long ctimeSec, long ctimeNsec, long btimeSec, long btimeNsec) {
        long valid = P9.GETATTR_BASIC;
        if (btimeSec >= 0) {
            valid |= P9.GETATTR_BTIME;
        } else {
            btimeSec = 0;
            btimeNsec = 0;
        }
        return new Attr(valid, qid, mode, uid, gid, nlink, rdev, size, blksize, blocks,
                atimeSec, atimeNsec, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec,
                btimeSec, btimeNsec, 0, 0);
    }
}
