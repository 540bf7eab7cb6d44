package io.corio.core;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A pool of platform threads for blocking calls, whose completions come back to an event
 * loop: QEMU's "threadlets" idea ({@code util/thread-pool.c}) done right.
 *
 * <p>A pool has a name, at least {@code minThreads} and at most {@code maxThreads} worker
 * threads, and an idle timeout after which threads above the minimum exit. Threads are
 * started on demand (none before the first job), are daemon threads (a pool never keeps
 * the JVM alive; close it to finish its work), and are named {@code <pool>-worker-N}.
 * {@link #defaultPool()} is shared by everyone; a subsystem that wants its own limits
 * makes its own with {@link #create}. Jobs start in submission order (FIFO).
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #submit}, {@link Job#cancel()}, {@link Job#onCompletion}, {@link #shutdown},
 *       {@link #stats()} may be called from any thread. A coroutine awaits a job with
 *       {@link Coroutine#inWorker}, which yields instead of blocking its context.
 *   <li>{@link Job#cancel()} answers exactly one {@link CancelResult}, decided atomically
 *       against the start of the job: a job is never both cancelled and run, and never
 *       neither. A running job is not interrupted.
 *   <li>Every job completes exactly once (value, exception, or cancelled), and every
 *       completion listener (a post-op, a coroutine in {@code inWorker}, a thread in
 *       {@link Job#get()}) hears of it exactly once, even when it registers after the
 *       completion. Jobs cancelled by {@link #shutdown shutdown(true)} complete as
 *       cancelled, so nobody waits forever.
 *   <li>Happens-before: actions before {@code submit} happen before the job runs; the job's
 *       actions happen before anyone observes it done ({@link Job#isDone()}, {@link Job#state()}
 *       {@code DONE}, {@code get}/{@code join} returning, a post-op running,
 *       {@code inWorker} returning).
 *   <li>Misuse: {@code submit} after shutdown throws an {@link IllegalStateException} naming
 *       the pool; so do {@code shutdown} and {@code close} on the shared default pool.
 *       Bad arguments to {@link #create} throw an {@link IllegalArgumentException} naming
 *       the argument and its value.
 * </ul>
 */
public final class WorkerPool implements AutoCloseable {

    /*
     * Implementation notes.
     *
     * One lock guards the queue, the thread counts and the pool's run state; idle workers
     * wait on `work`. Jobs run and complete outside the lock (their own state word decides
     * cancel vs start, see PoolJob), so the lock is held only for queue operations.
     *
     * Threads: submit starts a worker when the queue holds more jobs than there are idle
     * workers to take them (each idle worker takes at least one), up to maxThreads; else it
     * signals an idle worker. The thread is started before the job is queued, so a failed
     * start leaves nothing behind. A worker waits without a deadline while the pool has at
     * most minThreads, else for at most idleTimeout of continuous idleness, and exits when
     * it times out above the minimum. It looks at the queue before it exits, so a job
     * queued as its wait ended is never stranded.
     *
     * Pool run state (guarded by lock):
     *
     *   RUNNING  --shutdown(any)----------------------------> SHUTDOWN
     *   SHUTDOWN --no threads left and `unfinished` is 0-----> TERMINATED
     *
     * In SHUTDOWN workers drain the queue and exit. `unfinished` counts the jobs submitted
     * whose listeners have not all been told yet; it drops when the party that made a job
     * final (its worker, or the canceller that won) has completed it. Jobs are completed
     * outside the lock (a canceller that won the race may not have reached the lock yet),
     * so counting jobs rather than threads is what makes TERMINATED mean "every completion
     * delivered". shutdown(true) takes the queued jobs under the lock and cancels them
     * outside it, like Job.cancel().
     */

    /** The answer of {@link Job#cancel()}: exactly one, decided atomically against the job's start. */
    public enum CancelResult {
        /** The job was cancelled before it started (by this call, an earlier one, or shutdown); it never runs. */
        CANCELLED,
        /** The job had started; it runs to the end and reports its outcome as usual. */
        RUNNING,
        /** The job had already finished (with a value or an exception). */
        COMPLETED
    }

    /**
     * A submitted job. Every method may be called from any thread.
     *
     * @param <T> the job's result type
     */
    public sealed interface Job<T> permits PoolJob {

        /**
         * Where a job is in its life:
         * {@code QUEUED -> RUNNING -> DONE}, or {@code QUEUED -> DONE} when cancelled.
         */
        enum State {
            /** Waiting for a worker; can still be cancelled. */
            QUEUED,
            /** Running on a worker thread; will complete and report. */
            RUNNING,
            /** Finished with a value or an exception, or cancelled before it ran. */
            DONE
        }

        /** The pool the job was submitted to. */
        WorkerPool pool();

        State state();

        /** Whether the job has finished or was cancelled; its outcome is then visible. */
        boolean isDone();

        /** Whether the job was cancelled before it ran. */
        boolean isCancelled();

        /**
         * Cancels the job if it has not started. Never waits and never interrupts.
         *
         * @return {@link CancelResult#CANCELLED} if the job was (now or earlier) cancelled and
         *     will never run; {@link CancelResult#RUNNING} if it has started and will complete
         *     and report; {@link CancelResult#COMPLETED} if it has finished
         */
        CancelResult cancel();

        /**
         * Waits (parked, interruptibly) until the job is done and returns its value. For plain
         * threads: in a coroutine this blocks the whole context; use {@link Coroutine#inWorker}.
         *
         * @throws ExecutionException wrapping what the job threw
         * @throws CancellationException if the job was cancelled
         * @throws InterruptedException if the waiting thread is interrupted
         */
        T get() throws InterruptedException, ExecutionException;

        /**
         * As {@link #get()}, but waits uninterruptibly (the interrupt status is kept) and wraps
         * what the job threw in a {@link CompletionException}.
         *
         * @throws CancellationException if the job was cancelled
         */
        T join();

        /**
         * Runs {@code postOp} once on {@code context}'s loop, as a one-shot bottom half, when
         * the job is done, whatever its outcome: a value, an exception, or cancellation (by
         * {@link #cancel()} or {@link WorkerPool#shutdown shutdown(true)}), so the post-op can
         * always clean up; it learns the outcome from the job it is given ({@link #join()}
         * does not block there). Registered after completion, it is still queued to the loop,
         * never run in the caller. May be called more than once; each post-op runs once.
         * If the context closes before the job completes, the post-op cannot run and that is
         * logged at error level.
         *
         * @return this job
         * @throws IllegalStateException if {@code context} is closed
         */
        Job<T> onCompletion(AioContext context, Consumer<? super Job<T>> postOp);
    }

    /**
     * A snapshot of a pool's counters, for debugging and benchmarks.
     *
     * @param threads worker threads alive now
     * @param peakThreads the most that were ever alive at once
     * @param idleThreads threads waiting for work now
     * @param queued jobs waiting for a thread now
     * @param completed jobs that ran (to a value or an exception)
     * @param cancelled jobs cancelled before they ran
     */
    public record Stats(int threads, int peakThreads, int idleThreads, int queued, long completed, long cancelled) {}

    /** The default pool's limits: QEMU's thread pool uses 0..64 threads and a 10 s idle timeout. */
    static final int DEFAULT_MAX_THREADS = 64;

    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(10);

    private static final ThreadLocal<WorkerPool> WORKER_OF = new ThreadLocal<>();

    private enum RunState { RUNNING, SHUTDOWN, TERMINATED }

    private final String name;
    private final int minThreads;
    private final int maxThreads;
    private final Duration idleTimeout;
    private final boolean shared;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition(); // idle workers wait here
    private final Condition terminated = lock.newCondition();
    private final ArrayDeque<PoolJob<?>> queue = new ArrayDeque<>(); // guarded by lock

    private RunState runState = RunState.RUNNING; // guarded by lock
    private int threads; // guarded by lock
    private int peakThreads; // guarded by lock
    private int idle; // guarded by lock: workers waiting on `work`
    private long unfinished; // guarded by lock: jobs submitted and not yet completed to their listeners
    private long completed; // guarded by lock
    private long cancelled; // guarded by lock
    private long threadSeq; // guarded by lock: for thread names
    private long jobSeq; // guarded by lock: for job names

    private WorkerPool(String name, int minThreads, int maxThreads, Duration idleTimeout, boolean shared) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank: '" + name + "'");
        }
        if (minThreads < 0) {
            throw new IllegalArgumentException("minThreads must be >= 0: " + minThreads);
        }
        if (maxThreads < 1) {
            throw new IllegalArgumentException("maxThreads must be >= 1: " + maxThreads);
        }
        if (minThreads > maxThreads) {
            throw new IllegalArgumentException(
                    "minThreads must not exceed maxThreads: minThreads=" + minThreads + ", maxThreads=" + maxThreads);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
        }
        this.name = name;
        this.minThreads = minThreads;
        this.maxThreads = maxThreads;
        this.idleTimeout = idleTimeout;
        this.shared = shared;
    }

    /**
     * Makes a private pool, for a subsystem that wants its own limits. Close it when done.
     *
     * @param name names the pool and its threads ({@code <name>-worker-N})
     * @param minThreads threads kept alive once started, {@code >= 0}
     * @param maxThreads the most threads at once, {@code >= minThreads} and {@code >= 1}
     * @param idleTimeout how long a thread above the minimum waits for work before it exits, {@code > 0}
     * @throws IllegalArgumentException naming the bad argument and its value
     */
    public static WorkerPool create(String name, int minThreads, int maxThreads, Duration idleTimeout) {
        return new WorkerPool(name, minThreads, maxThreads, idleTimeout, false);
    }

    /**
     * The shared pool, {@code corio}: 0 to {@value #DEFAULT_MAX_THREADS} threads, 10 s idle
     * timeout (QEMU's limits: blocking I/O needs threads, not cores). It cannot be shut down.
     */
    public static WorkerPool defaultPool() {
        return Default.POOL;
    }

    private static final class Default {
        static final WorkerPool POOL = new WorkerPool("corio", 0, DEFAULT_MAX_THREADS, DEFAULT_IDLE_TIMEOUT, true);
    }

    public String name() {
        return name;
    }

    public int minThreads() {
        return minThreads;
    }

    public int maxThreads() {
        return maxThreads;
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    // ---------------------------------------------------------------- submitting

    /**
     * Queues {@code task} to run on a worker thread.
     *
     * @throws IllegalStateException naming the pool if it is shut down
     */
    public <T, X extends Exception> Job<T> submit(CoroutineFunction<T, X> task) {
        return enqueue(Objects.requireNonNull(task, "task"));
    }

    /** The body of {@link Coroutine#inWorker}; see there. */
    static <T, X extends Exception> T inWorker(WorkerPool pool, CoroutineFunction<T, X> call) throws X {
        Coroutine co = Coroutine.requireCurrent("Coroutine.inWorker()");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(call, "call");
        return pool.enqueue(call).<X>awaitIn(co);
    }

    private <T> PoolJob<T> enqueue(CoroutineFunction<T, ?> task) {
        lock.lock();
        try {
            if (runState != RunState.RUNNING) {
                throw new IllegalStateException(this + " is shut down and accepts no new jobs");
            }
            if (queue.size() + 1 > idle && threads < maxThreads) {
                startWorker();
            }
            PoolJob<T> job = new PoolJob<>(this, ++jobSeq, task);
            queue.addLast(job);
            unfinished++;
            if (idle > 0) {
                work.signal();
            }
            return job;
        } finally {
            lock.unlock();
        }
    }

    private void startWorker() {
        assert lock.isHeldByCurrentThread();
        Thread t = Thread.ofPlatform().name(name + "-worker-" + (++threadSeq)).daemon(true).unstarted(this::workerLoop);
        t.start(); // a failure leaves the counts as they were
        threads++;
        peakThreads = Math.max(peakThreads, threads);
    }

    /**
     * Takes a job cancelled by {@link PoolJob#cancel()} off the queue and counts it done;
     * called by the canceller after it has completed the job to its listeners.
     */
    void cancelDelivered(PoolJob<?> job) {
        lock.lock();
        try {
            queue.remove(job); // absent if a worker took it and lost the race: it skips it
            cancelled++;
            unfinished--;
            tryTerminate();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- workers

    private void workerLoop() {
        WORKER_OF.set(this);
        long idleNanos = idleTimeout.toNanos();
        lock.lock();
        try {
            long remaining = idleNanos;
            while (true) {
                PoolJob<?> job = queue.pollFirst();
                if (job != null) {
                    lock.unlock();
                    boolean ran;
                    try {
                        ran = job.runIfQueued();
                        Thread.interrupted(); // a job's stray interrupt must not reach the next one
                    } finally {
                        lock.lock();
                    }
                    if (ran) {
                        completed++;
                        unfinished--;
                    } // else the canceller that won counts it
                    remaining = idleNanos;
                    continue;
                }
                if (runState != RunState.RUNNING) {
                    break;
                }
                boolean kept = threads <= minThreads;
                if (!kept && remaining <= 0) {
                    break; // idle for idleTimeout above the minimum
                }
                idle++;
                try {
                    if (kept) {
                        work.awaitUninterruptibly();
                    } else {
                        remaining = work.awaitNanos(remaining);
                    }
                } catch (InterruptedException e) {
                    // nobody should interrupt a worker; go on waiting
                } finally {
                    idle--;
                }
            }
        } finally {
            threads--;
            tryTerminate();
            lock.unlock();
        }
    }

    private void tryTerminate() {
        assert lock.isHeldByCurrentThread();
        assert unfinished >= 0 : this + " counted " + unfinished + " unfinished jobs";
        if (runState == RunState.SHUTDOWN && threads == 0 && unfinished == 0) {
            runState = RunState.TERMINATED;
            terminated.signalAll();
        }
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * Stops accepting jobs. With {@code cancelQueued} false the queued jobs still run; with
     * true they are cancelled (they report {@link Job#isCancelled()}, their post-ops run and
     * their waiters wake with a {@link CancellationException}) before this returns. Running
     * jobs always finish. Idempotent; {@code shutdown(true)} after {@code shutdown(false)}
     * cancels what is still queued. Returns without waiting; see {@link #awaitTermination}.
     *
     * @throws IllegalStateException on the default pool, which is shared
     */
    public void shutdown(boolean cancelQueued) {
        if (shared) {
            throw new IllegalStateException(this + " is the shared default pool and cannot be shut down");
        }
        List<PoolJob<?>> toCancel = List.of();
        lock.lock();
        try {
            if (runState == RunState.RUNNING) {
                runState = RunState.SHUTDOWN;
            }
            if (cancelQueued && !queue.isEmpty()) {
                toCancel = new ArrayList<>(queue);
                queue.clear();
            }
            work.signalAll();
            tryTerminate();
        } finally {
            lock.unlock();
        }
        if (toCancel.isEmpty()) {
            return;
        }
        int n = 0;
        try {
            for (PoolJob<?> job : toCancel) {
                if (job.cancelQueued()) {
                    n++;
                }
            }
        } finally {
            lock.lock();
            try {
                cancelled += n; // a job whose cancel() won the race is counted by that canceller
                unfinished -= n;
                tryTerminate();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Whether {@link #shutdown} was called. */
    public boolean isShutdown() {
        lock.lock();
        try {
            return runState != RunState.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code timeout} for the pool to terminate after {@link #shutdown}: no job
     * queued or running, every completion delivered, every worker gone.
     *
     * @return whether the pool terminated
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (runState != RunState.TERMINATED) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = terminated.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code shutdown(false)}, then waits (uninterruptibly, keeping the interrupt status)
     * until the pool terminates. Called from one of the pool's own workers it does not wait.
     * Idempotent.
     *
     * @throws IllegalStateException on the default pool, which is shared
     */
    @Override
    public void close() {
        shutdown(false);
        if (WORKER_OF.get() == this) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                if (awaitTermination(Duration.ofNanos(Long.MAX_VALUE))) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- introspection

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(threads, peakThreads, idle, queue.size(), completed, cancelled);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "WorkerPool[" + name + "]";
    }
}
