package io.corio.bench.compare;

import java.util.concurrent.locks.LockSupport;

/**
 * One request of the comparison pipeline, and the pipeline itself: {@code steps} steps, each
 * a blocking call ({@link #io}) whose answer is folded into the request's running value
 * ({@link #fold}). Every style keeps exactly this per-request state; what differs is where
 * it waits and how it comes back.
 *
 * <p>Thread safety: a request is handled by one style at a time; each style carries the
 * happens-before edges between its steps (a coroutine's context, a post-op, a future's
 * completion, a thread's program order), so the fields are plain.
 */
public final class Request {

    /** The request's number, which decides its expected result. */
    public final int id;
    /** The running value: the id, then folded with each step's answer. */
    public long acc;
    /** Set by the driver when the request is reported done, to catch double completions. */
    boolean reported;

    public Request(int id) {
        this.id = id;
        this.acc = id;
    }

    /**
     * The blocking call of one step: waits {@code nanos} (none when 0), then answers a value
     * derived from the request and the step, as a read would answer data.
     */
    public static long io(int id, int step, long nanos) {
        if (nanos > 0) {
            waitNanos(nanos);
        }
        return id * 0x9E3779B97F4A7C15L + step;
    }

    /** Folds a step's answer into the running value; cheap, order-sensitive, checkable. */
    public static long fold(long acc, long data) {
        return Long.rotateLeft(acc, 7) ^ data;
    }

    /** What a request must hold after {@code steps} steps, computed without waiting. */
    public static long expected(int id, int steps) {
        long acc = id;
        for (int step = 0; step < steps; step++) {
            acc = fold(acc, io(id, step, 0));
        }
        return acc;
    }

    /** Parks for at least {@code nanos}: parkNanos may return early, so park again until due. */
    static void waitNanos(long nanos) {
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    @Override
    public String toString() {
        return "request " + id;
    }
}
