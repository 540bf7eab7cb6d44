package io.corio.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A coroutine: sequential code that runs inside an {@link AioContext} and gives control
 * back at explicit points ({@link #yield()}, {@link #sleep}, {@link #blocking}, and the
 * primitives built on them). The semantics are QEMU's ({@code include/qemu/coroutine.h}):
 *
 * <ul>
 *   <li>{@link #enter()} runs the coroutine until it yields or ends, then returns to the
 *       caller. A coroutine may enter another; the inner one yields back to the outer.
 *   <li>Only one coroutine of a context runs at a time: code between two yield points is
 *       atomic with respect to the other coroutines of that context, so state touched only
 *       by one context needs no lock.
 *   <li>{@link #wake()} (QEMU's {@code aio_co_wake}) may be called from any thread and
 *       re-enters the coroutine in its own context. Called from a coroutine of that context,
 *       the woken one runs right after the caller yields or ends; called from the context's
 *       loop, it runs at once; from any other thread, it runs when the loop next turns. A
 *       wake that arrives before the coroutine has yielded is not lost: the coroutine is
 *       re-entered after it yields.
 *   <li>An exception thrown by a coroutine ends it and is rethrown by the {@code enter()}
 *       (or {@link AioContext#call}) that was running it; checked exceptions arrive wrapped
 *       in a {@link CoroutineException}. None is lost: a coroutine entered by its context's
 *       loop reports to the loop (see {@link AioContext#poll}).
 * </ul>
 *
 * <p>Misuse fails loudly with an {@link IllegalStateException} that names the coroutine:
 * entering one that is running (recursive enter), already scheduled by a wake, out in a
 * blocking call, finished, or bound to another context; yielding, sleeping or calling
 * {@code blocking} outside a coroutine; waking a finished coroutine or one that was never
 * bound to a context.
 *
 * <p>Coroutines are cheap to create: the carrier (a pooled virtual thread or a
 * {@code Continuation}) is taken only on the first enter, and pooled carriers are reused.
 */
public final class Coroutine {

    /*
     * Implementation notes.
     *
     * State machine (the field `state`); every transition happens while the transitioning
     * party holds its context's turn, except BLOCKING -> SCHEDULED, made by the thread that
     * finished the blocking call (CAS):
     *
     *   CREATED   --enter / loop start-->  RUNNING
     *   SUSPENDED --enter / loop wake--->  RUNNING
     *   RUNNING   --yield--------------->  SUSPENDED
     *   RUNNING   --blocking------------>  BLOCKING --call done--> SCHEDULED --loop--> RUNNING
     *                                        BLOCKING --call done, loop idle (borrow)--> RUNNING
     *   RUNNING   --return or throw----->  DONE
     *
     * `woken` is QEMU's co->scheduled: set by wake() with a CAS (a second wake before the
     * coroutine runs is misuse), cleared by the party that enters the coroutine because
     * of it. A wake processed while the coroutine is RUNNING or BLOCKING cannot enter it;
     * it sets `pendingWake` instead and the next yield schedules the coroutine again, so a
     * wake racing with the yield that waits for it is never lost.
     *
     * `wakeups` is QEMU's co_queue_wakeup: coroutines woken by this one while it runs are
     * entered by whoever entered this one, right after it yields.
     *
     * Internal waits (sleep, call, the primitives, inWorker) do not use the permit-like
     * public wake: a completion that races with a waiter which then finds its condition
     * already true would leave a wake behind that cuts a later, unrelated wait short. They
     * use numbered waits instead: beginWait() gives the wait a number, wakeWait(n) enters
     * the coroutine only if it is still suspended in wait n (checked by the turn holder),
     * and endWait() makes every outstanding wake of that wait a no-op.
     */

    /** Where a coroutine is in its life; see the class comment. */
    public enum State {
        /** Made but never entered. */
        CREATED,
        /** Entered and not yet yielded: running, or waiting for a coroutine it entered. */
        RUNNING,
        /** Yielded; waits to be entered or woken. */
        SUSPENDED,
        /** Woken or back from a blocking call; its context will enter it. */
        SCHEDULED,
        /** Outside its context, running a {@link #blocking} call. */
        BLOCKING,
        /** Returned or threw; cannot be entered again. */
        DONE
    }

    static final ThreadLocal<Coroutine> CURRENT = new ThreadLocal<>();

    private static final VarHandle STATE;
    private static final VarHandle WOKEN;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Coroutine.class, "state", State.class);
            WOKEN = l.findVarHandle(Coroutine.class, "woken", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name; // null: named by identity on demand
    private final CoroutineEntry entry;

    private volatile State state = State.CREATED; // turn holder, or CAS (see notes)
    private volatile boolean woken; // CAS only
    private volatile AioContext context; // set once, by the first enter or schedule

    // The fields below are touched only by the holder of the context's turn.
    boolean pendingWake;
    final ArrayDeque<Runnable> wakeups = new ArrayDeque<>(2);
    Throwable failure;
    AioTimer sleepTimer;
    private long waitSeq; // turn holder only: the number of the current (or last) numbered wait
    private boolean inWait; // turn holder only: suspended in numbered wait `waitSeq`
    Coroutine prevLive; // the context's list of live coroutines, for dump()
    Coroutine nextLive;
    boolean live;
    Object carrier; // backend-owned: a VirtualSwitcher.Worker or a Continuation
    Baton callerBaton; // VIRTUAL backends: who to hand the turn back to
    Object blockingJob; // CONTINUATION: the job a yield asks the switcher to run
    Object blockingResult;
    Throwable blockingFailure;
    final AioContext.LoopEntry wakeTask = this::runWake;
    boolean plainEntry; // turn holder only: entered by the loop from a wake task, may keep the turn in a call
    Object kept; // own carrier only: the AioContext.Kept of the blocking call that keeps the turn
    private ArrayList<Object> held; // locks this coroutine holds, for misuse checks and dump()
    private volatile Object waitingFor; // the primitive it waits on, for dump(); null when not waiting

    private Coroutine(String name, CoroutineEntry entry) {
        this.name = name;
        this.entry = Objects.requireNonNull(entry, "entry");
    }

    /** Makes a coroutine that will run {@code entry} when first entered. */
    public static Coroutine create(CoroutineEntry entry) {
        return new Coroutine(null, entry);
    }

    /** Makes a named coroutine; the name shows in errors, logs and {@link AioContext#dump()}. */
    public static Coroutine create(String name, CoroutineEntry entry) {
        return new Coroutine(Objects.requireNonNull(name, "name"), entry);
    }

    /** The coroutine running on this thread, or {@code null} outside a coroutine. */
    public static Coroutine current() {
        return CURRENT.get();
    }

    /** Whether the calling code runs inside a coroutine (QEMU's {@code qemu_in_coroutine}). */
    public static boolean inCoroutine() {
        return CURRENT.get() != null;
    }

    /** This coroutine's name ({@code coroutine@<hash>} when made without one). */
    public String name() {
        return name != null ? name : "coroutine@" + Integer.toHexString(System.identityHashCode(this));
    }

    public State state() {
        return state;
    }

    /**
     * Whether this coroutine has been entered and has not yet yielded (QEMU's
     * {@code qemu_coroutine_entered}): it is running, or waiting for one it entered.
     */
    public boolean isEntered() {
        return state == State.RUNNING;
    }

    /** The context this coroutine runs in, or {@code null} before it was first entered. */
    public AioContext context() {
        return context;
    }

    // ---------------------------------------------------------------- enter

    /**
     * Runs this coroutine until it yields or ends, and returns then. It must be called from
     * the coroutine's context (its loop, or one of its coroutines); a coroutine that was
     * never entered is bound to the caller's context ({@link AioContext#current()}).
     *
     * @throws IllegalStateException if the coroutine is running, scheduled, blocking,
     *     finished, or bound to another context
     * @throws CoroutineException if the coroutine ends by throwing a checked exception;
     *     unchecked exceptions and errors are rethrown as they are
     */
    public void enter() {
        AioContext here = AioContext.current();
        AioContext ctx = context;
        if (ctx == null) {
            bind(here);
        } else if (ctx != here) {
            throw new IllegalStateException("coroutine '" + name() + "' belongs to " + ctx
                    + " and cannot be entered from " + here + "; use wake() or " + ctx + ".spawn");
        }
        State s = state;
        if (s != State.CREATED && s != State.SUSPENDED) {
            throw misuse("entered", s);
        }
        if (woken) {
            throw new IllegalStateException("coroutine '" + name() + "' was entered while already scheduled by wake()");
        }
        enterChecked();
    }

    private IllegalStateException misuse(String what, State s) {
        String why = switch (s) {
            case RUNNING -> "it is running (recursive enter)";
            case SCHEDULED -> "it is already scheduled";
            case BLOCKING -> "it is in a blocking call outside its context";
            case DONE -> "it has finished";
            default -> "it is " + s;
        };
        return new IllegalStateException("coroutine '" + name() + "' cannot be " + what + ": " + why);
    }

    void bind(AioContext ctx) {
        ctx.checkOpen();
        if (context == null) {
            context = ctx;
        } else if (context != ctx) {
            throw new IllegalStateException("coroutine '" + name() + "' already belongs to " + context);
        }
    }

    /**
     * Enters with the turn held and the state checked, then runs the coroutines it woke
     * (its wake-up list); reports the coroutine's failure.
     */
    void enterChecked() {
        AioContext ctx = context;
        ArrayDeque<Runnable> outer = ctx.drain; // non-null: called by a running drain loop
        ctx.drain = null; // coroutines entered from inside this one drain for themselves
        plainEntry = ctx.loopEntry && outer == null; // the loop has nothing to do after this enter
        ctx.loopEntry = false; // coroutines this one enters are not plain entries
        if (state == State.CREATED) {
            ctx.register(this);
        }
        STATE.setVolatile(this, State.RUNNING);
        ctx.switcher.enter(this);
        plainEntry = false;
        Throwable f = null;
        if (state == State.DONE) {
            ctx.unregister(this);
            f = failure;
            failure = null;
        }
        if (outer != null) {
            // hand our wake-ups to the drain loop that entered us, ahead of its own
            for (Runnable w; (w = wakeups.pollLast()) != null; ) {
                outer.addFirst(w);
            }
            ctx.drain = outer;
        } else if (!wakeups.isEmpty()) {
            drainWakeups(ctx);
        }
        if (f != null) {
            throw propagate(f);
        }
    }

    /**
     * QEMU's qemu_aio_coroutine_enter loop: runs the wake-up list iteratively, each woken
     * coroutine's own wake-ups going first, so a long chain of hand-offs (a contended mutex,
     * two coroutines waking each other) runs in constant stack. If one of them fails, the
     * rest are queued on the context before the failure propagates, so none is lost.
     */
    private void drainWakeups(AioContext ctx) {
        ArrayDeque<Runnable> q = new ArrayDeque<>(wakeups);
        wakeups.clear();
        Runnable w;
        while ((w = q.pollFirst()) != null) {
            ctx.drain = q;
            try {
                w.run();
            } catch (Throwable t) {
                ctx.drain = null;
                for (Runnable rest; (rest = q.pollFirst()) != null; ) {
                    ctx.submit(rest);
                }
                throw t;
            }
            ctx.drain = null;
        }
    }

    RuntimeException propagate(Throwable f) {
        if (f instanceof RuntimeException r) {
            return r;
        }
        if (f instanceof Error e) {
            throw e;
        }
        return new CoroutineException("coroutine '" + name() + "' failed: " + f, f);
    }

    /** Runs the body on the coroutine's carrier; called by the backend, never throws. */
    void runBody() {
        try {
            entry.run();
        } catch (Throwable t) {
            failure = t;
        }
        if (held != null && !held.isEmpty()) {
            IllegalStateException e = new IllegalStateException(
                    "coroutine '" + name() + "' ended holding " + held);
            if (failure != null) {
                e.addSuppressed(failure);
            }
            failure = e;
        }
        if (sleepTimer != null) {
            sleepTimer.cancel();
            sleepTimer = null;
        }
        STATE.setVolatile(this, State.DONE);
    }

    // ---------------------------------------------------------------- yield

    /**
     * Gives control back to whoever entered the calling coroutine, and returns when it is
     * entered or woken again (QEMU's {@code qemu_coroutine_yield}).
     *
     * @throws IllegalStateException outside a coroutine, or inside a {@link #blocking} call
     */
    public static void yield() {
        Coroutine co = requireCurrent("Coroutine.yield()");
        co.yieldNow();
    }

    void yieldNow() {
        if (pendingWake) {
            // a wake was processed while we ran: honour it after this yield
            pendingWake = false;
            context.submitWake(this);
        }
        STATE.setVolatile(this, State.SUSPENDED);
        context.switcher.suspend(this);
    }

    static Coroutine requireCurrent(String what) {
        Coroutine co = CURRENT.get();
        if (co == null) {
            throw new IllegalStateException(what + " called outside a coroutine (thread "
                    + Thread.currentThread().getName() + ")");
        }
        assert co.state == State.RUNNING : co + " current but " + co.state;
        return co;
    }

    // ---------------------------------------------------------------- wake

    /**
     * Re-enters this coroutine in its own context; callable from any thread (QEMU's
     * {@code aio_co_wake}). See the class comment for when it runs.
     *
     * @throws IllegalStateException if it has finished, was never bound to a context, or
     *     was already woken and has not run since
     */
    public void wake() {
        AioContext ctx = context;
        if (ctx == null) {
            throw new IllegalStateException("coroutine '" + name()
                    + "' was never entered, so it has no context to wake in; use AioContext.spawn or schedule");
        }
        if (state == State.DONE) {
            throw misuse("woken", State.DONE);
        }
        if (!WOKEN.compareAndSet(this, false, true)) {
            throw new IllegalStateException("coroutine '" + name() + "' was woken while already scheduled");
        }
        dispatchWake(ctx);
    }

    private void dispatchWake(AioContext ctx) {
        Coroutine self = CURRENT.get();
        if (self != null && self.context == ctx) {
            self.wakeups.addLast(wakeTask); // entered right after the waker yields
        } else if (self == null && ctx.holdsTurn()) {
            runWake(); // the loop itself: enter now
        } else {
            ctx.submitWake(this);
        }
    }

    /** Makes a created coroutine run in {@code ctx}; see {@link AioContext#schedule}. */
    void schedule(AioContext ctx) {
        bind(ctx);
        if (state != State.CREATED) {
            throw misuse("scheduled", state);
        }
        if (!WOKEN.compareAndSet(this, false, true)) {
            throw new IllegalStateException("coroutine '" + name() + "' is already scheduled");
        }
        ctx.submitWake(this);
    }

    /** Enters because of a wake; runs with the context's turn held. */
    private void runWake() {
        switch (state) {
            case CREATED, SUSPENDED -> {
                WOKEN.setVolatile(this, false);
                enterChecked();
            }
            case RUNNING, BLOCKING, SCHEDULED -> pendingWake = true;
            case DONE -> {
                WOKEN.setVolatile(this, false);
                context.reportLateWake(this);
            }
        }
    }

    /** Re-enters after a blocking call; runs with the context's turn held. */
    void resumeFromBlocking() {
        assert state == State.SCHEDULED : this + " resumed from blocking in " + state;
        enterChecked();
    }

    /**
     * Called on this coroutine's own carrier when its blocking call is done: if the loop is
     * idle, takes its turn ({@link AioContext#borrowTurn()}) and returns true, and the
     * coroutine runs on at once; else returns false and the caller queues it with
     * {@link #blockingDone()}.
     */
    boolean resumeBorrowing() {
        if (!context.borrowTurn()) {
            return false;
        }
        boolean ok = STATE.compareAndSet(this, State.BLOCKING, State.RUNNING);
        assert ok : this + " borrowed the turn in " + state;
        return true;
    }

    /**
     * Called on this coroutine's carrier when it yields, blocks or ends holding a borrowed
     * turn (nobody entered it, so nobody waits to get control back): does what the enterer
     * would have done after it (unregisters it if done, queues its wake-ups and its
     * failure for the loop), then gives the turn back.
     */
    void returnBorrowedTurn() {
        AioContext ctx = context;
        for (Runnable w; (w = wakeups.pollFirst()) != null; ) {
            ctx.submit(w);
        }
        if (state == State.DONE) {
            ctx.unregister(this);
            Throwable f = failure;
            failure = null;
            if (f != null) {
                ctx.submit(() -> {
                    throw propagate(f); // reported by the loop, as for a coroutine it entered
                });
            }
        }
        ctx.returnTurn();
    }

    /**
     * Called on this coroutine's carrier after a call that kept the turn
     * ({@link AioContext#keepTurnInCall}): true if it still has it and runs on.
     */
    boolean resumeKept() {
        if (!context.endCall(this)) {
            return false;
        }
        boolean ok = STATE.compareAndSet(this, State.BLOCKING, State.RUNNING);
        assert ok : this + " kept the turn in " + state;
        return true;
    }

    /** Called by the thread that finished a blocking call. */
    void blockingDone() {
        boolean ok = STATE.compareAndSet(this, State.BLOCKING, State.SCHEDULED);
        assert ok : this + " finished blocking in " + state;
        context.submitResume(this);
    }

    // ---------------------------------------------------------------- sleep, blocking, worker

    /**
     * Suspends the calling coroutine for {@code duration} on its context's monotonic clock.
     * A {@link #wake()} ends the sleep early (QEMU's {@code qemu_co_sleep_wake}).
     */
    public static void sleep(Duration duration) {
        Coroutine co = requireCurrent("Coroutine.sleep()");
        long wait = co.beginWait();
        AioTimer t = co.context.newTimer(duration.toNanos(), () -> co.wakeWait(wait));
        co.sleepTimer = t;
        co.context.arm(t);
        try {
            co.yieldNow(); // resumed by the timer or by any wake(): a sleep is wakeable
        } finally {
            co.endWait();
            co.sleepTimer = null;
            t.cancel();
        }
    }

    /**
     * Runs {@code call}, which may block, outside the calling coroutine's context, so that
     * the context's other coroutines run meanwhile; then comes back into the context and
     * returns its result or rethrows its exception. On the {@code virtual} backend the call
     * runs in place on the coroutine's own virtual thread; the others hop to a virtual
     * thread and back. The call must not touch context-confined state, and it runs outside
     * any coroutine ({@link #inCoroutine()} is false there).
     *
     * <p>On {@code virtual}, when the loop has nothing else to run (nothing queued, no timer
     * pending, nobody woken by this coroutine) the coroutine keeps the context's turn through
     * the call and simply goes on after it, with no thread hand-off; anything submitted to
     * the context meanwhile takes the turn back for the loop at once. A call that ends
     * while the loop is parked takes the loop's turn directly, without queueing.
     *
     * <p>A call that waits in native code (an FFM or JNI call into a slow system call) holds
     * its virtual thread's carrier for the whole wait, and the JDK adds no carrier for it: a
     * few of those stall every virtual thread. Run such calls with
     * {@link #inWorker(WorkerPool, CoroutineFunction)}, on platform threads.
     *
     * @throws IllegalStateException outside a coroutine
     */
    public static <T, X extends Exception> T blocking(CoroutineFunction<T, X> call) throws X {
        Objects.requireNonNull(call, "call");
        Coroutine co = requireCurrent("Coroutine.blocking()");
        // a pending wake stays pending and is honoured at the next yield
        STATE.setVolatile(co, State.BLOCKING);
        return co.context.switcher.blocking(co, call);
    }

    /**
     * Runs {@code call} on a thread of {@code pool} and yields until it is done, so the
     * context's other coroutines run meanwhile; then returns its value or rethrows its
     * exception as it is (checked exceptions unwrapped, as in {@link #blocking}). Unlike
     * {@code blocking}, the call runs on a bounded pool of platform threads, queued FIFO
     * behind the pool's other jobs. The call runs outside any coroutine and must not touch
     * context-confined state.
     *
     * @throws java.util.concurrent.CancellationException if the job was cancelled before it
     *     ran (the pool was shut down with {@code shutdown(true)})
     * @throws IllegalStateException outside a coroutine, or if the pool is shut down
     */
    public static <T, X extends Exception> T inWorker(WorkerPool pool, CoroutineFunction<T, X> call) throws X {
        return WorkerPool.inWorker(pool, call);
    }

    // ---------------------------------------------------------------- channels

    /**
     * Suspends the calling coroutine until {@code channel}, which must be in non-blocking
     * mode, is ready for {@code op} ({@link java.nio.channels.SelectionKey#OP_READ} or
     * {@link java.nio.channels.SelectionKey#OP_WRITE}), while the context runs its other
     * coroutines (QEMU's {@code qio_channel_yield}). The context's loop then waits for its
     * channels, its timers and submitted work at once, in one {@code select}. Readiness is a
     * hint, as in QEMU: call it in a loop around the non-blocking read or write that returned
     * 0. A {@link #wake()} also ends the wait. One coroutine at a time may wait for each
     * direction of a channel. Closing the channel ends the wait with
     * {@link java.nio.channels.ClosedChannelException} when the loop next turns: close it
     * with {@link AioContext#closeChannel} from another thread (the JDK does not wake a
     * selector for a close).
     *
     * @throws java.nio.channels.ClosedChannelException if the channel is closed (before the
     *     wait, or while waiting)
     * @throws IllegalArgumentException if the channel is in blocking mode, or {@code op} is
     *     neither OP_READ nor OP_WRITE
     * @throws IllegalStateException outside a coroutine, or if another coroutine already
     *     waits for the same direction of this channel
     */
    public static void awaitChannel(java.nio.channels.SelectableChannel channel, int op) throws java.io.IOException {
        Objects.requireNonNull(channel, "channel");
        Coroutine co = requireCurrent("Coroutine.awaitChannel()");
        co.context.io.await(co, channel, op);
    }

    // ---------------------------------------------------------------- numbered waits

    /**
     * Starts a numbered wait of the calling (current) coroutine and returns its number.
     * Publish the number to whoever will call {@link #wakeWait}, then yield (in a loop that
     * re-checks the awaited condition) and call {@link #endWait()} when done waiting.
     */
    long beginWait() {
        assert CURRENT.get() == this : this + " begins a wait but is not current";
        inWait = true;
        return ++waitSeq;
    }

    /** Ends the current numbered wait: outstanding {@link #wakeWait} calls for it do nothing. */
    void endWait() {
        assert CURRENT.get() == this : this + " ends a wait but is not current";
        inWait = false;
    }

    /**
     * Wakes this coroutine if, when its context gets to it, it is still suspended in wait
     * number {@code wait}; otherwise does nothing. Callable from any thread. Timing is as
     * for {@link #wake()}: after the waker yields (same context), at once (from the loop),
     * or on the loop's next turn (elsewhere).
     */
    void wakeWait(long wait) {
        AioContext ctx = context;
        Coroutine self = CURRENT.get();
        if (self != null && self.context == ctx) {
            self.wakeups.addLast(() -> runWakeWait(wait));
        } else if (self == null && ctx.holdsTurn()) {
            runWakeWait(wait);
        } else {
            ctx.submit((AioContext.LoopEntry) () -> runWakeWait(wait));
        }
    }

    private void runWakeWait(long wait) {
        if (inWait && waitSeq == wait && state == State.SUSPENDED && !woken) {
            enterChecked();
        }
        // else: the wait is over (or a public wake will enter it anyway): a stale wake, dropped
    }

    // ---------------------------------------------------------------- hooks for primitives

    /**
     * Records that this coroutine now holds {@code lock}; a coroutine that ends holding a
     * lock fails with an error naming it. Called by the coroutine itself, or by the party
     * handing it the lock, before it runs again.
     */
    void acquired(Object lock) {
        synchronized (this) {
            if (held == null) {
                held = new ArrayList<>(2);
            }
            held.add(lock);
        }
    }

    /** Records that this coroutine no longer holds {@code lock}; false if it did not hold it. */
    boolean released(Object lock) {
        synchronized (this) {
            return held != null && held.remove(lock);
        }
    }

    /** Whether this coroutine holds {@code lock}. */
    boolean holds(Object lock) {
        synchronized (this) {
            return held != null && held.contains(lock);
        }
    }

    /** Marks what this coroutine waits on ({@code null} when it stops waiting), for dump(). */
    void waitingFor(Object primitive) {
        waitingFor = primitive;
    }

    /** The locks held, as their toString(), for dump(); formatted outside our monitor. */
    List<String> heldNames() {
        List<Object> locks;
        synchronized (this) {
            locks = held == null ? List.of() : List.copyOf(held);
        }
        return locks.stream().map(String::valueOf).toList();
    }

    /** What this coroutine waits on, or null. */
    Object waitingFor() {
        return waitingFor;
    }

    // ---------------------------------------------------------------- introspection

    /** The stack of this coroutine as far as its backend can tell (may be empty). */
    public List<StackTraceElement> stack() {
        AioContext ctx = context;
        if (ctx == null || state == State.CREATED || state == State.DONE) {
            return List.of();
        }
        return List.of(ctx.switcher.stack(this));
    }

    /** Log-safe: name and state, never the entry's captured data. */
    @Override
    public String toString() {
        return "Coroutine[" + name() + ", " + state + "]";
    }

    /** Raises an unchecked or checked throwable without wrapping it. */
    @SuppressWarnings("unchecked")
    static <X extends Throwable> RuntimeException sneakyThrow(Throwable t) throws X {
        throw (X) t;
    }
}
