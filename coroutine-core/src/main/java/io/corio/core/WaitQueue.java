package io.corio.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The waiting-queue core that {@link CoMutex}, {@link CoQueue}, {@link CoRwLock} and
 * {@link CoSemaphore} share: a FIFO of suspended coroutines, each asking for something
 * (the mutex, a read or a write lock, some units, a signal), and the short internal lock
 * that guards both the FIFO and the state of the primitive that owns it.
 *
 * <p>Usable from any thread; {@link #await} only from the coroutine that made the waiter.
 */
final class WaitQueue {

    /*
     * Implementation notes.
     *
     * A primitive P owning a WaitQueue q follows one protocol:
     *
     *   acquire  q.lock(); if P's state admits the caller and q is empty (nobody barges past
     *            a waiter), update P's state: done, no wait (the fast path). Otherwise
     *            q.add(waiter); q.unlock(); q.await(co, waiter, P) yields until granted.
     *   release  q.lock(); update P's state; chain = q.grant(admission, max); q.unlock();
     *            wake(chain).
     *
     * grant() asks P's admission, under the lock, about the head of the queue and, while it
     * says yes, removes the head and marks it granted. The admission updates P's state on
     * the waiter's behalf (the mutex's owner, the rwlock's reader count, the semaphore's
     * units), so ownership passes straight to the waiter and no one can slip in between a
     * release and the waiter's wake-up (QEMU's hand-off). Stopping at the first waiter that
     * cannot be admitted is what makes every primitive strictly FIFO.
     *
     * Waking happens after the lock is released: from a context's loop a wake enters the
     * coroutine at once, and it must not run (and perhaps contend for this lock from another
     * thread) inside our critical section. Rules that keep the lock short and deadlock-free:
     * never yield while holding it, and never call Coroutine's synchronized hooks (acquired,
     * released, holds) while holding it, because dump() calls a primitive's toString(),
     * which takes this lock, while holding the coroutine's monitor.
     *
     * The waiter's side: a Waiter is made by its own coroutine, which starts a numbered wait
     * (Coroutine.beginWait) for it; the waker calls wakeWait(n) after a volatile store of
     * `granted`, and the waiter reads `granted` with a volatile load after every resume. A
     * waiter may be woken by someone else before it is granted, so it loops. It may also see
     * the grant before our wake arrives; it then ends the wait (endWait) and our wake, whose
     * number no longer matches, is dropped by its context instead of cutting a later wait
     * short.
     */

    /** Decides, with the queue's lock held, whether the head waiter can be granted now. */
    @FunctionalInterface
    interface Admission {
        /**
         * Returns whether {@code head} is granted; if so, has already updated the owning
         * primitive's state on its behalf.
         */
        boolean admit(Waiter head);
    }

    /** Admits every waiter: a plain condition queue. */
    static final Admission ANYONE = w -> true;

    /** One suspended coroutine and what it asks for. */
    static final class Waiter {
        private static final VarHandle GRANTED;

        static {
            try {
                GRANTED = MethodHandles.lookup().findVarHandle(Waiter.class, "granted", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Coroutine co;
        final long wait; // co's numbered wait for this waiter
        final boolean exclusive; // CoRwLock: a writer
        final long units; // CoSemaphore: units asked for
        Waiter next; // guarded by the queue's lock while queued; fixed once granted
        @SuppressWarnings("unused") // through GRANTED
        private boolean granted; // volatile store by the granter, volatile load by the waiter

        /** Made by {@code co} itself, which thereby starts a numbered wait. */
        Waiter(Coroutine co, boolean exclusive, long units) {
            this.co = co;
            this.wait = co.beginWait();
            this.exclusive = exclusive;
            this.units = units;
        }

        boolean isGranted() {
            return (boolean) GRANTED.getVolatile(this);
        }

        private void grant() {
            GRANTED.setVolatile(this, true);
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private Waiter head; // guarded by lock
    private Waiter tail; // guarded by lock
    private int size; // guarded by lock

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    boolean isEmpty() {
        assert lock.isHeldByCurrentThread();
        return head == null;
    }

    int size() {
        assert lock.isHeldByCurrentThread();
        return size;
    }

    /** Queues {@code w} at the tail; lock held. */
    void add(Waiter w) {
        assert lock.isHeldByCurrentThread();
        assert w.next == null && !w.isGranted();
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
        size++;
    }

    /**
     * Removes and grants up to {@code max} waiters from the head while {@code admission}
     * admits them; lock held. Returns the granted waiters as a chain linked by
     * {@code next} (null if none) for {@link #wake} to wake once the lock is released.
     */
    Waiter grant(Admission admission, int max) {
        assert lock.isHeldByCurrentThread();
        Waiter first = head;
        Waiter last = null;
        Waiter w = head;
        int n = 0;
        while (w != null && n < max && admission.admit(w)) {
            w.grant();
            last = w;
            w = w.next;
            n++;
        }
        if (last == null) {
            return null;
        }
        last.next = null; // detach the granted chain from the queue
        head = w;
        if (w == null) {
            tail = null;
        }
        size -= n;
        return first;
    }

    /**
     * Wakes each coroutine of a chain returned by {@link #grant}, lock not held, and returns
     * how many there were. A wake from a coroutine of the waiter's context runs the waiter
     * right after the caller yields; from its loop, at once; otherwise on its own loop.
     */
    static int wake(Waiter chain) {
        Coroutine self = Coroutine.current();
        int n = 0;
        Waiter w = chain;
        while (w != null) {
            Waiter next = w.next;
            if (w.co != self) { // the caller sees its own grant without being woken
                w.co.wakeWait(w.wait);
            }
            n++;
            w = next;
        }
        return n;
    }

    /**
     * Suspends {@code co}, which queued {@code w}, until {@code w} is granted; lock not
     * held. {@code primitive} is shown by {@link AioContext#dump()} as what it waits for.
     */
    static void await(Coroutine co, Waiter w, Object primitive) {
        assert co == Coroutine.current() && w.co == co;
        co.waitingFor(primitive);
        try {
            while (!w.isGranted()) {
                co.yieldNow(); // a wake may be spurious: look again
            }
        } finally {
            co.endWait();
            co.waitingFor(null);
        }
    }
}
