package io.corio.bench.ninep;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.protocol.P9;

/**
 * The server-side object behind one fid of the callback server: the export it belongs to, the
 * user it acts for and its back-end {@link Handle}. The real server's {@code Fid} without the
 * xattr states, which the callback server does not serve. Confined to its connection's context,
 * apart from the handle, which is thread-safe. {@link #close()} is idempotent;
 * {@link #toString()} is log-safe.
 */
final class CallbackFid implements AutoCloseable {
    final int number;
    final Backend backend;
    final String export;
    final int uid; // the n_uname of the attach this fid descends from
    private Handle handle; // context only
    private boolean closed; // context only

    CallbackFid(int number, Backend backend, String export, int uid, Handle handle) {
        this.number = number;
        this.backend = backend;
        this.export = export;
        this.uid = uid;
        this.handle = handle;
    }

    /** A fid on the same export and user as {@code parent}. */
    static CallbackFid derived(int number, CallbackFid parent, Handle handle) {
        return new CallbackFid(number, parent.backend, parent.export, parent.uid, handle);
    }

    Handle handle() {
        return handle;
    }

    boolean isDirectory() {
        return (handle.qid().type() & P9.QTDIR) != 0;
    }

    /** Makes this fid refer to {@code next} (a walk onto itself, Tlcreate), closing the old handle. */
    void replaceHandle(Handle next) {
        Handle old = handle;
        handle = next;
        if (old != next) {
            old.close();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            handle.close();
        }
    }

    @Override
    public String toString() {
        return "Fid[" + Integer.toUnsignedString(number) + " export=" + export + " " + handle + "]";
    }
}
