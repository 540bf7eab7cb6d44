package io.corio.ninep.server;

import io.corio.core.WorkerPool;
import io.corio.ninep.fs.FsException;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.Rmessage.Rxattrcreate;
import io.corio.ninep.protocol.Rmessage.Rxattrwalk;
import io.corio.ninep.protocol.Tmessage.Txattrcreate;
import io.corio.ninep.protocol.Tmessage.Txattrwalk;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The extended-attribute requests of one session, on its fid table: Txattrwalk makes a fid
 * holding the value (or the list of names) to read with Tread; Txattrcreate turns a fid into
 * the writer of one attribute, which Twrite fills and Tclunk sets ({@link #applyAtClunk}).
 * Runs on the session's context, as {@link FileService} does.
 */
final class XattrRequests {
    private static final String SECURITY_CAPABILITY = "security.capability";

    private final Fids fids; // context only
    private final WorkerPool io; // thread-safe; where blocking back-end calls run

    XattrRequests(Fids fids, WorkerPool io) {
        this.fids = fids;
        this.io = io;
    }

    Rxattrwalk walk(Txattrwalk x) throws FsException {
        Fid f = fids.get(x.fid());
        Handle h = fids.handle(x.fid());
        if (x.newfid() != x.fid()) {
            fids.checkFree(x.newfid());
        }
        if (x.name().equals(SECURITY_CAPABILITY)) {
            throw new FsException(Errno.ENODATA, SECURITY_CAPABILITY); // the fast answer Linux wants
        }
        byte[] value;
        if (x.name().isEmpty()) {
            List<String> names = FileService.fs(io, f.backend, () -> f.backend.listxattr(h));
            StringBuilder sb = new StringBuilder();
            for (String n : names) {
                sb.append(n).append('\0');
            }
            value = sb.toString().getBytes(StandardCharsets.UTF_8);
        } else {
            value = FileService.fs(io, f.backend, () -> f.backend.getxattr(h, x.name()));
        }
        if (x.newfid() == x.fid() || fids.contains(x.newfid())) {
            // replacing the fid itself by its attribute is legal but useless: refuse it plainly
            throw Fids.inUse(x.newfid());
        }
        fids.install(Fid.xattr(x.newfid(), f, value));
        return new Rxattrwalk(x.tag(), value.length);
    }

    /**
     * Txattrcreate: the fid, an unopened handle of a writable export, becomes the writer of
     * the attribute (see {@link XattrWrite}); Twrite fills it, Tclunk sets it. Checked here:
     * size, flags, read-only; the name and the security model's rules when the back end sets
     * it at the clunk.
     */
    Rxattrcreate create(Txattrcreate x) throws FsException {
        Fid f = fids.get(x.fid());
        Handle h = fids.handle(x.fid());
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
    void applyAtClunk(Fid f) throws FsException {
        XattrWrite w = f.xattrWrite();
        if (w == null) {
            return;
        }
        if (!w.complete()) {
            throw new FsException(Errno.EINVAL, "clunk of " + f + " before its value was written");
        }
        Handle h = f.xattrTarget();
        if (w.size == 0) {
            FileService.fs(io, f.backend, () -> { f.backend.removexattr(h, w.name); return null; });
        } else {
            byte[] value = w.value();
            FileService.fs(io, f.backend, () -> { f.backend.setxattr(h, w.name, value, w.flags); return null; });
        }
    }
}
