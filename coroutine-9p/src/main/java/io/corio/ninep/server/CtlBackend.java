package io.corio.ninep.server;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.FsException;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.fs.Owner;
import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.SetAttr;
import io.corio.ninep.protocol.StatFs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The synthetic {@code ctl} export every {@link NinepServer} has (aname {@code ctl}), as diod
 * has: a directory of four files, which is what {@code diodload} drives.
 * <ul>
 * <li>{@code version}: the corio version, one line;
 * <li>{@code stats}: the server's counters ({@link ServerStats#text}), made at each read;
 * <li>{@code zero}: reads return zeros at any offset (size reported: 2^62 bytes), writes EACCES;
 * <li>{@code null}: writes are accepted and dropped, reads return no bytes.
 * </ul>
 * Nothing can be created, removed, renamed or changed: those answer {@code EROFS}.
 * Thread-safe: the handles are immutable apart from their open and closed flags.
 */
final class CtlBackend implements Backend {
    /** The aname of this export. */
    static final String ANAME = "ctl";
    private static final long ZERO_SIZE = 1L << 62;
    private static final byte[] ZEROS = new byte[64 * 1024];
    private static final long CTL_MAGIC = 0x01021997L; // V9FS_MAGIC

    private enum Node {
        ROOT(".", 040555), VERSION("version", 0100444), STATS("stats", 0100444),
        ZERO("zero", 0100444), NULL("null", 0100666);

        final String fileName;
        final int mode;

        Node(String fileName, int mode) {
            this.fileName = fileName;
            this.mode = mode;
        }

        Qid qid() {
            return new Qid(this == ROOT ? P9.QTDIR : P9.QTFILE, 0, ordinal() + 1);
        }
    }

    private static final List<Node> FILES = List.of(Node.VERSION, Node.STATS, Node.ZERO, Node.NULL);

    private static final class CtlHandle implements Handle {
        final Node node;
        private volatile boolean open;
        private volatile boolean closed;

        CtlHandle(Node node) {
            this.node = node;
        }

        @Override
        public Qid qid() {
            return node.qid();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return "ctl:" + node.fileName;
        }
    }

    private final Supplier<String> stats;
    private final long bootSec = System.currentTimeMillis() / 1000;

    CtlBackend(Supplier<String> stats) {
        this.stats = stats;
    }

    /** The corio version, from the jar's manifest when packaged. */
    static String version() {
        String v = CtlBackend.class.getPackage().getImplementationVersion();
        return "corio " + (v != null ? v : "0.1.0-SNAPSHOT") + " 9P2000.L\n";
    }

    private static CtlHandle own(Handle h) throws FsException {
        if (h instanceof CtlHandle c && !c.isClosed()) {
            return c;
        }
        throw new FsException(Errno.EBADF, "not a live ctl handle: " + h);
    }

    private byte[] content(Node n) {
        return switch (n) {
            case VERSION -> version().getBytes(StandardCharsets.UTF_8);
            case STATS -> stats.get().getBytes(StandardCharsets.UTF_8);
            default -> new byte[0];
        };
    }

    @Override
    public boolean mayBlock() {
        return false; // every call is short work on in-memory state
    }

    @Override
    public boolean readOnly() {
        return false; // null takes writes
    }

    @Override
    public Handle root() {
        return new CtlHandle(Node.ROOT);
    }

    @Override
    public Handle walk(Handle dir, String name) throws FsException {
        CtlHandle d = own(dir);
        if (d.node != Node.ROOT) {
            throw new FsException(Errno.ENOTDIR, "walk from " + d);
        }
        if (name.equals(".") || name.equals("..")) {
            return new CtlHandle(Node.ROOT);
        }
        for (Node n : FILES) {
            if (n.fileName.equals(name)) {
                return new CtlHandle(n);
            }
        }
        throw new FsException(Errno.ENOENT, "ctl has no '" + name + "'");
    }

    @Override
    public Handle clone(Handle h) throws FsException {
        return new CtlHandle(own(h).node);
    }

    @Override
    public Attr getattr(Handle h, long requestMask) throws FsException {
        Node n = own(h).node;
        long size = switch (n) {
            case ROOT -> 0;
            case ZERO -> ZERO_SIZE;
            case NULL -> 0;
            default -> content(n).length;
        };
        return new Attr(P9.GETATTR_BASIC, n.qid(), n.mode, 0, 0, n == Node.ROOT ? 2 : 1, 0, size,
                4096, (size + 511) / 512, bootSec, 0, bootSec, 0, bootSec, 0, 0, 0, 0, 0);
    }

    @Override
    public void setattr(Handle h, SetAttr attr) throws FsException {
        own(h);
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public Qid open(Handle h, int flags) throws FsException {
        CtlHandle c = own(h);
        int access = flags & P9.DOTL_ACCMODE;
        if (access != P9.DOTL_RDONLY && c.node != Node.NULL) {
            throw new FsException(c.node == Node.ROOT ? Errno.EISDIR : Errno.EACCES,
                    "ctl " + c.node.fileName + " is read-only");
        }
        c.open = true;
        return c.node.qid();
    }

    @Override
    public Handle create(Handle dir, String name, int flags, int mode, Owner owner)
            throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public int read(Handle h, long offset, ByteBuffer dst) throws FsException {
        CtlHandle c = own(h);
        if (!c.isOpen()) {
            throw new FsException(Errno.EBADF, "read of unopened " + c);
        }
        switch (c.node) {
            case ZERO -> {
                if (offset < 0 || offset >= ZERO_SIZE) {
                    return 0;
                }
                int n = (int) Math.min(dst.remaining(), ZERO_SIZE - offset);
                for (int left = n; left > 0; ) {
                    int chunk = Math.min(left, ZEROS.length);
                    dst.put(ZEROS, 0, chunk);
                    left -= chunk;
                }
                return n;
            }
            case NULL -> {
                return 0;
            }
            case ROOT -> throw new FsException(Errno.EISDIR, "read of ctl directory");
            default -> {
                byte[] b = content(c.node);
                if (offset < 0 || offset >= b.length) {
                    return 0;
                }
                int n = (int) Math.min(dst.remaining(), b.length - offset);
                dst.put(b, (int) offset, n);
                return n;
            }
        }
    }

    @Override
    public int write(Handle h, long offset, ByteBuffer src) throws FsException {
        CtlHandle c = own(h);
        if (c.node != Node.NULL || !c.isOpen()) {
            throw new FsException(Errno.EBADF, "write to " + c);
        }
        int n = src.remaining();
        src.position(src.limit());
        return n;
    }

    @Override
    public Qid mkdir(Handle dir, String name, int mode, Owner owner) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public Qid symlink(Handle dir, String name, String target, Owner owner) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public Qid mknod(Handle dir, String name, int mode, int major, int minor, Owner owner)
            throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public void link(Handle dir, String name, Handle target) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public String readlink(Handle h) throws FsException {
        throw new FsException(Errno.EINVAL, "ctl has no symlinks");
    }

    @Override
    public void rename(Handle h, Handle newDir, String newName) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public void renameat(Handle oldDir, String oldName, Handle newDir, String newName)
            throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public void unlinkat(Handle dir, String name, int flags) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public void remove(Handle h) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public void readdir(Handle dir, long offset, Predicate<DirEntry> sink) throws FsException {
        CtlHandle d = own(dir);
        if (d.node != Node.ROOT) {
            throw new FsException(Errno.ENOTDIR, "readdir of " + d);
        }
        // cookies: entry i (0 ".", 1 "..", then the files) ends at offset i + 1
        for (long i = Math.max(offset, 0); i < FILES.size() + 2; i++) {
            DirEntry e = switch ((int) i) {
                case 0 -> new DirEntry(Node.ROOT.qid(), 1, P9.DT_DIR, ".");
                case 1 -> new DirEntry(Node.ROOT.qid(), 2, P9.DT_DIR, "..");
                default -> {
                    Node n = FILES.get((int) i - 2);
                    yield new DirEntry(n.qid(), i + 1, P9.DT_REG, n.fileName);
                }
            };
            if (!sink.test(e)) {
                return;
            }
        }
    }

    @Override
    public StatFs statfs(Handle h) throws FsException {
        own(h);
        return new StatFs((int) CTL_MAGIC, 4096, 0, 0, 0, FILES.size() + 1, 0, 0, 255);
    }

    @Override
    public void fsync(Handle h, boolean datasync) throws FsException {
        own(h);
    }

    @Override
    public byte[] getxattr(Handle h, String name) throws FsException {
        own(h);
        throw new FsException(Errno.ENODATA, name);
    }

    @Override
    public List<String> listxattr(Handle h) throws FsException {
        own(h);
        return List.of();
    }

    @Override
    public void setxattr(Handle h, String name, byte[] value, int flags) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public void removexattr(Handle h, String name) throws FsException {
        throw new FsException(Errno.EROFS, "ctl");
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "CtlBackend";
    }
}
