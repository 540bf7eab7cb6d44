package io.corio.blockio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The few Linux calls {@link FileDriver} needs and {@code java.nio} lacks ({@code fallocate},
 * {@code lseek} with {@code SEEK_DATA}/{@code SEEK_HOLE}), plus {@code open} and
 * {@code close} to own the descriptor they act on, bound through the FFM API to the C
 * library. Each call captures {@code errno} ({@code Linker.Option.captureCallState}), retries
 * on {@code EINTR} and turns -1 into an {@link ErrnoException}.
 *
 * <p>Only 64-bit Linux on x86_64 and aarch64: {@code O_DIRECT} differs between the two and
 * is never needed here (the driver opens its {@code FileChannel} with
 * {@code ExtendedOpenOption.DIRECT}); every value below is the same on both. The handles are
 * linked on first use of this class, after {@link #checkSupported()}.
 *
 * <p>A native call pins the virtual thread's carrier while it runs. The driver makes these
 * calls from {@code Coroutine.blocking}, as it does its reads and writes, and they are
 * metadata operations (a hole punch, a seek), so the pinning is short.
 */
@SuppressWarnings("restricted") // linking native functions is this class's one job
final class Linux {
    private Linux() {}

    static final int O_RDONLY = 0;
    static final int O_RDWR = 02;
    static final int O_CLOEXEC = 02000000;

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;

    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    static final int F_OFD_GETLK = 36;
    static final int F_OFD_SETLK = 37;
    static final short F_RDLCK = 0;
    static final short F_WRLCK = 1;
    static final short F_UNLCK = 2;

    static final int EAGAIN = 11;
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EBADF = 9;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EFBIG = 27;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    static final int ENOLCK = 37;
    static final int EDQUOT = 122;

    /** A failed call and its errno. */
    static final class ErrnoException extends IOException {
        final int errno;

        ErrnoException(String op, int errno) {
            super(op + " failed with errno " + errno);
            this.errno = errno;
        }
    }

    /**
     * Throws if this platform is not one whose values this class knows.
     *
     * @throws UnsupportedOperationException naming the platform
     */
    static void checkSupported() {
        String os = System.getProperty("os.name", "?").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "?").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")
                || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            throw new UnsupportedOperationException("the file driver needs Linux on x86_64 or"
                    + " aarch64, not " + os + " on " + arch);
        }
    }

    /** {@code open(path, flags | O_CLOEXEC)}: the descriptor. */
    static int open(String path, int flags) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path, StandardCharsets.UTF_8);
            return (int) call(a, "open",
                    e -> (int) Link.OPEN.invokeExact(e, p, flags | O_CLOEXEC, 0));
        }
    }

    /** Closes {@code fd}; errors are ignored: the descriptor is gone on Linux either way. */
    static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Link.CAPTURE);
            try {
                int ignored = (int) Link.CLOSE.invokeExact(state, fd); // no retry on EINTR
            } catch (Throwable t) {
                throw new AssertionError("close threw", t);
            }
        }
    }

    /**
     * {@code fcntl(fd, F_OFD_SETLK)}: an open file description lock of {@code type} on
     * {@code length} bytes at {@code start}, held until that description's last descriptor
     * closes (not dropped when the process closes another descriptor of the file, as a POSIX
     * lock is): the kind QEMU takes on its images. Fails with EAGAIN or EACCES on a conflict.
     */
    static void ofdLock(int fd, short type, long start, long length) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment flock = flock(a, type, start, length);
            call(a, "fcntl", e -> (int) Link.FCNTL.invokeExact(e, fd, F_OFD_SETLK, flock));
        }
    }

    /**
     * {@code fcntl(fd, F_OFD_GETLK)}: whether another open file description holds a lock
     * that conflicts with {@code type} on {@code length} bytes at {@code start}.
     */
    static boolean ofdConflicts(int fd, short type, long start, long length)
            throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment flock = flock(a, type, start, length);
            call(a, "fcntl", e -> (int) Link.FCNTL.invokeExact(e, fd, F_OFD_GETLK, flock));
            return flock.get(JAVA_SHORT, 0) != F_UNLCK;
        }
    }

    /** A {@code struct flock} of 64-bit Linux; l_whence SEEK_SET, l_pid 0 (OFD locks). */
    private static MemorySegment flock(Arena a, short type, long start, long length) {
        MemorySegment flock = a.allocate(32, 8);
        flock.set(JAVA_SHORT, 0, type);
        flock.set(JAVA_LONG, 8, start);
        flock.set(JAVA_LONG, 16, length);
        return flock;
    }

    /** {@code fallocate(fd, mode, offset, length)}. */
    static void fallocate(int fd, int mode, long offset, long length) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            call(a, "fallocate",
                    e -> (int) Link.FALLOCATE.invokeExact(e, fd, mode, offset, length));
        }
    }

    /** {@code lseek(fd, offset, whence)}: the new offset. */
    static long lseek(int fd, long offset, int whence) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            return call(a, "lseek", e -> (long) Link.LSEEK.invokeExact(e, fd, offset, whence));
        }
    }

    @FunctionalInterface
    private interface Call {
        long invoke(MemorySegment errnoState) throws Throwable;
    }

    private static long call(Arena a, String op, Call c) throws ErrnoException {
        MemorySegment state = a.allocate(Link.CAPTURE);
        while (true) {
            long r;
            try {
                r = c.invoke(state);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError("native call " + op + " threw", t);
            }
            if (r != -1) {
                return r;
            }
            int errno = (int) Link.ERRNO.get(state, 0L);
            if (errno != EINTR) {
                throw new ErrnoException(op, errno > 0 ? errno : EIO);
            }
        }
    }

    /** The handles, in a holder so that they are linked on first use, not on class load. */
    private static final class Link {
        static final Linker LINKER = Linker.nativeLinker();
        static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO =
                CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

        static final MethodHandle OPEN = bind("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle FCNTL = bind("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
                Linker.Option.firstVariadicArg(2));
        static final MethodHandle FALLOCATE = bind("fallocate",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
        static final MethodHandle LSEEK = bind("lseek",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));

        private static MethodHandle bind(String name, FunctionDescriptor fd,
                Linker.Option... options) {
            checkSupported();
            MemorySegment symbol = LINKER.defaultLookup().find(name).orElseThrow(
                    () -> new UnsupportedOperationException("the C library has no " + name));
            Linker.Option[] all = new Linker.Option[options.length + 1];
            System.arraycopy(options, 0, all, 0, options.length);
            all[options.length] = Linker.Option.captureCallState("errno");
            return LINKER.downcallHandle(symbol, fd, all);
        }
    }
}
