package io.corio.core;

/**
 * How a backend passes control between a context's parties. Every method except
 * {@link #close()} is called by the holder of the context's turn; the switcher hands the
 * turn over and gets it back.
 */
sealed interface Switcher permits VirtualSwitcher, ContinuationSwitcher {

    /** The backend actually in use (after any fallback). */
    Backend backend();

    /** Builds the thread a context that owns its thread runs its loop on. */
    Thread.Builder loopThreadBuilder();

    /** Runs {@code co} (state already RUNNING) until it yields, blocks or ends. */
    void enter(Coroutine co);

    /** Called by {@code co}: gives the turn back to whoever entered it; returns when re-entered. */
    void suspend(Coroutine co);

    /**
     * Called by {@code co} (state already BLOCKING): gives the turn back, runs {@code call}
     * outside the context, then either takes the idle loop's turn
     * ({@link Coroutine#resumeBorrowing()}) or calls {@link Coroutine#blockingDone()} and
     * waits for the context to re-enter {@code co}; returns the result with the turn held.
     */
    <T, X extends Exception> T blocking(Coroutine co, CoroutineFunction<T, X> call) throws X;

    /** The stack of a suspended or running coroutine, as far as the backend can tell. */
    StackTraceElement[] stack(Coroutine co);

    /** Releases pooled carriers; called once by the loop as it ends. */
    void close();
}
