package io.corio.core;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An event loop in the manner of QEMU's {@code AioContext} ({@code util/async.c}): it runs
 * coroutines, bottom halves, timers and tasks submitted from any thread, one at a time.
 *
 * <p>A context either owns its thread ({@link #start(String)}; the loop runs until
 * {@link #close()}) or is driven by an embedder ({@link #create(String)} and
 * {@link #poll(boolean)}, QEMU's {@code aio_poll}). Each plain thread also has a default
 * context, driven by that thread, that {@link Coroutine#enter()} uses when it is called
 * outside any loop (QEMU's main context).
 *
 * <p>Contract:
 * <ul>
 *   <li>Everything the context runs (tasks, bottom halves, timers, coroutines) runs one at
 *       a time and holds the context's <em>turn</em>; {@link #inContext()} tells whether the
 *       caller holds it.
 *   <li>{@link #execute}, {@link #spawn}, {@link #schedule}, {@link #bottomHalf} scheduling,
 *       {@link #timer} and {@link #call} may be called from any thread. Happens-before: what
 *       the submitting thread did before submitting is visible to the submitted work.
 *   <li>{@link #close()} refuses new work with an {@link IllegalStateException} naming the
 *       context, runs the work already queued (and what it queues in turn), cancels timers
 *       that have not fired, and ends the loop. Coroutines still suspended then are left
 *       suspended. Close is idempotent.
 *   <li>A failure thrown by work the loop runs (a task, a timer, or a coroutine the loop
 *       entered) is thrown out of {@link #poll} to the embedder; on a context that owns its
 *       thread it is logged at error level with the context's name, and the loop goes on.
 * </ul>
 */
public final class AioContext implements Executor, AutoCloseable {

    /*
     * Implementation notes.
     *
     * Work from any thread arrives on `incoming` (a lock-free MPSC use of a
     * ConcurrentLinkedQueue); timers live in a heap touched only by the turn holder. The
     * loop parks when it has nothing to do: it sets `parked`, re-checks `incoming`, then
     * parks; a submitter adds to `incoming`, then reads `parked` and unparks the poller.
     * Both sides write then read volatile state, so one of them always sees the other.
     *
     * Close: `closed` refuses new public submissions; the turn holder drains `incoming`
     * until it stays empty, sets `terminated`, and drains until empty once more (not one
     * batch: every submitter that added before `terminated` was told its task runs). A
     * submitter that raced with that (added, then saw `terminated`) removes its task again;
     * whichever of the submitter's remove and the loop's poll wins decides whether it ran or
     * was refused, so no task is silently lost.
     *
     * Lending the turn. While the loop is parked with nothing queued, its turn is FREE
     * (`turn`): a coroutine coming back from a blocking call on its own carrier may take it
     * (FREE -> LENT, borrowTurn) and run on at once instead of queueing itself for the loop
     * and waiting for the loop to enter it: two thread hand-offs fewer per blocking call.
     * The borrower gives the turn back (LENT -> FREE, returnTurn) at its next yield,
     * blocking call or end, after queueing its wake-up list and any failure for the loop.
     * The loop takes the turn back (FREE -> BUSY) whenever it wakes; if it is LENT it sets
     * `loopWaiting` and parks until the borrower returns it. Dekker again: the loop writes
     * `loopWaiting` then reads `turn`, the borrower writes `turn` then reads `loopWaiting`.
     * A submitter that sees the turn LENT does not wake the loop (it could only wait for
     * the turn); the borrower wakes it when it gives the turn back and finds work queued or
     * a timer armed (`timersChanged`: the loop may be parked until a later deadline).
     * Dekker: the submitter adds then reads `turn`, the borrower sets FREE then reads
     * `incoming`. The turn's volatile hand-over is
     * the happens-before edge for the turn-holder-only state, as the batons are elsewhere.
     * A borrow is refused while work is queued or the loop waits, so borrowers cannot
     * starve the loop.
     *
     * Keeping the turn through a call. A coroutine the loop (of a context that owns its
     * thread) entered straight from a wake
     * task (`loopEntry`: the loop has nothing to do after it but turn again) that starts a
     * blocking call while nothing is queued, no timer is pending and it woke nobody, keeps
     * the turn (BUSY -> a Kept naming it and its enterer's baton) instead of waking the loop to find nothing to do:
     * the loop stays parked on its baton inside enter(). If the call ends first, the
     * coroutine takes the turn back (its Kept -> BUSY) and runs on as if it never left, with
     * no hand-off at all. If work arrives first, its submitter reclaims the turn for the
     * loop (Kept -> BUSY, reclaimFromCall) and signals the loop's baton, exactly as the
     * coroutine would have at the start of its call; the call then ends as usual. Dekker:
     * a submitter adds to `incoming` then reads `turn`, the coroutine sets itself then
     * re-reads `incoming`. close() reclaims too. Each kept call has its own Kept: a
     * coroutine whose call was reclaimed must not take back the turn that a later call
     * holds. The reclaimer signals the baton recorded in the Kept and never touches the
     * coroutine, which may already be running on (its callerBaton is cleared by endCall).
     */

    private static final Logger log = LoggerFactory.getLogger(AioContext.class);
    private static final ThreadLocal<AioContext> LOOP = new ThreadLocal<>();
    private static final int TASK_BATCH = 1024;
    private static final AtomicLong TIMER_SEQ = new AtomicLong();

    private final String name;
    private final Backend backend; // effective: after any fallback
    final Switcher switcher;
    private final Thread loopThread; // null: driven by poll()
    private final CountDownLatch finished = new CountDownLatch(1);
    private final ConcurrentLinkedQueue<Runnable> incoming = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<AioTimer> timers = new PriorityQueue<>(); // turn holder only
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile boolean terminated;
    private volatile boolean parked; // the poller is (about to be) parked
    private static final Object BUSY = "busy", FREE = "free", LENT = "lent"; // or a Kept: a call holds it

    /** The turn kept by a coroutine's blocking call, with the baton of whoever entered it. */
    private record Kept(Coroutine co, Baton back) {}
    private final AtomicReference<Object> turn = new AtomicReference<>(BUSY); // see "Lending the turn"
    private volatile boolean loopWaiting; // the poller waits for a lent turn to come back
    private boolean timersChanged; // turn holder only: a timer was armed since the loop last looked
    private long borrows; // turn holder only: turns lent so far (tests and diagnostics)
    private long keptCalls; // turn holder only: blocking calls that kept the turn to the end
    boolean loopEntry; // turn holder only: the loop is running a wake task (LoopEntry) right now
    private volatile Thread pollThread; // thread inside poll(), else null
    final IoWaits io = new IoWaits(this); // channels coroutines wait for; the loop selects once one has
    ArrayDeque<Runnable> drain; // turn holder only: the wake-up list being drained (Coroutine.enterChecked)
    private Coroutine liveHead; // turn holder only: coroutines between first enter and end
    private int liveCount; // turn holder only

    private AioContext(String name, Backend backend, boolean ownThread) {
        this.name = Objects.requireNonNull(name, "name");
        Switcher s = Switchers.create(this, backend);
        this.switcher = s;
        this.backend = s.backend();
        this.loopThread = ownThread ? s.loopThreadBuilder().name(name).unstarted(this::runLoop) : null;
    }

    // ---------------------------------------------------------------- factories

    /** Starts a context on its own thread with the default backend ({@link Backend#defaultBackend()}). */
    public static AioContext start(String name) {
        return start(name, Backend.defaultBackend());
    }

    /** Starts a context on its own thread with the given backend. */
    public static AioContext start(String name, Backend backend) {
        AioContext ctx = new AioContext(name, backend, true);
        ctx.loopThread.start();
        return ctx;
    }

    /** Makes a context driven by the embedder through {@link #poll(boolean)}; default backend. */
    public static AioContext create(String name) {
        return create(name, Backend.defaultBackend());
    }

    /** Makes a context driven by the embedder through {@link #poll(boolean)}. */
    public static AioContext create(String name, Backend backend) {
        return new AioContext(name, backend, false);
    }

    /**
     * The context of the calling code: the context of the running coroutine, else the
     * context whose loop is running on this thread, else this thread's default context
     * (made on first use, driven by this thread).
     */
    public static AioContext current() {
        Coroutine co = Coroutine.CURRENT.get();
        if (co != null) {
            return co.context();
        }
        AioContext c = LOOP.get();
        if (c == null) {
            c = new AioContext("thread:" + Thread.currentThread().getName(), Backend.defaultBackend(), false);
            LOOP.set(c);
        }
        return c;
    }

    public String name() {
        return name;
    }

    /** The backend this context runs its coroutines on (after any fallback). */
    public Backend backend() {
        return backend;
    }

    /** Whether the caller holds this context's turn: runs on its loop or in one of its coroutines. */
    public boolean inContext() {
        Coroutine co = Coroutine.CURRENT.get();
        return co != null ? co.context() == this : LOOP.get() == this;
    }

    /** The loop itself (not a coroutine) holds the turn. */
    boolean holdsTurn() {
        return LOOP.get() == this && Coroutine.CURRENT.get() == null;
    }

    public boolean isClosed() {
        return closed.get();
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    // ---------------------------------------------------------------- submitting work

    /**
     * Runs {@code task} on the loop, once, as soon as it turns (QEMU's one-shot bottom half).
     *
     * @throws IllegalStateException if the context is closed
     */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        checkOpen();
        enqueue(task, true);
    }

    /** Returns whether the task was queued; refuses or logs when the loop has ended. */
    private boolean enqueue(Runnable task, boolean refuse) {
        incoming.add(task);
        if (turn.get() instanceof Kept) {
            reclaimFromCall();
        }
        if (terminated && incoming.remove(task)) {
            if (refuse) {
                throw new IllegalStateException(this + " is closed");
            }
            log.warn("{}: work dropped because the context has ended", this);
            return false;
        }
        if (parked && turn.get() != LENT) { // a borrower wakes the loop itself when it gives the turn back
            wakeLoop();
        }
        return true;
    }

    /** Queues internal work that must run even while the context is closing. */
    void submit(Runnable task) {
        enqueue(task, false);
    }

    void submitWake(Coroutine co) {
        enqueue(co.wakeTask, false);
    }

    void submitResume(Coroutine co) {
        enqueue((LoopEntry) co::resumeFromBlocking, false);
    }

    /** Queued work that only enters a coroutine; nothing runs after it in its task (see loopEntry). */
    interface LoopEntry extends Runnable {}

    void reportLateWake(Coroutine co) {
        log.warn("{}: {} was woken but finished before the wake was delivered", this, co);
    }

    /** A reusable callback that runs on this loop each time it is scheduled (QEMU's {@code aio_bh_new}). */
    public BottomHalf bottomHalf(Runnable callback) {
        return new BottomHalf(this, callback);
    }

    /**
     * Runs {@code action} on the loop once {@code delay} has passed on the monotonic clock.
     *
     * @throws IllegalStateException if the context is closed
     */
    public AioTimer timer(Duration delay, Runnable action) {
        Objects.requireNonNull(action, "action");
        checkOpen();
        AioTimer t = newTimer(delay.toNanos(), action);
        arm(t);
        return t;
    }

    AioTimer newTimer(long delayNanos, Runnable action) {
        return new AioTimer(System.nanoTime() + Math.max(0, delayNanos), TIMER_SEQ.incrementAndGet(), action);
    }

    void arm(AioTimer t) {
        if (holdsTurn() || inContext()) {
            addTimer(t);
        } else {
            enqueue(() -> addTimer(t), true);
        }
    }

    private void addTimer(AioTimer t) {
        if (!t.isPending()) {
            return;
        }
        if (timers.size() >= 4096) {
            timers.removeIf(x -> !x.isPending()); // cancelled timers are dropped lazily
        }
        timers.add(t);
        timersChanged = true;
    }

    /**
     * Makes a new coroutine and schedules it to start in this context; callable from any
     * thread (QEMU's {@code aio_co_enter} from another thread).
     */
    public Coroutine spawn(String name, CoroutineEntry entry) {
        Coroutine co = Coroutine.create(name, entry);
        schedule(co);
        return co;
    }

    /** Schedules a coroutine that was never entered to start in this context. */
    public void schedule(Coroutine co) {
        checkOpen();
        co.schedule(this);
    }

    // ---------------------------------------------------------------- call

    /** As {@link #call(String, CoroutineFunction)} with an unnamed coroutine. */
    public <T, X extends Exception> T call(CoroutineFunction<T, X> fn) throws X {
        return call(null, fn);
    }

    /**
     * Runs {@code fn} as a coroutine of this context to completion and returns its result or
     * throws its exception, from any code (QEMU's generated coroutine wrappers):
     * <ul>
     *   <li>inside a coroutine of this context, {@code fn} simply runs;
     *   <li>inside a coroutine of another context, that coroutine yields until {@code fn} is done;
     *   <li>on this context's loop, or on a thread that may drive it, the caller polls the
     *       context until {@code fn} is done (QEMU's {@code BDRV_POLL_WHILE});
     *   <li>elsewhere, the caller waits for the loop to finish it.
     * </ul>
     */
    public <T, X extends Exception> T call(String name, CoroutineFunction<T, X> fn) throws X {
        Objects.requireNonNull(fn, "fn");
        Coroutine cur = Coroutine.CURRENT.get();
        if (cur != null && cur.context() == this) {
            return fn.call();
        }
        CallResult<T> r = new CallResult<>(cur);
        Coroutine co = name == null ? Coroutine.create(() -> r.run(fn)) : Coroutine.create(name, () -> r.run(fn));
        if (cur != null) {
            r.wait = cur.beginWait();
            try {
                schedule(co);
                while (!r.done) {
                    cur.yieldNow();
                }
            } finally {
                cur.endWait();
            }
        } else if (holdsTurn()) {
            co.bind(this);
            co.enterChecked();
            while (!r.done) {
                poll(true);
            }
        } else if (loopThread == null && pollThread == null) {
            schedule(co);
            while (!r.done) {
                poll(true);
            }
        } else {
            schedule(co);
            r.awaitThread();
        }
        return r.result();
    }

    private static final class CallResult<T> {
        private final Coroutine waiter; // a coroutine of another context, or null
        private final Thread waiterThread = Thread.currentThread();
        long wait; // the waiter's numbered wait; written before the call is scheduled
        volatile boolean done;
        private T value;
        private Throwable failure;

        CallResult(Coroutine waiter) {
            this.waiter = waiter;
        }

        void run(CoroutineFunction<T, ?> fn) {
            try {
                value = fn.call();
            } catch (Throwable t) {
                failure = t;
            }
            done = true;
            if (waiter != null) {
                waiter.wakeWait(wait);
            } else {
                LockSupport.unpark(waiterThread);
            }
        }

        void awaitThread() {
            while (!done) {
                LockSupport.park(this);
            }
        }

        T result() {
            if (failure != null) {
                throw Coroutine.<RuntimeException>sneakyThrow(failure);
            }
            return value;
        }
    }

    // ---------------------------------------------------------------- the loop

    /**
     * Runs what is ready: queued tasks and bottom halves, woken coroutines, due timers
     * (QEMU's {@code aio_poll}). With {@code blocking}, waits until there is something to run
     * (a submission or a timer's deadline) when nothing is ready.
     *
     * @return whether anything ran
     * @throws IllegalStateException inside a coroutine, on a context that owns its thread
     *     (from another thread), or while another thread is polling it
     */
    public boolean poll(boolean blocking) {
        Thread me = Thread.currentThread();
        if (Coroutine.CURRENT.get() != null) {
            throw new IllegalStateException("poll() called inside " + Coroutine.current() + "; coroutines yield instead");
        }
        if (loopThread != null && me != loopThread) {
            throw new IllegalStateException(this + " runs on its own thread; use execute() or call() from other threads");
        }
        Thread prevPoller = pollThread;
        if (prevPoller != null && prevPoller != me) {
            throw new IllegalStateException(this + " is already being polled by thread " + prevPoller.getName());
        }
        AioContext prevLoop = LOOP.get();
        pollThread = me;
        LOOP.set(this);
        try {
            boolean progress = runReady();
            if ((progress || !blocking) && io.anyWaiting()) {
                io.waitReady(0); // busy: look at the channels between batches, as aio_poll does
                progress |= io.dispatch();
            }
            while (!progress && blocking && !closed.get()) {
                idleWait();
                progress = runReady();
            }
            if (closed.get() && loopThread == null && !terminated) {
                drainAndTerminate();
            }
            return progress;
        } finally {
            pollThread = prevPoller;
            if (prevLoop == null) {
                LOOP.remove();
            } else {
                LOOP.set(prevLoop);
            }
        }
    }

    private boolean runReady() {
        boolean progress = false;
        Runnable r;
        int n = 0;
        while (n < TASK_BATCH && (r = incoming.poll()) != null) {
            progress = true;
            n++;
            loopEntry = r instanceof LoopEntry;
            try {
                runTask(r);
            } finally {
                loopEntry = false;
            }
        }
        if (!timers.isEmpty()) {
            long now = System.nanoTime();
            AioTimer t;
            while ((t = timers.peek()) != null && t.deadline - now <= 0) {
                timers.poll();
                if (t.fire()) {
                    progress = true;
                    runTask(t.action);
                }
            }
        }
        return progress;
    }

    private void runTask(Runnable r) {
        if (loopThread == null) {
            r.run(); // the embedder sees the failure
            return;
        }
        try {
            r.run();
        } catch (Throwable t) {
            log.error("{}: uncaught failure in work run by the loop", this, t);
        }
    }

    private void idleWait() {
        parked = true;
        try {
            if (!incoming.isEmpty() || closed.get()) {
                return;
            }
            long delay = -1;
            AioTimer t;
            while ((t = timers.peek()) != null && !t.isPending()) {
                timers.poll();
            }
            if (t != null) {
                delay = t.deadline - System.nanoTime();
                if (delay <= 0) {
                    return;
                }
            }
            timersChanged = false;
            boolean select = io.active();
            turn.set(FREE); // lendable from here until we take it back
            try {
                if (select) {
                    io.waitReady(delay);
                } else if (delay < 0) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, delay);
                }
            } finally {
                takeTurnBack();
            }
            if (select) {
                io.dispatch();
            }
        } finally {
            parked = false;
        }
    }

    /** The poller, on waking: takes the turn back, waiting for a borrower to return it. */
    private void takeTurnBack() {
        if (turn.compareAndSet(FREE, BUSY)) {
            return;
        }
        loopWaiting = true;
        while (!turn.compareAndSet(FREE, BUSY)) {
            LockSupport.park(this);
        }
        loopWaiting = false;
    }

    /**
     * Takes the turn if the loop is parked with nothing to do; the caller then holds it, as
     * if the loop had entered it, until {@link #returnTurn()}.
     */
    boolean borrowTurn() {
        if (turn.get() == FREE && !loopWaiting && incoming.isEmpty() && turn.compareAndSet(FREE, LENT)) {
            borrows++;
            return true;
        }
        return false;
    }

    /** How many times the turn was lent; turn holder only (tests and diagnostics). */
    long borrows() {
        return borrows;
    }

    /**
     * Called by {@code co} as its blocking call starts, with the turn held and the loop
     * waiting for it inside enter(): keeps the turn through the call when the loop has
     * nothing else to do. False: the caller hands the turn back as usual. True: the turn is
     * the coroutine's (or was already reclaimed by a submitter, which then signalled the
     * loop); {@link #endCall} tells which after the call.
     */
    boolean keepTurnInCall(Coroutine co) {
        if (loopThread == null || !incoming.isEmpty() || closed.get() || !co.wakeups.isEmpty() || timerPending()
                || io.anyWaiting()) {
            // an embedder's poll() returns to its caller, whose code may be what the call
            // waits for; and a channel's readiness cannot reclaim a kept turn (only submitters
            // do), so while a coroutine waits for a channel the loop must stay in select
            return false;
        }
        Kept k = new Kept(co, co.callerBaton);
        co.kept = k;
        turn.set(k);
        if ((!incoming.isEmpty() || closed.get()) && turn.compareAndSet(k, BUSY)) {
            co.kept = null;
            return false; // work came in between: hand back as usual
        }
        return true;
    }

    /** After a call that kept the turn: true if the turn is still the coroutine's (now BUSY again). */
    boolean endCall(Coroutine co) {
        Kept k = (Kept) co.kept;
        co.kept = null;
        if (turn.compareAndSet(k, BUSY)) { // this very call's, not just any call's: no ABA
            keptCalls++;
            return true;
        }
        co.callerBaton = null; // a submitter reclaimed the turn and signalled that baton
        return false;
    }

    /** Blocking calls that kept the turn from start to end; turn holder only (tests and diagnostics). */
    long keptCalls() {
        return keptCalls;
    }

    /** A submitter or close(): takes the turn from a coroutine's call and gives it to whoever entered it. */
    private void reclaimFromCall() {
        if (turn.get() instanceof Kept k && turn.compareAndSet(k, BUSY)) {
            k.back().signal(); // the coroutine's own fields are its to clear (endCall)
        }
    }

    private boolean timerPending() {
        AioTimer t;
        while ((t = timers.peek()) != null && !t.isPending()) {
            timers.poll();
        }
        return t != null;
    }

    /** Gives a borrowed turn back, waking the loop if work or a timer came in meanwhile. */
    void returnTurn() {
        assert turn.get() == LENT : this + " turn returned but not lent";
        boolean wake = timersChanged;
        turn.set(FREE);
        if (wake || loopWaiting || !incoming.isEmpty()) { // incoming after FREE: see enqueue
            wakeLoop();
        }
    }

    /**
     * Closes {@code channel}, which coroutines of this context may be waiting for
     * ({@link Coroutine#awaitChannel}), and makes the loop turn so that their waits end with
     * {@link java.nio.channels.ClosedChannelException}: the JDK does not wake a selector for a
     * close. Callable from any thread.
     */
    public void closeChannel(java.nio.channels.Channel channel) throws java.io.IOException {
        try {
            channel.close();
        } finally {
            if (!inContext()) {
                wakeLoop(); // in the context, the loop looks before it next selects
            }
        }
    }

    /** Whether a borrower holds the turn (the loop itself may then be in select). */
    boolean turnLent() {
        return turn.get() == LENT;
    }

    /** Wakes the poller however it waits: parked, or in select (IoWaits). */
    private void wakeLoop() {
        Thread p = pollThread;
        if (p != null) {
            LockSupport.unpark(p);
        }
        io.wakeup();
    }

    private void runLoop() {
        LOOP.set(this);
        pollThread = loopThread;
        try {
            while (!closed.get()) {
                poll(true);
            }
            drainAndTerminate();
        } catch (Throwable t) {
            log.error("{}: the loop died", this, t);
        } finally {
            finished.countDown();
        }
    }

    private void drainAndTerminate() {
        do {
            runReady();
        } while (!incoming.isEmpty());
        terminated = true;
        // Submitters that added before they could see `terminated` were told their work
        // runs, and there may be more than one batch of them: drain until empty again.
        // Later submitters take their work back, so this ends.
        do {
            runReady();
        } while (!incoming.isEmpty());
        for (AioTimer t : timers) {
            t.cancel();
        }
        timers.clear();
        io.close();
        switcher.close();
        if (liveCount > 0) {
            log.debug("{} closed with {} coroutine(s) still suspended", this, liveCount);
        }
    }

    /**
     * Refuses new work, finishes what is queued and ends the loop (see the class comment).
     * From another thread it waits for the loop to end; from inside the context it returns
     * at once and the loop ends after the current work.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            awaitEnd();
            return;
        }
        reclaimFromCall();
        Thread p = pollThread;
        wakeLoop();
        if (loopThread == null) {
            if (p == null || p == Thread.currentThread()) {
                if (p == null) {
                    poll(false); // drains and terminates
                }
                // else: the poll under way drains when it sees `closed`
            }
            return;
        }
        awaitEnd();
    }

    private void awaitEnd() {
        if (loopThread == null || inContext() || Thread.currentThread() == loopThread) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                finished.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to {@code timeout} for the loop of a started context to end after {@link #close()}. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return loopThread == null ? terminated : finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    // ---------------------------------------------------------------- live coroutines

    void register(Coroutine co) {
        assert !co.live;
        co.live = true;
        co.nextLive = liveHead;
        if (liveHead != null) {
            liveHead.prevLive = co;
        }
        liveHead = co;
        liveCount++;
    }

    void unregister(Coroutine co) {
        if (!co.live) {
            return;
        }
        co.live = false;
        if (co.prevLive != null) {
            co.prevLive.nextLive = co.nextLive;
        } else {
            liveHead = co.nextLive;
        }
        if (co.nextLive != null) {
            co.nextLive.prevLive = co.prevLive;
        }
        co.prevLive = co.nextLive = null;
        liveCount--;
    }

    /**
     * One entry of {@link #dump()}: a live coroutine's name, state, the locks it holds, what
     * it waits on ({@code null} if nothing), and its stack.
     */
    public record CoroutineInfo(String name, Coroutine.State state, List<String> holds, String waitsFor,
            List<StackTraceElement> stack) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("\"").append(name).append("\" ").append(state);
            if (!holds.isEmpty()) {
                sb.append(" holds ").append(holds);
            }
            if (waitsFor != null) {
                sb.append(" waits for ").append(waitsFor);
            }
            for (StackTraceElement e : stack) {
                sb.append("\n    at ").append(e);
            }
            return sb.toString();
        }
    }

    /**
     * The live coroutines of this context (entered at least once and not finished), newest
     * first, each with its name, state and stack: the debugging aid QEMU needs gdb scripts
     * for. From outside the context it asks the loop and waits up to five seconds.
     */
    public List<CoroutineInfo> dump() {
        if (inContext() || (loopThread == null && pollThread == null) || terminated) {
            return snapshot();
        }
        CompletableFuture<List<CoroutineInfo>> f = new CompletableFuture<>();
        execute(() -> f.complete(snapshot()));
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while dumping " + this, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the loop of " + this + " did not answer a dump", e);
        }
    }

    /** {@link #dump()} as text, one coroutine per paragraph. */
    public String dumpString() {
        List<CoroutineInfo> infos = dump();
        StringBuilder sb = new StringBuilder(this.toString()).append(": ").append(infos.size()).append(" live coroutine(s)");
        for (CoroutineInfo i : infos) {
            sb.append("\n").append(i);
        }
        return sb.toString();
    }

    private List<CoroutineInfo> snapshot() {
        List<CoroutineInfo> out = new ArrayList<>(liveCount);
        for (Coroutine co = liveHead; co != null; co = co.nextLive) {
            Object w = co.waitingFor();
            out.add(new CoroutineInfo(co.name(), co.state(), co.heldNames(), w == null ? null : w.toString(),
                    co.stack()));
        }
        return out;
    }

    /** The number of live coroutines; turn holder only (tests and diagnostics). */
    int liveCount() {
        return liveCount;
    }

    @Override
    public String toString() {
        return "AioContext[" + name + "]";
    }
}
