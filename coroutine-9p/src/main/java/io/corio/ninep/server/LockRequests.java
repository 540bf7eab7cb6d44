package io.corio.ninep.server;

import io.corio.ninep.fs.FsException;
import io.corio.ninep.fs.Handle;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage.Rgetlock;
import io.corio.ninep.protocol.Rmessage.Rlock;
import io.corio.ninep.protocol.Tmessage.Tgetlock;
import io.corio.ninep.protocol.Tmessage.Tlock;

/**
 * Tlock and Tgetlock of one session: POSIX byte-range locks kept in the server's
 * {@link LockTable}, shared by every session, owned by client id + proc id, held through a fid
 * and dropped with it ({@link Fids#clunk}). Neither waits, and neither calls the back end.
 */
final class LockRequests {
    private final Fids fids; // context only
    private final LockTable locks; // thread-safe

    LockRequests(Fids fids, LockTable locks) {
        this.fids = fids;
        this.locks = locks;
    }

    /**
     * Tlock: never waits. A conflict answers BLOCKED, which a blocking (F_SETLKW) kernel client
     * polls again; the lock is recorded against the fid and dies with it.
     */
    Rlock lock(Tlock l) throws FsException {
        Fid f = fids.get(l.fid());
        Handle h = fids.handle(l.fid());
        checkRequest(l.type(), l.start());
        LockTable.FileKey key = new LockTable.FileKey(f.backend, h.qid().path());
        LockTable.Owner owner = new LockTable.Owner(l.clientId(), l.procId());
        boolean done = locks.lock(key, owner, f, l.type(), l.start(), l.length());
        return new Rlock(l.tag(), done ? P9.LOCK_SUCCESS : P9.LOCK_BLOCKED);
    }

    /** Tgetlock: the first conflicting lock of another owner, or the request with type UNLCK. */
    Rgetlock getlock(Tgetlock g) throws FsException {
        Fid f = fids.get(g.fid());
        Handle h = fids.handle(g.fid());
        checkRequest(g.type(), g.start());
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

    /** EINVAL for a type that is not RDLCK, WRLCK or UNLCK, or a start past 2^63 - 1. */
    private static void checkRequest(int type, long start) throws FsException {
        if (type > P9.LOCK_TYPE_UNLCK) {
            throw new FsException(Errno.EINVAL, "lock type " + type);
        }
        if (start < 0) {
            throw new FsException(Errno.EINVAL, "lock start " + Long.toUnsignedString(start));
        }
    }
}
