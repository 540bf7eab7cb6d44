package io.corio.ninep.server;

import io.corio.core.Coroutine;
import io.corio.core.CoroutineFunction;
import io.corio.core.WorkerPool;
import io.corio.core.io.BufferPool;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.FsException;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.fs.Owner;
import io.corio.ninep.protocol.DirPacker;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage;
import io.corio.ninep.protocol.Tmessage.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The file requests of one session: its fid table and one sequential handler per message
 * (everything but Tversion and Tflush, which {@link Session} answers). Each handler runs in its
 * own coroutine of the session's context and calls the back end through
 * {@link Coroutine#inWorker} (or in place for back ends that never block), so the fid table is touched only by the context's turn holder and
 * needs no lock; a handler re-reads the table after each blocking call, since another request
 * may have clunked or claimed a fid meanwhile.
 *
 * <p>Failures a client can cause come out as {@link FsException} carrying the errno to send in
 * Rlerror: an unknown fid is {@code EBADF}, a fid number already in use for a new fid
 * {@code EBADF} (as diod answers), Tread on a directory {@code EOPNOTSUPP}.
 */
final class FileService {
    private static final String SECURITY_CAPABILITY = "security.capability";

    private final Map<String, Backend> exports; // immutable
    private final LockTable locks; // shared by the server's sessions; thread-safe
    private final ServerStats stats; // thread-safe
    private final BufferPool buffers; // thread-safe; Rread payloads, given back by the FrameWriter
    private final WorkerPool io; // thread-safe; where blocking back-end calls run
    private final Map<Integer, Fid> fids = new HashMap<>(); // context only
    private int msize; // context only

    FileService(Map<String, Backend> exports, LockTable locks, ServerStats stats, BufferPool buffers,
            WorkerPool io, int msize) {
        this.buffers = buffers;
        this.io = io;
        this.exports = exports;
        this.locks = locks;
        this.stats = stats;
        this.msize = msize;
    }

    /** Clunks every fid (Tversion, end of connection) and sets the msize to use from now on. */
    void reset(int newMsize) {
        for (Fid f : fids.values()) {
            clunk(f);
        }
        fids.clear();
        msize = newMsize;
    }

    int fidCount() {
        return fids.size();
    }

    /** Answers {@code t}; never returns null. */
    Rmessage handle(Tmessage t) throws FsException {
        return switch (t) {
            // loc-begin: 9p-coroutine-auth
            case Tauth a -> throw new FsException(Errno.ENOENT, "no authentication required");
            // loc-end
            // loc-begin: 9p-coroutine-attach
            case Tattach a -> attach(a);
            // loc-end
            // loc-begin: 9p-coroutine-walk
            case Twalk w -> walk(w);
            // loc-end
            // loc-begin: 9p-coroutine-clunk
            case Tclunk c -> {
                Fid f = fids.remove(c.fid());
                if (f == null) {
                    throw badFid(c.fid());
                }
                // loc-end: xattrs are not served by the callback server
                try {
                    applyXattrWrite(f);
                } finally {
                    // loc-begin: 9p-coroutine-clunk
                    clunk(f);
                    // loc-end
                }
                // loc-begin: 9p-coroutine-clunk
                yield new Rclunk(c.tag());
            }
            // loc-end
            // loc-begin: 9p-coroutine-lopen
            case Tlopen o -> lopen(o);
            // loc-end
            // loc-begin: 9p-coroutine-lcreate
            case Tlcreate c -> lcreate(c);
            // loc-end
            // loc-begin: 9p-coroutine-read
            case Tread r -> read(r);
            // loc-end
            // loc-begin: 9p-coroutine-write
            case Twrite w -> {
                Fid f = fid(w.fid());
                // loc-end: xattrs are not served by the callback server
                if (f.xattrWrite() != null) {
                    yield new Rwrite(w.tag(), f.xattrWrite().append(w.offset(), w.data()));
                }
                // loc-begin: 9p-coroutine-write
                Handle h = handle(w.fid());
                int n = fs(f.backend, () -> f.backend.write(h, w.offset(), w.data()));
                stats.bytesWritten.add(n);
                yield new Rwrite(w.tag(), n);
            }
            // loc-end
            // loc-begin: 9p-coroutine-getattr
            case Tgetattr g -> {
                Fid f = fid(g.fid());
                Handle h = handle(g.fid());
                yield new Rgetattr(g.tag(), fs(f.backend, () -> f.backend.getattr(h, g.requestMask())));
            }
            // loc-end
            case Tsetattr s -> {
                Fid f = fid(s.fid());
                Handle h = handle(s.fid());
                fs(f.backend, () -> { f.backend.setattr(h, s.attr()); return null; });
                yield new Rsetattr(s.tag());
            }
            // loc-begin: 9p-coroutine-readdir
            case Treaddir r -> readdir(r);
            // loc-end
            // loc-begin: 9p-coroutine-statfs
            case Tstatfs s -> {
                Fid f = fid(s.fid());
                Handle h = handle(s.fid());
                yield new Rstatfs(s.tag(), fs(f.backend, () -> f.backend.statfs(h)));
            }
            // loc-end
            case Tmkdir m -> {
                Fid d = fid(m.dfid());
                Handle h = handle(m.dfid());
                Owner o = new Owner(d.uid, m.gid());
                yield new Rmkdir(m.tag(), fs(d.backend, () -> d.backend.mkdir(h, m.name(), m.mode(), o)));
            }
            case Tsymlink s -> {
                Fid d = fid(s.fid());
                Handle h = handle(s.fid());
                Owner o = new Owner(d.uid, s.gid());
                yield new Rsymlink(s.tag(), fs(d.backend, () -> d.backend.symlink(h, s.name(), s.target(), o)));
            }
            case Tmknod m -> {
                Fid d = fid(m.dfid());
                Handle h = handle(m.dfid());
                Owner o = new Owner(d.uid, m.gid());
                yield new Rmknod(m.tag(), fs(d.backend, () -> d.backend.mknod(h, m.name(), m.mode(),
                        m.major(), m.minor(), o)));
            }
            case Tlink l -> {
                Fid d = fid(l.dfid());
                Handle dir = handle(l.dfid());
                Handle target = handle(l.fid());
                sameExport(d, fid(l.fid()));
                fs(d.backend, () -> { d.backend.link(dir, l.name(), target); return null; });
                yield new Rlink(l.tag());
            }
            case Treadlink r -> {
                Fid f = fid(r.fid());
                Handle h = handle(r.fid());
                yield new Rreadlink(r.tag(), fs(f.backend, () -> f.backend.readlink(h)));
            }
            case Trename r -> {
                Fid f = fid(r.fid());
                Handle h = handle(r.fid());
                Handle dir = handle(r.dfid());
                sameExport(f, fid(r.dfid()));
                fs(f.backend, () -> { f.backend.rename(h, dir, r.name()); return null; });
                yield new Rrename(r.tag());
            }
            case Trenameat r -> {
                Fid f = fid(r.oldDirFid());
                Handle from = handle(r.oldDirFid());
                Handle to = handle(r.newDirFid());
                sameExport(f, fid(r.newDirFid()));
                fs(f.backend, () -> { f.backend.renameat(from, r.oldName(), to, r.newName()); return null; });
                yield new Rrenameat(r.tag());
            }
            case Tunlinkat u -> {
                Fid f = fid(u.dirFid());
                Handle h = handle(u.dirFid());
                fs(f.backend, () -> { f.backend.unlinkat(h, u.name(), u.flags()); return null; });
                yield new Runlinkat(u.tag());
            }
            case Tremove r -> {
                Fid f = fids.remove(r.fid()); // Tremove clunks the fid whatever happens
                if (f == null) {
                    throw badFid(r.fid());
                }
                try {
                    Handle h = f.handle();
                    if (h == null) {
                        throw badFid(r.fid());
                    }
                    fs(f.backend, () -> { f.backend.remove(h); return null; });
                } finally {
                    clunk(f);
                }
                yield new Rremove(r.tag());
            }
            case Tfsync s -> {
                Fid f = fid(s.fid());
                Handle h = handle(s.fid());
                fs(f.backend, () -> { f.backend.fsync(h, s.datasync() != 0); return null; });
                yield new Rfsync(s.tag());
            }
            case Txattrwalk x -> xattrwalk(x);
            case Txattrcreate x -> xattrcreate(x);
            case Tlock l -> lock(l);
            case Tgetlock g -> getlock(g);
            case Tversion v -> throw new AssertionError("Tversion is the session's");
            case Tflush f -> throw new AssertionError("Tflush is the session's");
        };
    }

    // loc-begin: 9p-coroutine-attach
    private Rattach attach(Tattach a) throws FsException {
        if (a.afid() != P9.NOFID) {
            throw new FsException(Errno.EBADF, "attach with afid " + Integer.toUnsignedString(a.afid()));
        }
        String name = a.aname();
        Backend backend = exports.get(name);
        if (backend == null && name.isEmpty() && exports.size() == 2) { // one plus ctl
            for (var e : exports.entrySet()) {
                if (!e.getKey().equals(CtlBackend.ANAME)) {
                    name = e.getKey();
                    backend = e.getValue();
                }
            }
        }
        if (backend == null) {
            throw new FsException(Errno.ENOENT, "no export '" + a.aname() + "'");
        }
        checkFree(a.fid());
        Backend b = backend;
        Handle root = fs(b, b::root);
        int uid = a.nUname() == P9.NONUNAME ? -1 : a.nUname();
        install(Fid.of(a.fid(), backend, name, uid, root));
        return new Rattach(a.tag(), root.qid());
    }
    // loc-end

    // loc-begin: 9p-coroutine-walk
    private Rwalk walk(Twalk w) throws FsException {
        Fid from = fid(w.fid());
        Handle start = handle(w.fid());
        if (w.newfid() != w.fid()) {
            checkFree(w.newfid());
        }
        if (w.names().isEmpty()) {
            Handle copy = fs(from.backend, () -> from.backend.clone(start));
            placeWalked(w, from, copy);
            return new Rwalk(w.tag(), List.of());
        }
        List<Qid> qids = new ArrayList<>();
        Handle end = fs(from.backend, () -> {
            Handle cur = start;
            try {
                for (String name : w.names()) {
                    Handle next;
                    try {
                        next = from.backend.walk(cur, name);
                    } catch (FsException e) {
                        if (qids.isEmpty()) {
                            throw e;
                        }
                        return null; // partial walk: the qids so far, no newfid
                    }
                    if (cur != start) {
                        cur.close();
                    }
                    cur = next;
                    qids.add(next.qid());
                }
                Handle done = cur;
                cur = start; // handed over, not closed below
                return done;
            } finally {
                if (cur != start) {
                    cur.close();
                }
            }
        });
        if (end != null) {
            placeWalked(w, from, end);
        }
        return new Rwalk(w.tag(), qids);
    }

    private void placeWalked(Twalk w, Fid from, Handle h) throws FsException {
        if (w.newfid() == w.fid()) {
            Fid f = fids.get(w.fid());
            if (f != from) { // clunked while we walked
                h.close();
                throw badFid(w.fid());
            }
            from.replaceHandle(h);
            return;
        }
        if (fids.containsKey(w.newfid())) { // claimed while we walked
            h.close();
            throw inUse(w.newfid());
        }
        install(Fid.derived(w.newfid(), from, h));
    }
    // loc-end

    // loc-begin: 9p-coroutine-lopen
    private Rlopen lopen(Tlopen o) throws FsException {
        Fid f = fid(o.fid());
        Handle h = handle(o.fid());
        Qid qid = fs(f.backend, () -> f.backend.open(h, o.flags()));
        return new Rlopen(o.tag(), qid, iounit());
    }
    // loc-end

    // loc-begin: 9p-coroutine-lcreate
    private Rlcreate lcreate(Tlcreate c) throws FsException {
        Fid f = fid(c.fid());
        Handle dir = handle(c.fid());
        Owner owner = new Owner(f.uid, c.gid());
        Handle created = fs(f.backend, () -> f.backend.create(dir, c.name(), c.flags(), c.mode(), owner));
        if (fids.get(c.fid()) != f) {
            created.close();
            throw badFid(c.fid());
        }
        f.replaceHandle(created);
        return new Rlcreate(c.tag(), created.qid(), iounit());
    }
    // loc-end

    // loc-begin: 9p-coroutine-read
    private Rread read(Tread r) throws FsException {
        Fid f = fid(r.fid());
        int count = (int) Math.min(Integer.toUnsignedLong(r.count()), msize - P9.RREAD_HEADER_SIZE);
        // loc-end: xattrs are not served by the callback server
        byte[] xattr = f.xattrValue();
        if (xattr != null) {
            if (r.offset() < 0 || r.offset() >= xattr.length) {
                return new Rread(r.tag(), ByteBuffer.allocate(0));
            }
            int n = (int) Math.min(count, xattr.length - r.offset());
            return new Rread(r.tag(), ByteBuffer.wrap(xattr, (int) r.offset(), n).slice());
        }
        // loc-begin: 9p-coroutine-read
        if (f.isDirectory()) {
            throw new FsException(Errno.EOPNOTSUPP, "read of directory fid " + f);
        }
        Handle h = handle(r.fid());
        ByteBuffer buf = buffers.take(count);
        try {
            if (f.backend.readsWithoutPinning(h)) { // JDK file I/O: in place, no pool hop
                Coroutine.blocking(() -> f.backend.read(h, r.offset(), buf));
            } else {
                fs(f.backend, () -> f.backend.read(h, r.offset(), buf));
            }
        } catch (FsException | RuntimeException e) {
            buffers.give(buf);
            throw e;
        }
        stats.bytesRead.add(buf.position());
        return new Rread(r.tag(), buf.flip());
    }
    // loc-end

    // loc-begin: 9p-coroutine-readdir
    private Rreaddir readdir(Treaddir r) throws FsException {
        Fid f = fid(r.fid());
        Handle h = handle(r.fid());
        DirPacker packer = DirPacker.forReply(r.count(), msize);
        fs(f.backend, () -> { f.backend.readdir(h, r.offset(), packer::add); return null; });
        return new Rreaddir(r.tag(), packer.data());
    }
    // loc-end

    private Rxattrwalk xattrwalk(Txattrwalk x) throws FsException {
        Fid f = fid(x.fid());
        Handle h = handle(x.fid());
        if (x.newfid() != x.fid()) {
            checkFree(x.newfid());
        }
        if (x.name().equals(SECURITY_CAPABILITY)) {
            throw new FsException(Errno.ENODATA, SECURITY_CAPABILITY); // the fast answer Linux wants
        }
        byte[] value;
        if (x.name().isEmpty()) {
            List<String> names = fs(f.backend, () -> f.backend.listxattr(h));
            StringBuilder sb = new StringBuilder();
            for (String n : names) {
                sb.append(n).append('\0');
            }
            value = sb.toString().getBytes(StandardCharsets.UTF_8);
        } else {
            value = fs(f.backend, () -> f.backend.getxattr(h, x.name()));
        }
        if (x.newfid() == x.fid() || fids.containsKey(x.newfid())) {
            // replacing the fid itself by its attribute is legal but useless: refuse it plainly
            throw inUse(x.newfid());
        }
        install(Fid.xattr(x.newfid(), f, value));
        return new Rxattrwalk(x.tag(), value.length);
    }

    /**
     * Txattrcreate: the fid, an unopened handle of a writable export, becomes the writer of
     * the attribute (see {@link XattrWrite}); Twrite fills it, Tclunk sets it. Checked here:
     * size, flags, read-only; the name and the security model's rules when the back end sets
     * it at the clunk.
     */
    private Rxattrcreate xattrcreate(Txattrcreate x) throws FsException {
        Fid f = fid(x.fid());
        Handle h = handle(x.fid());
        XattrWrite w = XattrWrite.start(x.name(), x.attrSize(), x.flags());
        if (f.backend.readOnly()) {
            throw new FsException(Errno.EROFS, "xattrcreate on a read-only export");
        }
        if (h.isOpen()) {
            throw new FsException(Errno.EINVAL, "xattrcreate on open fid " + f);
        }
        f.startXattrWrite(w);
        return new Rxattrcreate(x.tag());
    }

    /**
     * Sets (or, for size 0, removes) the attribute a Txattrcreate fid wrote, when it is
     * complete; only an explicit Tclunk does this, not a Tversion or the end of the connection.
     */
    private void applyXattrWrite(Fid f) throws FsException {
        XattrWrite w = f.xattrWrite();
        if (w == null) {
            return;
        }
        if (!w.complete()) {
            throw new FsException(Errno.EINVAL, "clunk of " + f + " before its value was written");
        }
        Handle h = f.xattrTarget();
        if (w.size == 0) {
            fs(f.backend, () -> { f.backend.removexattr(h, w.name); return null; });
        } else {
            byte[] value = w.value();
            fs(f.backend, () -> { f.backend.setxattr(h, w.name, value, w.flags); return null; });
        }
    }

    /**
     * Tlock: never waits. A conflict answers BLOCKED, which a blocking (F_SETLKW) kernel client
     * polls again; the lock is recorded against the fid and dies with it.
     */
    private Rlock lock(Tlock l) throws FsException {
        Fid f = fid(l.fid());
        Handle h = handle(l.fid());
        if (l.type() > P9.LOCK_TYPE_UNLCK) {
            throw new FsException(Errno.EINVAL, "lock type " + l.type());
        }
        if (l.start() < 0) {
            throw new FsException(Errno.EINVAL, "lock start " + Long.toUnsignedString(l.start()));
        }
        LockTable.FileKey key = new LockTable.FileKey(f.backend, h.qid().path());
        LockTable.Owner owner = new LockTable.Owner(l.clientId(), l.procId());
        boolean done = locks.lock(key, owner, f, l.type(), l.start(), l.length());
        return new Rlock(l.tag(), done ? P9.LOCK_SUCCESS : P9.LOCK_BLOCKED);
    }

    /** Tgetlock: the first conflicting lock of another owner, or the request with type UNLCK. */
    private Rgetlock getlock(Tgetlock g) throws FsException {
        Fid f = fid(g.fid());
        Handle h = handle(g.fid());
        if (g.type() > P9.LOCK_TYPE_UNLCK) {
            throw new FsException(Errno.EINVAL, "lock type " + g.type());
        }
        if (g.start() < 0) {
            throw new FsException(Errno.EINVAL, "lock start " + Long.toUnsignedString(g.start()));
        }
        LockTable.FileKey key = new LockTable.FileKey(f.backend, h.qid().path());
        LockTable.Lock c = locks.test(key, new LockTable.Owner(g.clientId(), g.procId()),
                g.type(), g.start(), g.length());
        if (c == null) {
            return new Rgetlock(g.tag(), P9.LOCK_TYPE_UNLCK, g.start(), g.length(), g.procId(),
                    g.clientId());
        }
        return new Rgetlock(g.tag(), c.type(), c.start(), c.length(), c.owner().procId(),
                c.owner().clientId());
    }

    // ---------------------------------------------------------------- helpers

    /** Closes a fid taken out of the table, dropping the locks taken through it. */
    private void clunk(Fid f) {
        locks.release(f);
        f.close();
    }

    // loc-begin: 9p-coroutine-common
    private int iounit() {
        return msize - P9.IOHDRSZ;
    }

    private Fid fid(int number) throws FsException {
        Fid f = fids.get(number);
        if (f == null) {
            throw badFid(number);
        }
        return f;
    }
    // loc-end

    private Handle handle(int number) throws FsException {
        Handle h = fid(number).handle();
        if (h == null) {
            throw new FsException(Errno.EBADF, "fid " + Integer.toUnsignedString(number)
                    + " holds an xattr value");
        }
        return h;
    }

    // loc-begin: 9p-coroutine-common
    private void checkFree(int number) throws FsException {
        if (number == P9.NOFID) {
            throw new FsException(Errno.EBADF, "NOFID as a new fid");
        }
        if (fids.containsKey(number)) {
            throw inUse(number);
        }
    }

    /** Puts {@code f} in the table; the caller checked the number is free since its last yield. */
    private void install(Fid f) throws FsException {
        if (fids.putIfAbsent(f.number, f) != null) {
            f.close();
            throw inUse(f.number);
        }
    }
    // loc-end

    private static void sameExport(Fid a, Fid b) throws FsException {
        if (a.backend != b.backend) {
            throw new FsException(Errno.EXDEV, "fids of two exports");
        }
    }

    // loc-begin: 9p-coroutine-common
    private static FsException badFid(int number) {
        return new FsException(Errno.EBADF, "unknown fid " + Integer.toUnsignedString(number));
    }

    private static FsException inUse(int number) {
        return new FsException(Errno.EBADF, "fid " + Integer.toUnsignedString(number) + " in use");
    }
    // loc-end

    // loc-begin: 9p-coroutine-common
    /**
     * Runs one back-end call: on the server's I/O pool when the back end may block (the loop
     * serves the session's other requests meanwhile, and a call stuck in native code holds a
     * platform thread, not a carrier of the virtual threads), in place when it never does (an
     * in-memory tree, the ctl files), which saves the hand-offs.
     */
    private <T> T fs(Backend backend, CoroutineFunction<T, FsException> call) throws FsException {
        return backend.mayBlock() ? Coroutine.inWorker(io, call) : call.call();
    }
    // loc-end
}
