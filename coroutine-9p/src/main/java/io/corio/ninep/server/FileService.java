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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The file requests of one session: one sequential handler per message (everything but
 * Tversion and Tflush, which {@link Session} answers), on the session's fid table
 * ({@link Fids}); xattrs and locks are {@link XattrRequests} and {@link LockRequests}. Each
 * handler runs in its own coroutine of the session's context and calls the back end through
 * {@link Coroutine#inWorker} (or in place for back ends that never block, and for reads the
 * JDK does without pinning a carrier), so the fid table is touched only by the context's turn
 * holder and needs no lock; a handler re-reads the table after each blocking call, since
 * another request may have clunked or claimed a fid meanwhile.
 *
 * <p>Failures a client can cause come out as {@link FsException} carrying the errno to send in
 * Rlerror: an unknown fid is {@code EBADF}, a fid number already in use for a new fid
 * {@code EBADF} (as diod answers), Tread on a directory {@code EOPNOTSUPP}.
 */
final class FileService {
    private final Map<String, Backend> exports; // immutable
    private final LockRequests locks; // context only
    private final XattrRequests xattrs; // context only
    private final ServerStats stats; // thread-safe
    private final BufferPool buffers; // thread-safe; Rread payloads, given back by the FrameWriter
    private final WorkerPool io; // thread-safe; where blocking back-end calls run
    private final Fids fids; // context only
    private int msize; // context only

    FileService(Map<String, Backend> exports, LockTable locks, ServerStats stats, BufferPool buffers,
            WorkerPool io, int msize) {
        this.buffers = buffers;
        this.io = io;
        this.exports = exports;
        this.fids = new Fids(locks);
        this.locks = new LockRequests(fids, locks);
        this.xattrs = new XattrRequests(fids, io);
        this.stats = stats;
        this.msize = msize;
    }

    /** Clunks every fid (Tversion, end of connection) and sets the msize to use from now on. */
    void reset(int newMsize) {
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
                // loc-end: xattrs are not served by the callback server
                try {
                    xattrs.applyAtClunk(f);
                } finally {
                    // loc-begin: 9p-coroutine-clunk
                    fids.clunk(f);
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
                Fid f = fids.get(w.fid());
                // loc-end: xattrs are not served by the callback server
                if (f.xattrWrite() != null) {
                    yield new Rwrite(w.tag(), f.xattrWrite().append(w.offset(), w.data()));
                }
                // loc-begin: 9p-coroutine-write
                Handle h = fids.handle(w.fid());
                int n = f.backend.writesWithoutPinning(h) // JDK file I/O: in place, no pool hop
                        ? Coroutine.blocking(() -> f.backend.write(h, w.offset(), w.data()))
                        : fs(f.backend, () -> f.backend.write(h, w.offset(), w.data()));
                stats.bytesWritten.add(n);
                yield new Rwrite(w.tag(), n);
            }
            // loc-end
            // loc-begin: 9p-coroutine-getattr
            case Tgetattr g -> {
                Fid f = fids.get(g.fid());
                Handle h = fids.handle(g.fid());
                yield new Rgetattr(g.tag(), fs(f.backend, () -> f.backend.getattr(h, g.requestMask())));
            }
            // loc-end
            case Tsetattr s -> {
                Fid f = fids.get(s.fid());
                Handle h = fids.handle(s.fid());
                fs(f.backend, () -> { f.backend.setattr(h, s.attr()); return null; });
                yield new Rsetattr(s.tag());
            }
            // loc-begin: 9p-coroutine-readdir
            case Treaddir r -> readdir(r);
            // loc-end
            // loc-begin: 9p-coroutine-statfs
            case Tstatfs s -> {
                Fid f = fids.get(s.fid());
                Handle h = fids.handle(s.fid());
                yield new Rstatfs(s.tag(), fs(f.backend, () -> f.backend.statfs(h)));
            }
            // loc-end
            case Tmkdir m -> {
                Fid d = fids.get(m.dfid());
                Handle h = fids.handle(m.dfid());
                Owner o = new Owner(d.uid, m.gid());
                yield new Rmkdir(m.tag(), fs(d.backend, () -> d.backend.mkdir(h, m.name(), m.mode(), o)));
            }
            case Tsymlink s -> {
                Fid d = fids.get(s.fid());
                Handle h = fids.handle(s.fid());
                Owner o = new Owner(d.uid, s.gid());
                yield new Rsymlink(s.tag(), fs(d.backend, () -> d.backend.symlink(h, s.name(), s.target(), o)));
            }
            case Tmknod m -> {
                Fid d = fids.get(m.dfid());
                Handle h = fids.handle(m.dfid());
                Owner o = new Owner(d.uid, m.gid());
                yield new Rmknod(m.tag(), fs(d.backend, () -> d.backend.mknod(h, m.name(), m.mode(),
                        m.major(), m.minor(), o)));
            }
            case Tlink l -> {
                Fid d = fids.get(l.dfid());
                Handle dir = fids.handle(l.dfid());
                Handle target = fids.handle(l.fid());
                sameExport(d, fids.get(l.fid()));
                fs(d.backend, () -> { d.backend.link(dir, l.name(), target); return null; });
                yield new Rlink(l.tag());
            }
            case Treadlink r -> {
                Fid f = fids.get(r.fid());
                Handle h = fids.handle(r.fid());
                yield new Rreadlink(r.tag(), fs(f.backend, () -> f.backend.readlink(h)));
            }
            case Trename r -> {
                Fid f = fids.get(r.fid());
                Handle h = fids.handle(r.fid());
                Handle dir = fids.handle(r.dfid());
                sameExport(f, fids.get(r.dfid()));
                fs(f.backend, () -> { f.backend.rename(h, dir, r.name()); return null; });
                yield new Rrename(r.tag());
            }
            case Trenameat r -> {
                Fid f = fids.get(r.oldDirFid());
                Handle from = fids.handle(r.oldDirFid());
                Handle to = fids.handle(r.newDirFid());
                sameExport(f, fids.get(r.newDirFid()));
                fs(f.backend, () -> { f.backend.renameat(from, r.oldName(), to, r.newName()); return null; });
                yield new Rrenameat(r.tag());
            }
            case Tunlinkat u -> {
                Fid f = fids.get(u.dirFid());
                Handle h = fids.handle(u.dirFid());
                fs(f.backend, () -> { f.backend.unlinkat(h, u.name(), u.flags()); return null; });
                yield new Runlinkat(u.tag());
            }
            case Tremove r -> {
                Fid f = fids.remove(r.fid()); // Tremove clunks the fid whatever happens
                try {
                    Handle h = f.handle();
                    if (h == null) {
                        throw Fids.badFid(r.fid());
                    }
                    fs(f.backend, () -> { f.backend.remove(h); return null; });
                } finally {
                    fids.clunk(f);
                }
                yield new Rremove(r.tag());
            }
            case Tfsync s -> {
                Fid f = fids.get(s.fid());
                Handle h = fids.handle(s.fid());
                fs(f.backend, () -> { f.backend.fsync(h, s.datasync() != 0); return null; });
                yield new Rfsync(s.tag());
            }
            case Txattrwalk x -> xattrs.walk(x);
            case Txattrcreate x -> xattrs.create(x);
            case Tlock l -> locks.lock(l);
            case Tgetlock g -> locks.getlock(g);
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
        fids.checkFree(a.fid());
        Backend b = backend;
        Handle root = fs(b, b::root);
        int uid = a.nUname() == P9.NONUNAME ? -1 : a.nUname();
        fids.install(Fid.of(a.fid(), backend, name, uid, root));
        return new Rattach(a.tag(), root.qid());
    }
    // loc-end

    // loc-begin: 9p-coroutine-walk
    private Rwalk walk(Twalk w) throws FsException {
        Fid from = fids.get(w.fid());
        Handle start = fids.handle(w.fid());
        if (w.newfid() != w.fid()) {
            fids.checkFree(w.newfid());
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
            if (!fids.holds(w.fid(), from)) { // clunked while we walked
                h.close();
                throw Fids.badFid(w.fid());
            }
            from.replaceHandle(h);
            return;
        }
        if (fids.contains(w.newfid())) { // claimed while we walked
            h.close();
            throw Fids.inUse(w.newfid());
        }
        fids.install(Fid.derived(w.newfid(), from, h));
    }
    // loc-end

    // loc-begin: 9p-coroutine-lopen
    private Rlopen lopen(Tlopen o) throws FsException {
        Fid f = fids.get(o.fid());
        Handle h = fids.handle(o.fid());
        Qid qid = fs(f.backend, () -> f.backend.open(h, o.flags()));
        return new Rlopen(o.tag(), qid, iounit());
    }
    // loc-end

    // loc-begin: 9p-coroutine-lcreate
    private Rlcreate lcreate(Tlcreate c) throws FsException {
        Fid f = fids.get(c.fid());
        Handle dir = fids.handle(c.fid());
        Owner owner = new Owner(f.uid, c.gid());
        Handle created = fs(f.backend, () -> f.backend.create(dir, c.name(), c.flags(), c.mode(), owner));
        if (!fids.holds(c.fid(), f)) {
            created.close();
            throw Fids.badFid(c.fid());
        }
        f.replaceHandle(created);
        return new Rlcreate(c.tag(), created.qid(), iounit());
    }
    // loc-end

    // loc-begin: 9p-coroutine-read
    private Rread read(Tread r) throws FsException {
        Fid f = fids.get(r.fid());
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
        Handle h = fids.handle(r.fid());
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
        Fid f = fids.get(r.fid());
        Handle h = fids.handle(r.fid());
        DirPacker packer = DirPacker.forReply(r.count(), msize);
        fs(f.backend, () -> { f.backend.readdir(h, r.offset(), packer::add); return null; });
        return new Rreaddir(r.tag(), packer.data());
    }
    // loc-end

    // ---------------------------------------------------------------- helpers

    // loc-begin: 9p-coroutine-common
    private int iounit() {
        return msize - P9.IOHDRSZ;
    }
    // loc-end

    private static void sameExport(Fid a, Fid b) throws FsException {
        if (a.backend != b.backend) {
            throw new FsException(Errno.EXDEV, "fids of two exports");
        }
    }

    // loc-begin: 9p-coroutine-common
    /**
     * Runs one back-end call: on the server's I/O pool when the back end may block (the loop
     * serves the session's other requests meanwhile, and a call stuck in native code holds a
     * platform thread, not a carrier of the virtual threads), in place when it never does (an
     * in-memory tree, the ctl files), which saves the hand-offs.
     */
    private <T> T fs(Backend backend, CoroutineFunction<T, FsException> call) throws FsException {
        return fs(io, backend, call);
    }

    static <T> T fs(WorkerPool io, Backend backend, CoroutineFunction<T, FsException> call)
            throws FsException {
        return backend.mayBlock() ? Coroutine.inWorker(io, call) : call.call();
    }
    // loc-end
}
