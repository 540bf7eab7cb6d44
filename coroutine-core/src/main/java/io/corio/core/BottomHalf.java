package io.corio.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A reusable callback of an {@link AioContext} (QEMU's {@code QEMUBH}): {@link #schedule()}
 * from any thread makes it run once on the context's loop, as soon as the loop turns; a
 * second schedule before it runs is folded into the first. {@link #cancel()} undoes a
 * schedule that has not run yet.
 *
 * <p>Happens-before: actions of the thread that calls {@code schedule()} happen before the
 * callback runs, also when the call was folded into a pending run.
 */
public final class BottomHalf {
    private static final int IDLE = 0, PENDING = 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(BottomHalf.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AioContext context;
    private final Runnable callback;
    private final Runnable runner = this::runIfPending;
    private volatile int state; // CAS only

    BottomHalf(AioContext context, Runnable callback) {
        this.context = context;
        this.callback = Objects.requireNonNull(callback, "callback");
    }

    /**
     * Asks the loop to run the callback once.
     *
     * @return true if this call scheduled it; false if it was already pending
     * @throws IllegalStateException if the context is closed
     */
    public boolean schedule() {
        // getAndSet, not compareAndSet: a call folded into a pending run must still publish
        // what its thread did before it, and a failed CAS is only a volatile read. The write
        // of PENDING over PENDING is ordered before the runner's CAS that claims the run.
        if ((int) STATE.getAndSet(this, PENDING) != IDLE) {
            return false;
        }
        try {
            context.execute(runner);
        } catch (IllegalStateException closed) {
            STATE.setVolatile(this, IDLE);
            throw closed;
        }
        return true;
    }

    /**
     * Withdraws a pending schedule.
     *
     * @return true if the pending run was cancelled and will not happen
     */
    public boolean cancel() {
        return STATE.compareAndSet(this, PENDING, IDLE);
    }

    public boolean isPending() {
        return state == PENDING;
    }

    private void runIfPending() {
        if (STATE.compareAndSet(this, PENDING, IDLE)) {
            callback.run();
        }
    }
}
