package io.corio.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one implementation of {@link WorkerPool.Job}; its contract is documented there. */
final class PoolJob<T> implements WorkerPool.Job<T> {

    /*
     * Implementation notes.
     *
     * One state word, `phase`, decides everything. Transitions:
     *
     *   QUEUED  --worker starts it (CAS)------------> RUNNING
     *   QUEUED  --cancel() or shutdown(true) (CAS)--> CANCELLED
     *   RUNNING --the call returns (owner)----------> SUCCEEDED
     *   RUNNING --the call throws (owner)-----------> FAILED
     *
     * The two ways out of QUEUED race, and a single compareAndSet on `phase` settles the
     * race: whoever moves QUEUED away owns the job. A cancel that loses reads the winner's
     * phase from the same compareAndExchange, so its answer is never a stale read. The
     * worker that won owns the job until it publishes the final phase; nobody else writes
     * `phase` after RUNNING. SUCCEEDED, FAILED and CANCELLED are final and show as DONE.
     *
     * Result publication: the owner writes `value` or `failure` (plain), then the final
     * phase with a volatile CAS (release); readers read `phase` with getAcquire before they
     * read `value`/`failure`. Hence: done implies the outcome is visible.
     *
     * Completion listeners (threads in get/join, coroutines in inWorker, post-ops) sit on
     * a Treiber stack, `waiters`. The party that makes the job final (exactly one: the
     * owner or the winning canceller) swaps the stack for the sentinel DELIVERED and fires
     * the listeners in registration order. A listener that meets DELIVERED when it
     * registers fires itself. Each listener is on the stack at most once and the stack is
     * taken once, so each fires exactly once, and none is lost to a late registration.
     * Nobody waits by spinning: threads park, coroutines yield, post-ops are queued.
     *
     * A coroutine's wake must not outlive its wait. The job may finish between the
     * coroutine's registration and its yield; the coroutine then sees it done and returns
     * without yielding, and a wake sent straight from the worker would land later, on a
     * coroutine that now waits for something else (ending a sleep early) or has finished.
     * So the coroutine waits in a numbered wait (Coroutine.beginWait/endWait) and the
     * worker calls wakeWait(n), which the coroutine's context honours only while the
     * coroutine is still suspended in wait n.
     */

    enum Phase { QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED }

    private static final Logger log = LoggerFactory.getLogger(PoolJob.class);
    private static final VarHandle PHASE;
    private static final VarHandle WAITERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PHASE = l.findVarHandle(PoolJob.class, "phase", Phase.class);
            WAITERS = l.findVarHandle(PoolJob.class, "waiters", Waiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Waiter DELIVERED = new Waiter() {
        @Override
        void fire(PoolJob<?> job) {
            throw new AssertionError("the DELIVERED sentinel fired");
        }
    };

    private final WorkerPool pool;
    private final long id;

    private volatile Phase phase = Phase.QUEUED; // through PHASE only: CAS, read with getAcquire
    private volatile Waiter waiters; // through WAITERS only: CAS; DELIVERED once completed
    private CoroutineFunction<T, ?> task; // the party that moved the job out of QUEUED, which clears it
    private T value; // written by the owner before the final phase; read after it
    private Throwable failure; // as value

    PoolJob(WorkerPool pool, long id, CoroutineFunction<T, ?> task) {
        this.pool = pool;
        this.id = id;
        this.task = task;
    }

    // ---------------------------------------------------------------- the worker's side

    /**
     * Starts the job unless it was cancelled first, runs it and completes it; called by a
     * worker thread that took the job off the queue.
     *
     * @return whether the job ran
     */
    boolean runIfQueued() {
        if (!PHASE.compareAndSet(this, Phase.QUEUED, Phase.RUNNING)) {
            assert phase() == Phase.CANCELLED : this + " taken off the queue in " + phase();
            return false;
        }
        CoroutineFunction<T, ?> call = task;
        task = null;
        Phase outcome;
        try {
            value = call.call();
            outcome = Phase.SUCCEEDED;
        } catch (Throwable t) {
            failure = t;
            outcome = Phase.FAILED;
        }
        boolean ok = PHASE.compareAndSet(this, Phase.RUNNING, outcome);
        assert ok : this + " was changed by another party while it ran";
        complete();
        return true;
    }

    /** Cancels the job if it is still queued (shutdown); the caller has taken it off the queue. */
    boolean cancelQueued() {
        if (!PHASE.compareAndSet(this, Phase.QUEUED, Phase.CANCELLED)) {
            return false;
        }
        task = null;
        complete();
        return true;
    }

    // ---------------------------------------------------------------- the public side

    @Override
    public WorkerPool pool() {
        return pool;
    }

    @Override
    public State state() {
        return switch (phase()) {
            case QUEUED -> State.QUEUED;
            case RUNNING -> State.RUNNING;
            case SUCCEEDED, FAILED, CANCELLED -> State.DONE;
        };
    }

    @Override
    public boolean isDone() {
        return isFinal(phase());
    }

    @Override
    public boolean isCancelled() {
        return phase() == Phase.CANCELLED;
    }

    @Override
    public WorkerPool.CancelResult cancel() {
        Phase witness = (Phase) PHASE.compareAndExchange(this, Phase.QUEUED, Phase.CANCELLED);
        return switch (witness) {
            case QUEUED -> {
                task = null;
                try {
                    complete();
                } finally {
                    pool.cancelDelivered(this);
                }
                yield WorkerPool.CancelResult.CANCELLED;
            }
            case CANCELLED -> WorkerPool.CancelResult.CANCELLED; // by an earlier cancel or shutdown
            case RUNNING -> WorkerPool.CancelResult.RUNNING;
            case SUCCEEDED, FAILED -> WorkerPool.CancelResult.COMPLETED;
        };
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        awaitDone(true);
        return switch (phase()) {
            case SUCCEEDED -> value;
            case FAILED -> throw new ExecutionException(failure);
            case CANCELLED -> throw cancelled();
            default -> throw new AssertionError(this + " not done after waiting");
        };
    }

    @Override
    public T join() {
        try {
            awaitDone(false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return switch (phase()) {
            case SUCCEEDED -> value;
            case FAILED -> throw new CompletionException(failure);
            case CANCELLED -> throw cancelled();
            default -> throw new AssertionError(this + " not done after waiting");
        };
    }

    @Override
    public WorkerPool.Job<T> onCompletion(AioContext context, Consumer<? super WorkerPool.Job<T>> postOp) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(postOp, "postOp");
        context.checkOpen();
        register(new PostOp<>(context, postOp));
        return this;
    }

    /** Log-safe: the pool, the job's number and its state; never the task's captured data. */
    @Override
    public String toString() {
        return "Job[" + pool.name() + "#" + id + ", " + phase() + "]";
    }

    // ---------------------------------------------------------------- waiting

    /**
     * Waits in the calling coroutine until the job is done, and returns its value or
     * throws its failure as it is (a {@link CancellationException} if it was cancelled).
     */
    <X extends Exception> T awaitIn(Coroutine co) throws X {
        if (!isDone()) {
            register(new Wake(co, co.beginWait()));
            co.waitingFor(this);
            try {
                while (!isDone()) {
                    co.yieldNow(); // woken by the Wake; one that precedes the yield is kept
                }
            } finally {
                co.endWait(); // a wake still on its way for this wait does nothing
                co.waitingFor(null);
            }
        }
        return switch (phase()) {
            case SUCCEEDED -> value;
            case FAILED -> throw Coroutine.<X>sneakyThrow(failure);
            case CANCELLED -> throw cancelled();
            default -> throw new AssertionError(this + " not done after waiting");
        };
    }

    private void awaitDone(boolean interruptible) throws InterruptedException {
        if (isDone()) {
            return;
        }
        Unpark w = new Unpark(Thread.currentThread());
        register(w);
        boolean interrupted = false;
        try {
            while (!isDone()) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    if (interruptible) {
                        throw new InterruptedException("interrupted while waiting for " + this);
                    }
                    interrupted = true;
                }
            }
        } finally {
            w.thread = null; // a late fire then unparks nobody
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private CancellationException cancelled() {
        return new CancellationException(this + " was cancelled before it ran");
    }

    private Phase phase() {
        return (Phase) PHASE.getAcquire(this);
    }

    private static boolean isFinal(Phase p) {
        return p == Phase.SUCCEEDED || p == Phase.FAILED || p == Phase.CANCELLED;
    }

    // ---------------------------------------------------------------- listeners

    private void register(Waiter w) {
        Waiter head;
        while ((head = (Waiter) WAITERS.getAcquire(this)) != DELIVERED) {
            w.next = head;
            if (WAITERS.compareAndSet(this, head, w)) {
                return;
            }
        }
        fireSafely(w);
    }

    /** Fires every listener once, in registration order; called once, by whoever made the job final. */
    private void complete() {
        assert isDone() : this + " completed before it was done";
        Waiter stack = (Waiter) WAITERS.getAndSet(this, DELIVERED);
        assert stack != DELIVERED : this + " completed twice";
        Waiter inOrder = null;
        while (stack != null) {
            Waiter next = stack.next;
            stack.next = inOrder;
            inOrder = stack;
            stack = next;
        }
        for (Waiter w = inOrder; w != null; w = w.next) {
            fireSafely(w);
        }
    }

    private void fireSafely(Waiter w) {
        try {
            w.fire(this);
        } catch (RuntimeException e) {
            log.error("{}: a completion listener failed", this, e);
        }
    }

    /** A completion listener; {@code next} is written before the CAS that publishes it. */
    private abstract static class Waiter {
        Waiter next;

        abstract void fire(PoolJob<?> job);
    }

    /** A thread in get() or join(). */
    private static final class Unpark extends Waiter {
        volatile Thread thread; // cleared by the waiter when it stops waiting

        Unpark(Thread thread) {
            this.thread = thread;
        }

        @Override
        void fire(PoolJob<?> job) {
            Thread t = thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** A coroutine in inWorker(), woken through a numbered wait so no wake outlives it. */
    private static final class Wake extends Waiter {
        private final Coroutine co;
        private final long wait;

        Wake(Coroutine co, long wait) {
            this.co = co;
            this.wait = wait;
        }

        @Override
        void fire(PoolJob<?> job) {
            co.wakeWait(wait);
        }
    }

    /** A post-op: runs on its context's loop as a one-shot bottom half. */
    private static final class PostOp<T> extends Waiter {
        private final AioContext context;
        private final Consumer<? super WorkerPool.Job<T>> postOp;

        PostOp(AioContext context, Consumer<? super WorkerPool.Job<T>> postOp) {
            this.context = context;
            this.postOp = postOp;
        }

        @Override
        @SuppressWarnings("unchecked")
        void fire(PoolJob<?> job) {
            PoolJob<T> j = (PoolJob<T>) job;
            try {
                context.execute(() -> postOp.accept(j));
            } catch (IllegalStateException closed) {
                log.error("{}: post-op not run because {} closed before the job completed", job, context);
            }
        }
    }
}
