package io.corio.stress;

import static io.corio.stress.PrimitiveStressSupport.A;
import static io.corio.stress.PrimitiveStressSupport.B;
import static io.corio.stress.PrimitiveStressSupport.letOthersRun;
import static io.corio.stress.PrimitiveStressSupport.or;
import static io.corio.stress.PrimitiveStressSupport.run;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.CoRwLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * jcstress proofs of {@link CoRwLock} across contexts: no reader beside a writer (a writer
 * updates two plain fields with a yield in between, so a reader beside it sees them torn),
 * no two writers (no lost update), upgrade and downgrade keeping those rules, and no lost
 * wake-up (a coroutine that never finishes shows as {@value PrimitiveStressSupport#TIMED_OUT}).
 */
public final class CoRwLockStress {

    private CoRwLockStress() {}

    @JCStressTest
    @Description("A writer in context A sets two plain fields to 1 with a yield in between; a reader in context B"
            + " reads both, with a yield in between. r1: what the reader saw, x * 10 + y (-1: it never finished,"
            + " -2: it threw); r2: 0 if the writer finished (-1, -2 as for r1).")
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "the reader went first and saw neither write")
    @Outcome(id = "11, 0", expect = ACCEPTABLE, desc = "the writer went first and the reader saw both writes")
    @Outcome(id = {"10, .*", "1, .*"}, expect = FORBIDDEN, desc = "a reader beside the writer: it saw a torn update")
    @Outcome(id = {"-1, .*", ".*, -1"}, expect = FORBIDDEN, desc = "a coroutine never got the lock: lost wake-up")
    @Outcome(expect = FORBIDDEN, desc = "anything else: a coroutine that threw")
    @State
    public static class ReaderBesideWriter {
        final CoRwLock l = CoRwLock.create("stress");
        int x; // guarded by l
        int y; // guarded by l
        int seen;

        @Actor
        public void writer(II_Result r) {
            r.r2 = run(A, () -> {
                l.writeLock();
                x = 1;
                letOthersRun();
                y = 1;
                l.unlock();
            });
        }

        @Actor
        public void reader(II_Result r) {
            r.r1 = or(run(B, () -> {
                l.readLock();
                int sx = x;
                letOthersRun();
                seen = sx * 10 + y;
                l.unlock();
            }), seen);
        }
    }

    @JCStressTest
    @Description("A reader in context A upgrades to write and adds 1 to a plain field; a writer in context B adds"
            + " 10 to it. r1, r2: the value the upgrader read before and after upgrade() (-1: never finished, -2:"
            + " threw); r3: the final value; r4: 0 if the writer finished (-1: never, -2: threw).")
    @Outcome(id = "0, 0, 11, 0", expect = ACCEPTABLE, desc = "the upgrader went first (upgrade was immediate, or the writer came later)")
    @Outcome(id = "10, 10, 11, 0", expect = ACCEPTABLE, desc = "the writer went first")
    @Outcome(id = "0, 10, 11, 0", expect = ACCEPTABLE_INTERESTING, desc = "the writer was queued when the upgrade came: the"
            + " upgrader gave up its read lock and queued behind it, and the writer wrote in between")
    @Outcome(id = {"-1, .*", ".*, -1"}, expect = FORBIDDEN, desc = "a coroutine never got the lock: lost wake-up")
    @Outcome(expect = FORBIDDEN, desc = "anything else: a final value other than 11 (a lost update: two writers at"
            + " once), a stale read, or a coroutine that threw")
    @State
    public static class UpgradeVsWriter {
        final CoRwLock l = CoRwLock.create("stress");
        int x; // guarded by l
        int before;
        int after;

        @Actor
        public void upgrader(IIII_Result r) {
            int status = run(A, () -> {
                l.readLock();
                before = x;
                letOthersRun();
                l.upgrade();
                after = x;
                x = after + 1;
                l.unlock();
            });
            r.r1 = or(status, before);
            r.r2 = or(status, after);
        }

        @Actor
        public void writer(IIII_Result r) {
            r.r4 = run(B, () -> {
                l.writeLock();
                int v = x;
                letOthersRun();
                x = v + 10;
                l.unlock();
            });
        }

        @Arbiter
        public void done(IIII_Result r) {
            r.r3 = x;
        }
    }

    @JCStressTest
    @Description("A writer in context A sets a plain field to 1, downgrades, yields, and reads it back under its"
            + " read lock; another writer in context B sets it to 2. r1: what the downgraded writer read back (-1:"
            + " never finished, -2: threw); r2: the final value; r3: 0 if the other writer finished (-1: never, -2:"
            + " threw).")
    @Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "A went first; B wrote after A's read lock was released")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "B went first; A wrote after it")
    @Outcome(id = "2, .*", expect = FORBIDDEN, desc = "a writer beside the downgraded reader")
    @Outcome(id = {"-1, .*", ".*, -1"}, expect = FORBIDDEN, desc = "a coroutine never got the lock: lost wake-up")
    @Outcome(expect = FORBIDDEN, desc = "anything else: a coroutine that threw or never finished")
    @State
    public static class DowngradeKeepsWritersOut {
        final CoRwLock l = CoRwLock.create("stress");
        int x; // guarded by l
        int readBack;

        @Actor
        public void downgrader(III_Result r) {
            r.r1 = or(run(A, () -> {
                l.writeLock();
                x = 1;
                l.downgrade();
                letOthersRun();
                readBack = x;
                l.unlock();
            }), readBack);
        }

        @Actor
        public void writer(III_Result r) {
            r.r3 = run(B, () -> {
                l.writeLock();
                x = 2;
                l.unlock();
            });
        }

        @Arbiter
        public void done(III_Result r) {
            r.r2 = x;
        }
    }
}
