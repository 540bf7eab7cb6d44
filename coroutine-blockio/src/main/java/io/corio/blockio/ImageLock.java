package io.corio.blockio;

import io.corio.blockio.Linux.ErrnoException;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock a process holds on a disk image while it uses it, in QEMU's own protocol, so that
 * corio and qemu (qemu-nbd, qemu-io, qemu-img, a VM) keep each other from writing the same
 * image at once, resizing one the other serves, or writing a qcow2 image the other reads.
 *
 * <p>QEMU takes open file description locks ({@code F_OFD_SETLK}) on single bytes of the
 * image file: byte 100 + b, shared, for each permission b it uses, and byte 200 + b, shared,
 * for each permission b it does not let others have; then it checks that nobody else holds
 * 100 + b for a permission it does not share, or 200 + b for one it uses, and gives up if
 * someone does. The permissions: 0 consistent read, 1 write, 2 write unchanged, 3 resize.
 * Facts from QEMU's {@code block/file-posix.c} (RAW_LOCK_PERM_BASE, RAW_LOCK_SHARED_BASE),
 * code our own. What each {@link Use} takes, and what qemu takes, is in {@code docs/nbd.md}
 * ("Locking").
 *
 * <p>{@link #acquire} either returns holding every lock of its {@link Use}, or throws holding
 * none. The locks live on a descriptor of their own and stay until {@link #close()} (or the
 * process ends); unlike a {@link java.nio.channels.FileLock} (a POSIX lock), closing some
 * other descriptor of the file in this process does not drop them. They are advisory: a
 * process that ignores them (QEMU with {@code locking=off}, corio with
 * {@link FileOption#NO_LOCK}) is not kept out. Two opens in one process conflict as two
 * processes do. {@link #close()} is idempotent.
 */
public final class ImageLock implements AutoCloseable {

    /*
     * Implementation notes.
     *
     * The locks are taken first and checked second, as QEMU does (raw_handle_perm_lock:
     * apply, then check): every lock is a shared read lock, so taking them never fails on a
     * conflict, and of two openers racing, whichever checks last sees the other's bytes, so
     * they cannot both succeed (both may fail, as two QEMUs may). The check asks F_OFD_GETLK
     * whether an exclusive lock on the byte would conflict; locks of our own description never
     * do, so we see only others'. On failure the descriptor is closed, which drops what we took.
     */

    private static final long PERM_BASE = 100;
    private static final long SHARED_BASE = 200;
    private static final String[] PERMISSIONS = {"consistent read", "write", "write unchanged",
            "resize"};
    private static final int PERM_CONSISTENT_READ = 1; // bit b: permission b
    private static final int PERM_WRITE = 1 << 1;
    private static final int PERM_RESIZE = 1 << 3;

    /** What the holder does with the image: which permissions it uses and which it keeps. */
    public enum Use {
        /**
         * Reads the file as a device of the length it had when opened: uses consistent read;
         * lets others write but not resize it (as {@code qemu-nbd -r} on a raw file).
         */
        READ(PERM_CONSISTENT_READ, PERM_RESIZE),
        /**
         * Writes the file in place as a device of fixed length: uses consistent read and
         * write; lets others read, but not write (as a QEMU virtual disk, whose
         * {@code share-rw} is off by default; qemu-nbd and qemu-io share write on a raw file)
         * nor resize it (as qemu-nbd, for the length it serves).
         */
        WRITE(PERM_CONSISTENT_READ | PERM_WRITE, PERM_WRITE | PERM_RESIZE),
        /**
         * Writes the file and grows it, as a qcow2 image: uses consistent read, write and
         * resize; lets others read, not write or resize it (as qemu-nbd and qemu-io writing a
         * qcow2 image).
         */
        WRITE_AND_RESIZE(PERM_CONSISTENT_READ | PERM_WRITE | PERM_RESIZE,
                PERM_WRITE | PERM_RESIZE),
        /**
         * Reads an image whose metadata says where its data is, as a qcow2 image read-only or
         * as a backing file: uses consistent read; lets others read, not write or resize it,
         * since a writer would move clusters and tables under the reader's cached metadata
         * (as QEMU on a qcow2 image it opens read-only: qemu-io -r, qemu-nbd -r, qemu-img
         * check, a qcow2 backing file). Conflicts with every writer, {@link #WRITE} and
         * {@link #WRITE_AND_RESIZE} of this process included; not with {@link #READ}.
         */
        READ_IMAGE(PERM_CONSISTENT_READ, PERM_WRITE | PERM_RESIZE);

        final int used; // permission bits
        final int unshared; // permission bits

        Use(int used, int unshared) {
            this.used = used;
            this.unshared = unshared;
        }

        /** Whether the holder changes the file: then its lock descriptor is opened to write. */
        boolean modifies() {
            return (used & (PERM_WRITE | PERM_RESIZE)) != 0;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ImageLock.class);

    private final String name; // for messages
    private final Use use;
    private int fd; // guarded by this; -1 once closed

    private ImageLock(String name, Use use, int fd) {
        this.name = name;
        this.use = use;
        this.fd = fd;
    }

    /**
     * Locks the file at {@code path} for {@code use}.
     *
     * @throws IOException naming the file and the permission at stake if another process
     *     (or another lock of this one) uses it in a way {@code use} excludes or excludes
     *     {@code use}, or if it cannot be opened
     */
    public static ImageLock acquire(Path path, Use use) throws IOException {
        return acquire(path.toString(), path, use);
    }

    /**
     * As {@link #acquire(Path, Use)}, opening {@code file} (such as the {@code /proc/self/fd}
     * link of a descriptor already open) and naming {@code name} in messages.
     */
    static ImageLock acquire(String name, Path file, Use use) throws IOException {
        Linux.checkSupported();
        int fd;
        try {
            fd = Linux.open(file.toString(), use.modifies() ? Linux.O_RDWR : Linux.O_RDONLY);
        } catch (ErrnoException e) {
            throw new IOException(name + ": cannot open the image to lock it: "
                    + e.getMessage(), e);
        }
        try {
            for (int p = 0; p < PERMISSIONS.length; p++) {
                if ((use.used & 1 << p) != 0) {
                    Linux.ofdLock(fd, Linux.F_RDLCK, PERM_BASE + p, 1);
                }
                if ((use.unshared & 1 << p) != 0) {
                    Linux.ofdLock(fd, Linux.F_RDLCK, SHARED_BASE + p, 1);
                }
            }
            for (int p = 0; p < PERMISSIONS.length; p++) {
                if ((use.unshared & 1 << p) != 0
                        && Linux.ofdConflicts(fd, Linux.F_WRLCK, PERM_BASE + p, 1)) {
                    throw locked(name, use, "has it open to " + PERMISSIONS[p] + " it", null);
                }
                if ((use.used & 1 << p) != 0
                        && Linux.ofdConflicts(fd, Linux.F_WRLCK, SHARED_BASE + p, 1)) {
                    throw locked(name, use, "does not let others " + PERMISSIONS[p] + " it",
                            null);
                }
            }
            return new ImageLock(name, use, fd);
        } catch (ErrnoException e) {
            Linux.close(fd);
            if (e.errno == Linux.EAGAIN || e.errno == Linux.EACCES) { // a foreign exclusive lock
                throw locked(name, use, "holds a lock on it", e);
            }
            if (e.errno == Linux.EINVAL || e.errno == Linux.EOPNOTSUPP || e.errno == Linux.ENOLCK
                    || e.errno == Linux.ENOSYS) {
                // the file system has no OFD locks: go on unlocked, as QEMU's locking=auto does
                log.warn("{}: the file system does not support OFD locks ({}); opened without the image lock",
                        name, e.getMessage());
                return new ImageLock(name, use, -1);
            }
            throw new IOException(name + ": cannot lock the image: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            Linux.close(fd);
            throw e;
        }
    }

    private static IOException locked(String name, Use use, String what, Exception cause) {
        return new IOException(name + ": the image is locked: another process (qemu, qemu-nbd,"
                + " another corio) " + what + ", so it cannot be opened "
                + (use.modifies() ? "for writing; two writers would corrupt it" : "for reading"),
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
    public synchronized String toString() {
        return "ImageLock[" + name + ", " + use + (fd < 0 ? ", released" : "") + "]";
    }
}
