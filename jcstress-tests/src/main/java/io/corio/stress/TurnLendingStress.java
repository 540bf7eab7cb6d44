package io.corio.stress;

import static io.corio.stress.StressSupport.TIMED_OUT;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * jcstress proofs of turn lending on the {@code virtual} backend: a coroutine whose
 * {@link Coroutine#blocking} call ends while its loop is parked takes the loop's turn itself
 * and runs on, instead of queueing for the loop. The turn must stay exclusive against the
 * loop and against another borrower, and what the borrower leaves for the loop (a wake-up,
 * a timer) must not be lost.
 *
 * <p>The critical sections below read a plain counter, let other threads run, and write it
 * back incremented: two holders of the turn at once show up as a lost increment. Arbiters
 * wait, bounded, for both sections; a wait that times out is {@value StressSupport#TIMED_OUT},
 * FORBIDDEN everywhere.
 */
public final class TurnLendingStress {

    private TurnLendingStress() {}

    private static AioContext loop() {
        return StressSupport.context(Backend.VIRTUAL);
    }

    /**
     * A coroutine started by the state's constructor (last, with {@link #start}, so the
     * subclass's fields are set) that waits in a blocking call until an
     * actor opens {@link #go}: it comes back while the loop is usually parked, so it takes
     * the turn itself; then it runs {@link #after()}.
     */
    abstract static class Borrower {
        final AioContext ctx = loop();
        final CountDownLatch go = new CountDownLatch(1);

        final void start(String name) {
            ctx.spawn(name, () -> {
                Coroutine.blocking(() -> {
                    awaitRelease();
                    return null;
                });
                after();
            });
        }

        /** The blocking call: waits for the actors to let the coroutine go on. */
        void awaitRelease() throws InterruptedException {
            go.await();
        }

        abstract void after();
    }

    /** A plain counter incremented in turn-holding sections that must not overlap. */
    abstract static class Counter extends Borrower {
        final CountDownLatch done;
        private int count; // plain on purpose: only the turn holder touches it

        Counter(int sections) {
            done = new CountDownLatch(sections);
        }

        final void section() {
            int c = count;
            for (int i = 0; i < 64; i++) {
                Thread.onSpinWait();
            }
            count = c + 1;
            done.countDown();
        }

        @Override
        final void after() {
            section();
        }

        final int total() {
            return StressSupport.await(done) ? count : TIMED_OUT;
        }
    }

    @JCStressTest
    @Description("A coroutine comes back from a blocking call (taking the idle loop's turn if it can) while a"
            + " foreign thread queues a task on the loop; both increment a plain counter with a gap between"
            + " read and write. Result: the counter once both ran (2), or -1 if one never ran.")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "the borrower and the loop held the turn one after the other")
    @Outcome(id = "1", expect = FORBIDDEN, desc = "lost increment: the borrower and the loop ran at the same time")
    @Outcome(id = "-1", expect = FORBIDDEN, desc = "the task or the coroutine never ran")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class BorrowerVsLoopTask extends Counter {
        public BorrowerVsLoopTask() {
            super(2);
            start("borrower-vs-task");
        }

        @Actor
        public void release() {
            go.countDown();
        }

        @Actor
        public void task() {
            ctx.execute(this::section);
        }

        @Arbiter
        public void arbiter(I_Result r) {
            r.r1 = total();
        }
    }

    @JCStressTest
    @Description("Two coroutines come back from blocking calls at the same time; at most one can take the idle"
            + " loop's turn, the other must wait for the loop. Both increment a plain counter with a gap between"
            + " read and write. Result: the counter once both ran (2), or -1 if one never ran.")
    @Outcome(id = "2", expect = ACCEPTABLE, desc = "the two coroutines held the turn one after the other")
    @Outcome(id = "1", expect = FORBIDDEN, desc = "lost increment: two holders of the turn at once")
    @Outcome(id = "-1", expect = FORBIDDEN, desc = "a coroutine never resumed after its blocking call")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class TwoBorrowers extends Counter {
        private final CountDownLatch go2 = new CountDownLatch(1);

        public TwoBorrowers() {
            super(2);
            start("borrower-a");
            ctx.spawn("borrower-b", () -> {
                Coroutine.blocking(() -> {
                    go2.await();
                    return null;
                });
                section();
            });
        }

        @Actor
        public void first() {
            go.countDown();
        }

        @Actor
        public void second() {
            go2.countDown();
        }

        @Arbiter
        public void arbiter(I_Result r) {
            r.r1 = total();
        }
    }

    @JCStressTest
    @Description("A wake-up left for the loop by a borrower: coroutine A comes back from a blocking call (usually"
            + " on a borrowed turn) and wakes coroutine B, which a foreign thread started and which yields. The"
            + " wake sits on A's wake-up list when A gives the turn back: it must still reach B. Result: 1 if B"
            + " resumed, -1 if not.")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "B resumed")
    @Outcome(id = "-1", expect = FORBIDDEN, desc = "lost wake-up: B never resumed")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class BorrowerWakes extends Borrower {
        private final CountDownLatch bResumed = new CountDownLatch(1);
        private final Coroutine b = Coroutine.create("waiter", () -> {
            Coroutine.yield();
            bResumed.countDown();
        });
        private final CountDownLatch bStarted = new CountDownLatch(1);

        public BorrowerWakes() {
            start("waker");
        }

        @Override
        void awaitRelease() throws InterruptedException {
            go.await();
            bStarted.await(); // B has yielded
        }

        @Override
        void after() {
            b.wake();
        }

        @Actor
        public void waiter() {
            ctx.execute(() -> {
                b.enter(); // runs B up to its yield
                bStarted.countDown();
            });
        }

        @Actor
        public void release() {
            go.countDown();
        }

        @Arbiter
        public void arbiter(I_Result r) {
            r.r1 = StressSupport.await(bResumed) ? 1 : TIMED_OUT;
        }
    }

    @JCStressTest
    @Description("A timer armed by a borrower: coroutine A comes back from a blocking call (usually on a borrowed"
            + " turn, the loop parked with no deadline) and sleeps for zero time. The loop must be woken to fire"
            + " the timer. Result: 1 if A's sleep ended, -1 if not.")
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "the sleep ended")
    @Outcome(id = "-1", expect = FORBIDDEN, desc = "lost timer: the loop never fired it")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome")
    @State
    public static class BorrowerArmsTimer extends Borrower {
        private final CountDownLatch slept = new CountDownLatch(1);

        public BorrowerArmsTimer() {
            start("sleeper");
        }

        @Override
        void after() {
            Coroutine.sleep(Duration.ZERO);
            slept.countDown();
        }

        @Actor
        public void release() {
            go.countDown();
        }

        @Arbiter
        public void arbiter(I_Result r) {
            r.r1 = StressSupport.await(slept) ? 1 : TIMED_OUT;
        }
    }

    @JCStressTest
    @Description("Keeping the turn through a call: a coroutine the loop entered starts a blocking call while the"
            + " loop has nothing else to do, so it keeps the turn and the loop stays parked; the call ends only"
            + " once a task queued by a foreign thread has run, so that submitter must get the turn back for the"
            + " loop. A second foreign task and the coroutine after its call also increment the plain counter."
            + " Result: the counter once all three ran (3), or -1 if something never ran.")
    @Outcome(id = "3", expect = ACCEPTABLE, desc = "the task got the turn back from the call; no overlap")
    @Outcome(id = "-1", expect = FORBIDDEN, desc = "the submitted task never ran: the call kept the loop's turn")
    @Outcome(expect = FORBIDDEN, desc = "lost increment or any other outcome")
    @State
    public static class KeptCallVsTasks extends Counter {
        private final CountDownLatch taskRan = new CountDownLatch(1);

        public KeptCallVsTasks() {
            super(3);
            start("keeper");
        }

        @Override
        void awaitRelease() {
            StressSupport.await(taskRan);
        }

        @Actor
        public void unblocker() {
            ctx.execute(() -> {
                section();
                taskRan.countDown();
            });
        }

        @Actor
        public void other() {
            ctx.execute(this::section);
        }

        @Arbiter
        public void arbiter(I_Result r) {
            r.r1 = total();
        }
    }
}
