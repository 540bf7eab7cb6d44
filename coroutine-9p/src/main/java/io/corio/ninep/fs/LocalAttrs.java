package io.corio.ninep.fs;

import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.SetAttr;

/**
 * Tsetattr for {@link LocalBackend}: each change through the handle's {@code O_PATH}
 * descriptor (chown and chmod as the security model stores them, utimensat on
 * {@code /proc/self/fd/N}), and a size change through the handle's own descriptor when it is
 * open for writing, else through a fresh one opened from it, so open-unlink-ftruncate works.
 */
final class LocalAttrs {
    private LocalAttrs() {}

    /** Tsetattr on {@code l}, a handle of {@code b}: owner, mode, size, then times. */
    static void set(LocalBackend b, LocalHandle l, SetAttr a) throws FsException {
        HostModel model = b.model();
        int change = a.valid() & (P9.SETATTR_MODE | P9.SETATTR_UID | P9.SETATTR_GID
                | P9.SETATTR_SIZE | P9.SETATTR_ATIME | P9.SETATTR_MTIME);
        if (change == 0) {
            return;
        }
        b.checkWritable("setattr");
        Fd f = l.retainPath();
        try {
            if (a.has(P9.SETATTR_UID) || a.has(P9.SETATTR_GID)) {
                model.chown(f.fd, a.has(P9.SETATTR_UID) ? a.uid() : -1,
                        a.has(P9.SETATTR_GID) ? a.gid() : -1);
            }
            if (a.has(P9.SETATTR_MODE)) {
                model.chmod(f.fd, model.stat(f.fd), a.mode());
            }
            if (a.has(P9.SETATTR_SIZE)) {
                truncate(l, f, a.size());
            }
            if (a.has(P9.SETATTR_ATIME) || a.has(P9.SETATTR_MTIME)) {
                long[] at = time(a, P9.SETATTR_ATIME, P9.SETATTR_ATIME_SET,
                        a.atimeSec(), a.atimeNsec());
                long[] mt = time(a, P9.SETATTR_MTIME, P9.SETATTR_MTIME_SET,
                        a.mtimeSec(), a.mtimeNsec());
                Libc.utimens(f.fd, at[0], at[1], mt[0], mt[1]);
            }
        } finally {
            f.release();
        }
    }

    private static long[] time(SetAttr a, int bit, int setBit, long sec, long nsec) {
        if (!a.has(bit)) {
            return new long[] {0, Libc.UTIME_OMIT};
        }
        return a.has(setBit) ? new long[] {sec, nsec} : new long[] {0, Libc.UTIME_NOW};
    }

    /** Truncates through the handle's open descriptor if it writes, else a fresh one. */
    private static void truncate(LocalHandle l, Fd path, long size) throws FsException {
        Fd o = l.retainOpenOrNull();
        try {
            if (o != null && (l.openFlags() & Libc.O_ACCMODE) != Libc.O_RDONLY) {
                Libc.ftruncate(o.fd, size);
                return;
            }
        } finally {
            if (o != null) {
                o.release();
            }
        }
        int fd = Libc.reopen(path.fd, Libc.O_WRONLY);
        try {
            Libc.ftruncate(fd, size);
        } finally {
            Libc.close(fd);
        }
    }
}
