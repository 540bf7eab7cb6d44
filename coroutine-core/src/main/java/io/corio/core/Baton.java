package io.corio.core;

import java.util.concurrent.locks.LockSupport;

/**
 * One thread's turn flag for hand-off switching: {@link #signal()} gives this thread the
 * turn, {@link #await()} waits for it. Exactly one party holds a context's turn at a time,
 * so a baton has one waiter (its owner) and at most one signal outstanding.
 *
 * <p>Happens-before: everything a thread did before {@code signal()} is visible to the
 * owner after its {@code await()} returns (volatile write, then volatile read).
 */
final class Baton {
    private static final ThreadLocal<Baton> CURRENT = new ThreadLocal<>();

    final Thread owner;
    private volatile boolean ready; // set by the signaller, cleared by the owner

    Baton(Thread owner) {
        this.owner = owner;
    }

    /** The baton of the calling thread, made on first use. */
    static Baton current() {
        Baton b = CURRENT.get();
        if (b == null) {
            b = new Baton(Thread.currentThread());
            CURRENT.set(b);
        }
        return b;
    }

    /** Makes {@code b} the calling thread's baton (a pooled coroutine carrier). */
    static void bind(Baton b) {
        assert b.owner == Thread.currentThread();
        CURRENT.set(b);
    }

    /** Marks this baton ready before its owner first runs (a thread not yet started). */
    void preset() {
        ready = true;
    }

    void signal() {
        ready = true;
        LockSupport.unpark(owner);
    }

    void await() {
        assert Thread.currentThread() == owner;
        while (!ready) {
            LockSupport.park(this);
        }
        ready = false;
    }
}
