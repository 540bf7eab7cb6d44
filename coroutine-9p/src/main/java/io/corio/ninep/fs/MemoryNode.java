package io.corio.ninep.fs;

import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.SetAttr;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One file of a {@link MemoryBackend}: its inode fields, and by type its bytes, its symlink
 * target or its directory entries. Not thread-safe: every field is guarded by the back end's
 * tree lock.
 *
 * <p>A directory numbers its entries in the order they were linked ({@code seq}, from 3 up;
 * {@code "."} is 1 and {@code ".."} 2) and never reuses a number, so a seq is a readdir cookie
 * that stays valid whatever is linked or unlinked later: entries that stay are offered once.
 */
final class MemoryNode {
    static final long DOT_COOKIE = 1;
    static final long DOTDOT_COOKIE = 2;
    static final int BLKSIZE = 4096;
    /** The largest regular file. */
    static final long MAX_SIZE = 1L << 30;

    private static final byte[] EMPTY = new byte[0];

    /** One directory entry: its cookie and its file. */
    record Slot(long seq, MemoryNode node) {}

    final long id;
    int mode; // type and permission bits
    int uid;
    int gid;
    long nlink;
    long rdev;
    long atime; // epoch nanoseconds, as are the other times
    long mtime;
    long ctime;
    final long btime;
    int version;
    private final Map<String, byte[]> xattrs = new TreeMap<>();

    // regular file
    private byte[] data = EMPTY;
    private int size;
    // symlink
    final String target;
    // directory
    MemoryNode parent; // the directory's "..", itself for the root
    final Map<String, Slot> children;
    final TreeMap<Long, String> bySeq;
    private long nextSeq = 3;

    MemoryNode(long id, int mode, Owner owner, long rdev, String target) {
        this.id = id;
        this.mode = mode;
        this.uid = owner.uid();
        this.gid = owner.gid();
        this.rdev = rdev;
        this.target = target;
        boolean dir = Posix.isDir(mode);
        this.nlink = dir ? 2 : 1;
        this.children = dir ? new HashMap<>() : null;
        this.bySeq = dir ? new TreeMap<>() : null;
        this.btime = now();
        this.atime = btime;
        this.mtime = btime;
        this.ctime = btime;
    }

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    int type() {
        return mode & Posix.S_IFMT;
    }

    boolean isDir() {
        return Posix.isDir(mode);
    }

    long size() {
        return switch (type()) {
            case Posix.S_IFREG -> size;
            case Posix.S_IFDIR -> BLKSIZE;
            case Posix.S_IFLNK -> Names.utf8Length(target);
            default -> 0;
        };
    }

    Qid qid() {
        return new Qid(Posix.qidType(mode), version, id);
    }

    Attr attr() {
        long size = size();
        long blocks = type() == Posix.S_IFREG ? (data.length + 511L) / 512 : size / 512;
        return Posix.attr(qid(), mode, uid, gid, nlink, rdev, size, BLKSIZE, blocks,
                atime / 1_000_000_000L, atime % 1_000_000_000L,
                mtime / 1_000_000_000L, mtime % 1_000_000_000L,
                ctime / 1_000_000_000L, ctime % 1_000_000_000L,
                btime / 1_000_000_000L, btime % 1_000_000_000L);
    }

    /** Records a change of content: new mtime, ctime and version. */
    void modified() {
        mtime = now();
        ctime = mtime;
        version++;
    }

    /** Records a change of metadata only. */
    void changed() {
        ctime = now();
        version++;
    }

    // ---- attributes ---------------------------------------------------------------------

    /**
     * setattr(2) of what {@code a} selects. Everything that can fail is checked first, so a
     * failing call changes nothing.
     */
    void setattr(SetAttr a) throws FsException {
        if (a.has(P9.SETATTR_SIZE)) {
            if (isDir()) {
                throw new FsException(Errno.EISDIR, "truncate of a directory");
            }
            if (type() != Posix.S_IFREG) {
                throw new FsException(Errno.EINVAL, "truncate of a special file or symlink");
            }
            checkSize(a.size());
        }
        if (a.has(P9.SETATTR_MODE) && Posix.isLink(mode)) {
            throw new FsException(Errno.EOPNOTSUPP, "chmod of a symlink");
        }
        long now = now();
        long newAtime = a.has(P9.SETATTR_ATIME_SET) ? nanos(a.atimeSec(), a.atimeNsec()) : now;
        long newMtime = a.has(P9.SETATTR_MTIME_SET) ? nanos(a.mtimeSec(), a.mtimeNsec()) : now;
        if (a.has(P9.SETATTR_SIZE)) {
            truncate(a.size());
        }
        if (a.has(P9.SETATTR_UID)) {
            uid = a.uid();
        }
        if (a.has(P9.SETATTR_GID)) {
            gid = a.gid();
        }
        if (a.has(P9.SETATTR_MODE)) {
            mode = type() | (a.mode() & Posix.S_IALLUGO);
        }
        if (a.has(P9.SETATTR_ATIME)) {
            atime = newAtime;
        }
        if (a.has(P9.SETATTR_MTIME)) {
            mtime = newMtime;
        }
        ctime = now;
        version++;
    }

    private static long nanos(long sec, long nsec) throws FsException {
        if (nsec < 0 || nsec >= 1_000_000_000L) {
            throw new FsException(Errno.EINVAL, "time with " + nsec + " nanoseconds");
        }
        return sec * 1_000_000_000L + nsec;
    }

    // ---- extended attributes ------------------------------------------------------------

    byte[] getxattr(String name) throws FsException {
        checkXattrNamespace("getxattr", name);
        byte[] v = name.equals(Names.SECURITY_CAPABILITY) ? null : xattrs.get(name);
        if (v == null) {
            throw new FsException(Errno.ENODATA, "getxattr '" + Names.forLog(name) + "'");
        }
        return v.clone();
    }

    List<String> xattrNames() {
        return List.copyOf(xattrs.keySet());
    }

    /** setxattr(2), with Linux's rule that user.* lives only on files and directories. */
    void setxattr(String name, byte[] value, int flags) throws FsException {
        checkXattrNamespace("setxattr", name);
        if (name.startsWith("user.") && !isDir() && type() != Posix.S_IFREG) {
            throw new FsException(Errno.EPERM, "setxattr user.* on a special file or symlink");
        }
        boolean present = xattrs.containsKey(name);
        if ((flags & P9.XATTR_CREATE) != 0 && present) {
            throw new FsException(Errno.EEXIST, "setxattr '" + Names.forLog(name) + "'");
        }
        if ((flags & P9.XATTR_REPLACE) != 0 && !present) {
            throw new FsException(Errno.ENODATA, "setxattr '" + Names.forLog(name) + "'");
        }
        xattrs.put(name, value.clone());
        changed();
    }

    void removexattr(String name) throws FsException {
        checkXattrNamespace("removexattr", name);
        if (xattrs.remove(name) == null) {
            throw new FsException(Errno.ENODATA, "removexattr '" + Names.forLog(name) + "'");
        }
        changed();
    }

    /** Linux knows four namespaces; any other prefix is EOPNOTSUPP. */
    private static void checkXattrNamespace(String op, String name) throws FsException {
        if (!(name.startsWith("user.") || name.startsWith("trusted.")
                || name.startsWith("security.") || name.startsWith("system."))) {
            throw new FsException(Errno.EOPNOTSUPP, op + " outside the known namespaces");
        }
    }

    // ---- regular file contents --------------------------------------------------------

    int read(long offset, ByteBuffer dst) throws FsException {
        if (offset < 0) {
            throw new FsException(Errno.EINVAL, "read at negative offset");
        }
        if (offset >= size) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), size - offset);
        dst.put(data, (int) offset, n);
        atime = now();
        return n;
    }

    int write(long offset, ByteBuffer src) throws FsException {
        if (offset < 0) {
            throw new FsException(Errno.EINVAL, "write at negative offset");
        }
        int n = src.remaining();
        if (offset + n > MAX_SIZE) {
            throw new FsException(Errno.EFBIG, "write past " + MAX_SIZE + " bytes");
        }
        int end = (int) offset + n;
        ensureCapacity(end);
        src.get(data, (int) offset, n);
        size = Math.max(size, end);
        modified();
        return n;
    }

    private static void checkSize(long newSize) throws FsException {
        if (newSize < 0) {
            throw new FsException(Errno.EINVAL, "truncate to a negative size");
        }
        if (newSize > MAX_SIZE) {
            throw new FsException(Errno.EFBIG, "truncate past " + MAX_SIZE + " bytes");
        }
    }

    void truncate(long newSize) throws FsException {
        checkSize(newSize);
        int n = (int) newSize;
        if (n < size) {
            Arrays.fill(data, n, size, (byte) 0); // a later extension reads zeros
        } else {
            ensureCapacity(n);
        }
        size = n;
        if (data.length > 2 * Math.max(n, BLKSIZE)) {
            data = Arrays.copyOf(data, n);
        }
        modified();
    }

    private void ensureCapacity(int needed) {
        if (needed > data.length) {
            int cap = (int) Math.min(MAX_SIZE, Math.max(needed, 2L * data.length));
            data = Arrays.copyOf(data, cap);
        }
    }

    // ---- directory entries ------------------------------------------------------------

    MemoryNode lookup(String name) {
        Slot s = children.get(name);
        return s == null ? null : s.node;
    }

    /** Links {@code node} as {@code name} (which must be free) with the next cookie. */
    void link(String name, MemoryNode node) {
        long seq = nextSeq++;
        Slot old = children.put(name, new Slot(seq, node));
        assert old == null : name + " was taken";
        bySeq.put(seq, name);
        if (node.isDir()) {
            node.parent = this;
            nlink++;
        }
        modified();
    }

    /** Unlinks {@code name}, which must be present; returns its node. */
    MemoryNode unlink(String name) {
        Slot s = children.remove(name);
        bySeq.remove(s.seq);
        if (s.node.isDir()) {
            nlink--;
        }
        modified();
        return s.node;
    }

    /** Whether {@code this} is {@code dir} or one of its ancestors. */
    boolean isAncestorOf(MemoryNode dir) {
        for (MemoryNode d = dir; ; d = d.parent) {
            if (d == this) {
                return true;
            }
            if (d.parent == d) {
                return false;
            }
        }
    }
}
