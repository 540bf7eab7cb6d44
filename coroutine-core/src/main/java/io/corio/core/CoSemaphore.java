package io.corio.core;

import java.util.Objects;

/**
 * A counting semaphore for coroutines, with requests of many units at once: the primitive
 * that bounds bytes (or requests) in flight. It starts with {@link #capacity()} units
 * available; {@link #acquire(long)} takes units, yielding until there are enough, and
 * {@link #release(long)} gives them back.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Who may call:</b> {@link #acquire(long)} only inside a coroutine
 *       ({@link IllegalStateException} naming the call otherwise); {@link #tryAcquire(long)},
 *       {@link #release(long)} and {@link #available()} from any code, on any thread. A
 *       waiter is resumed in its own context.
 *   <li><b>Strict FIFO:</b> requests are served in arrival order, whatever their size. A
 *       request that cannot be satisfied yet blocks every request behind it, even ones that
 *       would fit, so a large request is never starved by a stream of small ones;
 *       {@code tryAcquire} also fails while anyone waits.
 *   <li><b>Units are not owned:</b> any code may release units that another acquired (a
 *       completion releasing what a submitter took). Releasing more than was taken, so that
 *       more than {@code capacity()} units would be available, is misuse and throws
 *       {@link IllegalStateException}.
 *   <li><b>Arguments:</b> units must be at least 1 and, for acquiring, at most
 *       {@code capacity()} (such a request could never be served); otherwise
 *       {@link IllegalArgumentException} naming the value.
 *   <li><b>Happens-before:</b> what a coroutine did before {@code release} is visible to
 *       the coroutines whose {@code acquire} or {@code tryAcquire} those units satisfy.
 * </ul>
 */
public final class CoSemaphore {

    /*
     * Implementation notes.
     *
     * `available` and the queue are guarded by the WaitQueue's lock. A request is served on
     * the fast path only if nobody is queued and enough units are free. release() adds the
     * units and grants from the head while the head's request fits, taking its units on its
     * behalf (so no later request can take them first), and stops at the first that does
     * not fit. Invariant between operations: the queue is empty or its head does not fit.
     */

    private final String name; // null: named by identity
    private final long capacity;
    private final WaitQueue queue = new WaitQueue();
    private final WaitQueue.Admission admission = this::admit;
    private long available; // guarded by queue's lock; 0 <= available <= capacity

    private CoSemaphore(String name, long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.name = name;
        this.capacity = capacity;
        this.available = capacity;
    }

    /** Makes a semaphore without a name, with {@code capacity} units, all available. */
    public static CoSemaphore create(long capacity) {
        return new CoSemaphore(null, capacity);
    }

    /**
     * Makes a semaphore with {@code capacity} units, all available; the name shows in
     * {@link #toString()} and dumps.
     *
     * @throws IllegalArgumentException if {@code capacity} is less than 1
     */
    public static CoSemaphore create(String name, long capacity) {
        return new CoSemaphore(Objects.requireNonNull(name, "name"), capacity);
    }

    /** The number of units the semaphore was made with. */
    public long capacity() {
        return capacity;
    }

    /**
     * Takes {@code units}, yielding until they are available and every earlier request has
     * been served.
     *
     * @throws IllegalStateException outside a coroutine
     * @throws IllegalArgumentException if {@code units} is less than 1 or more than
     *     {@link #capacity()}
     */
    public void acquire(long units) {
        Coroutine co = Coroutine.requireCurrent("CoSemaphore.acquire()");
        checkAcquire(units);
        WaitQueue.Waiter w = null;
        queue.lock();
        try {
            if (queue.isEmpty() && available >= units) {
                available -= units;
            } else {
                w = new WaitQueue.Waiter(co, false, units);
                queue.add(w);
            }
        } finally {
            queue.unlock();
        }
        if (w != null) {
            WaitQueue.await(co, w, this);
        }
    }

    /**
     * Takes {@code units} if they are available and nobody waits, without yielding.
     *
     * @return whether the units were taken
     * @throws IllegalArgumentException if {@code units} is less than 1 or more than
     *     {@link #capacity()}
     */
    public boolean tryAcquire(long units) {
        checkAcquire(units);
        queue.lock();
        try {
            if (queue.isEmpty() && available >= units) {
                available -= units;
                return true;
            }
            return false;
        } finally {
            queue.unlock();
        }
    }

    private void checkAcquire(long units) {
        if (units < 1 || units > capacity) {
            throw new IllegalArgumentException("units must be between 1 and the capacity " + capacity
                    + " of " + this + ", got " + units);
        }
    }

    /**
     * Gives back {@code units} and serves the waiting requests that now fit, oldest first.
     *
     * @throws IllegalArgumentException if {@code units} is less than 1
     * @throws IllegalStateException if more than {@link #capacity()} units would be available
     */
    public void release(long units) {
        if (units < 1) {
            throw new IllegalArgumentException("units must be at least 1, got " + units);
        }
        WaitQueue.Waiter granted;
        long was;
        queue.lock();
        try {
            was = available;
            if (units > capacity - was) {
                granted = null;
            } else {
                available = was + units;
                granted = queue.grant(admission, Integer.MAX_VALUE);
            }
        } finally {
            queue.unlock();
        }
        if (units > capacity - was) {
            throw new IllegalStateException("release(" + units + ") on " + this + " with " + was
                    + " units available would exceed the capacity " + capacity + " (released more than acquired)");
        }
        WaitQueue.wake(granted);
    }

    private boolean admit(WaitQueue.Waiter head) {
        if (available < head.units) {
            return false;
        }
        available -= head.units;
        return true;
    }

    /** The units available now (a snapshot). */
    public long available() {
        queue.lock();
        try {
            return available;
        } finally {
            queue.unlock();
        }
    }

    /** Log-safe: {@code CoSemaphore[name, available=A/C, waiters=N]}. */
    @Override
    public String toString() {
        long a;
        int waiters;
        queue.lock();
        try {
            a = available;
            waiters = queue.size();
        } finally {
            queue.unlock();
        }
        return "CoSemaphore[" + (name != null ? name : "@" + Integer.toHexString(System.identityHashCode(this)))
                + ", available=" + a + "/" + capacity + ", waiters=" + waiters + "]";
    }
}
