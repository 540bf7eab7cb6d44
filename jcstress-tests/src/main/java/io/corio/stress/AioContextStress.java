package io.corio.stress;

import static io.corio.stress.StressSupport.TIMED_OUT;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.AioContext;
import io.corio.core.AioTimer;
import io.corio.core.Backend;
import io.corio.core.BottomHalf;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress proofs of the cross-thread contract of {@link AioContext}: bottom halves
 * scheduled and cancelled from foreign threads, {@code execute()} racing {@code close()},
 * happens-before from a submitting thread to the work it submits, and timer cancel racing
 * timer fire.
 *
 * <p>The loop under test is the shared started context of the {@code virtual} backend
 * ({@link StressSupport#context}); loop mechanics do not depend on the backend. jcstress's
 * actor threads are platform threads, foreign to it. Arbiters first wait, bounded, for the
 * loop to run what the actors queued ({@link StressSupport#drain}); a wait that times out is
 * recorded as {@value StressSupport#TIMED_OUT} and graded FORBIDDEN: the loop lost or
 * stalled work. Counters written by work the loop runs are read by the arbiter only after
 * such a wait, which orders them.
 */
public final class AioContextStress {

    private AioContextStress() {}

    private static AioContext loop() {
        return StressSupport.context(Backend.VIRTUAL);
    }

    /** Published by a submitter with plain writes; work must see it whole. */
    static final class Payload {
        int a;
        int b;

        Payload(int a, int b) {
            this.a = a;
            this.b = b;
        }
    }

    /** What a task saw of a payload: -1 for a payload not yet visible, else its field. */
    private static int seenA(Payload p) {
        return p == null ? -1 : p.a;
    }

    private static int seenB(Payload p) {
        return p == null ? -1 : p.b;
    }

    // ---------------------------------------------------------------- bottom halves

    @JCStressTest
    @Description("A bottom half scheduled from one foreign thread while another foreign thread cancels it and"
            + " the loop runs it. cancel() must answer honestly, and every schedule() must end in a run or a"
            + " successful cancel. Results: schedule() answered true (1) or false (0); cancel() answered true"
            + " (1) or false (0); the number of callback runs once the loop drained (-1: it did not drain).")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE,
            desc = "cancel() found nothing pending (it came before schedule(), or after the loop had claimed the"
                    + " run): the callback ran once")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE,
            desc = "cancel() withdrew the pending run before the loop reached it: the callback never ran")
    @Outcome(id = "1, 1, 1", expect = FORBIDDEN, desc = "cancel() answered true, yet the callback ran")
    @Outcome(id = "1, 0, 0", expect = FORBIDDEN,
            desc = "lost: the callback neither ran nor was cancelled once the loop drained")
    @Outcome(id = "0, .*", expect = FORBIDDEN,
            desc = "schedule() of an idle bottom half answered 'already pending'")
    @Outcome(id = ".*, -1", expect = FORBIDDEN, desc = "the loop did not drain within the timeout")
    @Outcome(expect = FORBIDDEN, desc = "the callback ran more than once for one schedule()")
    @State
    public static class BottomHalfScheduleVsCancel {
        private final AioContext ctx = loop();
        private int runs; // loop thread only; the arbiter reads it after drain()
        private final BottomHalf bh = ctx.bottomHalf(() -> runs++);

        @Actor
        public void scheduler(III_Result r) {
            r.r1 = bh.schedule() ? 1 : 0;
        }

        @Actor
        public void canceller(III_Result r) {
            r.r2 = bh.cancel() ? 1 : 0;
        }

        @Arbiter
        public void drained(III_Result r) {
            r.r3 = StressSupport.drain(ctx) ? runs : TIMED_OUT;
        }
    }

    @JCStressTest
    @Description("A bottom half scheduled from two foreign threads at once. A schedule() that finds the run"
            + " still pending is folded into it (answers false); each schedule() that answers true opens a"
            + " pending window that ends in exactly one run. Results: the two schedule() answers (1 true, 0"
            + " false) and the number of callback runs once the loop drained (-1: it did not drain).")
    @Outcome(id = {"1, 0, 1", "0, 1, 1"}, expect = ACCEPTABLE,
            desc = "the second schedule() found the run still pending and was folded into it: one run")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE_INTERESTING,
            desc = "the loop claimed the first run between the two schedule() calls: two windows, two runs")
    @Outcome(id = "1, 1, 1", expect = FORBIDDEN, desc = "two schedule() calls opened two windows but one run was lost")
    @Outcome(id = {"1, 0, 2", "0, 1, 2"}, expect = FORBIDDEN, desc = "a folded schedule() caused a second run")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN,
            desc = "both schedule() calls answered 'already pending' on an idle bottom half")
    @Outcome(id = ".*, -1", expect = FORBIDDEN, desc = "the loop did not drain within the timeout")
    @Outcome(expect = FORBIDDEN, desc = "any other number of runs: lost or duplicated runs")
    @State
    public static class BottomHalfScheduleFolding {
        private final AioContext ctx = loop();
        private int runs; // loop thread only; the arbiter reads it after drain()
        private final BottomHalf bh = ctx.bottomHalf(() -> runs++);

        @Actor
        public void first(III_Result r) {
            r.r1 = bh.schedule() ? 1 : 0;
        }

        @Actor
        public void second(III_Result r) {
            r.r2 = bh.schedule() ? 1 : 0;
        }

        @Arbiter
        public void drained(III_Result r) {
            r.r3 = StressSupport.drain(ctx) ? runs : TIMED_OUT;
        }
    }

    // ---------------------------------------------------------------- execute vs close

    @JCStressTest
    @Description("execute() from one foreign thread races close() from another, on a context that owns its"
            + " loop thread (a context per sample: close() is the subject). The task must either run or be"
            + " refused with IllegalStateException; close() returns once the loop has ended. Results: the task"
            + " ran (1) or not (0); execute() threw IllegalStateException (1) or returned (0).")
    @Outcome(id = "1, 0", expect = ACCEPTABLE,
            desc = "execute() was accepted (before close(), or in time for the loop's final drain): the task ran")
    @Outcome(id = "0, 1", expect = ACCEPTABLE,
            desc = "execute() was refused with IllegalStateException: the caller knows the task will not run")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "execute() returned normally but the task never ran: a silently lost task")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "execute() threw, yet the task ran: the caller was told wrong")
    @State
    public static class ExecuteVsClose {
        private final AioContext ctx = AioContext.start("stress-close", Backend.VIRTUAL);
        private volatile int ran; // written by the loop, read by the arbiter after close() returned

        @Actor
        public void submitter(II_Result r) {
            try {
                ctx.execute(() -> ran = 1);
            } catch (IllegalStateException refused) {
                r.r2 = 1;
            }
        }

        @Actor
        public void closer() {
            ctx.close();
        }

        @Arbiter
        public void ended(II_Result r) {
            r.r1 = ran;
        }
    }

    @JCStressTest
    @Description("execute() from one foreign thread races close() from another, on a context driven by poll()"
            + " that nobody polls: close() drains the queued work on the closing thread. Results: the task ran"
            + " (1) or not (0); execute() threw IllegalStateException (1) or returned (0).")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "execute() was accepted and close() ran the task while draining")
    @Outcome(id = "0, 1", expect = ACCEPTABLE,
            desc = "execute() was refused with IllegalStateException: the caller knows the task will not run")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "execute() returned normally but the task never ran: a silently lost task")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "execute() threw, yet the task ran: the caller was told wrong")
    @State
    public static class ExecuteVsCloseEmbedded {
        private final AioContext ctx = AioContext.create("stress-close-embedded", Backend.VIRTUAL);
        private volatile int ran; // written by the closing thread's drain

        @Actor
        public void submitter(II_Result r) {
            try {
                ctx.execute(() -> ran = 1);
            } catch (IllegalStateException refused) {
                r.r2 = 1;
            }
        }

        @Actor
        public void closer() {
            ctx.close();
        }

        @Arbiter
        public void ended(II_Result r) {
            r.r1 = ran;
        }
    }

    // ---------------------------------------------------------------- happens-before

    @JCStressTest
    @Description("Two foreign threads each build a payload with plain writes and submit a task that reads it"
            + " with execute(). What a thread did before submitting must be visible to its task. Results: the"
            + " two fields each task saw (-1, -1: the payload reference itself was stale).")
    @Outcome(id = "1, 2, 3, 4", expect = ACCEPTABLE, desc = "each task saw its submitter's payload whole")
    @Outcome(id = ".*-1.*", expect = FORBIDDEN, desc = "a task saw a stale payload reference, or the loop did not drain")
    @Outcome(expect = FORBIDDEN, desc = "a task saw the payload's fields stale: no happens-before from execute() to the task")
    @State
    public static class ExecuteHappensBefore {
        private final AioContext ctx = loop();
        private Payload p1; // plain: execute() must publish it
        private Payload p2;
        private int a1 = -1, b1 = -1, a2 = -1, b2 = -1; // loop thread only; read after drain()

        @Actor
        public void submitter1() {
            p1 = new Payload(1, 2);
            ctx.execute(() -> {
                b1 = seenB(p1); // fields in reverse order of their writes
                a1 = seenA(p1);
            });
        }

        @Actor
        public void submitter2() {
            p2 = new Payload(3, 4);
            ctx.execute(() -> {
                b2 = seenB(p2);
                a2 = seenA(p2);
            });
        }

        @Arbiter
        public void drained(IIII_Result r) {
            if (!StressSupport.drain(ctx)) {
                r.r1 = r.r2 = r.r3 = r.r4 = TIMED_OUT;
                return;
            }
            r.r1 = a1;
            r.r2 = b1;
            r.r3 = a2;
            r.r4 = b2;
        }
    }

    @JCStressTest
    @Description("Two foreign threads each build a payload with plain writes and then schedule() the same"
            + " bottom half; the second schedule() may be folded into the first (answer false). The callback"
            + " run that follows both calls must see both payloads: the bottom half's happens-before promise"
            + " covers every schedule() call, folded or not. Results: whether the last callback run saw"
            + " payload 1 and payload 2 whole (1) or stale (0), and the number of runs (-1: no drain).")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "one run (a folded schedule) that saw both payloads")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "two runs (two windows); the last saw both payloads")
    @Outcome(id = ".*, -1", expect = FORBIDDEN, desc = "the loop did not drain within the timeout")
    @Outcome(expect = FORBIDDEN,
            desc = "the last run missed a payload written before a schedule() call, or ran a wrong number of times")
    @State
    public static class BottomHalfHappensBefore {
        private final AioContext ctx = loop();
        private Payload p1; // plain: schedule() must publish them
        private Payload p2;
        private int saw1, saw2, runs; // loop thread only; read after drain()
        private final BottomHalf bh = ctx.bottomHalf(() -> {
            runs++;
            saw1 = seenB(p1) == 2 && seenA(p1) == 1 ? 1 : 0;
            saw2 = seenB(p2) == 4 && seenA(p2) == 3 ? 1 : 0;
        });

        @Actor
        public void scheduler1() {
            p1 = new Payload(1, 2);
            bh.schedule();
        }

        @Actor
        public void scheduler2() {
            p2 = new Payload(3, 4);
            bh.schedule();
        }

        @Arbiter
        public void drained(III_Result r) {
            if (!StressSupport.drain(ctx)) {
                r.r3 = TIMED_OUT;
                return;
            }
            r.r1 = saw1;
            r.r2 = saw2;
            r.r3 = runs;
        }
    }

    @JCStressTest
    @Description("Two foreign threads each build a payload with plain writes and arm a zero-delay timer whose"
            + " action reads it. What a thread did before timer() must be visible to the action. Results: the"
            + " two fields each action saw (-1, -1: the payload reference itself was stale).")
    @Outcome(id = "1, 2, 3, 4", expect = ACCEPTABLE, desc = "each action saw its thread's payload whole")
    @Outcome(id = ".*-1.*", expect = FORBIDDEN, desc = "an action saw a stale payload reference, or the loop did not drain")
    @Outcome(expect = FORBIDDEN, desc = "an action saw the payload's fields stale: no happens-before from timer() to the action")
    @State
    public static class TimerHappensBefore {
        private final AioContext ctx = loop();
        private Payload p1; // plain: timer() must publish them
        private Payload p2;
        private int a1 = -1, b1 = -1, a2 = -1, b2 = -1; // loop thread only; read after drain()

        @Actor
        public void armer1() {
            p1 = new Payload(1, 2);
            ctx.timer(Duration.ZERO, () -> {
                b1 = seenB(p1);
                a1 = seenA(p1);
            });
        }

        @Actor
        public void armer2() {
            p2 = new Payload(3, 4);
            ctx.timer(Duration.ZERO, () -> {
                b2 = seenB(p2);
                a2 = seenA(p2);
            });
        }

        @Arbiter
        public void drained(IIII_Result r) {
            if (!StressSupport.drain(ctx)) {
                r.r1 = r.r2 = r.r3 = r.r4 = TIMED_OUT;
                return;
            }
            r.r1 = a1;
            r.r2 = b1;
            r.r3 = a2;
            r.r4 = b2;
        }
    }

    // ---------------------------------------------------------------- timers

    @JCStressTest
    @Description("One foreign thread arms a zero-delay timer; another cancels it as soon as it sees it, while"
            + " the loop adds it to its heap and fires it. cancel() must answer honestly and the timer must end"
            + " fired or cancelled. Results: cancel() answered true (1) or false (0) (-1: the timer never"
            + " appeared); the number of times the action ran once the loop drained (-1: no drain); whether"
            + " the timer still claimed to be pending after that (1) or not (0).")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "cancel() won (before or after the loop armed it): the action never ran")
    @Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "the loop fired the timer first; cancel() answered false")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "cancel() answered true, yet the action ran")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "lost: the timer neither fired nor was cancelled")
    @Outcome(id = ".*, 1", expect = FORBIDDEN, desc = "the timer still claimed to be pending after the loop drained")
    @Outcome(id = {"-1, .*", ".*, -1, .*"}, expect = FORBIDDEN, desc = "a wait timed out")
    @Outcome(expect = FORBIDDEN, desc = "the action ran more than once")
    @State
    public static class TimerCancelVsFire {
        private final AioContext ctx = loop();
        private volatile AioTimer timer;
        private int fired; // loop thread only; read after drain()

        @Actor
        public void armer() {
            timer = ctx.timer(Duration.ZERO, () -> fired++);
        }

        @Actor
        public void canceller(III_Result r) {
            r.r1 = StressSupport.spinUntil(() -> timer != null) ? (timer.cancel() ? 1 : 0) : TIMED_OUT;
        }

        @Arbiter
        public void drained(III_Result r) {
            if (!StressSupport.drain(ctx)) {
                r.r2 = TIMED_OUT;
                return;
            }
            r.r2 = fired;
            r.r3 = timer.isPending() ? 1 : 0;
        }
    }
}
