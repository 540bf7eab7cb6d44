package io.corio.stress;

import static io.corio.stress.PrimitiveStressSupport.A;
import static io.corio.stress.PrimitiveStressSupport.B;
import static io.corio.stress.PrimitiveStressSupport.letOthersRun;
import static io.corio.stress.PrimitiveStressSupport.or;
import static io.corio.stress.PrimitiveStressSupport.run;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.CoSemaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress proofs of {@link CoSemaphore}: never more units in flight than the capacity,
 * whether units are taken by {@code acquire} in coroutines of two contexts or by
 * {@code tryAcquire} from a plain thread; units accounted exactly once released; and no lost
 * wake-up when the units a coroutine waits for are released from another thread.
 */
public final class CoSemaphoreStress {

    private CoSemaphoreStress() {}

    /** Units taken and not yet given back, counted outside the semaphore. */
    abstract static class InFlight {
        final CoSemaphore s = CoSemaphore.create("stress", 3);
        final AtomicInteger inFlight = new AtomicInteger();

        /** Takes {@code units}, yields while holding them, gives them back; returns the units in flight seen. */
        int hold(int units) {
            s.acquire(units);
            int seen = inFlight.addAndGet(units);
            letOthersRun();
            inFlight.addAndGet(-units);
            s.release(units);
            return seen;
        }
    }

    @JCStressTest
    @Description("A semaphore of 3 units; a coroutine in context A and one in context B each acquire 2, hold them"
            + " across a yield and release them. r1, r2: the units in flight each saw once it held its 2 (-1: it"
            + " never got them, a lost wake-up; -2: it threw); r3: available() at the end.")
    @Outcome(id = "2, 2, 3", expect = ACCEPTABLE, desc = "one holder at a time; every unit came back")
    @Outcome(id = {"4, .*", ".*, 4, .*"}, expect = FORBIDDEN, desc = "4 units in flight: over the capacity of 3")
    @Outcome(id = {"-1, .*", ".*, -1, .*"}, expect = FORBIDDEN, desc = "a coroutine never got its units: lost wake-up")
    @Outcome(expect = FORBIDDEN, desc = "anything else: units lost or created (available() is not 3), or a coroutine that threw")
    @State
    public static class UnitsWithinCapacity extends InFlight {
        int seenA;
        int seenB;

        @Actor
        public void a(III_Result r) {
            r.r1 = or(run(A, () -> seenA = hold(2)), seenA);
        }

        @Actor
        public void b(III_Result r) {
            r.r2 = or(run(B, () -> seenB = hold(2)), seenB);
        }

        @Arbiter
        public void done(III_Result r) {
            r.r3 = (int) s.available();
        }
    }

    @JCStressTest
    @Description("A semaphore of 3 units; a coroutine in context A acquires 2 and holds them across a yield, while"
            + " a plain thread tries to take 2 with tryAcquire(). r1: the units in flight the coroutine saw (-1:"
            + " never got them, -2: threw); r2: the units in flight the thread saw, or 9 if tryAcquire refused;"
            + " r3: available() at the end.")
    @Outcome(id = "2, 2, 3", expect = ACCEPTABLE, desc = "the two holds did not overlap")
    @Outcome(id = "2, 9, 3", expect = ACCEPTABLE_INTERESTING, desc = "tryAcquire came while the coroutine held 2 (or waited) and was refused")
    @Outcome(id = {"4, .*", ".*, 4, .*"}, expect = FORBIDDEN, desc = "4 units in flight: over the capacity of 3")
    @Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "the coroutine never got its units: lost wake-up")
    @Outcome(expect = FORBIDDEN, desc = "anything else: units lost or created (available() is not 3), or a coroutine that threw")
    @State
    public static class TryAcquireFromAThread extends InFlight {
        int seenA;

        @Actor
        public void coroutine(III_Result r) {
            r.r1 = or(run(A, () -> seenA = hold(2)), seenA);
        }

        @Actor
        public void thread(III_Result r) {
            if (s.tryAcquire(2)) {
                r.r2 = inFlight.addAndGet(2);
                inFlight.addAndGet(-2);
                s.release(2);
            } else {
                r.r2 = 9;
            }
        }

        @Arbiter
        public void done(III_Result r) {
            r.r3 = (int) s.available();
        }
    }

    @JCStressTest
    @Description("A semaphore of 2 units, all taken when the sample starts; a coroutine in context A acquires 2"
            + " while a plain thread releases the 2 taken. r1: 1 once the coroutine got its units (-1: never, a lost"
            + " wake-up; -2: threw); r2: available() at the end.")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "the coroutine got the released units (waiting for them, or"
            + " finding them free) and gave them back")
    @Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "lost wake-up: the release did not wake the waiting coroutine")
    @Outcome(expect = FORBIDDEN, desc = "anything else: units lost or created, or a coroutine that threw")
    @State
    public static class ReleaseFromAThreadWakesAWaiter {
        final CoSemaphore s = CoSemaphore.create("stress", 2);

        public ReleaseFromAThreadWakesAWaiter() {
            if (!s.tryAcquire(2)) {
                throw new AssertionError("a new semaphore has all its units");
            }
        }

        @Actor
        public void waiter(II_Result r) {
            r.r1 = or(run(A, () -> {
                s.acquire(2);
                s.release(2);
            }), 1);
        }

        @Actor
        public void releaser() {
            s.release(2);
        }

        @Arbiter
        public void done(II_Result r) {
            r.r2 = (int) s.available();
        }
    }
}
