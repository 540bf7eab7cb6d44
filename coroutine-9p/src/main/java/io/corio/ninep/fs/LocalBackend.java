package io.corio.ninep.fs;

import static io.corio.ninep.fs.Libc.AT_FDCWD;
import static io.corio.ninep.fs.Libc.O_DIRECTORY;
import static io.corio.ninep.fs.Libc.O_NOFOLLOW;
import static io.corio.ninep.fs.Libc.O_PATH;

import io.corio.core.io.Errnos;
import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.SetAttr;
import io.corio.ninep.protocol.StatFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Backend} serving a host directory tree through Linux system calls (bound by
 * {@link Libc}), confined to its export root. Thread-safe: it keeps no mutable state of its
 * own beyond the {@link QidMap}; each handle guards its own.
 *
 * <p><b>Confinement.</b> A handle holds an {@code O_PATH | O_NOFOLLOW} descriptor of its file,
 * never a path. A walk opens one element relative to the directory's descriptor with
 * {@code openat(dirfd, name, O_PATH | O_NOFOLLOW)}; every other operation is a {@code *at}
 * call on a handle's descriptor and one checked name, or acts on the descriptor's own file
 * through {@code /proc/self/fd/N} (see {@link Libc}). So a symlink is never followed (a walk
 * gives the link itself, and a link is not a directory to walk on from), a directory swapped
 * for a symlink between walks is not entered, and a rename moves files under held handles
 * without changing which files they are. {@code ..} is resolved on the host and answered with
 * the root itself at the root (compared by device and inode); the result is then checked to
 * lead back up to the root, so a directory that the host moved out of the export gives
 * {@code ENOENT} rather than a way out. What stays outside the guarantee: the host moving a
 * directory out of the export while a client holds a handle inside it (the client keeps that
 * handle's subtree), and bind mounts the host places inside the export.
 *
 * <p><b>Security models</b> are {@link HostModel}s; see {@link SecurityModel}. Qid paths come
 * from a {@link QidMap}, unique across devices. Making, renaming, removing and listing names
 * is in {@link LocalDirectories}; Tremove and Trename, which name a file by handle, use the
 * directory and name the handle was walked to, after checking that the name still holds
 * the handle's file (by device and inode).
 *
 * <p>Calls block in native code; on a virtual thread that pins its carrier for the length of
 * the call, so a server on slow storage should run them in a worker pool.
 */
final class LocalBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(LocalBackend.class);
    private static final int MAX_DEPTH = 4096;

    private final String rootName; // for toString
    private final SecurityModel securityModel;
    private final HostModel model;
    private final boolean readOnly;
    private final Fd rootFd;
    private final long rootDev;
    private final long rootIno;
    private final QidMap qids;
    private final LocalDirectories dirs;
    private final LocalXattrs xattrs;
    private final AtomicBoolean closed = new AtomicBoolean();

    LocalBackend(Path root, SecurityModel securityModel, boolean readOnly) throws FsException {
        Libc.checkSupported();
        if (!Files.isDirectory(Path.of("/proc/self/fd"))) {
            throw new UnsupportedOperationException("the local back end needs /proc mounted");
        }
        this.rootName = root.toString();
        this.securityModel = securityModel;
        this.model = HostModel.of(securityModel);
        this.readOnly = readOnly;
        int fd = Libc.openat(AT_FDCWD, root.toAbsolutePath().toString(), O_PATH | O_DIRECTORY, 0);
        try {
            Stat st = Libc.statx(fd, "");
            if (securityModel == SecurityModel.MAPPED_XATTR) {
                probeUserXattrs(fd);
            }
            this.rootDev = st.dev();
            this.rootIno = st.ino();
        } catch (FsException e) {
            Libc.close(fd);
            throw e;
        }
        this.rootFd = new Fd(fd);
        this.qids = new QidMap(rootDev);
        this.dirs = new LocalDirectories(this, model, securityModel);
        this.xattrs = new LocalXattrs(this, model);
    }

    private static void probeUserXattrs(int fd) throws FsException {
        try {
            Libc.getxattr(fd, HostModel.MappedXattr.MODE);
        } catch (FsException e) {
            if (e.errno() != Errno.ENODATA) {
                throw new FsException(e.errno(), "mapped-xattr needs user.* xattrs on the export"
                        + " root's file system");
            }
        }
    }

    boolean isRoot(Stat st) {
        return st.dev() == rootDev && st.ino() == rootIno;
    }

    HostModel model() {
        return model;
    }

    SecurityModel securityModel() {
        return securityModel;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public Handle root() throws FsException {
        if (closed.get()) {
            throw new FsException(Errno.EBADF, "back end closed");
        }
        Fd fd = rootFd.retain();
        try {
            Stat st = model.stat(fd.fd);
            return new LocalHandle(this, fd, st, qidOf(st), null, null);
        } catch (FsException | RuntimeException e) {
            fd.release();
            throw e;
        }
    }

    @Override
    public Handle walk(Handle dir, String name) throws FsException {
        LocalHandle d = own(dir);
        Names.check("walk", name);
        if (!d.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, "walk '" + Names.forLog(name)
                    + "' from a non-directory");
        }
        if (name.equals(".")) {
            return d.duplicate();
        }
        if (name.equals("..")) {
            return d.isRoot() ? d.duplicate() : walkUp(d);
        }
        Fd df = d.retainPath();
        try {
            int fd = Libc.openat(df.fd, name, O_PATH | O_NOFOLLOW, 0);
            return adopt(fd, df.retain(), name);
        } finally {
            df.release();
        }
    }

    /** {@code ..} of a directory other than the root, checked to lead back to the root. */
    private Handle walkUp(LocalHandle d) throws FsException {
        Fd df = d.retainPath();
        int up;
        try {
            up = Libc.openat(df.fd, "..", O_PATH | O_DIRECTORY, 0);
        } finally {
            df.release();
        }
        try {
            if (!leadsToRoot(up)) {
                throw new FsException(Errno.ENOENT,
                        "walk '..': the directory is no longer in the export");
            }
        } catch (FsException e) {
            Libc.close(up);
            throw e;
        }
        return adopt(up, null, null);
    }

    /** Whether going up from directory {@code fd} reaches the export root. */
    private boolean leadsToRoot(int fd) throws FsException {
        int cur = fd;
        try {
            Stat st = Libc.statx(cur, "");
            for (int depth = 0; depth < MAX_DEPTH; depth++) {
                if (isRoot(st)) {
                    return true;
                }
                int next = Libc.openat(cur, "..", O_PATH | O_DIRECTORY, 0);
                if (cur != fd) {
                    Libc.close(cur);
                }
                cur = next;
                Stat up = Libc.statx(cur, "");
                if (up.dev() == st.dev() && up.ino() == st.ino()) {
                    return false; // the host's "/"
                }
                st = up;
            }
            throw new FsException(Errno.ELOOP, "walk '..': deeper than " + MAX_DEPTH);
        } finally {
            if (cur != fd) {
                Libc.close(cur);
            }
        }
    }

    /** A handle on descriptor {@code fd}, which it takes over, as is {@code parent}. */
    LocalHandle adopt(int fd, Fd parent, String name) throws FsException {
        try {
            Stat st = model.stat(fd);
            return new LocalHandle(this, new Fd(fd), st, qidOf(st), parent, name);
        } catch (FsException | RuntimeException e) {
            Libc.close(fd);
            if (parent != null) {
                parent.release();
            }
            throw e;
        }
    }

    long qidPath(long dev, long ino) {
        return qids.path(dev, ino);
    }

    Qid qidOf(Stat st) {
        return st.qid(qids.path(st.dev(), st.ino()));
    }

    @Override
    public Handle clone(Handle h) throws FsException {
        return own(h).duplicate();
    }

    @Override
    public Attr getattr(Handle h, long requestMask) throws FsException {
        LocalHandle l = own(h);
        Fd f = l.retainPath();
        try {
            Stat st = model.stat(f.fd);
            return st.attr(qidOf(st));
        } finally {
            f.release();
        }
    }

    @Override
    public void setattr(Handle h, SetAttr a) throws FsException {
        LocalAttrs.set(this, own(h), a);
    }

    @Override
    public Qid open(Handle h, int flags) throws FsException {
        LocalHandle l = own(h);
        int host = OpenFlags.toHost(flags);
        if (OpenFlags.modifies(flags)) {
            checkWritable("open for writing");
        }
        if (Posix.isLink(l.stat.mode())) {
            throw new FsException(Errno.ELOOP, "open of a symlink");
        }
        Fd f = l.retainPath();
        try {
            Fd o = new Fd(Libc.reopen(f.fd, host));
            l.setOpen(o, host);
            if (Posix.isReg(l.stat.mode())) {
                openChannel(l, o, host);
            }
            Stat st = model.stat(f.fd);
            return qidOf(st);
        } finally {
            f.release();
        }
    }

    /**
     * Gives an open regular file a {@link FileChannel}, opened through the descriptor's
     * {@code /proc/self/fd} link (so the very file, even renamed or unlinked) with the same
     * access and sync flags: the JDK's file I/O can run on a virtual thread, whose carrier the
     * JDK compensates while it blocks, where our FFM {@code pread}/{@code pwrite} would pin
     * it. So reads and writes need no hop to the I/O pool's platform threads
     * ({@link #readsWithoutPinning}, {@link #writesWithoutPinning}). An {@code O_APPEND} file
     * keeps {@code pwrite}, which appends whatever the offset (a channel's positional write
     * would not). If the kernel refuses the second open (the file's mode changed since), the
     * calls stay on {@code pread}/{@code pwrite}.
     */
    void openChannel(LocalHandle l, Fd o, int host) {
        int access = host & Libc.O_ACCMODE;
        boolean reads = access != Libc.O_WRONLY;
        boolean writes = access != Libc.O_RDONLY && (host & Libc.O_APPEND) == 0;
        if (!reads && !writes) {
            return;
        }
        Set<OpenOption> options = new HashSet<>();
        if (reads) {
            options.add(StandardOpenOption.READ);
        }
        if (writes) {
            options.add(StandardOpenOption.WRITE);
            if ((host & Libc.O_SYNC) == Libc.O_SYNC) {
                options.add(StandardOpenOption.SYNC);
            } else if ((host & Libc.O_DSYNC) != 0) {
                options.add(StandardOpenOption.DSYNC);
            }
        }
        try {
            l.setChannel(FileChannel.open(Path.of("/proc/self/fd/" + o.fd), options), reads, writes);
        } catch (IOException | RuntimeException e) {
            log.debug("{}: I/O stays on pread/pwrite: {}", l, e.toString());
        }
    }

    @Override
    public boolean readsWithoutPinning(Handle h) {
        return h instanceof LocalHandle l && l.backend == this && l.reader() != null;
    }

    @Override
    public int read(Handle h, long offset, ByteBuffer dst) throws FsException {
        LocalHandle l = own(h);
        FileChannel ch = l.reader();
        if (ch != null) {
            try {
                return Math.max(0, ch.read(dst, offset));
            } catch (ClosedChannelException e) {
                throw new FsException(Errno.EBADF, "handle closed");
            } catch (IOException e) {
                throw new FsException(Errnos.of(e, Errno.EIO), "read: " + e.getMessage());
            }
        }
        Fd o = l.retainOpen();
        try {
            return Libc.pread(o.fd, dst, offset);
        } finally {
            o.release();
        }
    }

    @Override
    public boolean writesWithoutPinning(Handle h) {
        return h instanceof LocalHandle l && l.backend == this && l.writer() != null;
    }

    @Override
    public int write(Handle h, long offset, ByteBuffer src) throws FsException {
        LocalHandle l = own(h);
        FileChannel ch = l.writer();
        if (ch != null) {
            try {
                return ch.write(src, offset);
            } catch (ClosedChannelException e) {
                throw new FsException(Errno.EBADF, "handle closed");
            } catch (IOException e) {
                throw new FsException(Errnos.of(e, Errno.EIO), "write: " + e.getMessage());
            }
        }
        Fd o = l.retainOpen();
        try {
            return Libc.pwrite(o.fd, src, offset);
        } finally {
            o.release();
        }
    }

    @Override
    public String readlink(Handle h) throws FsException {
        LocalHandle l = own(h);
        if (!Posix.isLink(l.stat.mode())) {
            throw new FsException(Errno.EINVAL, "readlink of a non-symlink");
        }
        Fd f = l.retainPath();
        try {
            return model.readlink(f.fd, l.stat);
        } finally {
            f.release();
        }
    }

    // ---- directory contents: LocalDirectories -------------------------------------------

    @Override
    public Handle create(Handle dir, String name, int flags, int mode, Owner owner)
            throws FsException {
        return dirs.create(ownDir(dir, "create", name), name, flags, mode, owner);
    }

    @Override
    public Qid mkdir(Handle dir, String name, int mode, Owner owner) throws FsException {
        return dirs.mkdir(ownDir(dir, "mkdir", name), name, mode, owner);
    }

    @Override
    public Qid symlink(Handle dir, String name, String target, Owner owner) throws FsException {
        return dirs.symlink(ownDir(dir, "symlink", name), name, target, owner);
    }

    @Override
    public Qid mknod(Handle dir, String name, int mode, int major, int minor, Owner owner)
            throws FsException {
        return dirs.mknod(ownDir(dir, "mknod", name), name, mode, major, minor, owner);
    }

    @Override
    public void link(Handle dir, String name, Handle target) throws FsException {
        dirs.link(ownDir(dir, "link", name), name, own(target));
    }

    @Override
    public void rename(Handle h, Handle newDir, String newName) throws FsException {
        dirs.rename(own(h), ownDir(newDir, "rename", newName), newName);
    }

    @Override
    public void renameat(Handle oldDir, String oldName, Handle newDir, String newName)
            throws FsException {
        dirs.renameat(ownDir(oldDir, "renameat", oldName), oldName,
                ownDir(newDir, "renameat", newName), newName);
    }

    @Override
    public void unlinkat(Handle dir, String name, int flags) throws FsException {
        dirs.unlinkat(ownDir(dir, "unlinkat", name), name, flags);
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
        Fd f = own(h).retainPath();
        try {
            return Libc.fstatfs(f.fd);
        } finally {
            f.release();
        }
    }

    @Override
    public void fsync(Handle h, boolean datasync) throws FsException {
        Fd o = own(h).retainOpen();
        try {
            Libc.fsync(o.fd, datasync);
        } finally {
            o.release();
        }
    }

    @Override
    public byte[] getxattr(Handle h, String name) throws FsException {
        return xattrs.get(own(h), name);
    }

    @Override
    public List<String> listxattr(Handle h) throws FsException {
        return xattrs.list(own(h));
    }

    @Override
    public void setxattr(Handle h, String name, byte[] value, int flags) throws FsException {
        xattrs.set(own(h), name, value, flags);
    }

    @Override
    public void removexattr(Handle h, String name) throws FsException {
        xattrs.remove(own(h), name);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            rootFd.release();
        }
    }

    void checkWritable(String op) throws FsException {
        if (readOnly) {
            throw new FsException(Errno.EROFS, op + " on a read-only export");
        }
    }

    /** {@code h} as a handle of this back end, checked to be open: EBADF comes first. */
    private LocalHandle own(Handle h) throws FsException {
        if (h instanceof LocalHandle l && l.backend == this) {
            if (l.isClosed()) {
                throw new FsException(Errno.EBADF, "handle closed");
            }
            return l;
        }
        throw new IllegalArgumentException("not a handle of " + this + ": " + h);
    }

    private LocalHandle ownDir(Handle h, String op, String name) throws FsException {
        LocalHandle l = own(h);
        if (!l.isDirectory()) {
            throw new FsException(Errno.ENOTDIR, op + " '" + Names.forLog(name)
                    + "' in a non-directory");
        }
        return l;
    }

    @Override
    public String toString() {
        return "LocalBackend[" + Names.forLog(rootName) + ", " + securityModel
                + (readOnly ? ", read-only" : "") + (closed.get() ? ", closed" : "") + "]";
    }
}
