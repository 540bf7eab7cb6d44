package io.corio.stress;

import static io.corio.stress.PrimitiveStressSupport.A;
import static io.corio.stress.PrimitiveStressSupport.B;
import static io.corio.stress.PrimitiveStressSupport.or;
import static io.corio.stress.PrimitiveStressSupport.run;
import static io.corio.stress.PrimitiveStressSupport.start;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.CoMutex;
import io.corio.core.CoQueue;
import io.corio.stress.PrimitiveStressSupport.Running;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress proofs of {@link CoQueue} used as a condition variable with a {@link CoMutex}:
 * the waiter checks a plain flag under the mutex and awaits while it is false; the
 * signaller, in another context, sets the flag under the mutex and wakes. Because
 * {@code await(lock)} queues the waiter before it unlocks, no signal can fall between the
 * check and the wait: a waiter that never resumes (outcome
 * {@value PrimitiveStressSupport#TIMED_OUT}) is a lost wake-up.
 */
public final class CoQueueStress {

    private CoQueueStress() {}

    /** A condition (a flag and a payload) guarded by a mutex, and a queue to wait on it. */
    abstract static class Condition {
        final CoMutex m = CoMutex.create("stress");
        final CoQueue q = CoQueue.create("stress");
        boolean ready; // guarded by m
        int data; // guarded by m

        /** Waits for the flag; returns the payload seen, then how many times it waited, as data * 10 + waits. */
        int awaitReady() {
            m.lock();
            int waits = 0;
            while (!ready) {
                q.await(m);
                waits++;
            }
            int seen = data * 10 + waits;
            m.unlock();
            return seen;
        }
    }

    @JCStressTest
    @Description("A waiter in context A awaits a flag under the mutex; a signaller in context B sets the flag and"
            + " a payload (4) under the mutex and calls next(). r1: payload * 10 + the number of times the waiter"
            + " waited (-1: the waiter never resumed, a lost wake-up; -2: it threw); r2: next()'s answer (1 woke"
            + " someone, 0 nobody waited; negative: the signaller did not finish).")
    @Outcome(id = "41, 1", expect = ACCEPTABLE, desc = "the waiter waited once and next() woke it; it saw the payload")
    @Outcome(id = "40, 0", expect = ACCEPTABLE_INTERESTING, desc = "the signaller ran first: the waiter found the flag set and never waited")
    @Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "lost wake-up: the waiter never resumed")
    @Outcome(id = "0.*", expect = FORBIDDEN, desc = "the waiter returned without the flag, or saw a stale payload")
    @Outcome(expect = FORBIDDEN, desc = "anything else: next() woke nobody although the waiter waited, a spurious"
            + " wake-up, or a coroutine that threw")
    @State
    public static class AwaitVsNext extends Condition {
        int seen;
        int woke;

        @Actor
        public void waiter(II_Result r) {
            r.r1 = or(run(A, () -> seen = awaitReady()), seen);
        }

        @Actor
        public void signaller(II_Result r) {
            r.r2 = or(run(B, () -> {
                m.lock();
                data = 4;
                ready = true;
                woke = q.next() ? 1 : 0;
                m.unlock();
            }), woke);
        }
    }

    @JCStressTest
    @Description("Two waiters, one in each context (started by one actor), await the flag; a signaller in context B sets it and calls"
            + " restartAll(). r1, r2: payload * 10 + waits for the waiter in A and in B (-1: never resumed, a lost"
            + " wake-up; -2: threw); r3: what restartAll() returned (how many it woke).")
    @Outcome(id = "41, 41, 2", expect = ACCEPTABLE, desc = "both waited; restartAll() woke both")
    @Outcome(id = {"41, 40, 1", "40, 41, 1"}, expect = ACCEPTABLE, desc = "one waited and was woken; the other came after the signal")
    @Outcome(id = "40, 40, 0", expect = ACCEPTABLE_INTERESTING, desc = "the signal came first: nobody waited")
    @Outcome(id = {"-1, .*", ".*, -1, .*"}, expect = FORBIDDEN, desc = "lost wake-up: a waiter never resumed")
    @Outcome(expect = FORBIDDEN, desc = "anything else: a count that does not match the waiters, a stale payload,"
            + " a spurious wake-up, or a coroutine that threw")
    @State
    public static class RestartAllWakesEveryWaiter extends Condition {
        int seenA;
        int seenB;
        int woken;

        @Actor
        public void waiters(III_Result r) { // one actor, two coroutines waiting at once
            Running a = start(A, () -> seenA = awaitReady());
            Running b = start(B, () -> seenB = awaitReady());
            r.r1 = or(a.await(), seenA);
            r.r2 = or(b.await(), seenB);
        }

        @Actor
        public void signaller(III_Result r) {
            r.r3 = or(run(B, () -> {
                m.lock();
                data = 4;
                ready = true;
                woken = q.restartAll();
                m.unlock();
            }), woken);
        }
    }

    @JCStressTest
    @Description("As AwaitVsNext, but the signaller wakes with enterNext(lock), which unlocks the mutex around the"
            + " wake-up and locks it again. r1: payload * 10 + waits (-1: never resumed; -2: threw); r2:"
            + " enterNext's answer (1 woke someone, 0 nobody waited); r3: 1 if the signaller owned the mutex again"
            + " when enterNext returned.")
    @Outcome(id = "41, 1, 1", expect = ACCEPTABLE, desc = "the waiter waited once and was woken; the signaller had the lock back")
    @Outcome(id = "40, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "the signaller ran first: nobody waited")
    @Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "lost wake-up: the waiter never resumed")
    @Outcome(expect = FORBIDDEN, desc = "anything else: the lock not re-taken, a stale payload, a spurious wake-up,"
            + " or a coroutine that threw")
    @State
    public static class EnterNextWithLock extends Condition {
        int seen;
        int woke;
        int relocked;

        @Actor
        public void waiter(III_Result r) {
            r.r1 = or(run(A, () -> seen = awaitReady()), seen);
        }

        @Actor
        public void signaller(III_Result r) {
            int status = run(B, () -> {
                m.lock();
                data = 4;
                ready = true;
                woke = q.enterNext(m) ? 1 : 0;
                relocked = m.isLocked() ? 1 : 0;
                m.unlock();
            });
            r.r2 = or(status, woke);
            r.r3 = or(status, relocked);
        }
    }
}
