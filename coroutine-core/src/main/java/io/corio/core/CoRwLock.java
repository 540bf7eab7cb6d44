package io.corio.core;

import java.util.Objects;

/**
 * A readers-writer lock for coroutines, with the semantics of QEMU's {@code CoRwlock} since
 * its 2021 rewrite ({@code qemu_co_rwlock_*}): many readers or one writer, strictly FIFO.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Who may call:</b> every method only inside a coroutine
 *       ({@link IllegalStateException} naming the call otherwise). The lock may be shared
 *       by coroutines of any contexts; a waiter is resumed in its own context.
 *   <li><b>Writer-fair:</b> requests are served in arrival order. A queued writer blocks
 *       every reader that comes after it, even while the lock is read-locked, so a stream of
 *       readers cannot starve a writer; when the lock is released, the head of the queue is
 *       granted, together with the readers right behind it if it is a reader.
 *   <li><b>Upgrade:</b> {@link #upgrade()} turns the caller's read lock into the write lock
 *       at once if it is the only reader and nobody is queued; otherwise it releases the
 *       read lock and queues as a writer at the tail, so other coroutines may write before
 *       it does (re-check what was read).
 *   <li><b>Downgrade:</b> {@link #downgrade()} turns the write lock into a read lock, never
 *       yields, and wakes the readers queued at the head, up to the first queued writer.
 *   <li><b>Ownership:</b> only a holder may {@link #unlock()} ({@link IllegalMonitorStateException}
 *       otherwise), only a reader may upgrade and only the writer may downgrade. A coroutine
 *       that ends holding the lock fails with an {@link IllegalStateException} naming it.
 *   <li><b>Not reentrant:</b> a holder that asks for the lock again, in either mode, gets an
 *       {@link IllegalStateException}: a second read lock would wait behind a queued writer
 *       that waits for the first, and a write lock would wait for itself.
 *   <li><b>Happens-before:</b> everything a writer did before releasing or downgrading the
 *       lock is visible to the coroutines that lock it afterwards.
 * </ul>
 */
public final class CoRwLock {

    /*
     * Implementation notes.
     *
     * QEMU's state, guarded by the WaitQueue's lock: `owners` > 0 is the number of readers,
     * -1 means a writer (`writer`), 0 free. A request is granted on the fast path only if
     * the queue is empty (a reader also when `owners` > 0: no writer queued means no one to
     * be fair to). Every release runs the admission over the head of the queue:
     *
     *   head is a reader and owners >= 0   ->  owners++, granted, look at the next one
     *   head is a writer and owners == 0   ->  owners = -1, granted, stop
     *   otherwise                          ->  stop
     *
     * QEMU wakes one waiter and lets each woken reader wake the next; granting the run of
     * readers in one pass is the same outcome with fewer switches. Invariant between
     * operations: the queue is empty or its head cannot be granted (a writer, with owners
     * != 0), which is why a reader arriving while owners > 0 only has to look at emptiness.
     *
     * Who holds a read lock is known only through the per-coroutine record
     * (Coroutine.acquired/released), which is touched outside the queue's lock.
     */

    private final String name; // null: named by identity
    private final WaitQueue queue = new WaitQueue();
    private final WaitQueue.Admission admission = this::admit;
    private int owners; // guarded by queue's lock: readers, or -1 for a writer
    private Coroutine writer; // guarded by queue's lock: set when owners == -1

    private CoRwLock(String name) {
        this.name = name;
    }

    /** Makes an unlocked readers-writer lock without a name. */
    public static CoRwLock create() {
        return new CoRwLock(null);
    }

    /** Makes an unlocked readers-writer lock; the name shows in {@link #toString()} and dumps. */
    public static CoRwLock create(String name) {
        return new CoRwLock(Objects.requireNonNull(name, "name"));
    }

    /**
     * Takes a read lock, yielding while a writer holds the lock or is queued
     * (QEMU's {@code qemu_co_rwlock_rdlock}).
     *
     * @throws IllegalStateException outside a coroutine, or if the caller holds this lock
     */
    public void readLock() {
        Coroutine co = Coroutine.requireCurrent("CoRwLock.readLock()");
        checkNotHeld(co, "readLock()");
        WaitQueue.Waiter w = null;
        queue.lock();
        try {
            if (owners >= 0 && queue.isEmpty()) {
                owners++;
            } else {
                w = new WaitQueue.Waiter(co, false, 1);
                queue.add(w);
            }
        } finally {
            queue.unlock();
        }
        if (w != null) {
            WaitQueue.await(co, w, this);
        }
        co.acquired(this);
    }

    /**
     * Takes the write lock, yielding while anyone holds the lock or is queued
     * (QEMU's {@code qemu_co_rwlock_wrlock}).
     *
     * @throws IllegalStateException outside a coroutine, or if the caller holds this lock
     */
    public void writeLock() {
        Coroutine co = Coroutine.requireCurrent("CoRwLock.writeLock()");
        checkNotHeld(co, "writeLock()");
        WaitQueue.Waiter w = null;
        queue.lock();
        try {
            if (owners == 0 && queue.isEmpty()) {
                owners = -1;
                writer = co;
            } else {
                w = new WaitQueue.Waiter(co, true, 1);
                queue.add(w);
            }
        } finally {
            queue.unlock();
        }
        if (w != null) {
            WaitQueue.await(co, w, this);
        }
        co.acquired(this);
    }

    private void checkNotHeld(Coroutine co, String what) {
        if (co.holds(this)) {
            throw new IllegalStateException("coroutine '" + co.name() + "' called " + what + " on " + this
                    + ", which it already holds (CoRwLock is not reentrant; use upgrade() or downgrade())");
        }
    }

    /**
     * Releases the caller's read or write lock and grants the head of the queue
     * (QEMU's {@code qemu_co_rwlock_unlock}).
     *
     * @throws IllegalStateException outside a coroutine
     * @throws IllegalMonitorStateException if the caller holds neither lock
     */
    public void unlock() {
        Coroutine co = Coroutine.requireCurrent("CoRwLock.unlock()");
        if (!co.released(this)) {
            throw notHolder(co, "unlock()", "hold");
        }
        WaitQueue.Waiter granted;
        queue.lock();
        try {
            if (writer == co) {
                assert owners == -1 : this;
                owners = 0;
                writer = null;
            } else {
                assert owners > 0 : this;
                owners--;
            }
            granted = queue.grant(admission, Integer.MAX_VALUE);
        } finally {
            queue.unlock();
        }
        WaitQueue.wake(granted);
    }

    /**
     * Turns the caller's read lock into the write lock (QEMU's {@code qemu_co_rwlock_upgrade}):
     * at once if the caller is the only reader and nobody is queued; otherwise the read lock
     * is released and the caller waits at the tail of the queue as a writer, so data read
     * before the call may have changed when it returns.
     *
     * @throws IllegalStateException outside a coroutine
     * @throws IllegalMonitorStateException if the caller does not hold a read lock
     */
    public void upgrade() {
        Coroutine co = Coroutine.requireCurrent("CoRwLock.upgrade()");
        if (!co.holds(this) || isWriter(co)) {
            throw notHolder(co, "upgrade()", "hold a read lock on");
        }
        WaitQueue.Waiter w;
        WaitQueue.Waiter granted;
        queue.lock();
        try {
            assert owners > 0 : this;
            if (owners == 1 && queue.isEmpty()) {
                owners = -1;
                writer = co;
                return;
            }
            owners--; // give up the read lock and queue as a writer
            w = new WaitQueue.Waiter(co, true, 1);
            queue.add(w);
            granted = queue.grant(admission, Integer.MAX_VALUE); // a queued writer, if we were the last reader
        } finally {
            queue.unlock();
        }
        upgradeSlow(co, w, granted);
    }

    private void upgradeSlow(Coroutine co, WaitQueue.Waiter w, WaitQueue.Waiter granted) {
        co.released(this); // not held while queued: dump() shows it waiting, not holding
        WaitQueue.wake(granted);
        WaitQueue.await(co, w, this);
        co.acquired(this);
    }

    /**
     * Turns the caller's write lock into a read lock without yielding, and wakes the readers
     * queued at the head, up to the first queued writer (QEMU's
     * {@code qemu_co_rwlock_downgrade}).
     *
     * @throws IllegalStateException outside a coroutine
     * @throws IllegalMonitorStateException if the caller does not hold the write lock
     */
    public void downgrade() {
        Coroutine co = Coroutine.requireCurrent("CoRwLock.downgrade()");
        WaitQueue.Waiter granted = null;
        boolean wasWriter;
        queue.lock();
        try {
            wasWriter = writer == co;
            if (wasWriter) {
                owners = 1;
                writer = null;
                granted = queue.grant(admission, Integer.MAX_VALUE);
            }
        } finally {
            queue.unlock();
        }
        if (!wasWriter) {
            throw notHolder(co, "downgrade()", "hold the write lock on");
        }
        WaitQueue.wake(granted);
    }

    private boolean admit(WaitQueue.Waiter head) {
        if (head.exclusive) {
            if (owners != 0) {
                return false;
            }
            owners = -1;
            writer = head.co;
            return true;
        }
        if (owners < 0) {
            return false;
        }
        owners++;
        return true;
    }

    private boolean isWriter(Coroutine co) {
        queue.lock();
        try {
            return writer == co;
        } finally {
            queue.unlock();
        }
    }

    private IllegalMonitorStateException notHolder(Coroutine co, String what, String needs) {
        return new IllegalMonitorStateException("coroutine '" + co.name() + "' called " + what + " on " + this
                + " but does not " + needs + " it");
    }

    /** Log-safe: {@code CoRwLock[name, free|readers=N|writer=<name>, waiters=N]}. */
    @Override
    public String toString() {
        int o;
        Coroutine w;
        int waiters;
        queue.lock();
        try {
            o = owners;
            w = writer;
            waiters = queue.size();
        } finally {
            queue.unlock();
        }
        String held = o == 0 ? "free" : o > 0 ? "readers=" + o : "writer=" + (w == null ? "?" : w.name());
        return "CoRwLock[" + (name != null ? name : "@" + Integer.toHexString(System.identityHashCode(this)))
                + ", " + held + ", waiters=" + waiters + "]";
    }
}
