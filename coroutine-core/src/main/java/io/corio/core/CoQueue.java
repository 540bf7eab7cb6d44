package io.corio.core;

import java.util.Objects;

/**
 * A queue of coroutines waiting for a condition (QEMU's {@code CoQueue}). Like a condition
 * variable it has no state of its own: the condition lives in data that the caller protects,
 * across yields, with a {@link CoMutex} passed to {@link #await(CoMutex)}, or, for data
 * touched by one context only, with nothing ({@link #await()}).
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Who may call:</b> {@code await}, {@link #next()} and {@link #restartAll()} only
 *       inside a coroutine ({@link IllegalStateException} naming the call otherwise);
 *       {@link #enterNext(CoMutex)} and {@link #isEmpty()} from any code, on any thread.
 *       Waiters may belong to any contexts.
 *   <li><b>Order:</b> waiters are woken in the order they called {@code await}. A woken
 *       coroutine runs in its own context: right after the waking coroutine yields if that
 *       is the same context (QEMU's {@code co_queue_wakeup}), at once if the waker is that
 *       context's loop, otherwise when that loop next turns.
 *   <li><b>No spurious returns:</b> {@code await} returns only after this queue woke the
 *       caller. It does not re-check any condition: callers loop on theirs, since another
 *       coroutine may have run between the wake-up and the return.
 *   <li><b>With a lock:</b> {@code await(lock)} requires the caller to own {@code lock}
 *       ({@link IllegalMonitorStateException} otherwise), queues the caller before it
 *       unlocks, so a signal sent by the next owner cannot be missed, and re-locks before it
 *       returns (waiting in the mutex's FIFO like any other locker).
 *   <li><b>Happens-before:</b> what a coroutine did before waking a waiter is visible to
 *       that waiter after {@code await} returns.
 * </ul>
 */
public final class CoQueue {

    /*
     * Implementation notes.
     *
     * A WaitQueue whose admission takes anyone: next() grants the head, restartAll() grants
     * everything queued at that moment, and the grants are woken after the queue's lock is
     * released. A coroutine that awaits while a restartAll() runs in another context is
     * either in the granted chain or stays queued for the next signal, never both.
     */

    private final String name; // null: named by identity
    private final WaitQueue queue = new WaitQueue();

    private CoQueue(String name) {
        this.name = name;
    }

    /** Makes an empty queue without a name. */
    public static CoQueue create() {
        return new CoQueue(null);
    }

    /** Makes an empty queue; the name shows in {@link #toString()} and dumps. */
    public static CoQueue create(String name) {
        return new CoQueue(Objects.requireNonNull(name, "name"));
    }

    /**
     * Unlocks {@code lock}, waits until this queue wakes the caller, and locks {@code lock}
     * again (QEMU's {@code qemu_co_queue_wait}).
     *
     * @throws IllegalStateException outside a coroutine
     * @throws IllegalMonitorStateException if the caller does not own {@code lock}
     */
    public void await(CoMutex lock) {
        Objects.requireNonNull(lock, "lock");
        Coroutine co = Coroutine.requireCurrent("CoQueue.await(lock)");
        if (!lock.ownedBy(co)) {
            throw new IllegalMonitorStateException("coroutine '" + co.name() + "' called " + this
                    + ".await(" + lock + ") without owning the lock");
        }
        WaitQueue.Waiter w = enqueue(co);
        lock.unlock();
        WaitQueue.await(co, w, this);
        lock.lock();
    }

    /**
     * Waits until this queue wakes the caller, for conditions on data that only the
     * caller's context touches (QEMU's {@code qemu_co_queue_wait} with no lock).
     *
     * @throws IllegalStateException outside a coroutine
     */
    public void await() {
        Coroutine co = Coroutine.requireCurrent("CoQueue.await()");
        WaitQueue.await(co, enqueue(co), this);
    }

    private WaitQueue.Waiter enqueue(Coroutine co) {
        WaitQueue.Waiter w = new WaitQueue.Waiter(co, false, 0);
        queue.lock();
        try {
            queue.add(w);
        } finally {
            queue.unlock();
        }
        return w;
    }

    /**
     * Wakes the oldest waiter, if any (QEMU's {@code qemu_co_queue_next}).
     *
     * @return whether a waiter was woken
     * @throws IllegalStateException outside a coroutine
     */
    public boolean next() {
        Coroutine.requireCurrent("CoQueue.next()");
        return WaitQueue.wake(grant(1)) > 0;
    }

    /**
     * Wakes every coroutine waiting now, oldest first (QEMU's
     * {@code qemu_co_queue_restart_all}).
     *
     * @return how many were woken
     * @throws IllegalStateException outside a coroutine
     */
    public int restartAll() {
        Coroutine.requireCurrent("CoQueue.restartAll()");
        return WaitQueue.wake(grant(Integer.MAX_VALUE));
    }

    /**
     * Wakes the oldest waiter, if any, from any code (QEMU's {@code qemu_co_enter_next}).
     * Called from the waiter's own loop, it enters the waiter at once and returns when the
     * waiter yields; elsewhere it behaves as {@link #next()}. If {@code lock} is not null,
     * the caller must be a coroutine owning it; it is unlocked around the wake-up, so that
     * the woken coroutine can take it, and locked again before this returns.
     *
     * @param lock a mutex the calling coroutine owns, or {@code null}
     * @return whether a waiter was woken
     * @throws IllegalStateException if {@code lock} is given outside a coroutine
     * @throws IllegalMonitorStateException if the caller does not own {@code lock}
     */
    public boolean enterNext(CoMutex lock) {
        if (lock != null) { // check before granting: a granted waiter must be woken
            Coroutine co = Coroutine.requireCurrent("CoQueue.enterNext(lock)");
            if (!lock.ownedBy(co)) {
                throw new IllegalMonitorStateException("coroutine '" + co.name() + "' called " + this
                        + ".enterNext(" + lock + ") without owning the lock");
            }
        }
        WaitQueue.Waiter next = grant(1);
        if (next == null) {
            return false;
        }
        if (lock == null) {
            WaitQueue.wake(next);
        } else {
            lock.unlock();
            WaitQueue.wake(next);
            lock.lock();
        }
        return true;
    }

    private WaitQueue.Waiter grant(int max) {
        queue.lock();
        try {
            return queue.grant(WaitQueue.ANYONE, max);
        } finally {
            queue.unlock();
        }
    }

    /** Whether no coroutine waits (QEMU's {@code qemu_co_queue_empty}); a snapshot. */
    public boolean isEmpty() {
        queue.lock();
        try {
            return queue.isEmpty();
        } finally {
            queue.unlock();
        }
    }

    /** Log-safe: {@code CoQueue[name, waiters=N]}. */
    @Override
    public String toString() {
        int waiters;
        queue.lock();
        try {
            waiters = queue.size();
        } finally {
            queue.unlock();
        }
        return "CoQueue[" + (name != null ? name : "@" + Integer.toHexString(System.identityHashCode(this)))
                + ", waiters=" + waiters + "]";
    }
}
