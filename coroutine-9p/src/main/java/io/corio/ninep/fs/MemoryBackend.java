package io.corio.ninep.fs;

import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.SetAttr;
import io.corio.ninep.protocol.StatFs;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * A {@link Backend} holding its tree in memory, with the semantics of {@link LocalBackend}
 * under {@code passthrough} as root: files keep the owner and mode clients give them; device
 * nodes and fifos are records with no I/O behind them. Thread-safe: one lock guards the whole
 * tree and every handle's state, and no call does I/O or calls out while holding it (readdir
 * copies entries out in batches before offering them).
 *
 * <p>Limits: regular files up to {@link MemoryNode#MAX_SIZE}; statfs reports a nominal
 * capacity. {@link #readOnlyView()} gives a read-only back end over the same tree.
 */
final class MemoryBackend implements Backend {
    private static final long TMPFS_MAGIC = 0x01021994L;
    private static final long CAPACITY_BLOCKS = 1L << 20; // of 4 KiB: a nominal 4 GiB
    private static final long CAPACITY_FILES = 1L << 20;

    /** The tree, shared by a back end and its read-only views. */
    private static final class Tree {
        final ReentrantLock lock = new ReentrantLock();
        final MemoryNode root;
        long nextId = 2; // guarded by lock; the root is 1

        Tree() {
            root = new MemoryNode(1, Posix.S_IFDIR | 0755, new Owner(0, 0), 0, null);
            root.parent = root;
        }
    }

    private final Tree tree;
    private final boolean readOnly;
    private final MemoryDirectories dirs = new MemoryDirectories(this);
    private volatile boolean closed; // written under tree lock

    MemoryBackend() {
        this(new Tree(), false);
    }

    private MemoryBackend(Tree tree, boolean readOnly) {
        this.tree = tree;
        this.readOnly = readOnly;
    }

    /** A read-only back end over the same tree, seeing this one's changes. */
    MemoryBackend readOnlyView() {
        return new MemoryBackend(tree, true);
    }

    @Override
    public boolean mayBlock() {
        return false; // every call is short work on in-memory state
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public Handle root() throws FsException {
        lock();
        try {
            if (closed) {
                throw new FsException(Errno.EBADF, "back end closed");
            }
            return new MemoryHandle(this, tree.root, null, null);
        } finally {
            unlock();
        }
    }

    @Override
    public Handle walk(Handle dir, String name) throws FsException {
        MemoryHandle d = own(dir);
        Names.check("walk", name);
        lock();
        try {
            MemoryNode dn = dirOf(d, "walk", name);
            return switch (name) {
                case "." -> new MemoryHandle(this, dn, d.parent, d.name);
                case ".." -> dn.parent == dn ? new MemoryHandle(this, dn, null, null)
                        : new MemoryHandle(this, dn.parent, null, null);
                default -> new MemoryHandle(this, existing(dn, "walk", name), dn, name);
            };
        } finally {
            unlock();
        }
    }

    @Override
    public Handle clone(Handle h) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            live(m);
            return new MemoryHandle(this, m.node, m.parent, m.name);
        } finally {
            unlock();
        }
    }

    @Override
    public Attr getattr(Handle h, long requestMask) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            return live(m).attr();
        } finally {
            unlock();
        }
    }

    @Override
    public void setattr(Handle h, SetAttr a) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            MemoryNode n = live(m);
            int change = a.valid() & (P9.SETATTR_MODE | P9.SETATTR_UID | P9.SETATTR_GID
                    | P9.SETATTR_SIZE | P9.SETATTR_ATIME | P9.SETATTR_MTIME);
            if (change == 0) {
                return;
            }
            checkWritable("setattr");
            n.setattr(a);
        } finally {
            unlock();
        }
    }

    @Override
    public Qid open(Handle h, int flags) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            MemoryNode n = live(m);
            if (OpenFlags.modifies(flags)) {
                checkWritable("open for writing");
            }
            checkOpenable(n, flags);
            if (m.openFlags != MemoryHandle.NOT_OPEN) {
                throw new FsException(Errno.EINVAL, "handle already open");
            }
            if ((flags & P9.DOTL_TRUNC) != 0 && n.type() == Posix.S_IFREG) {
                n.truncate(0);
            }
            m.openFlags = flags;
            return n.qid();
        } finally {
            unlock();
        }
    }

    /** What open(2) refuses for {@code n} and {@code flags}. */
    static void checkOpenable(MemoryNode n, int flags) throws FsException {
        if (Posix.isLink(n.mode)) {
            throw new FsException(Errno.ELOOP, "open of a symlink");
        }
        if (n.isDir() && (flags & P9.DOTL_ACCMODE) != P9.DOTL_RDONLY
                && (flags & P9.DOTL_ACCMODE) != P9.DOTL_NOACCESS) {
            throw new FsException(Errno.EISDIR, "open of a directory for writing");
        }
        if (!n.isDir() && (flags & P9.DOTL_DIRECTORY) != 0) {
            throw new FsException(Errno.ENOTDIR, "open with O_DIRECTORY of a non-directory");
        }
    }

    @Override
    public int read(Handle h, long offset, ByteBuffer dst) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            MemoryNode n = openNode(m);
            if ((m.openFlags & P9.DOTL_ACCMODE) == P9.DOTL_WRONLY) {
                throw new FsException(Errno.EBADF, "read of a handle open for writing only");
            }
            if (n.isDir()) {
                throw new FsException(Errno.EISDIR, "read of a directory");
            }
            return n.type() == Posix.S_IFREG ? n.read(offset, dst) : 0;
        } finally {
            unlock();
        }
    }

    @Override
    public int write(Handle h, long offset, ByteBuffer src) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            MemoryNode n = openNode(m);
            int acc = m.openFlags & P9.DOTL_ACCMODE;
            if (acc != P9.DOTL_WRONLY && acc != P9.DOTL_RDWR) {
                throw new FsException(Errno.EBADF, "write to a handle not open for writing");
            }
            if (n.type() != Posix.S_IFREG) {
                int count = src.remaining(); // a device or fifo with nothing behind it
                src.position(src.limit());
                return count;
            }
            return n.write((m.openFlags & P9.DOTL_APPEND) != 0 ? n.size() : offset, src);
        } finally {
            unlock();
        }
    }

    @Override
    public String readlink(Handle h) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            MemoryNode n = live(m);
            if (!Posix.isLink(n.mode)) {
                throw new FsException(Errno.EINVAL, "readlink of a non-symlink");
            }
            return n.target;
        } finally {
            unlock();
        }
    }

    // ---- directory contents: MemoryDirectories ------------------------------------------

    @Override
    public Handle create(Handle dir, String name, int flags, int mode, Owner owner)
            throws FsException {
        return dirs.create(own(dir), name, flags, mode, owner);
    }

    @Override
    public Qid mkdir(Handle dir, String name, int mode, Owner owner) throws FsException {
        return dirs.mkdir(own(dir), name, mode, owner);
    }

    @Override
    public Qid symlink(Handle dir, String name, String target, Owner owner) throws FsException {
        return dirs.symlink(own(dir), name, target, owner);
    }

    @Override
    public Qid mknod(Handle dir, String name, int mode, int major, int minor, Owner owner)
            throws FsException {
        return dirs.mknod(own(dir), name, mode, major, minor, owner);
    }

    @Override
    public void link(Handle dir, String name, Handle target) throws FsException {
        dirs.link(own(dir), name, own(target));
    }

    @Override
    public void rename(Handle h, Handle newDir, String newName) throws FsException {
        dirs.rename(own(h), own(newDir), newName);
    }

    @Override
    public void renameat(Handle oldDir, String oldName, Handle newDir, String newName)
            throws FsException {
        dirs.renameat(own(oldDir), oldName, own(newDir), newName);
    }

    @Override
    public void unlinkat(Handle dir, String name, int flags) throws FsException {
        dirs.unlinkat(own(dir), name, flags);
    }

    @Override
    public void remove(Handle h) throws FsException {
        dirs.remove(own(h));
    }

    @Override
    public void readdir(Handle dir, long offset, Predicate<DirEntry> sink) throws FsException {
        dirs.readdir(own(dir), offset, sink);
    }

    // ---- the rest ------------------------------------------------------------------------

    @Override
    public StatFs statfs(Handle h) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            live(m);
            return new StatFs((int) TMPFS_MAGIC, MemoryNode.BLKSIZE, CAPACITY_BLOCKS,
                    CAPACITY_BLOCKS, CAPACITY_BLOCKS, CAPACITY_FILES, CAPACITY_FILES, 0,
                    Names.NAME_MAX);
        } finally {
            unlock();
        }
    }

    @Override
    public void fsync(Handle h, boolean datasync) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            openNode(m); // nothing to flush
        } finally {
            unlock();
        }
    }

    @Override
    public byte[] getxattr(Handle h, String name) throws FsException {
        MemoryHandle m = own(h);
        Names.checkXattr("getxattr", name);
        lock();
        try {
            return live(m).getxattr(name);
        } finally {
            unlock();
        }
    }

    @Override
    public List<String> listxattr(Handle h) throws FsException {
        MemoryHandle m = own(h);
        lock();
        try {
            return live(m).xattrNames();
        } finally {
            unlock();
        }
    }

    @Override
    public void setxattr(Handle h, String name, byte[] value, int flags) throws FsException {
        MemoryHandle m = own(h);
        Names.checkXattrSet(name, value, flags);
        lock();
        try {
            MemoryNode n = live(m);
            checkWritable("setxattr");
            n.setxattr(name, value, flags);
        } finally {
            unlock();
        }
    }

    @Override
    public void removexattr(Handle h, String name) throws FsException {
        MemoryHandle m = own(h);
        Names.checkXattr("removexattr", name);
        lock();
        try {
            MemoryNode n = live(m);
            checkWritable("removexattr");
            n.removexattr(name);
        } finally {
            unlock();
        }
    }

    @Override
    public void close() {
        lock();
        try {
            closed = true;
        } finally {
            unlock();
        }
    }

    long nextId() {
        return tree.nextId++; // under the lock
    }

    MemoryNode rootNode() {
        return tree.root;
    }

    boolean isOpen(MemoryHandle m) {
        lock();
        try {
            return !m.closed && m.openFlags != MemoryHandle.NOT_OPEN;
        } finally {
            unlock();
        }
    }

    void close(MemoryHandle m) {
        lock();
        try {
            m.closed = true;
            m.parent = null;
        } finally {
            unlock();
        }
    }

    // ---- checks, all under the lock -----------------------------------------------------

    MemoryNode live(MemoryHandle m) throws FsException {
        if (m.closed) {
            throw new FsException(Errno.EBADF, "handle closed");
        }
        return m.node;
    }

    MemoryNode openNode(MemoryHandle m) throws FsException {
        MemoryNode n = live(m);
        if (m.openFlags == MemoryHandle.NOT_OPEN) {
            throw new FsException(Errno.EBADF, "handle not open");
        }
        return n;
    }

    MemoryNode dirOf(MemoryHandle d, String op, String name) throws FsException {
        MemoryNode n = live(d);
        if (!n.isDir()) {
            throw new FsException(Errno.ENOTDIR, op + " '" + Names.forLog(name)
                    + "' in a non-directory");
        }
        return n;
    }

    static MemoryNode existing(MemoryNode dir, String op, String name) throws FsException {
        MemoryNode n = dir.lookup(name);
        if (n == null) {
            throw new FsException(Errno.ENOENT, op + " '" + Names.forLog(name) + "'");
        }
        return n;
    }

    void checkWritable(String op) throws FsException {
        if (readOnly) {
            throw new FsException(Errno.EROFS, op + " on a read-only export");
        }
    }

    MemoryHandle own(Handle h) {
        if (h instanceof MemoryHandle m && m.backend == this) {
            return m;
        }
        throw new IllegalArgumentException("not a handle of " + this + ": " + h);
    }

    void lock() {
        tree.lock.lock();
    }

    void unlock() {
        tree.lock.unlock();
    }

    @Override
    public String toString() {
        return "MemoryBackend[" + (readOnly ? "read-only" : "read-write")
                + (closed ? ", closed" : "") + "]";
    }
}
