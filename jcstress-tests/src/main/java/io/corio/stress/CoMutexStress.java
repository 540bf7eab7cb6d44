package io.corio.stress;

import static io.corio.stress.PrimitiveStressSupport.A;
import static io.corio.stress.PrimitiveStressSupport.B;
import static io.corio.stress.PrimitiveStressSupport.letOthersRun;
import static io.corio.stress.PrimitiveStressSupport.or;
import static io.corio.stress.PrimitiveStressSupport.run;
import static io.corio.stress.PrimitiveStressSupport.start;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.CoMutex;
import io.corio.stress.PrimitiveStressSupport.Running;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * jcstress proofs of {@link CoMutex}: one owner at a time across contexts (threads), the
 * happens-before edge from one owner to the next, and no lost hand-off. Each owner reads a
 * plain field, lets its context run other work, and writes the value plus one: two owners at
 * once read the same value, and a lost update or a lost hand-off shows in the final value or
 * as a timed-out coroutine ({@value PrimitiveStressSupport#TIMED_OUT}).
 */
public final class CoMutexStress {

    private CoMutexStress() {}

    @JCStressTest
    @Description("Two coroutines, one in each of two contexts (two threads), lock the mutex and increment a plain"
            + " field with a yield inside the critical section. r1, r2: the value each read under the lock"
            + " (-1: it never finished, a lost hand-off; -2: it threw); r3: the final value.")
    @Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "A's coroutine owned it first; B's got it after A's unlock and saw A's write")
    @Outcome(id = "1, 0, 2", expect = ACCEPTABLE, desc = "B's coroutine owned it first; A's got it after B's unlock and saw B's write")
    @Outcome(id = {"0, 0, .*", "1, 1, .*"}, expect = FORBIDDEN, desc = "two owners at once: both read the same value")
    @Outcome(id = {"-1, .*", ".*, -1, .*"}, expect = FORBIDDEN, desc = "a coroutine never got the mutex: lost hand-off")
    @Outcome(expect = FORBIDDEN, desc = "anything else: a lost update, a stale read, or a coroutine that threw")
    @State
    public static class TwoContexts {
        final CoMutex m = CoMutex.create("stress");
        int x; // guarded by m
        int seenA;
        int seenB;

        @Actor
        public void a(III_Result r) {
            r.r1 = or(run(A, () -> seenA = increment()), seenA);
        }

        @Actor
        public void b(III_Result r) {
            r.r2 = or(run(B, () -> seenB = increment()), seenB);
        }

        int increment() {
            m.lock();
            int v = x;
            letOthersRun();
            x = v + 1;
            m.unlock();
            return v;
        }

        @Arbiter
        public void done(III_Result r) {
            r.r3 = x;
        }
    }

    @JCStressTest
    @Description("Three coroutines, two in context A (started by one actor) and one in context B, contend for the mutex, so hand-offs go"
            + " both within a context (the woken runs after the unlocker yields) and across contexts. Each reads"
            + " a plain field under the lock, yields, and writes it plus one. r1, r2 (in A), r3 (in B): the values"
            + " read (-1: never finished; -2: threw); r4: the final value.")
    @Outcome(id = {"0, 1, 2, 3", "0, 2, 1, 3", "1, 0, 2, 3", "1, 2, 0, 3", "2, 0, 1, 3", "2, 1, 0, 3"},
            expect = ACCEPTABLE, desc = "one owner at a time, in some order, each seeing the previous owner's write")
    @Outcome(id = {"-1, .*", ".*, -1, .*"}, expect = FORBIDDEN, desc = "a coroutine never got the mutex: lost hand-off")
    @Outcome(expect = FORBIDDEN, desc = "two owners at once (two equal values), a lost update, or a coroutine that threw")
    @State
    public static class ThreeCoroutinesTwoContexts {
        final CoMutex m = CoMutex.create("stress");
        int x; // guarded by m
        int seen1;
        int seen2;
        int seen3;

        @Actor
        public void a(IIII_Result r) { // two coroutines of A at once
            Running first = start(A, () -> seen1 = increment());
            Running second = start(A, () -> seen2 = increment());
            r.r1 = or(first.await(), seen1);
            r.r2 = or(second.await(), seen2);
        }

        @Actor
        public void b(IIII_Result r) {
            r.r3 = or(run(B, () -> seen3 = increment()), seen3);
        }

        int increment() {
            m.lock();
            int v = x;
            letOthersRun();
            x = v + 1;
            m.unlock();
            return v;
        }

        @Arbiter
        public void done(IIII_Result r) {
            r.r4 = x;
        }
    }

    @JCStressTest
    @Description("tryLock() in context B races lock() and unlock() in context A. Both increment a plain field"
            + " under the mutex. r1: the value A read (-1: never finished, -2: threw); r2: the value B read,"
            + " or 9 if tryLock() refused; r3: the final value.")
    @Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "A locked and unlocked first; B's tryLock then succeeded")
    @Outcome(id = "1, 0, 2", expect = ACCEPTABLE, desc = "B's tryLock succeeded first; A's lock waited for B's unlock")
    @Outcome(id = "0, 9, 1", expect = ACCEPTABLE_INTERESTING, desc = "B's tryLock came while A owned the mutex and was refused")
    @Outcome(id = {"0, 0, .*", "1, 1, .*"}, expect = FORBIDDEN, desc = "two owners at once: tryLock succeeded while A owned it")
    @Outcome(expect = FORBIDDEN, desc = "anything else: a lost update, a lost hand-off, or a coroutine that threw")
    @State
    public static class TryLockAgainstLock {
        final CoMutex m = CoMutex.create("stress");
        int x; // guarded by m
        int seenA;
        int seenB;

        @Actor
        public void a(III_Result r) {
            r.r1 = or(run(A, () -> {
                m.lock();
                seenA = x;
                letOthersRun();
                x = seenA + 1;
                m.unlock();
            }), seenA);
        }

        @Actor
        public void b(III_Result r) {
            r.r2 = or(run(B, () -> {
                if (m.tryLock()) {
                    seenB = x;
                    x = seenB + 1;
                    m.unlock();
                } else {
                    seenB = 9;
                }
            }), seenB);
        }

        @Arbiter
        public void done(III_Result r) {
            r.r3 = x;
        }
    }
}
