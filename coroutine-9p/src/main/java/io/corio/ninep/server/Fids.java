package io.corio.ninep.server;

import io.corio.ninep.fs.FsException;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.util.HashMap;
import java.util.Map;

/**
 * One session's fid table. Touched only by the turn holder of the session's context, so it
 * needs no lock; a handler that yielded (a back-end call) looks its fids up again, since
 * another request may have clunked or claimed one meanwhile. Every lookup failure is
 * {@code EBADF}, as diod answers: an unknown fid, a new fid number already in use, NOFID as a
 * new fid, the handle of an xattr fid.
 */
final class Fids {
    private final Map<Integer, Fid> table = new HashMap<>();
    private final LockTable locks; // shared by the server's sessions; thread-safe

    Fids(LockTable locks) {
        this.locks = locks;
    }

    int size() {
        return table.size();
    }

    // loc-begin: 9p-coroutine-common
    Fid get(int number) throws FsException {
        Fid f = table.get(number);
        if (f == null) {
            throw badFid(number);
        }
        return f;
    }
    // loc-end

    /** The fid numbered {@code number} if it is still {@code expected}. */
    boolean holds(int number, Fid expected) {
        return table.get(number) == expected;
    }

    boolean contains(int number) {
        return table.containsKey(number);
    }

    /** The back-end handle of fid {@code number}; EBADF for an xattr fid. */
    Handle handle(int number) throws FsException {
        Handle h = get(number).handle();
        if (h == null) {
            throw new FsException(Errno.EBADF, "fid " + Integer.toUnsignedString(number)
                    + " holds an xattr value");
        }
        return h;
    }

    // loc-begin: 9p-coroutine-common
    void checkFree(int number) throws FsException {
        if (number == P9.NOFID) {
            throw new FsException(Errno.EBADF, "NOFID as a new fid");
        }
        if (table.containsKey(number)) {
            throw inUse(number);
        }
    }

    /** Puts {@code f} in the table; the caller checked the number is free since its last yield. */
    void install(Fid f) throws FsException {
        if (table.putIfAbsent(f.number, f) != null) {
            f.close();
            throw inUse(f.number);
        }
    }
    // loc-end

    /** Takes fid {@code number} out of the table (Tclunk, Tremove); the caller closes it. */
    // loc-begin: 9p-coroutine-common
    Fid remove(int number) throws FsException {
        Fid f = table.remove(number);
        if (f == null) {
            throw badFid(number);
        }
        return f;
    }
    // loc-end

    /** Closes a fid taken out of the table, dropping the locks taken through it. */
    void clunk(Fid f) {
        locks.release(f);
        f.close();
    }

    /** Clunks every fid (Tversion, end of connection). */
    void clear() {
        for (Fid f : table.values()) {
            clunk(f);
        }
        table.clear();
    }

    // loc-begin: 9p-coroutine-common
    static FsException badFid(int number) {
        return new FsException(Errno.EBADF, "unknown fid " + Integer.toUnsignedString(number));
    }

    static FsException inUse(int number) {
        return new FsException(Errno.EBADF, "fid " + Integer.toUnsignedString(number) + " in use");
    }
    // loc-end
}
