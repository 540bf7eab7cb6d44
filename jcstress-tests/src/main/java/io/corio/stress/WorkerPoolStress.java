package io.corio.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.corio.core.AioContext;
import io.corio.core.WorkerPool;
import io.corio.core.WorkerPool.Job;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link WorkerPool}: cancel against start, visibility of a job's outcome, post-op delivery.
 *
 * <p>The pool's worker thread is the third party of every scenario, outside jcstress's
 * control: actor 1 submits a job and publishes its handle, actor 2 acts on the handle at
 * an arbitrary point of the job's life (not published yet, queued, starting, running,
 * completing, done). One static single-thread pool serves every sample, so a sample's
 * job runs right after the previous sample's.
 */
public class WorkerPoolStress {

    /** One worker: jobs run in submission order, which the post-op scenario relies on. */
    static final WorkerPool POOL = WorkerPool.create("stress", 1, 1, Duration.ofMinutes(10));

    private static final int NO_HANDLE = -1;

    /** Waits until {@code job} is done, whatever its outcome. */
    static void awaitDone(Job<?> job) {
        try {
            job.join();
        } catch (CancellationException | CompletionException e) {
            // done all the same
        }
    }

    @JCStressTest
    @Description("Job.cancel() races with the worker starting the job: one CAS decides, never both, never neither.")
    @Outcome(id = "-1, 1", expect = ACCEPTABLE, desc = "actor 2 came before the handle was published; the job ran once")
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "CANCELLED: taken before it started; it never ran")
    @Outcome(id = "1, 1", expect = ACCEPTABLE_INTERESTING, desc = "RUNNING: cancel met the running job; it ran once and completed")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "COMPLETED: the job had run once already")
    @Outcome(id = "0, 1", expect = FORBIDDEN, desc = "cancel answered CANCELLED but the job ran")
    @Outcome(id = {"1, 0", "2, 0"}, expect = FORBIDDEN, desc = "cancel answered RUNNING/COMPLETED but the job never ran")
    @Outcome(id = "-1, 0", expect = FORBIDDEN, desc = "nobody cancelled the job and it never ran: lost")
    @Outcome(expect = FORBIDDEN, desc = "the job ran more than once, or an impossible answer")
    @State
    public static class CancelRacesStart {
        final AtomicInteger runs = new AtomicInteger();
        volatile Job<Integer> job;

        @Actor
        public void submit() {
            job = POOL.submit(runs::incrementAndGet);
        }

        @Actor
        public void cancel(II_Result r) {
            Job<Integer> j = job;
            r.r1 = j == null ? NO_HANDLE : j.cancel().ordinal();
        }

        @Arbiter
        public void ran(II_Result r) {
            awaitDone(job);
            r.r2 = runs.get();
        }
    }

    /** A result object with a plain field: visible only through the job's completion edge. */
    static final class Box {
        int value;

        Box(int value) {
            this.value = value;
        }
    }

    @JCStressTest
    @Description("A job seen DONE has its side effects and its result visible to the observer.")
    @Outcome(id = "-1, -1, -1", expect = ACCEPTABLE, desc = "no handle yet: actor 2 came first")
    @Outcome(id = "0, -1, -1", expect = ACCEPTABLE, desc = "seen QUEUED")
    @Outcome(id = "1, -1, -1", expect = ACCEPTABLE, desc = "seen RUNNING")
    @Outcome(id = "2, 42, 42", expect = ACCEPTABLE_INTERESTING, desc = "seen DONE: its write and its result are visible")
    @Outcome(expect = FORBIDDEN, desc = "seen DONE but the job's write or its result is not visible")
    @State
    public static class ResultVisibleWhenDone {
        int written; // plain: published only by the job's completion
        volatile Job<Box> job;

        @Actor
        public void submit() {
            job = POOL.submit(() -> {
                written = 42;
                return new Box(42);
            });
        }

        @Actor
        public void observe(III_Result r) {
            Job<Box> j = job;
            if (j == null) {
                r.r1 = r.r2 = r.r3 = NO_HANDLE;
                return;
            }
            Job.State s = j.state();
            r.r1 = s.ordinal();
            if (s == Job.State.DONE) {
                r.r2 = written;
                r.r3 = j.join().value;
            } else {
                r.r2 = r.r3 = NO_HANDLE;
            }
        }
    }

    /**
     * Post-ops go to an embedded context that only arbiters poll, one at a time (jcstress
     * runs arbiters on several threads at once; `POLLER` serializes them). The arbiter
     * drains the loop once the job's completion has queued every post-op: a barrier job on
     * the single worker starts only after the worker has finished completing the job
     * before it, and actor 2's late registration queued its post-op before the arbiter ran.
     */
    static final AioContext LOOP = AioContext.create("stress-loop");

    private static final ReentrantLock POLLER = new ReentrantLock();

    @JCStressTest
    @Description("A post-op registered before or after completion runs on the loop exactly once.")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "actor 2 registered before completion; both post-ops ran once")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "actor 2 registered after completion; its post-op still ran once")
    @Outcome(id = "1, -1, -1", expect = ACCEPTABLE, desc = "no handle yet for actor 2; actor 1's post-op ran once")
    @Outcome(expect = FORBIDDEN, desc = "a post-op was lost, ran twice, or ran off the loop (counts >= 100)")
    @State
    public static class PostOpOnce {
        final AtomicInteger first = new AtomicInteger();
        final AtomicInteger second = new AtomicInteger();
        volatile Job<Integer> job;
        int secondSawDone = NO_HANDLE; // actor 2 only, read by the arbiter after it

        private static void count(AtomicInteger c) {
            c.addAndGet(LOOP.inContext() ? 1 : 100);
        }

        @Actor
        public void submit() {
            Job<Integer> j = POOL.submit(() -> 7);
            j.onCompletion(LOOP, x -> count(first));
            job = j;
        }

        @Actor
        public void registerLate() {
            Job<Integer> j = job;
            if (j != null) {
                secondSawDone = j.isDone() ? 1 : 0;
                j.onCompletion(LOOP, x -> count(second));
            }
        }

        @Arbiter
        public void delivered(III_Result r) {
            awaitDone(job);
            POOL.submit(() -> null).join(); // the worker has finished completing `job`
            POLLER.lock();
            try {
                while (LOOP.poll(false)) {
                    // run every post-op queued so far
                }
            } finally {
                POLLER.unlock();
            }
            r.r1 = first.get();
            r.r2 = secondSawDone == NO_HANDLE ? NO_HANDLE : second.get();
            r.r3 = secondSawDone;
        }
    }
}
