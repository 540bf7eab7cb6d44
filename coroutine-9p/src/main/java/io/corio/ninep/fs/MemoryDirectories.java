package io.corio.ninep.fs;

import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The directory-content half of {@link MemoryBackend}: making, linking, renaming, removing and
 * listing names, with the rules of Linux's rename(2), unlink(2) and rmdir(2). Every call gets
 * handles the back end has checked to be its own, and takes the back end's tree lock for its
 * whole change, so each is atomic; readdir alone drops the lock between batches. Stateless.
 */
final class MemoryDirectories {
    private static final int READDIR_BATCH = 128;

    private final MemoryBackend backend;

    MemoryDirectories(MemoryBackend backend) {
        this.backend = backend;
    }

    Handle create(MemoryHandle d, String name, int flags, int mode, Owner owner)
            throws FsException {
        Names.checkNew("create", name);
        backend.lock();
        try {
            MemoryNode dn = backend.dirOf(d, "create", name);
            backend.checkWritable("create");
            MemoryNode n = dn.lookup(name);
            if (n == null) {
                n = newNode(Posix.S_IFREG | (mode & Posix.S_IALLUGO), owner, 0, null);
                dn.link(name, n);
            } else {
                if ((flags & P9.DOTL_EXCL) != 0) {
                    throw new FsException(Errno.EEXIST, "create '" + Names.forLog(name) + "'");
                }
                if (n.isDir()) {
                    throw new FsException(Errno.EISDIR, "create of existing directory");
                }
                MemoryBackend.checkOpenable(n, flags);
                if ((flags & P9.DOTL_TRUNC) != 0 && n.type() == Posix.S_IFREG) {
                    n.truncate(0);
                }
            }
            MemoryHandle h = new MemoryHandle(backend, n, dn, name);
            h.openFlags = flags & ~(P9.DOTL_CREATE | P9.DOTL_EXCL);
            return h;
        } finally {
            backend.unlock();
        }
    }

    Qid mkdir(MemoryHandle d, String name, int mode, Owner owner) throws FsException {
        return make(d, "mkdir", name, Posix.S_IFDIR | (mode & Posix.S_IALLUGO), owner, 0, null);
    }

    Qid symlink(MemoryHandle d, String name, String target, Owner owner) throws FsException {
        Names.checkTarget(target);
        return make(d, "symlink", name, Posix.S_IFLNK | 0777, owner, 0, target);
    }

    Qid mknod(MemoryHandle d, String name, int mode, int major, int minor, Owner owner)
            throws FsException {
        int type = Posix.mknodType(mode);
        return make(d, "mknod", name, type | (mode & Posix.S_IALLUGO), owner,
                Posix.makedev(major, minor), null);
    }

    private Qid make(MemoryHandle d, String op, String name, int mode, Owner owner, long rdev,
            String target) throws FsException {
        Names.checkNew(op, name);
        backend.lock();
        try {
            MemoryNode dn = backend.dirOf(d, op, name);
            backend.checkWritable(op);
            if (dn.lookup(name) != null) {
                throw new FsException(Errno.EEXIST, op + " '" + Names.forLog(name) + "'");
            }
            MemoryNode n = newNode(mode, owner, rdev, target);
            dn.link(name, n);
            return n.qid();
        } finally {
            backend.unlock();
        }
    }

    private MemoryNode newNode(int mode, Owner owner, long rdev, String target) {
        return new MemoryNode(backend.nextId(), mode, owner, rdev, target);
    }

    void link(MemoryHandle d, String name, MemoryHandle t) throws FsException {
        Names.checkNew("link", name);
        backend.lock();
        try {
            MemoryNode dn = backend.dirOf(d, "link", name);
            MemoryNode tn = backend.live(t);
            backend.checkWritable("link");
            if (tn.isDir()) {
                throw new FsException(Errno.EPERM, "link to a directory");
            }
            if (dn.lookup(name) != null) {
                throw new FsException(Errno.EEXIST, "link '" + Names.forLog(name) + "'");
            }
            if (tn.nlink == 0) {
                throw new FsException(Errno.ENOENT, "link to an unlinked file");
            }
            dn.link(name, tn);
            tn.nlink++;
            tn.changed();
        } finally {
            backend.unlock();
        }
    }

    void rename(MemoryHandle m, MemoryHandle nd, String newName) throws FsException {
        Names.checkRename("rename", newName);
        backend.lock();
        try {
            MemoryNode ndn = backend.dirOf(nd, "rename", newName);
            located(m, "rename");
            backend.checkWritable("rename");
            move(m.parent, m.name, ndn, newName);
            m.parent = ndn;
            m.name = newName;
        } finally {
            backend.unlock();
        }
    }

    void renameat(MemoryHandle od, String oldName, MemoryHandle nd, String newName)
            throws FsException {
        Names.checkRename("renameat", oldName);
        Names.checkRename("renameat", newName);
        backend.lock();
        try {
            MemoryNode odn = backend.dirOf(od, "renameat", oldName);
            MemoryNode ndn = backend.dirOf(nd, "renameat", newName);
            backend.checkWritable("renameat");
            MemoryBackend.existing(odn, "renameat", oldName);
            move(odn, oldName, ndn, newName);
        } finally {
            backend.unlock();
        }
    }

    /** rename(2) of existing {@code oldName} in {@code from} to {@code newName} in {@code to}. */
    private static void move(MemoryNode from, String oldName, MemoryNode to, String newName)
            throws FsException {
        MemoryNode n = from.lookup(oldName);
        MemoryNode there = to.lookup(newName);
        if (there == n) {
            return; // the same file: rename(2) does nothing
        }
        if (n.isDir() && n.isAncestorOf(to)) {
            throw new FsException(Errno.EINVAL, "rename of a directory into itself");
        }
        if (there != null) {
            if (n.isDir() && !there.isDir()) {
                throw new FsException(Errno.ENOTDIR, "rename of a directory over a non-directory");
            }
            if (!n.isDir() && there.isDir()) {
                throw new FsException(Errno.EISDIR, "rename of a non-directory over a directory");
            }
            if (there.isDir() && !there.children.isEmpty()) {
                throw new FsException(Errno.ENOTEMPTY, "rename over a non-empty directory");
            }
            dropLink(to.unlink(newName));
        }
        from.unlink(oldName);
        to.link(newName, n);
        n.changed();
    }

    void unlinkat(MemoryHandle d, String name, int flags) throws FsException {
        Names.checkUnlink(name, flags);
        backend.lock();
        try {
            MemoryNode dn = backend.dirOf(d, "unlinkat", name);
            backend.checkWritable("unlinkat");
            MemoryNode n = MemoryBackend.existing(dn, "unlinkat", name);
            unlink(dn, name, n, (flags & P9.AT_REMOVEDIR) != 0);
        } finally {
            backend.unlock();
        }
    }

    void remove(MemoryHandle m) throws FsException {
        backend.lock();
        try {
            located(m, "remove");
            backend.checkWritable("remove");
            unlink(m.parent, m.name, m.node, m.node.isDir());
        } finally {
            backend.unlock();
        }
    }

    private static void unlink(MemoryNode dir, String name, MemoryNode n, boolean rmdir)
            throws FsException {
        if (rmdir && !n.isDir()) {
            throw new FsException(Errno.ENOTDIR, "rmdir of a non-directory");
        }
        if (!rmdir && n.isDir()) {
            throw new FsException(Errno.EISDIR, "unlink of a directory");
        }
        if (rmdir && !n.children.isEmpty()) {
            throw new FsException(Errno.ENOTEMPTY, "rmdir of a non-empty directory");
        }
        dropLink(dir.unlink(name));
    }

    private static void dropLink(MemoryNode n) {
        n.nlink = n.isDir() ? 0 : n.nlink - 1;
        n.changed();
    }

    /** Checks that {@code m}'s name still holds its file; EBUSY for the root. */
    private void located(MemoryHandle m, String op) throws FsException {
        backend.live(m);
        if (m.node == backend.rootNode()) {
            throw new FsException(Errno.EBUSY, op + " of the export root");
        }
        if (m.parent == null) {
            throw new FsException(Errno.EINVAL,
                    op + " of a handle reached by '..': its name is unknown");
        }
        if (m.parent.lookup(m.name) != m.node) {
            throw new FsException(Errno.ENOENT, op + ": '" + Names.forLog(m.name)
                    + "' no longer names the handle's file");
        }
    }

    void readdir(MemoryHandle d, long offset, Predicate<DirEntry> sink) throws FsException {
        long pos = offset;
        while (true) {
            List<DirEntry> batch = new ArrayList<>(READDIR_BATCH);
            backend.lock();
            try {
                MemoryNode dn = backend.live(d);
                if (!dn.isDir()) {
                    throw new FsException(Errno.ENOTDIR, "readdir of a non-directory");
                }
                backend.openNode(d);
                if (pos < MemoryNode.DOT_COOKIE) {
                    batch.add(new DirEntry(dn.qid(), MemoryNode.DOT_COOKIE, P9.DT_DIR, "."));
                }
                if (pos < MemoryNode.DOTDOT_COOKIE) {
                    batch.add(new DirEntry(dn.parent.qid(), MemoryNode.DOTDOT_COOKIE,
                            P9.DT_DIR, ".."));
                }
                for (Map.Entry<Long, String> e : dn.bySeq.tailMap(pos, false).entrySet()) {
                    if (batch.size() >= READDIR_BATCH) {
                        break;
                    }
                    MemoryNode n = dn.lookup(e.getValue());
                    batch.add(new DirEntry(n.qid(), e.getKey(), Posix.dirType(n.mode),
                            e.getValue()));
                }
            } finally {
                backend.unlock();
            }
            if (batch.isEmpty()) {
                return;
            }
            for (DirEntry e : batch) {
                if (!sink.test(e)) {
                    return;
                }
                pos = e.offset();
            }
        }
    }
}
