package io.corio.ninep.server;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;

/**
 * The server-side object behind one 9P fid: the export it belongs to, the user it acts for, and
 * either a back-end {@link Handle} (which keeps the open file descriptor) or, for a fid made by
 * Txattrwalk, the attribute's value to read. Txattrcreate turns a handle's fid into an
 * {@link XattrWrite}: the handle stays, for the setxattr at clunk, but {@link #handle()} no
 * longer gives it out, so no other request uses the fid meanwhile. Confined to its session's
 * context, apart from the handle, which is thread-safe. {@link #close()} is idempotent;
 * {@link #toString()} is log-safe.
 */
final class Fid implements AutoCloseable {
    final int number;
    final Backend backend;
    final String export;
    final int uid; // the n_uname of the attach this fid descends from
    private Handle handle; // null for an xattr fid
    private final byte[] xattr; // null unless an xattr fid
    private XattrWrite xattrWrite; // set once, by Txattrcreate
    private boolean closed;

    private Fid(int number, Backend backend, String export, int uid, Handle handle, byte[] xattr) {
        this.number = number;
        this.backend = backend;
        this.export = export;
        this.uid = uid;
        this.handle = handle;
        this.xattr = xattr;
    }

    static Fid of(int number, Backend backend, String export, int uid, Handle handle) {
        return new Fid(number, backend, export, uid, handle, null);
    }

    /** A fid on the same export and user as {@code parent}. */
    static Fid derived(int number, Fid parent, Handle handle) {
        return new Fid(number, parent.backend, parent.export, parent.uid, handle, null);
    }

    static Fid xattr(int number, Fid parent, byte[] value) {
        return new Fid(number, parent.backend, parent.export, parent.uid, null, value);
    }

    /** The back-end handle; an xattr fid has none and answers EBADF through the caller. */
    Handle handle() {
        return xattrWrite == null ? handle : null;
    }

    /** Makes this fid the writer of {@code w}; the caller checked it has an unopened handle. */
    void startXattrWrite(XattrWrite w) {
        assert handle != null && xattrWrite == null : this;
        xattrWrite = w;
    }

    /** The attribute being written through this fid, or null. */
    XattrWrite xattrWrite() {
        return xattrWrite;
    }

    /** The handle an {@link #xattrWrite()} applies to. */
    Handle xattrTarget() {
        assert xattrWrite != null : this;
        return handle;
    }

    byte[] xattrValue() {
        return xattr;
    }

    boolean isDirectory() {
        return handle() != null && (handle.qid().type() & P9.QTDIR) != 0;
    }

    Qid qid() {
        return handle.qid();
    }

    /** Makes this fid refer to {@code next} (a walk onto itself, Tlcreate), closing the old handle. */
    void replaceHandle(Handle next) {
        Handle old = handle;
        handle = next;
        if (old != null && old != next) {
            old.close();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (handle != null) {
            handle.close();
        }
    }

    @Override
    public String toString() {
        return "Fid[" + Integer.toUnsignedString(number) + " export=" + export
                + (xattr != null ? " xattr(" + xattr.length + " bytes)" : " " + handle)
                + (xattrWrite != null ? " " + xattrWrite : "") + "]";
    }
}
