package io.corio.blockio;

import io.corio.blockio.Linux.ErrnoException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The lock a writer holds on a disk image, in QEMU's own protocol, so that corio and qemu
 * (qemu-nbd, qemu-io, qemu-img, a VM) keep each other from writing the same image at once.
 *
 * <p>QEMU takes open file description locks ({@code F_OFD_SETLK}) on single bytes of the
 * image file: byte 100 + b, shared, for each permission b it uses, and byte 200 + b,
 * shared, for each permission b it does not let others have; before taking them, it checks
 * that nobody holds 100 + b for a permission it does not share, or 200 + b for one it uses.
 * The permissions: 0 consistent read, 1 write, 2 write unchanged, 3 resize. Facts from QEMU's
 * {@code block/file-posix.c} (RAW_LOCK_PERM_BASE, RAW_LOCK_SHARED_BASE), code our own.
 *
 * <p>A corio writer uses consistent read, write and resize, and shares consistent read and
 * write unchanged (as qemu-nbd serving an image writable does), so: qemu cannot write or
 * resize the image while corio holds it; qemu-img reads it only with {@code -U}
 * (force share); and corio refuses an image that qemu writes or that a qemu reader will not
 * share writing with. Two corio writers also exclude each other through byte 101, and in the
 * instant between the check and the locks, through an exclusive lock on byte 300, a byte
 * QEMU does not use. The locks live on a descriptor of their own and stay until
 * {@link #close()}; unlike a {@link java.nio.channels.FileLock} (a POSIX lock), closing some
 * other descriptor of the file in this process does not drop them.
 */
public final class ImageLock implements AutoCloseable {
    private static final long PERM_BASE = 100;
    private static final long SHARED_BASE = 200;
    private static final long WRITER = 300; // corio's own: one writer
    private static final int CONSISTENT_READ = 0;
    private static final int WRITE = 1;
    private static final int RESIZE = 3;
    private static final int[] USED = {CONSISTENT_READ, WRITE, RESIZE};
    private static final int[] NOT_SHARED = {WRITE, RESIZE};

    private final Path path;
    private int fd; // -1 once closed

    private ImageLock(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /**
     * Locks the file at {@code path} for writing.
     *
     * @throws IOException naming the file if another process (or another lock of this one)
     *     uses it in a way a writer excludes, or it cannot be opened
     */
    public static ImageLock acquire(Path path) throws IOException {
        Linux.checkSupported();
        int fd = Linux.open(path.toString(), Linux.O_RDWR);
        try {
            Linux.ofdLock(fd, Linux.F_WRLCK, WRITER, 1);
            for (int p : NOT_SHARED) { // someone holds a permission we do not share
                if (Linux.ofdConflicts(fd, Linux.F_WRLCK, PERM_BASE + p, 1)) {
                    throw locked(path, "write or resize it", null);
                }
            }
            for (int p : USED) { // someone does not share a permission we use
                if (Linux.ofdConflicts(fd, Linux.F_WRLCK, SHARED_BASE + p, 1)) {
                    throw locked(path, "keep others from writing it", null);
                }
            }
            for (int p : USED) {
                Linux.ofdLock(fd, Linux.F_RDLCK, PERM_BASE + p, 1);
            }
            for (int p : NOT_SHARED) {
                Linux.ofdLock(fd, Linux.F_RDLCK, SHARED_BASE + p, 1);
            }
            return new ImageLock(path, fd);
        } catch (ErrnoException e) {
            Linux.close(fd);
            if (e.errno == Linux.EAGAIN || e.errno == Linux.EACCES) {
                throw locked(path, "write it", e);
            }
            throw new IOException(path + ": cannot lock the image: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            Linux.close(fd);
            throw e;
        }
    }

    private static IOException locked(Path path, String what, Exception cause) {
        return new IOException(path + ": the image is locked: another process (qemu, qemu-nbd,"
                + " another corio) has it open to " + what + "; two writers would corrupt it",
                cause);
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            Linux.close(fd); // the locks go with the last descriptor of the description
            fd = -1;
        }
    }

    @Override
    public String toString() {
        return "ImageLock[" + path + (fd < 0 ? ", released" : "") + "]";
    }
}
