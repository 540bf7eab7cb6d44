package io.corio.bench.ninep;

import io.corio.bench.ninep.CallbackConnection.Pdu;
import io.corio.core.AioContext;
import io.corio.core.CoroutineFunction;
import io.corio.core.WorkerPool;
import io.corio.core.io.BufferPool;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.FsException;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.fs.Owner;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.DirPacker;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.*;
import io.corio.ninep.protocol.Tmessage.*;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file requests of one connection of the {@link CallbackServer}, written in callback style:
 * the shape of QEMU's 9p code before it moved to coroutines. A handler starts on the
 * connection's context; when it needs a back end that may block it submits the call to the
 * server's {@link WorkerPool} and returns, and the rest of the request runs as a post-op that
 * the pool delivers back to the context as a bottom half ({@link WorkerPool.Job#onCompletion}).
 * What the coroutine handlers of the real server ({@code FileService}) keep in locals across
 * the call lives in the post-op's captured variables; a request of several back-end calls (a
 * walk of several names) is an object of its own ({@link Walk}) that moves from step to step.
 * A back end that never blocks ({@link Backend#mayBlock()} false, as {@code ctl}) is called
 * in place and the post-op runs at once, as {@code FileService} does.
 *
 * <p>Served as in {@code FileService}: Tauth ({@code ENOENT}), Tattach, Twalk, Tlopen,
 * Tlcreate, Tread, Twrite, Tgetattr, Tclunk, Treaddir, Tstatfs, with the same answers and
 * errors. Everything else, Tflush included, answers {@code EOPNOTSUPP}.
 *
 * <p>Confinement: the fid table is touched only on the context (asserted at each entry), so it
 * needs no lock; a post-op re-reads the table, since another request may have clunked or
 * claimed a fid while the back end worked. Every request is answered exactly once: by the
 * handler, by its last post-op, or with {@code Rlerror} by whichever step threw.
 */
final class CallbackFiles {
    private static final Logger log = LoggerFactory.getLogger(CallbackFiles.class);

    private final CallbackConnection conn; // where replies go
    private final AioContext ctx;
    private final Map<String, Backend> exports; // immutable
    private final WorkerPool io; // thread-safe; where blocking back-end calls run
    private final BufferPool buffers; // thread-safe; Rread payloads, given back by the FrameWriter
    private final CallbackServer.Stats stats; // thread-safe
    private final Map<Integer, CallbackFid> fids = new HashMap<>(); // context only
    private int msize; // context only

    CallbackFiles(CallbackConnection conn, AioContext ctx, Map<String, Backend> exports, WorkerPool io,
            BufferPool buffers, CallbackServer.Stats stats, int msize) {
        this.conn = conn;
        this.ctx = ctx;
        this.exports = exports;
        this.io = io;
        this.buffers = buffers;
        this.stats = stats;
        this.msize = msize;
    }

    /** Clunks every fid (Tversion, end of connection) and sets the msize to use from now on. */
    void reset(int newMsize) {
        assert ctx.inContext();
        for (CallbackFid f : fids.values()) {
            f.close();
        }
        fids.clear();
        msize = newMsize;
    }

    // loc-begin: 9p-callback-common
    /** What a request does on the context once a back-end call has returned {@code value}. */
    @FunctionalInterface
    interface Then<T> {
        void run(T value) throws FsException;
    }

    /** What a request does on the context once a back-end call has failed with {@code e}. */
    @FunctionalInterface
    interface OrElse {
        void run(FsException e) throws FsException;
    }

    /** One step of a request on the context; what it throws answers the request. */
    @FunctionalInterface
    interface Step {
        void run() throws FsException;
    }

    /** Starts {@code pdu} (a bottom half of the context); it is answered now or by a post-op. */
    void handle(Pdu pdu) {
        assert ctx.inContext();
        stats.requests.increment();
        resume(pdu, () -> start(pdu));
    }

    /**
     * Makes a back-end call, then runs {@code then} with its value on the context: for a back end
     * that may block, the call runs on the I/O pool and {@code then} comes back as a post-op;
     * otherwise both run now. A failure of the call goes to {@code orElse}.
     */
    private <T> void fs(Pdu pdu, Backend b, CoroutineFunction<T, FsException> call, Then<T> then,
            OrElse orElse) {
        if (!b.mayBlock()) {
            T value;
            try {
                value = call.call();
            } catch (FsException e) {
                resume(pdu, () -> orElse.run(e));
                return;
            }
            resume(pdu, () -> then.run(value));
            return;
        }
        io.submit(call).onCompletion(ctx, job -> {
            T value;
            try {
                value = job.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof FsException fe) {
                    resume(pdu, () -> orElse.run(fe));
                } else {
                    fail(pdu, e.getCause());
                }
                return;
            } catch (CancellationException e) { // the pool was shut down under us
                fail(pdu, e);
                return;
            }
            resume(pdu, () -> then.run(value));
        });
    }

    /** As above; a failure of the call answers Rlerror. */
    /**
     * Like {@link #fs}, for a read or write the back end does through the JDK's own file I/O
     * ({@code inPlace}: {@code readsWithoutPinning}/{@code writesWithoutPinning}): the call runs
     * on a new virtual thread instead of the I/O pool, and {@code then} comes back to the
     * context as a task, the callback-style twin of the coroutine server's
     * {@code Coroutine.blocking}, so both styles do the same I/O the same way.
     */
    private <T> void fsIo(Pdu pdu, Backend b, boolean inPlace, CoroutineFunction<T, FsException> call,
            Then<T> then, OrElse orElse) {
        if (!inPlace) {
            fs(pdu, b, call, then, orElse);
            return;
        }
        Thread.startVirtualThread(() -> {
            Runnable post;
            try {
                T value = call.call();
                post = () -> resume(pdu, () -> then.run(value));
            } catch (FsException e) {
                post = () -> resume(pdu, () -> orElse.run(e));
            } catch (RuntimeException e) {
                post = () -> fail(pdu, e);
            }
            try {
                ctx.execute(post);
            } catch (IllegalStateException closed) {
                // the connection ended meanwhile: nobody waits for this answer
            }
        });
    }

    private <T> void fs(Pdu pdu, Backend b, CoroutineFunction<T, FsException> call, Then<T> then) {
        fs(pdu, b, call, then, e -> {
            throw e;
        });
    }

    /** Runs one step of {@code pdu}; an error it throws becomes the request's Rlerror. */
    private void resume(Pdu pdu, Step step) {
        assert ctx.inContext();
        try {
            step.run();
        } catch (FsException e) {
            reply(pdu, new Rlerror(pdu.tag(), e.errno()));
        } catch (RuntimeException e) {
            fail(pdu, e);
        }
    }

    private void fail(Pdu pdu, Throwable e) {
        log.error("{}: {} failed", conn, pdu.message, e);
        reply(pdu, new Rlerror(pdu.tag(), Errno.EIO));
    }

    private void reply(Pdu pdu, Rmessage r) {
        if (Codec.size(r) > msize) {
            log.warn("{}: reply to {} exceeds msize {}", conn, pdu.message, msize);
            r = new Rlerror(pdu.tag(), Errno.EMSGSIZE);
        }
        conn.reply(pdu, r);
    }
    // loc-end

    private void start(Pdu pdu) throws FsException {
        switch (pdu.message) {
            // loc-begin: 9p-callback-auth
            case Tauth a -> throw new FsException(Errno.ENOENT, "no authentication required");
            // loc-end
            // loc-begin: 9p-callback-attach
            case Tattach a -> attach(pdu, a);
            // loc-end
            // loc-begin: 9p-callback-walk
            case Twalk w -> walk(pdu, w);
            // loc-end
            // loc-begin: 9p-callback-lopen
            case Tlopen o -> lopen(pdu, o);
            // loc-end
            // loc-begin: 9p-callback-lcreate
            case Tlcreate c -> lcreate(pdu, c);
            // loc-end
            // loc-begin: 9p-callback-read
            case Tread r -> read(pdu, r);
            // loc-end
            // loc-begin: 9p-callback-write
            case Twrite w -> write(pdu, w);
            // loc-end
            // loc-begin: 9p-callback-getattr
            case Tgetattr g -> getattr(pdu, g);
            // loc-end
            // loc-begin: 9p-callback-clunk
            case Tclunk c -> clunk(pdu, c);
            // loc-end
            // loc-begin: 9p-callback-readdir
            case Treaddir r -> readdir(pdu, r);
            // loc-end
            // loc-begin: 9p-callback-statfs
            case Tstatfs s -> statfs(pdu, s);
            // loc-end
            default -> throw new FsException(Errno.EOPNOTSUPP,
                    pdu.message.getClass().getSimpleName() + " is not served in callback style");
        }
    }

    // loc-begin: 9p-callback-attach
    private void attach(Pdu pdu, Tattach a) throws FsException {
        if (a.afid() != P9.NOFID) {
            throw new FsException(Errno.EBADF, "attach with afid " + Integer.toUnsignedString(a.afid()));
        }
        String name = a.aname();
        Backend backend = exports.get(name);
        if (backend == null && name.isEmpty() && exports.size() == 2) { // one plus ctl
            for (var e : exports.entrySet()) {
                if (!e.getKey().equals(CallbackServer.CTL)) {
                    name = e.getKey();
                    backend = e.getValue();
                }
            }
        }
        if (backend == null) {
            throw new FsException(Errno.ENOENT, "no export '" + a.aname() + "'");
        }
        checkFree(a.fid());
        String export = name;
        Backend b = backend;
        int uid = a.nUname() == P9.NONUNAME ? -1 : a.nUname();
        fs(pdu, b, b::root, root -> {
            install(new CallbackFid(a.fid(), b, export, uid, root));
            reply(pdu, new Rattach(a.tag(), root.qid()));
        });
    }
    // loc-end

    // loc-begin: 9p-callback-walk
    private void walk(Pdu pdu, Twalk w) throws FsException {
        CallbackFid from = fid(w.fid());
        Handle start = from.handle();
        if (w.newfid() != w.fid()) {
            checkFree(w.newfid());
        }
        if (w.names().isEmpty()) {
            fs(pdu, from.backend, () -> from.backend.clone(start), copy -> {
                placeWalked(w, from, copy);
                reply(pdu, new Rwalk(w.tag(), List.of()));
            });
            return;
        }
        new Walk(pdu, w, from, start).next();
    }

    /**
     * A Twalk of one or more names in flight: one back-end walk per name, each continuing in a
     * post-op, where {@code FileService} loops in one blocking call. The handle reached and the
     * qids so far, locals of that loop, live here between the steps:
     *
     * <pre>
     *   walking name i --walked, names left----> walking name i + 1
     *   walking name i --walked, none left-----> newfid placed, Rwalk of every qid
     *   walking name i --failed, i > 0---------> Rwalk of the i qids so far, no newfid
     *   walking name 0 --failed----------------> Rlerror
     * </pre>
     */
    private final class Walk {
        final Pdu pdu;
        final Twalk w;
        final CallbackFid from;
        final Handle start;
        final List<Qid> qids = new ArrayList<>(); // context only; its size is the name being walked
        Handle reached; // context only: start, then the handle of the last name walked

        Walk(Pdu pdu, Twalk w, CallbackFid from, Handle start) {
            this.pdu = pdu;
            this.w = w;
            this.from = from;
            this.start = start;
            this.reached = start;
        }

        void next() {
            assert ctx.inContext() && qids.size() < w.names().size() : qids;
            Handle dir = reached;
            String name = w.names().get(qids.size());
            fs(pdu, from.backend, () -> from.backend.walk(dir, name), this::walked, this::failed);
        }

        void walked(Handle h) throws FsException {
            assert ctx.inContext();
            if (reached != start) {
                reached.close();
            }
            reached = h;
            qids.add(h.qid());
            if (qids.size() < w.names().size()) {
                next();
                return;
            }
            placeWalked(w, from, h);
            reply(pdu, new Rwalk(w.tag(), qids));
        }

        void failed(FsException e) throws FsException {
            assert ctx.inContext();
            if (reached != start) {
                reached.close();
            }
            if (qids.isEmpty()) {
                throw e;
            }
            reply(pdu, new Rwalk(w.tag(), qids)); // partial walk: the qids so far, no newfid
        }
    }

    private void placeWalked(Twalk w, CallbackFid from, Handle h) throws FsException {
        if (w.newfid() == w.fid()) {
            CallbackFid f = fids.get(w.fid());
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
        install(CallbackFid.derived(w.newfid(), from, h));
    }
    // loc-end

    // loc-begin: 9p-callback-lopen
    private void lopen(Pdu pdu, Tlopen o) throws FsException {
        CallbackFid f = fid(o.fid());
        Handle h = f.handle();
        fs(pdu, f.backend, () -> f.backend.open(h, o.flags()),
                qid -> reply(pdu, new Rlopen(o.tag(), qid, iounit())));
    }
    // loc-end

    // loc-begin: 9p-callback-lcreate
    private void lcreate(Pdu pdu, Tlcreate c) throws FsException {
        CallbackFid f = fid(c.fid());
        Handle dir = f.handle();
        Owner owner = new Owner(f.uid, c.gid());
        fs(pdu, f.backend, () -> f.backend.create(dir, c.name(), c.flags(), c.mode(), owner), created -> {
            if (fids.get(c.fid()) != f) {
                created.close();
                throw badFid(c.fid());
            }
            f.replaceHandle(created);
            reply(pdu, new Rlcreate(c.tag(), created.qid(), iounit()));
        });
    }
    // loc-end

    // loc-begin: 9p-callback-read
    private void read(Pdu pdu, Tread r) throws FsException {
        CallbackFid f = fid(r.fid());
        int count = (int) Math.min(Integer.toUnsignedLong(r.count()), msize - P9.RREAD_HEADER_SIZE);
        if (f.isDirectory()) {
            throw new FsException(Errno.EOPNOTSUPP, "read of directory fid " + f);
        }
        Handle h = f.handle();
        ByteBuffer buf = buffers.take(count);
        fsIo(pdu, f.backend, f.backend.readsWithoutPinning(h), () -> f.backend.read(h, r.offset(), buf), n -> {
            stats.bytesRead.add(buf.position());
            reply(pdu, new Rread(r.tag(), buf.flip()));
        }, e -> {
            buffers.give(buf);
            throw e;
        });
    }
    // loc-end

    // loc-begin: 9p-callback-write
    private void write(Pdu pdu, Twrite w) throws FsException {
        CallbackFid f = fid(w.fid());
        Handle h = f.handle();
        fsIo(pdu, f.backend, f.backend.writesWithoutPinning(h), () -> f.backend.write(h, w.offset(), w.data()), n -> {
            stats.bytesWritten.add(n);
            reply(pdu, new Rwrite(w.tag(), n));
        }, e -> {
            throw e;
        });
    }
    // loc-end

    // loc-begin: 9p-callback-getattr
    private void getattr(Pdu pdu, Tgetattr g) throws FsException {
        CallbackFid f = fid(g.fid());
        Handle h = f.handle();
        fs(pdu, f.backend, () -> f.backend.getattr(h, g.requestMask()),
                attr -> reply(pdu, new Rgetattr(g.tag(), attr)));
    }
    // loc-end

    // loc-begin: 9p-callback-clunk
    private void clunk(Pdu pdu, Tclunk c) throws FsException {
        CallbackFid f = fids.remove(c.fid());
        if (f == null) {
            throw badFid(c.fid());
        }
        f.close();
        reply(pdu, new Rclunk(c.tag()));
    }
    // loc-end

    // loc-begin: 9p-callback-readdir
    private void readdir(Pdu pdu, Treaddir r) throws FsException {
        CallbackFid f = fid(r.fid());
        Handle h = f.handle();
        DirPacker packer = DirPacker.forReply(r.count(), msize);
        fs(pdu, f.backend, () -> {
            f.backend.readdir(h, r.offset(), packer::add);
            return null;
        }, done -> reply(pdu, new Rreaddir(r.tag(), packer.data())));
    }
    // loc-end

    // loc-begin: 9p-callback-statfs
    private void statfs(Pdu pdu, Tstatfs s) throws FsException {
        CallbackFid f = fid(s.fid());
        Handle h = f.handle();
        fs(pdu, f.backend, () -> f.backend.statfs(h), st -> reply(pdu, new Rstatfs(s.tag(), st)));
    }
    // loc-end

    // ---------------------------------------------------------------- helpers

    // loc-begin: 9p-callback-common
    private int iounit() {
        return msize - P9.IOHDRSZ;
    }

    private CallbackFid fid(int number) throws FsException {
        CallbackFid f = fids.get(number);
        if (f == null) {
            throw badFid(number);
        }
        return f;
    }

    private void checkFree(int number) throws FsException {
        if (number == P9.NOFID) {
            throw new FsException(Errno.EBADF, "NOFID as a new fid");
        }
        if (fids.containsKey(number)) {
            throw inUse(number);
        }
    }

    /** Puts {@code f} in the table; closes it if the number was claimed meanwhile. */
    private void install(CallbackFid f) throws FsException {
        if (fids.putIfAbsent(f.number, f) != null) {
            f.close();
            throw inUse(f.number);
        }
    }

    private static FsException badFid(int number) {
        return new FsException(Errno.EBADF, "unknown fid " + Integer.toUnsignedString(number));
    }

    private static FsException inUse(int number) {
        return new FsException(Errno.EBADF, "fid " + Integer.toUnsignedString(number) + " in use");
    }
    // loc-end
}
