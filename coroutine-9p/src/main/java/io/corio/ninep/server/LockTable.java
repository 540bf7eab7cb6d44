package io.corio.ninep.server;

import io.corio.ninep.protocol.P9;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * POSIX record locks (fcntl {@code F_SETLK}/{@code F_GETLK} semantics) for every client of one
 * {@link NinepServer}: Tlock and Tgetlock of all connections meet here, so a lock taken by one
 * client is seen by the others. The host's own {@code fcntl} cannot do this, since one server
 * process holds every client's locks and POSIX never makes a process conflict with itself.
 *
 * <p>A lock belongs to an {@link Owner} (the client's host name plus process id, as Tlock sends
 * them) and covers {@code [start, end)} of one file, keyed by a {@link FileKey} (the export's
 * back end and the file's qid.path). Like fcntl, one owner's locks on a file never overlap: a new
 * lock replaces whatever the owner held in its range (splitting a lock that sticks out on either
 * side) and merges with its own touching or overlapping locks of the same type. A request that
 * conflicts with another owner's lock fails at once ({@link #lock} returns false; the server
 * answers BLOCKED and the kernel polls again): the table never waits.
 *
 * <p>A lock is also recorded against the holder (the server's fid object) it was taken through;
 * {@link #release(Object)} drops every lock of every owner that locked through that holder on
 * that file, as closing any descriptor of a file drops a process's locks on it.
 *
 * <p>Thread-safe: every method holds the table's monitor; no method blocks or calls out.
 */
final class LockTable {
    /** The file a lock is on: the export's back end (by identity) and the qid.path. */
    record FileKey(Object backend, long path) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FileKey k && k.backend == backend && k.path == path;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(backend) * 31 + Long.hashCode(path);
        }
    }

    /** Who holds a lock: Tlock's client_id and proc_id. */
    record Owner(String clientId, int procId) {
        Owner {
            Objects.requireNonNull(clientId, "clientId");
        }
    }

    /** One lock: {@code [start, end)}, {@code end == Long.MAX_VALUE} meaning to the end of file. */
    record Lock(Owner owner, int type, long start, long end) {
        boolean overlaps(long s, long e) {
            return start < e && s < end;
        }

        /** 9P's length: 0 for "to the end of file". */
        long length() {
            return end == Long.MAX_VALUE ? 0 : end - start;
        }
    }

    private final Map<FileKey, List<Lock>> locks = new HashMap<>(); // guarded by this
    private final Map<Object, Set<Taken>> byHolder = new HashMap<>(); // guarded by this

    private record Taken(FileKey file, Owner owner) {}

    /** The exclusive end of a 9P range; a range past the largest offset is cut at it. */
    static long end(long start, long length) {
        if (start < 0) {
            throw new IllegalArgumentException("lock start beyond 2^63-1: " + Long.toUnsignedString(start));
        }
        if (length == 0 || length < 0 || start + length < 0) {
            return Long.MAX_VALUE;
        }
        return start + length;
    }

    /**
     * Takes ({@code RDLCK}, {@code WRLCK}) or releases ({@code UNLCK}) {@code [start, start+length)}
     * of {@code file} for {@code owner}, through {@code holder}.
     *
     * @return false when another owner's lock conflicts; nothing changed then
     */
    synchronized boolean lock(FileKey file, Owner owner, Object holder, int type, long start,
            long length) {
        long end = end(start, length);
        List<Lock> list = locks.computeIfAbsent(file, k -> new ArrayList<>());
        if (type != P9.LOCK_TYPE_UNLCK) {
            if (type != P9.LOCK_TYPE_RDLCK && type != P9.LOCK_TYPE_WRLCK) {
                throw new IllegalArgumentException("lock type: " + type);
            }
            if (conflict(list, owner, type, start, end) != null) {
                return false;
            }
        }
        // cut the owner's existing locks out of [start, end)
        List<Lock> kept = new ArrayList<>();
        for (Iterator<Lock> it = list.iterator(); it.hasNext(); ) {
            Lock l = it.next();
            if (!l.owner().equals(owner) || !l.overlaps(start, end)) {
                continue;
            }
            it.remove();
            if (l.start() < start) {
                kept.add(new Lock(owner, l.type(), l.start(), start));
            }
            if (l.end() > end) {
                kept.add(new Lock(owner, l.type(), end, l.end()));
            }
        }
        list.addAll(kept);
        if (type != P9.LOCK_TYPE_UNLCK) {
            long s = start;
            long e = end;
            // merge with the owner's touching locks of the same type
            for (Iterator<Lock> it = list.iterator(); it.hasNext(); ) {
                Lock l = it.next();
                if (l.owner().equals(owner) && l.type() == type && l.start() <= e && s <= l.end()) {
                    s = Math.min(s, l.start());
                    e = Math.max(e, l.end());
                    it.remove();
                }
            }
            list.add(new Lock(owner, type, s, e));
            list.sort((a, b) -> Long.compare(a.start(), b.start()));
            byHolder.computeIfAbsent(holder, k -> new HashSet<>()).add(new Taken(file, owner));
        }
        if (list.isEmpty()) {
            locks.remove(file);
        }
        return true;
    }

    /** The first lock (lowest start) of another owner that would conflict, or null. */
    synchronized Lock test(FileKey file, Owner owner, int type, long start, long length) {
        if (type == P9.LOCK_TYPE_UNLCK) {
            return null;
        }
        List<Lock> list = locks.get(file);
        return list == null ? null : conflict(list, owner, type, start, end(start, length));
    }

    private static Lock conflict(List<Lock> list, Owner owner, int type, long start, long end) {
        for (Lock l : list) {
            if (!l.owner().equals(owner) && l.overlaps(start, end)
                    && (type == P9.LOCK_TYPE_WRLCK || l.type() == P9.LOCK_TYPE_WRLCK)) {
                return l;
            }
        }
        return null;
    }

    /** Drops the locks of every owner that locked through {@code holder}, on those files. */
    synchronized void release(Object holder) {
        Set<Taken> taken = byHolder.remove(holder);
        if (taken == null) {
            return;
        }
        for (Taken t : taken) {
            List<Lock> list = locks.get(t.file());
            if (list != null) {
                list.removeIf(l -> l.owner().equals(t.owner()));
                if (list.isEmpty()) {
                    locks.remove(t.file());
                }
            }
        }
    }

    /** A copy of the locks on {@code file}, by start; for tests and statistics. */
    synchronized List<Lock> locks(FileKey file) {
        return List.copyOf(locks.getOrDefault(file, List.of()));
    }

    /** How many locks the table holds. */
    synchronized int size() {
        int n = 0;
        for (List<Lock> l : locks.values()) {
            n += l.size();
        }
        return n;
    }
}
