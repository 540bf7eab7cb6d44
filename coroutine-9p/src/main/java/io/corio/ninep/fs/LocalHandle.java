package io.corio.ninep.fs;

import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.Qid;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link LocalBackend} handle: an {@code O_PATH | O_NOFOLLOW} descriptor of one file, the
 * descriptor of the directory it was walked in and the name it had there (for Tremove and
 * Trename, which name a file by fid), and once opened, an open descriptor.
 *
 * <p>Descriptors are {@link Fd}s shared by reference count: clones share the path descriptor,
 * children share their directory's. Every use retains the descriptor for the duration of the
 * system call, so {@link #close()} racing with an operation closes the descriptor only after
 * the operation is done.
 */
final class LocalHandle implements Handle {
    final LocalBackend backend;
    /** The client's view of the file when the handle was made: its type never changes. */
    final Stat stat;
    final Qid qid;
    /** Serializes seek-and-read on the open descriptor of a directory. */
    final ReentrantLock dirLock = new ReentrantLock();

    private final ReentrantLock lock = new ReentrantLock();
    private final Fd path; // a reference held until close
    private Fd parent; // guarded by lock; null for the root and for handles reached by ".."
    private String name; // guarded by lock; null when parent is
    private Fd open; // guarded by lock; null until opened
    private int openFlags; // guarded by lock; host open(2) flags
    private FileChannel channel; // guarded by lock; JDK I/O on an open regular file, or null
    private boolean channelReads; // guarded by lock
    private boolean channelWrites; // guarded by lock
    private boolean closed; // guarded by lock

    /** Takes over one reference to {@code path} and, if not null, one to {@code parent}. */
    LocalHandle(LocalBackend backend, Fd path, Stat stat, Qid qid, Fd parent, String name) {
        this.backend = backend;
        this.path = path;
        this.stat = stat;
        this.qid = qid;
        this.parent = parent;
        this.name = name;
    }

    /** The file's name in the directory it was walked in, with that directory retained. */
    record Location(Fd parent, String name) {}

    /** Retains the path descriptor for one use; {@code EBADF} once closed. */
    Fd retainPath() throws FsException {
        lock.lock();
        try {
            checkNotClosed();
            return path.retain();
        } finally {
            lock.unlock();
        }
    }

    /** Retains the open descriptor for one use; {@code EBADF} if not open or closed. */
    Fd retainOpen() throws FsException {
        lock.lock();
        try {
            checkNotClosed();
            if (open == null) {
                throw new FsException(Errno.EBADF, "handle not open");
            }
            return open.retain();
        } finally {
            lock.unlock();
        }
    }

    /** Like {@link #retainOpen()}, but null when not open. */
    Fd retainOpenOrNull() throws FsException {
        lock.lock();
        try {
            checkNotClosed();
            return open == null ? null : open.retain();
        } finally {
            lock.unlock();
        }
    }

    /** The host flags the handle was opened with; meaningful only when open. */
    int openFlags() {
        lock.lock();
        try {
            return openFlags;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes {@code fd} (whose reference this takes over) the open descriptor.
     *
     * @throws FsException {@code EINVAL} if already open, {@code EBADF} if closed; either way
     *     {@code fd} is released
     */
    void setOpen(Fd fd, int flags) throws FsException {
        lock.lock();
        try {
            if (closed || open != null) {
                fd.release();
                throw new FsException(closed ? Errno.EBADF : Errno.EINVAL,
                        closed ? "handle closed" : "handle already open");
            }
            open = fd;
            openFlags = flags;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives the handle a channel on its open file, for reads, writes or both
     * ({@link LocalBackend#read} and {@link LocalBackend#write} then use it, from any thread);
     * it is closed with the handle. Closes {@code ch} and returns false if the handle was
     * closed meanwhile.
     */
    boolean setChannel(FileChannel ch, boolean reads, boolean writes) {
        lock.lock();
        try {
            if (!closed && channel == null) {
                channel = ch;
                channelReads = reads;
                channelWrites = writes;
                return true;
            }
        } finally {
            lock.unlock();
        }
        closeQuietly(ch);
        return false;
    }

    /** The channel for reading the open file, or null if it has none. */
    FileChannel reader() {
        lock.lock();
        try {
            return closed || !channelReads ? null : channel;
        } finally {
            lock.unlock();
        }
    }

    /** The channel for writing the open file, or null if it has none. */
    FileChannel writer() {
        lock.lock();
        try {
            return closed || !channelWrites ? null : channel;
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // a read-only channel: nothing to lose
        }
    }

    /** The name and directory the file was walked in, retained; parent null if unknown. */
    Location retainLocation() throws FsException {
        lock.lock();
        try {
            checkNotClosed();
            return new Location(parent == null ? null : parent.retain(), name);
        } finally {
            lock.unlock();
        }
    }

    /** Records a rename done through this handle; takes over the reference to {@code dir}. */
    void moved(Fd dir, String newName) {
        Fd old;
        lock.lock();
        try {
            if (closed) {
                old = dir;
            } else {
                old = parent;
                parent = dir;
                name = newName;
            }
        } finally {
            lock.unlock();
        }
        if (old != null) {
            old.release();
        }
    }

    /** A second handle on the same file and location, unopened. */
    LocalHandle duplicate() throws FsException {
        lock.lock();
        try {
            checkNotClosed();
            Fd p = path.retain();
            return new LocalHandle(backend, p, stat, qid, parent == null ? null : parent.retain(),
                    name);
        } finally {
            lock.unlock();
        }
    }

    boolean isDirectory() {
        return Posix.isDir(stat.mode());
    }

    boolean isRoot() {
        return backend.isRoot(stat);
    }

    @Override
    public Qid qid() {
        return qid;
    }

    @Override
    public boolean isOpen() {
        lock.lock();
        try {
            return open != null && !closed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        Fd p;
        Fd o;
        FileChannel r;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            p = parent;
            o = open;
            r = channel;
            parent = null;
            open = null;
            channel = null;
        } finally {
            lock.unlock();
        }
        if (r != null) {
            closeQuietly(r); // a read or write racing this one fails with EBADF
        }
        path.release();
        if (p != null) {
            p.release();
        }
        if (o != null) {
            o.release();
        }
    }

    private void checkNotClosed() throws FsException {
        if (closed) {
            throw new FsException(Errno.EBADF, "handle closed");
        }
    }

    @Override
    public String toString() {
        String kind = switch (stat.type()) {
            case Posix.S_IFDIR -> "dir";
            case Posix.S_IFLNK -> "symlink";
            case Posix.S_IFREG -> "file";
            default -> "special";
        };
        lock.lock();
        try {
            return "LocalHandle[" + path.fd + " " + kind + " qid.path=0x"
                    + Long.toHexString(qid.path())
                    + (name == null ? "" : " '" + Names.forLog(name) + "'")
                    + (closed ? " closed" : open != null ? " open" : "") + "]";
        } finally {
            lock.unlock();
        }
    }
}
