package io.corio.ninep.fs;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.corio.ninep.protocol.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * How {@link Libc} reaches glibc: one downcall handle per function, each capturing
 * {@code errno} ({@code Linker.Option.captureCallState}), and {@link #call} to run one and turn
 * -1 into an {@link FsException}. Loaded on first use, after {@link Libc#checkSupported()}; a
 * function glibc lacks and that is optional ({@code mknodat} before glibc 2.33) is a null
 * handle, reported as {@code ENOSYS} by its wrapper.
 */
@SuppressWarnings("restricted") // linking native functions is this class's one job
final class LibcLink {
    private LibcLink() {}

    static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    static final MethodHandle OPENAT = bind("openat", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(3));
    static final MethodHandle CLOSE = bind("close", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle STATX = bind("statx", true, FunctionDescriptor.of(JAVA_INT,
            JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle FSTATFS = bind("fstatfs", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    static final MethodHandle MKDIRAT = bind("mkdirat", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle UNLINKAT = bind("unlinkat", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle RENAMEAT = bind("renameat", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    static final MethodHandle LINKAT = bind("linkat", true, FunctionDescriptor.of(JAVA_INT,
            JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle SYMLINKAT = bind("symlinkat", true,
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    static final MethodHandle READLINKAT = bind("readlinkat", true,
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    static final MethodHandle MKNODAT = bind("mknodat", false,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    static final MethodHandle FCHOWNAT = bind("fchownat", true, FunctionDescriptor.of(JAVA_INT,
            JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    static final MethodHandle CHMOD = bind("chmod", true,
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle UTIMENSAT = bind("utimensat", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    static final MethodHandle PREAD = bind("pread", true,
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    static final MethodHandle PWRITE = bind("pwrite", true,
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    static final MethodHandle FTRUNCATE = bind("ftruncate", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    static final MethodHandle FSYNC = bind("fsync", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle FDATASYNC = bind("fdatasync", true,
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle LSEEK = bind("lseek", true,
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    static final MethodHandle GETDENTS64 = bind("getdents64", true,
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    static final MethodHandle GETXATTR = bind("getxattr", true,
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    static final MethodHandle LISTXATTR = bind("listxattr", true,
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    static final MethodHandle SETXATTR = bind("setxattr", true, FunctionDescriptor.of(JAVA_INT,
            ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle REMOVEXATTR = bind("removexattr", true,
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    private static MethodHandle bind(String name, boolean required, FunctionDescriptor fd,
            Linker.Option... options) {
        Libc.checkSupported();
        var symbol = LINKER.defaultLookup().find(name);
        if (symbol.isEmpty()) {
            if (required) {
                throw new UnsupportedOperationException("libc has no " + name);
            }
            return null;
        }
        Linker.Option[] all = new Linker.Option[options.length + 1];
        System.arraycopy(options, 0, all, 0, options.length);
        all[options.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(symbol.get(), fd, all);
    }

    @FunctionalInterface
    interface Call {
        long invoke(MemorySegment errnoState) throws Throwable;
    }

    /**
     * Runs {@code c} until it returns other than -1 or fails with other than EINTR (when
     * {@code retry}), and turns -1 into an FsException naming {@code op} and {@code what}.
     */
    static long call(Arena a, String op, String what, boolean retry, Call c)
            throws FsException {
        MemorySegment state = a.allocate(CAPTURE);
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
            int errno = (int) ERRNO.get(state, 0L);
            if (errno == Errno.EINTR && retry) {
                continue;
            }
            throw new FsException(errno > 0 ? errno : Errno.EIO,
                    what == null ? op : op + " '" + Names.forLog(what) + "'");
        }
    }

    /** A NUL-terminated UTF-8 copy of {@code s}; a NUL inside would cut it short: EINVAL. */
    static MemorySegment cstr(Arena a, String s) throws FsException {
        if (s.indexOf('\0') >= 0) {
            throw new FsException(Errno.EINVAL, "name holds NUL");
        }
        return a.allocateFrom(s, StandardCharsets.UTF_8);
    }
}
