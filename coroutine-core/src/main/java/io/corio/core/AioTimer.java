package io.corio.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A one-shot timer of an {@link AioContext}, on the monotonic clock ({@link System#nanoTime}).
 * Its action runs on the context's loop once the deadline has passed, unless it was
 * cancelled first. {@link #cancel()} may be called from any thread and answers honestly
 * whether it stopped the action.
 */
public final class AioTimer implements Comparable<AioTimer> {
    private static final int PENDING = 0, FIRED = 1, CANCELLED = 2;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(AioTimer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long deadline; // System.nanoTime() value
    final long seq; // FIFO order among equal deadlines
    Runnable action; // written before the timer is armed
    private volatile int state; // CAS only

    AioTimer(long deadline, long seq, Runnable action) {
        this.deadline = deadline;
        this.seq = seq;
        this.action = action;
    }

    /**
     * Stops the action if it has not started.
     *
     * @return true if this call cancelled it (it will never run); false if it already ran,
     *     is running, or was cancelled before
     */
    public boolean cancel() {
        return STATE.compareAndSet(this, PENDING, CANCELLED);
    }

    /** Whether the action can still run. */
    public boolean isPending() {
        return state == PENDING;
    }

    /** Claims the right to run; loop only. */
    boolean fire() {
        return STATE.compareAndSet(this, PENDING, FIRED);
    }

    @Override
    public int compareTo(AioTimer o) {
        int c = Long.compare(deadline - o.deadline, 0);
        return c != 0 ? c : Long.compare(seq, o.seq);
    }
}
