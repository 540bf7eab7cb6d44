package io.corio.core;

import java.util.Objects;

/**
 * A mutual-exclusion lock for coroutines (QEMU's {@code CoMutex}): a coroutine that finds it
 * held yields instead of blocking its thread, so the rest of its context keeps running.
 * Between two yield points a coroutine already runs alone in its context; a {@code CoMutex}
 * is what protects state across a yield, or between coroutines of different contexts.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Who may call:</b> {@link #lock()}, {@link #tryLock()} and {@link #unlock()} only
 *       inside a coroutine; outside one they throw {@link IllegalStateException} naming the
 *       call. The mutex may be shared by coroutines of any contexts.
 *   <li><b>Ownership:</b> the owner is the coroutine that locked it; only the owner may
 *       unlock it ({@link IllegalMonitorStateException} otherwise, also when it is not
 *       locked). A coroutine that ends while owning it fails: the {@code enter()} or
 *       {@code call()} running it throws an {@link IllegalStateException} naming the mutex.
 *   <li><b>Not reentrant:</b> locking (or try-locking) a mutex the caller owns throws
 *       {@link IllegalStateException}, since waiting for oneself would never end.
 *   <li><b>Fairness:</b> strictly FIFO. {@code unlock()} with coroutines waiting hands the
 *       mutex straight to the oldest one, which becomes the owner before it runs again; a
 *       new {@code lock()} or {@code tryLock()} never barges past a waiter. The new owner is
 *       resumed in its own context: right after the unlocking coroutine yields if that is
 *       the same context, otherwise when its own loop turns.
 *   <li><b>Happens-before:</b> everything an owner did before {@code unlock()} is visible
 *       to the next owner after its {@code lock()} or {@code tryLock()} returns.
 * </ul>
 *
 * <p>{@link #toString()} is log-safe and shows the name, the owner and the number of
 * waiters; {@link AioContext#dump()} shows it for the owner ("holds") and the waiters
 * ("waits for").
 */
public final class CoMutex {

    /*
     * Implementation notes.
     *
     * `owner` and the queue of waiters are guarded by the WaitQueue's lock. lock() takes the
     * mutex when it is free and nobody waits (never both free and waited for: see unlock);
     * otherwise lockSlow() queues the caller and yields until it is granted. unlock() clears
     * the owner and grants the head waiter, whose admission sets the owner to that waiter
     * under the same lock hold: the mutex is never observably free while someone waits, so
     * FIFO order is exactly queue order and a barging lock() is impossible.
     *
     * The held-locks record (Coroutine.acquired/released) is written by the owner itself,
     * after it returns from the queue, never under the queue's lock (see WaitQueue).
     */

    private final String name; // null: named by identity
    private final WaitQueue queue = new WaitQueue();
    private final WaitQueue.Admission handOff = this::handOff;
    private Coroutine owner; // guarded by queue's lock

    private CoMutex(String name) {
        this.name = name;
    }

    /** Makes an unlocked mutex without a name. */
    public static CoMutex create() {
        return new CoMutex(null);
    }

    /** Makes an unlocked mutex; the name shows in {@link #toString()}, errors and dumps. */
    public static CoMutex create(String name) {
        return new CoMutex(Objects.requireNonNull(name, "name"));
    }

    /**
     * Locks the mutex, yielding until it is this coroutine's turn (QEMU's
     * {@code qemu_co_mutex_lock}).
     *
     * @throws IllegalStateException outside a coroutine, or if the caller already owns it
     */
    public void lock() {
        Coroutine co = Coroutine.requireCurrent("CoMutex.lock()");
        if (!tryAcquire(co, "lock()")) {
            lockSlow(co);
        }
        co.acquired(this);
    }

    private void lockSlow(Coroutine co) {
        WaitQueue.Waiter w = new WaitQueue.Waiter(co, true, 1);
        queue.lock();
        try {
            if (owner == null && queue.isEmpty()) { // freed since the fast path looked
                owner = co;
                return;
            }
            queue.add(w);
        } finally {
            queue.unlock();
        }
        WaitQueue.await(co, w, this);
        assert ownedBy(co);
    }

    /**
     * Locks the mutex if it is free and nobody waits for it, without yielding.
     *
     * @return whether the caller now owns it
     * @throws IllegalStateException outside a coroutine, or if the caller already owns it
     */
    public boolean tryLock() {
        Coroutine co = Coroutine.requireCurrent("CoMutex.tryLock()");
        if (tryAcquire(co, "tryLock()")) {
            co.acquired(this);
            return true;
        }
        return false;
    }

    private boolean tryAcquire(Coroutine co, String what) {
        queue.lock();
        try {
            if (owner == null && queue.isEmpty()) {
                owner = co;
                return true;
            }
            if (owner != co) {
                return false;
            }
        } finally {
            queue.unlock();
        }
        throw new IllegalStateException("coroutine '" + co.name() + "' called " + what + " on " + this
                + ", which it already owns (CoMutex is not reentrant)");
    }

    /**
     * Unlocks the mutex; if coroutines wait, the oldest becomes the owner and is woken
     * (QEMU's {@code qemu_co_mutex_unlock}).
     *
     * @throws IllegalStateException outside a coroutine
     * @throws IllegalMonitorStateException if the caller does not own the mutex
     */
    public void unlock() {
        Coroutine co = Coroutine.requireCurrent("CoMutex.unlock()");
        WaitQueue.Waiter next;
        boolean owned;
        queue.lock();
        try {
            if (owner != co) {
                next = null;
                owned = false;
            } else {
                owner = null;
                next = queue.grant(handOff, 1);
                owned = true;
            }
        } finally {
            queue.unlock();
        }
        if (!owned) {
            throw new IllegalMonitorStateException("coroutine '" + co.name() + "' unlocked " + this
                    + ", which it does not own");
        }
        boolean recorded = co.released(this);
        assert recorded : co + " owned " + this + " without a record of it";
        WaitQueue.wake(next);
    }

    private boolean handOff(WaitQueue.Waiter head) {
        if (owner != null) {
            return false;
        }
        owner = head.co;
        return true;
    }

    /** Whether some coroutine owns the mutex (a snapshot, for assertions and diagnostics). */
    public boolean isLocked() {
        queue.lock();
        try {
            return owner != null;
        } finally {
            queue.unlock();
        }
    }

    /** Whether {@code co} owns the mutex. */
    boolean ownedBy(Coroutine co) {
        queue.lock();
        try {
            return owner == co;
        } finally {
            queue.unlock();
        }
    }

    /** Log-safe: {@code CoMutex[name, owner=<coroutine name>|none, waiters=N]}. */
    @Override
    public String toString() {
        Coroutine o;
        int waiters;
        queue.lock();
        try {
            o = owner;
            waiters = queue.size();
        } finally {
            queue.unlock();
        }
        return "CoMutex[" + (name != null ? name : "@" + Integer.toHexString(System.identityHashCode(this)))
                + ", owner=" + (o == null ? "none" : o.name()) + ", waiters=" + waiters + "]";
    }
}
