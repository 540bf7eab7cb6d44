package io.corio.ninep.fs;

import static io.corio.ninep.fs.Libc.AT_REMOVEDIR;
import static io.corio.ninep.fs.Libc.O_CREAT;
import static io.corio.ninep.fs.Libc.O_EXCL;
import static io.corio.ninep.fs.Libc.O_NOFOLLOW;
import static io.corio.ninep.fs.Libc.O_PATH;

import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import java.util.List;
import java.util.function.Predicate;

/**
 * The directory-content half of {@link LocalBackend}: making, linking, renaming, removing and
 * listing names. Every call gets handles the back end has already checked (its own, not
 * closed, directories where a directory is needed) and works with one {@code *at} call on a
 * retained directory descriptor and one checked name, so it stays inside the export like
 * the rest of the back end. Stateless and thread-safe.
 *
 * <p>New nodes are made with the security model's host mode, then opened with
 * {@code O_PATH | O_NOFOLLOW} and given the client's owner and mode through that descriptor
 * ({@link HostModel#initOwner}); if that fails the node is removed again, so a create either
 * succeeds whole or leaves nothing behind.
 */
final class LocalDirectories {
    private static final int READDIR_BUFFER = 32 * 1024;

    private final LocalBackend backend;
    private final HostModel model;
    private final boolean mapped;

    LocalDirectories(LocalBackend backend, HostModel model, SecurityModel securityModel) {
        this.backend = backend;
        this.model = model;
        this.mapped = securityModel == SecurityModel.MAPPED_XATTR;
    }

    Handle create(LocalHandle d, String name, int flags, int mode, Owner owner)
            throws FsException {
        Names.checkNew("create", name);
        backend.checkWritable("create");
        int host = OpenFlags.toHost(flags);
        Fd df = d.retainPath();
        try {
            int fd;
            boolean made = true;
            try {
                fd = Libc.openat(df.fd, name, host | O_CREAT | O_EXCL | O_NOFOLLOW,
                        model.fileMode(mode));
            } catch (FsException e) {
                if (e.errno() != Errno.EEXIST || (flags & P9.DOTL_EXCL) != 0) {
                    throw e;
                }
                fd = Libc.openat(df.fd, name, host | O_NOFOLLOW, 0);
                made = false;
            }
            Fd open = new Fd(fd);
            try {
                if (made) {
                    model.initOwner(fd, Posix.S_IFREG | (mode & Posix.S_IALLUGO), owner, 0);
                }
                LocalHandle h = backend.adopt(Libc.reopen(fd, O_PATH), df.retain(), name);
                if (h.isDirectory()) {
                    h.close();
                    throw new FsException(Errno.EISDIR, "create of existing directory '"
                            + Names.forLog(name) + "'");
                }
                h.setOpen(open, host);
                if (Posix.isReg(h.stat.mode())) {
                    backend.openChannel(h, open, host);
                }
                return h;
            } catch (FsException | RuntimeException e) {
                open.release();
                if (made) {
                    Libc.unlinkQuietly(df.fd, name, 0);
                }
                throw e;
            }
        } finally {
            df.release();
        }
    }

    Qid mkdir(LocalHandle d, String name, int mode, Owner owner) throws FsException {
        Names.checkNew("mkdir", name);
        backend.checkWritable("mkdir");
        Fd df = d.retainPath();
        try {
            Libc.mkdirat(df.fd, name, model.dirMode(mode));
            return finishNew(df, name, Posix.S_IFDIR | (mode & Posix.S_IALLUGO), owner, 0);
        } finally {
            df.release();
        }
    }

    Qid symlink(LocalHandle d, String name, String target, Owner owner) throws FsException {
        Names.checkNew("symlink", name);
        Names.checkTarget(target);
        backend.checkWritable("symlink");
        Fd df = d.retainPath();
        try {
            model.symlink(df.fd, name, target);
            return finishNew(df, name, Posix.S_IFLNK | 0777, owner, 0);
        } finally {
            df.release();
        }
    }

    Qid mknod(LocalHandle d, String name, int mode, int major, int minor, Owner owner)
            throws FsException {
        Names.checkNew("mknod", name);
        int type = Posix.mknodType(mode);
        backend.checkWritable("mknod");
        long rdev = Posix.makedev(major, minor);
        Fd df = d.retainPath();
        try {
            model.mknod(df.fd, name, type, mode, rdev);
            return finishNew(df, name, type | (mode & Posix.S_IALLUGO), owner, rdev);
        } finally {
            df.release();
        }
    }

    /** Gives node {@code name}, just made, its owner and mode; removes it if that fails. */
    private Qid finishNew(Fd dir, String name, int mode, Owner owner,
            long rdev) throws FsException {
        int fd = Libc.openat(dir.fd, name, O_PATH | O_NOFOLLOW, 0);
        try {
            model.initOwner(fd, mode, owner, rdev);
            return backend.qidOf(model.stat(fd));
        } catch (FsException | RuntimeException e) {
            Libc.unlinkQuietly(dir.fd, name, Posix.isDir(mode) ? AT_REMOVEDIR : 0);
            throw e;
        } finally {
            Libc.close(fd);
        }
    }

    void link(LocalHandle d, String name, LocalHandle t) throws FsException {
        Names.checkNew("link", name);
        backend.checkWritable("link");
        if (t.isDirectory()) {
            throw new FsException(Errno.EPERM, "link to a directory");
        }
        Fd df = d.retainPath();
        try {
            Fd tf = t.retainPath();
            try {
                Libc.linkat(tf.fd, df.fd, name);
            } finally {
                tf.release();
            }
        } finally {
            df.release();
        }
    }

    void rename(LocalHandle l, LocalHandle nd, String newName) throws FsException {
        Names.checkRename("rename", newName);
        backend.checkWritable("rename");
        LocalHandle.Location loc = located(l, "rename");
        try {
            Fd ndf = nd.retainPath();
            try {
                Libc.renameat(loc.parent().fd, loc.name(), ndf.fd, newName);
                l.moved(ndf.retain(), newName);
            } finally {
                ndf.release();
            }
        } finally {
            loc.parent().release();
        }
    }

    void renameat(LocalHandle od, String oldName, LocalHandle nd, String newName)
            throws FsException {
        Names.checkRename("renameat", oldName);
        Names.checkRename("renameat", newName);
        backend.checkWritable("renameat");
        Fd of = od.retainPath();
        try {
            Fd nf = nd.retainPath();
            try {
                Libc.renameat(of.fd, oldName, nf.fd, newName);
            } finally {
                nf.release();
            }
        } finally {
            of.release();
        }
    }

    void unlinkat(LocalHandle d, String name, int flags) throws FsException {
        Names.checkUnlink(name, flags);
        backend.checkWritable("unlinkat");
        Fd df = d.retainPath();
        try {
            Libc.unlinkat(df.fd, name, (flags & P9.AT_REMOVEDIR) != 0 ? AT_REMOVEDIR : 0);
        } finally {
            df.release();
        }
    }

    void remove(LocalHandle l) throws FsException {
        backend.checkWritable("remove");
        LocalHandle.Location loc = located(l, "remove");
        try {
            Libc.unlinkat(loc.parent().fd, loc.name(), l.isDirectory() ? AT_REMOVEDIR : 0);
        } finally {
            loc.parent().release();
        }
    }

    /**
     * The handle's directory (retained) and name, checked to still hold its file: the
     * answer is {@code ENOENT} if the name now holds another file or none.
     */
    private LocalHandle.Location located(LocalHandle l, String op) throws FsException {
        if (l.isRoot()) {
            throw new FsException(Errno.EBUSY, op + " of the export root");
        }
        LocalHandle.Location loc = l.retainLocation();
        if (loc.parent() == null) {
            throw new FsException(Errno.EINVAL,
                    op + " of a handle reached by '..': its name is unknown");
        }
        try {
            Stat now = Libc.statx(loc.parent().fd, loc.name());
            if (now.dev() != l.stat.dev() || now.ino() != l.stat.ino()) {
                throw new FsException(Errno.ENOENT, op + ": '" + Names.forLog(loc.name())
                        + "' no longer names the handle's file");
            }
            return loc;
        } catch (FsException | RuntimeException e) {
            loc.parent().release();
            throw e;
        }
    }

    void readdir(LocalHandle d, long offset, Predicate<DirEntry> sink) throws FsException {
        if (!d.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "readdir of a non-directory");
        }
        Fd o = d.retainOpen();
        d.dirLock.lock();
        try {
            long pos = offset;
            while (true) {
                List<Libc.Dirent> batch = Libc.getdents(o.fd, pos, READDIR_BUFFER);
                if (batch.isEmpty()) {
                    return;
                }
                for (Libc.Dirent e : batch) {
                    if (!sink.test(entry(d, o.fd, e))) {
                        return;
                    }
                    pos = e.off();
                }
            }
        } finally {
            d.dirLock.unlock();
            o.release();
        }
    }

    private DirEntry entry(LocalHandle d, int dirfd, Libc.Dirent e) {
        if (e.name().equals(".")) {
            return new DirEntry(d.qid, e.off(), P9.DT_DIR, ".");
        }
        if (e.name().equals("..") && d.isRoot()) {
            return new DirEntry(d.qid, e.off(), P9.DT_DIR, ".."); // nothing above the root
        }
        try {
            Stat st = Libc.statx(dirfd, e.name());
            Qid qid = backend.qidOf(st);
            if (mapped && Posix.isReg(st.mode())) {
                // may stand for a symlink or device: the client's getattr will tell
                return new DirEntry(qid, e.off(), P9.DT_UNKNOWN, e.name());
            }
            return new DirEntry(qid, e.off(), Posix.dirType(st.mode()), e.name());
        } catch (FsException gone) {
            // removed since getdents: report what getdents saw
            Qid qid = new Qid(e.type() == P9.DT_DIR ? P9.QTDIR : e.type() == P9.DT_LNK
                    ? P9.QTSYMLINK : P9.QTFILE, 0, backend.qidPath(d.stat.dev(), e.ino()));
            return new DirEntry(qid, e.off(), e.type() & 0xFF, e.name());
        }
    }
}
