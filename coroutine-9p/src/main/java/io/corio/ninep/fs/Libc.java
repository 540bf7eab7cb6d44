package io.corio.ninep.fs;

import static io.corio.ninep.fs.LibcLink.call;
import static io.corio.ninep.fs.LibcLink.cstr;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.StatFs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Linux system calls {@link LocalBackend} needs, bound through the FFM API to glibc, each
 * a static method that throws {@link FsException} with the call's errno (captured with
 * {@code Linker.Option.captureCallState("errno")}) and retries on {@code EINTR}.
 *
 * <p>Only 64-bit Linux on x86_64 and aarch64 is supported: the open flags differ between the
 * two and are chosen here; {@code struct statx} is architecture-independent and
 * {@code struct statfs} is the same on both. {@link #checkSupported()} says why not elsewhere;
 * the bindings themselves ({@link LibcLink}) are linked on first use. Native memory comes from
 * a confined arena per call. Errno values are the generic ones on both architectures, so they
 * go to the client unchanged.
 *
 * <p>Calls that name "the file of fd" rather than a path ({@link #reopen}, {@link #chmod},
 * {@link #utimens}, the xattr calls, {@link #linkat}) go through {@code /proc/self/fd/N}: that
 * magic link resolves to exactly the open file, even unlinked, and a symlink there is not
 * followed further, so these calls act on the handle's own file whatever its path is now.
 * This is how QEMU emulates the *at calls Linux lacks.
 */
final class Libc {
    private Libc() {}

    private static final String ARCH = System.getProperty("os.arch", "?").toLowerCase(Locale.ROOT);
    private static final boolean LINUX =
            System.getProperty("os.name", "?").toLowerCase(Locale.ROOT).startsWith("linux");
    private static final boolean ARM = ARCH.equals("aarch64");

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 01;
    static final int O_RDWR = 02;
    static final int O_ACCMODE = 03;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_NONBLOCK = 04000;
    static final int O_DSYNC = 010000;
    static final int O_SYNC = 04010000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    static final int O_DIRECTORY = ARM ? 040000 : 0200000;
    static final int O_NOFOLLOW = ARM ? 0100000 : 0400000;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_SYMLINK_FOLLOW = 0x400;
    static final int AT_EMPTY_PATH = 0x1000;

    static final long UTIME_NOW = (1L << 30) - 1;
    static final long UTIME_OMIT = (1L << 30) - 2;

    private static final int SEEK_SET = 0;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int STATX_BTIME = 0x800;
    private static final int STATX_SIZE = 256; // sizeof(struct statx)
    private static final int STATFS_SIZE = 120; // sizeof(struct statfs) on 64-bit Linux

    /**
     * Throws if this platform is not one whose flags and layouts this class knows.
     *
     * @throws UnsupportedOperationException naming the platform
     */
    static void checkSupported() {
        if (!LINUX || !(ARCH.equals("amd64") || ARCH.equals("x86_64") || ARM)) {
            throw new UnsupportedOperationException("the local back end needs Linux on x86_64 or"
                    + " aarch64, not " + System.getProperty("os.name") + " on " + ARCH);
        }
    }

    /** The trusted path of the file open as {@code fd}. */
    static String proc(int fd) {
        return "/proc/self/fd/" + fd;
    }

    // ---- calls ----------------------------------------------------------------------------

    static int openat(int dirfd, String name, int flags, int mode) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = cstr(a, name);
            return (int) call(a, "openat", name, true,
                    e -> (int) LibcLink.OPENAT.invokeExact(e, dirfd, n, flags | O_CLOEXEC, mode));
        }
    }

    /** Opens the file of {@code fd} anew with {@code flags} (never follows a symlink there). */
    static int reopen(int fd, int flags) throws FsException {
        return openat(AT_FDCWD, proc(fd), flags, 0);
    }

    /** Closes {@code fd}; errors are ignored: the descriptor is gone on Linux either way. */
    static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            call(a, "close", null, false, e -> (int) LibcLink.CLOSE.invokeExact(e, fd));
        } catch (FsException ignored) {
            // EIO from a deferred write error is reported by fsync, not here
        }
    }

    /** statx(2) of {@code name} in {@code dirfd}, or of {@code dirfd} itself when empty. */
    static Stat statx(int dirfd, String name) throws FsException {
        int flags = AT_SYMLINK_NOFOLLOW | (name.isEmpty() ? AT_EMPTY_PATH : 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = cstr(a, name);
            MemorySegment buf = a.allocate(STATX_SIZE, 8);
            call(a, "statx", name, true,
                    e -> (int) LibcLink.STATX.invokeExact(e, dirfd, n, flags,
                            STATX_BASIC_STATS | STATX_BTIME, buf));
            return Stat.ofStatx(buf);
        }
    }

    static StatFs fstatfs(int fd) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(STATFS_SIZE, 8);
            call(a, "fstatfs", null, true, e -> (int) LibcLink.FSTATFS.invokeExact(e, fd, buf));
            long fsid = (buf.get(JAVA_INT, 56) & 0xFFFF_FFFFL)
                    | ((long) buf.get(JAVA_INT, 60) << 32);
            return new StatFs((int) buf.get(JAVA_LONG, 0), (int) buf.get(JAVA_LONG, 8),
                    buf.get(JAVA_LONG, 16), buf.get(JAVA_LONG, 24), buf.get(JAVA_LONG, 32),
                    buf.get(JAVA_LONG, 40), buf.get(JAVA_LONG, 48), fsid,
                    (int) buf.get(JAVA_LONG, 64));
        }
    }

    static void mkdirat(int dirfd, String name, int mode) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = cstr(a, name);
            call(a, "mkdirat", name, true,
                    e -> (int) LibcLink.MKDIRAT.invokeExact(e, dirfd, n, mode));
        }
    }

    static void unlinkat(int dirfd, String name, int flags) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = cstr(a, name);
            call(a, "unlinkat", name, true,
                    e -> (int) LibcLink.UNLINKAT.invokeExact(e, dirfd, n, flags));
        }
    }

    /** unlinkat(2) for cleaning up after a failed create: errors are dropped. */
    static void unlinkQuietly(int dirfd, String name, int flags) {
        try {
            unlinkat(dirfd, name, flags);
        } catch (FsException ignored) {
            // best effort: the create already failed, and that error is the one reported
        }
    }

    static void renameat(int oldDir, String oldName, int newDir, String newName)
            throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment o = cstr(a, oldName);
            MemorySegment n = cstr(a, newName);
            call(a, "renameat", oldName, true,
                    e -> (int) LibcLink.RENAMEAT.invokeExact(e, oldDir, o, newDir, n));
        }
    }

    /**
     * Links the file of {@code fd} (a symlink too, not followed) as {@code name} in
     * {@code dirfd}.
     */
    static void linkat(int fd, int dirfd, String name) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(proc(fd));
            MemorySegment n = cstr(a, name);
            call(a, "linkat", name, true,
                    e -> (int) LibcLink.LINKAT.invokeExact(e, AT_FDCWD, p, dirfd, n,
                            AT_SYMLINK_FOLLOW));
        }
    }

    static void symlinkat(String target, int dirfd, String name) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = cstr(a, target);
            MemorySegment n = cstr(a, name);
            call(a, "symlinkat", name, true,
                    e -> (int) LibcLink.SYMLINKAT.invokeExact(e, t, dirfd, n));
        }
    }

    /** The target of the symlink open as {@code fd} (an {@code O_PATH} descriptor). */
    static String readlink(int fd) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom("");
            MemorySegment buf = a.allocate(Names.PATH_MAX);
            long len = call(a, "readlinkat", null, true,
                    e -> (long) LibcLink.READLINKAT.invokeExact(e, fd, n, buf,
                            (long) Names.PATH_MAX));
            return new String(buf.asSlice(0, len).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    static void mknodat(int dirfd, String name, int mode, long dev) throws FsException {
        if (LibcLink.MKNODAT == null) {
            throw new FsException(Errno.ENOSYS, "mknodat: this libc has none (glibc < 2.33)");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = cstr(a, name);
            call(a, "mknodat", name, true,
                    e -> (int) LibcLink.MKNODAT.invokeExact(e, dirfd, n, mode, dev));
        }
    }

    /** Changes the owner of the file of {@code fd}; -1 leaves a value as it is. */
    static void fchown(int fd, int uid, int gid) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocateFrom("");
            call(a, "fchownat", null, true,
                    e -> (int) LibcLink.FCHOWNAT.invokeExact(e, fd, n, uid, gid,
                            AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
        }
    }

    /** chmod of the file of {@code fd}; {@code EOPNOTSUPP} for a symlink, as Linux answers. */
    static void chmod(int fd, int mode) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(proc(fd));
            call(a, "chmod", null, true, e -> (int) LibcLink.CHMOD.invokeExact(e, p, mode));
        }
    }

    /** Sets the times of the file of {@code fd}; nanoseconds may be UTIME_NOW or UTIME_OMIT. */
    static void utimens(int fd, long aSec, long aNsec, long mSec, long mNsec) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(proc(fd));
            MemorySegment ts = a.allocate(32, 8);
            ts.set(JAVA_LONG, 0, aSec);
            ts.set(JAVA_LONG, 8, aNsec);
            ts.set(JAVA_LONG, 16, mSec);
            ts.set(JAVA_LONG, 24, mNsec);
            call(a, "utimensat", null, true,
                    e -> (int) LibcLink.UTIMENSAT.invokeExact(e, AT_FDCWD, p, ts, 0));
        }
    }

    /** pread(2) into {@code dst}'s remaining bytes, advancing its position. */
    static int pread(int fd, ByteBuffer dst, long offset) throws FsException {
        int n = dst.remaining();
        if (n == 0) {
            return 0;
        }
        try (Arena a = Arena.ofConfined()) {
            boolean direct = dst.isDirect();
            MemorySegment buf = direct ? MemorySegment.ofBuffer(dst) : a.allocate(n);
            long got = call(a, "pread", null, true,
                    e -> (long) LibcLink.PREAD.invokeExact(e, fd, buf, (long) n, offset));
            if (!direct) {
                MemorySegment.copy(buf, 0, MemorySegment.ofBuffer(dst), 0, got);
            }
            dst.position(dst.position() + (int) got);
            return (int) got;
        }
    }

    /** pwrite(2) of {@code src}'s remaining bytes, advancing its position. */
    static int pwrite(int fd, ByteBuffer src, long offset) throws FsException {
        int n = src.remaining();
        if (n == 0) {
            return 0;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf;
            if (src.isDirect()) { // a read-only view is fine: the call only reads it
                buf = MemorySegment.ofBuffer(src);
            } else {
                buf = a.allocate(n);
                MemorySegment.copy(MemorySegment.ofBuffer(src), 0, buf, 0, n);
            }
            long put = call(a, "pwrite", null, true,
                    e -> (long) LibcLink.PWRITE.invokeExact(e, fd, buf, (long) n, offset));
            src.position(src.position() + (int) put);
            return (int) put;
        }
    }

    static void ftruncate(int fd, long size) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            call(a, "ftruncate", null, true,
                    e -> (int) LibcLink.FTRUNCATE.invokeExact(e, fd, size));
        }
    }

    static void fsync(int fd, boolean datasync) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            if (datasync) {
                call(a, "fdatasync", null, true, e -> (int) LibcLink.FDATASYNC.invokeExact(e, fd));
            } else {
                call(a, "fsync", null, true, e -> (int) LibcLink.FSYNC.invokeExact(e, fd));
            }
        }
    }

    /** One entry of getdents64(2): {@code off} is the cookie of the position after it. */
    record Dirent(long ino, long off, int type, String name) {}

    /**
     * Seeks open directory {@code fd} to cookie {@code offset} and reads one batch of entries,
     * at most what fits in {@code bufSize} bytes; empty at the end.
     */
    static List<Dirent> getdents(int fd, long offset, int bufSize) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            call(a, "lseek", null, true,
                    e -> (long) LibcLink.LSEEK.invokeExact(e, fd, offset, SEEK_SET));
            MemorySegment buf = a.allocate(bufSize, 8);
            long len = call(a, "getdents64", null, true,
                    e -> (long) LibcLink.GETDENTS64.invokeExact(e, fd, buf, (long) bufSize));
            List<Dirent> out = new ArrayList<>();
            // struct linux_dirent64 {
            //     u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            for (long pos = 0; pos < len; ) {
                int reclen = Short.toUnsignedInt(buf.get(JAVA_SHORT, pos + 16));
                out.add(new Dirent(buf.get(JAVA_LONG, pos), buf.get(JAVA_LONG, pos + 8),
                        Byte.toUnsignedInt(buf.get(JAVA_BYTE, pos + 18)),
                        buf.getString(pos + 19, StandardCharsets.UTF_8)));
                pos += reclen;
            }
            return out;
        }
    }

    /** The value of xattr {@code name} of the file of {@code fd}. */
    static byte[] getxattr(int fd, String name) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(proc(fd));
            MemorySegment n = cstr(a, name);
            for (int attempt = 0; ; attempt++) {
                long size = call(a, "getxattr", name, true,
                        e -> (long) LibcLink.GETXATTR.invokeExact(e, p, n, MemorySegment.NULL, 0L));
                MemorySegment buf = a.allocate(Math.max(1, size));
                try {
                    long got = call(a, "getxattr", name, true,
                            e -> (long) LibcLink.GETXATTR.invokeExact(e, p, n, buf, size));
                    return buf.asSlice(0, got).toArray(JAVA_BYTE);
                } catch (FsException ex) {
                    if (ex.errno() != Errno.ERANGE || attempt >= 3) {
                        throw ex; // ERANGE: the value grew between the two calls
                    }
                }
            }
        }
    }

    /** The xattr names of the file of {@code fd}. */
    static List<String> listxattr(int fd) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(proc(fd));
            for (int attempt = 0; ; attempt++) {
                long size = call(a, "listxattr", null, true,
                        e -> (long) LibcLink.LISTXATTR.invokeExact(e, p, MemorySegment.NULL, 0L));
                MemorySegment buf = a.allocate(Math.max(1, size));
                long got;
                try {
                    got = call(a, "listxattr", null, true,
                            e -> (long) LibcLink.LISTXATTR.invokeExact(e, p, buf, size));
                } catch (FsException ex) {
                    if (ex.errno() != Errno.ERANGE || attempt >= 3) {
                        throw ex;
                    }
                    continue;
                }
                List<String> names = new ArrayList<>();
                for (long pos = 0; pos < got; ) {
                    String s = buf.getString(pos, StandardCharsets.UTF_8);
                    names.add(s);
                    pos += s.getBytes(StandardCharsets.UTF_8).length + 1;
                }
                return names;
            }
        }
    }

    static void setxattr(int fd, String name, byte[] value, int flags) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(proc(fd));
            MemorySegment n = cstr(a, name);
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
            long size = value.length;
            call(a, "setxattr", name, true,
                    e -> (int) LibcLink.SETXATTR.invokeExact(e, p, n, v, size, flags));
        }
    }

    static void removexattr(int fd, String name) throws FsException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(proc(fd));
            MemorySegment n = cstr(a, name);
            call(a, "removexattr", name, true,
                    e -> (int) LibcLink.REMOVEXATTR.invokeExact(e, p, n));
        }
    }
}
