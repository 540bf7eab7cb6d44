package io.corio.stress;

import static io.corio.stress.StressSupport.TIMED_OUT;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import java.util.concurrent.CountDownLatch;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress proofs of {@link Coroutine#wake()} called from threads foreign to the
 * coroutine's context: a wake racing the yield it is meant to end, the same with a
 * {@link Coroutine#blocking} call before the yield (the pending-wake path), and two wakes
 * racing each other.
 *
 * <p>Each scenario is written once, as an abstract sample class carrying the outcomes, and
 * run on every backend by a small subclass per backend (jcstress only sees actor methods
 * declared in the test class itself, so each subclass forwards to the shared code). Every
 * sample makes its own coroutine on the shared started context of its backend
 * ({@link StressSupport#context}, which refuses to run a backend that fell back to another)
 * and runs it to its end, so no sample leaves a suspended coroutine behind, unless the
 * runtime lost a wake.
 *
 * <p>A lost wake-up is a coroutine that never resumes. Arbiters wait for the resume with a
 * bound and record {@value StressSupport#TIMED_OUT} when it does not come; that outcome is
 * FORBIDDEN everywhere.
 */
public final class CoroutineWakeStress {

    private CoroutineWakeStress() {}

    /** A wake() answer: it returned, it threw "already scheduled", it threw something else. */
    static final int WOKE = 1, ALREADY_SCHEDULED = 2, OTHER_REFUSAL = 3;

    static int wakeAnswer(Coroutine co) {
        try {
            co.wake();
            return WOKE;
        } catch (IllegalStateException e) {
            String m = String.valueOf(e.getMessage());
            return m.contains("already scheduled") ? ALREADY_SCHEDULED : OTHER_REFUSAL;
        }
    }

    // ---------------------------------------------------------------- wake vs yield

    /**
     * The canonical hand-off: the coroutine publishes "I'm waiting" and yields; a foreign
     * thread that sees the flag sets the data and wakes it. The waker may run before the
     * coroutine has actually yielded: the contract says such a wake is not lost.
     */
    @Description("The canonical wake-up: a coroutine publishes 'waiting' and yields; a foreign thread that sees"
            + " the flag writes the data (a plain field) and calls wake(), possibly before the coroutine has"
            + " actually yielded. The coroutine must resume exactly once and see the data. Results: r1 = the"
            + " coroutine's state the waker read just before wake(): 1 RUNNING (the wake raced ahead of the"
            + " yield), 2 SUSPENDED, 4 any other; 3 wake() threw; -1 the coroutine never started. r2 = the"
            + " data the resumed"
            + " coroutine saw (42), 0 if stale, -1 if it never resumed.")
    @Outcome(id = "1, 42", expect = ACCEPTABLE_INTERESTING,
            desc = "the wake arrived while the coroutine was still running towards its yield: it was kept and"
                    + " honoured after the yield, and the coroutine saw the data")
    @Outcome(id = "2, 42", expect = ACCEPTABLE,
            desc = "the wake arrived after the yield: the coroutine resumed and saw the data")
    @Outcome(id = ".*, -1", expect = FORBIDDEN, desc = "lost wake-up: the coroutine never resumed")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "the resumed coroutine saw stale data: no happens-before from wake()")
    @Outcome(id = "3, .*", expect = FORBIDDEN, desc = "wake() threw although nobody else had woken the coroutine")
    @Outcome(id = "4, .*", expect = FORBIDDEN,
            desc = "the waker saw a state other than RUNNING or SUSPENDED after the coroutine said it was waiting")
    @Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "the coroutine never started after schedule()")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    abstract static class WakeVsYield {
        private final AioContext ctx;
        private final Coroutine co;
        private final CountDownLatch resumed = new CountDownLatch(1);
        private volatile boolean waiting;
        private int data; // plain on purpose: wake() must publish it
        private int seen; // written by the coroutine before `resumed`

        WakeVsYield(Backend backend) {
            ctx = StressSupport.context(backend);
            co = Coroutine.create("wake-vs-yield", this::body);
        }

        private void body() {
            waiting = true;
            Coroutine.yield();
            seen = data;
            resumed.countDown();
        }

        final void start() {
            ctx.schedule(co);
        }

        final void wake(II_Result r) {
            if (!StressSupport.spinUntil(() -> waiting)) {
                r.r1 = TIMED_OUT;
                return;
            }
            int before = switch (co.state()) {
                case RUNNING -> 1;
                case SUSPENDED -> 2;
                default -> 4; // CREATED, SCHEDULED, BLOCKING, DONE: impossible once 'waiting' is set
            };
            data = 42;
            r.r1 = wakeAnswer(co) == WOKE ? before : 3;
        }

        final void check(II_Result r) {
            r.r2 = StressSupport.await(resumed) ? seen : TIMED_OUT;
        }
    }

    @JCStressTest
    @State
    public static class WakeVsYieldVirtual extends WakeVsYield {
        public WakeVsYieldVirtual() {
            super(Backend.VIRTUAL);
        }

        @Actor
        public void starter() {
            start();
        }

        @Actor
        public void waker(II_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @State
    public static class WakeVsYieldVirtualPinned extends WakeVsYield {
        public WakeVsYieldVirtualPinned() {
            super(Backend.VIRTUAL_PINNED);
        }

        @Actor
        public void starter() {
            start();
        }

        @Actor
        public void waker(II_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @State
    public static class WakeVsYieldContinuation extends WakeVsYield {
        public WakeVsYieldContinuation() {
            super(Backend.CONTINUATION);
        }

        @Actor
        public void starter() {
            start();
        }

        @Actor
        public void waker(II_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            check(r);
        }
    }

    // ---------------------------------------------------------------- wake vs blocking

    /**
     * As {@link WakeVsYield}, but the coroutine makes a {@link Coroutine#blocking} call
     * between publishing "waiting" and yielding. While it is out in the call its context is
     * free, so the loop can process the wake while the coroutine is BLOCKING or SCHEDULED
     * (back from the call, not yet re-entered): the only way a foreign wake meets a coroutine
     * that is not suspended. The runtime then keeps it as a pending wake and honours it at
     * the next yield.
     */
    @Description("A coroutine publishes 'waiting', makes a blocking() call (its context is free meanwhile), then"
            + " yields; a foreign thread that sees the flag writes the data and calls wake(). The loop may"
            + " process the wake while the coroutine is out in the call or back from it and not yet"
            + " re-entered; it must then keep the wake for the coroutine's next yield. Results: r1 = the state"
            + " the waker read just before wake(): 1 RUNNING, 2 BLOCKING, 3 SCHEDULED, 4 SUSPENDED, 6 any"
            + " other; 5 wake() threw; -1 the coroutine never started. r2 = the data the resumed coroutine saw (42), 0 if"
            + " stale, -1 if it never resumed.")
    @Outcome(id = {"1, 42", "4, 42"}, expect = ACCEPTABLE,
            desc = "the wake came while the coroutine ran (before or after its blocking call) or after it"
                    + " yielded: it resumed after the yield and saw the data")
    @Outcome(id = {"2, 42", "3, 42"}, expect = ACCEPTABLE_INTERESTING,
            desc = "the wake came while the coroutine was out in its blocking call or back from it but not yet"
                    + " re-entered: kept as pending, honoured at the yield; it saw the data")
    @Outcome(id = ".*, -1", expect = FORBIDDEN, desc = "lost wake-up: the coroutine never resumed after its yield")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "the resumed coroutine saw stale data: no happens-before from wake()")
    @Outcome(id = "5, .*", expect = FORBIDDEN, desc = "wake() threw although nobody else had woken the coroutine")
    @Outcome(id = "6, .*", expect = FORBIDDEN,
            desc = "the waker saw the coroutine CREATED or DONE after it said it was waiting")
    @Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "the coroutine never started after schedule()")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    abstract static class WakeVsBlocking {
        private final AioContext ctx;
        private final Coroutine co;
        private final CountDownLatch resumed = new CountDownLatch(1);
        private volatile boolean waiting;
        private int data; // plain on purpose: wake() must publish it
        private int seen; // written by the coroutine before `resumed`

        WakeVsBlocking(Backend backend) {
            ctx = StressSupport.context(backend);
            co = Coroutine.create("wake-vs-blocking", this::body);
        }

        private void body() {
            waiting = true;
            Coroutine.blocking(() -> {
                Thread.onSpinWait();
                return null;
            });
            Coroutine.yield();
            seen = data;
            resumed.countDown();
        }

        final void start() {
            ctx.schedule(co);
        }

        final void wake(II_Result r) {
            if (!StressSupport.spinUntil(() -> waiting)) {
                r.r1 = TIMED_OUT;
                return;
            }
            int before = switch (co.state()) {
                case RUNNING -> 1;
                case BLOCKING -> 2;
                case SCHEDULED -> 3;
                case SUSPENDED -> 4;
                default -> 6; // CREATED or DONE: impossible once 'waiting' is set
            };
            data = 42;
            r.r1 = wakeAnswer(co) == WOKE ? before : 5;
        }

        final void check(II_Result r) {
            r.r2 = StressSupport.await(resumed) ? seen : TIMED_OUT;
        }
    }

    @JCStressTest
    @State
    public static class WakeVsBlockingVirtual extends WakeVsBlocking {
        public WakeVsBlockingVirtual() {
            super(Backend.VIRTUAL);
        }

        @Actor
        public void starter() {
            start();
        }

        @Actor
        public void waker(II_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @State
    public static class WakeVsBlockingVirtualPinned extends WakeVsBlocking {
        public WakeVsBlockingVirtualPinned() {
            super(Backend.VIRTUAL_PINNED);
        }

        @Actor
        public void starter() {
            start();
        }

        @Actor
        public void waker(II_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @State
    public static class WakeVsBlockingContinuation extends WakeVsBlocking {
        public WakeVsBlockingContinuation() {
            super(Backend.CONTINUATION);
        }

        @Actor
        public void starter() {
            start();
        }

        @Actor
        public void waker(II_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            check(r);
        }
    }

    // ---------------------------------------------------------------- wake vs wake

    /**
     * Two foreign threads wake the same coroutine, which waits twice. From the code:
     * {@code wake()} sets the coroutine's "scheduled" flag with a CAS and throws "already
     * scheduled" when it is set; the loop clears the flag just before it enters the
     * coroutine. So either the second wake finds the flag still set and throws, or the loop
     * entered the coroutine between the two wakes and the second is a new wake that resumes
     * it again. The coroutine cannot finish before two resumes, so "finished" refusals
     * cannot happen.
     */
    @Description("Two foreign threads race to wake() the same coroutine, which yields twice (it publishes"
            + " 'waiting' before the first yield; both wakers wait for that flag). Each successful wake() must"
            + " resume it once; a wake() that finds it already scheduled must throw IllegalStateException."
            + " The arbiter then wakes it as often as needed to let it finish. Results: r1, r2 = each wake():"
            + " 1 returned, 2 threw 'already scheduled', 3 threw another refusal, -1 never saw the coroutine"
            + " waiting; r3 = resumes once the successful wakes had landed (bounded wait), or -2 if the"
            + " arbiter could not then run the coroutine to its end.")
    @Outcome(id = {"1, 2, 1", "2, 1, 1"}, expect = ACCEPTABLE,
            desc = "the second wake() found the coroutine still scheduled by the first and threw 'already"
                    + " scheduled'; it resumed once")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE_INTERESTING,
            desc = "the loop entered the coroutine between the two wakes (clearing its scheduled flag), so both"
                    + " succeeded and each resumed it once")
    @Outcome(id = "1, 1, [01]", expect = FORBIDDEN, desc = "lost wake-up: two wakes succeeded but fewer resumes came")
    @Outcome(id = {"1, 2, 0", "2, 1, 0"}, expect = FORBIDDEN, desc = "lost wake-up: the successful wake never resumed it")
    @Outcome(id = {"1, 2, 2", "2, 1, 2"}, expect = FORBIDDEN, desc = "one successful wake resumed it twice")
    @Outcome(id = "2, 2, .*", expect = FORBIDDEN, desc = "both wakes were refused as 'already scheduled': nobody woke it")
    @Outcome(id = {"3, .*", ".*, 3, .*"}, expect = FORBIDDEN,
            desc = "a wake() threw a refusal other than 'already scheduled' on a coroutine that cannot have finished")
    @Outcome(id = {"-1, .*", ".*, -1, .*"}, expect = FORBIDDEN, desc = "the coroutine never started after schedule()")
    @Outcome(id = ".*, -2", expect = FORBIDDEN,
            desc = "after the race, further wakes could not run the coroutine to its end: a wake was refused or lost")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    abstract static class WakeVsWake {
        private static final int YIELDS = 2;

        private final AioContext ctx;
        private final Coroutine co;
        private final CountDownLatch finished = new CountDownLatch(1);
        private volatile boolean waiting;
        private volatile int resumes; // written by the coroutine only

        WakeVsWake(Backend backend) {
            ctx = StressSupport.context(backend);
            co = Coroutine.create("wake-vs-wake", this::body);
        }

        private void body() {
            waiting = true;
            for (int i = 1; i <= YIELDS; i++) {
                Coroutine.yield();
                resumes = i;
            }
            finished.countDown();
        }

        final void startAndWake(III_Result r) {
            ctx.schedule(co);
            r.r1 = wakeWhenWaiting();
        }

        final void wake(III_Result r) {
            r.r2 = wakeWhenWaiting();
        }

        private int wakeWhenWaiting() {
            return StressSupport.spinUntil(() -> waiting) ? wakeAnswer(co) : TIMED_OUT;
        }

        final void check(III_Result r) {
            int woke = (r.r1 == WOKE ? 1 : 0) + (r.r2 == WOKE ? 1 : 0);
            StressSupport.spinUntil(() -> resumes >= woke);
            int landed = resumes;
            r.r3 = landed;
            // Run it to its end, one wake per remaining yield, so the sample leaves nothing behind.
            for (int want = landed + 1; want <= YIELDS; want++) {
                int target = want;
                if (wakeAnswer(co) != WOKE || !StressSupport.spinUntil(() -> resumes >= target)) {
                    r.r3 = -2;
                    return;
                }
            }
            if (!StressSupport.await(finished)) {
                r.r3 = -2;
            }
        }
    }

    @JCStressTest
    @State
    public static class WakeVsWakeVirtual extends WakeVsWake {
        public WakeVsWakeVirtual() {
            super(Backend.VIRTUAL);
        }

        @Actor
        public void waker1(III_Result r) {
            startAndWake(r);
        }

        @Actor
        public void waker2(III_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @State
    public static class WakeVsWakeVirtualPinned extends WakeVsWake {
        public WakeVsWakeVirtualPinned() {
            super(Backend.VIRTUAL_PINNED);
        }

        @Actor
        public void waker1(III_Result r) {
            startAndWake(r);
        }

        @Actor
        public void waker2(III_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }

    @JCStressTest
    @State
    public static class WakeVsWakeContinuation extends WakeVsWake {
        public WakeVsWakeContinuation() {
            super(Backend.CONTINUATION);
        }

        @Actor
        public void waker1(III_Result r) {
            startAndWake(r);
        }

        @Actor
        public void waker2(III_Result r) {
            wake(r);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(r);
        }
    }
}
