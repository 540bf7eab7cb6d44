package io.corio.stress;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import io.corio.core.CoroutineEntry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Plumbing for the jcstress tests of the coroutine primitives ({@link CoMutexStress},
 * {@link CoQueueStress}, {@link CoRwLockStress}, {@link CoSemaphoreStress}).
 *
 * <p>The primitives are coroutine-only, so an actor runs its part as a coroutine of a
 * context ({@link #run}) and waits for it. Two started contexts, {@link #A} and {@link #B},
 * are shared by every sample of the forked VM: jcstress makes a state object per sample, and
 * a context per sample would leak threads and measure thread start-up instead of the races.
 * Their loops run on different threads, so coroutines of A and of B really race. They use
 * the default backend ({@code -Dcorio.backend=...} in the fork's JVM arguments picks
 * another) and are never closed; their threads die with the fork.
 *
 * <p>Waits are bounded, so a lost wake-up shows up as the outcome {@link #TIMED_OUT},
 * which every test grades FORBIDDEN, instead of hanging jcstress. After one timeout the
 * bound drops to {@link StressSupport#TIMEOUT_AFTER_FAILURE}, so a broken run still ends
 * quickly. The bounds and the timeout bookkeeping are {@link StressSupport}'s.
 */
final class PrimitiveStressSupport {

    /** {@link #run} finished normally. */
    static final int OK = 0;

    /** Result of a coroutine that did not finish in time: a lost wake-up (or a deadlock). */
    static final int TIMED_OUT = StressSupport.TIMED_OUT;

    /** Result of a coroutine that threw: misuse detected by the primitive, or a bug. */
    static final int FAILED = -2;

    /** The first shared context. */
    static final AioContext A = AioContext.start("prims-a", Backend.defaultBackend());

    /** The second shared context, on another thread than {@link #A}. */
    static final AioContext B = AioContext.start("prims-b", Backend.defaultBackend());

    private PrimitiveStressSupport() {}

    /**
     * Runs {@code body} as a coroutine of {@code ctx} and waits, bounded, for it to end.
     *
     * @return {@link #OK}, {@link #TIMED_OUT} or {@link #FAILED}
     */
    static int run(AioContext ctx, CoroutineEntry body) {
        return start(ctx, body).await();
    }

    /**
     * Starts {@code body} as a coroutine of {@code ctx} and returns at once: one actor can
     * so run several coroutines at the same time (jcstress runs no more actors than the
     * machine has CPUs).
     */
    static Running start(AioContext ctx, CoroutineEntry body) {
        Running r = new Running();
        ctx.spawn("stress", () -> {
            try {
                body.run();
            } catch (Throwable t) {
                r.failed = true;
            } finally {
                r.done.countDown();
            }
        });
        return r;
    }

    /** A coroutine started by {@link #start}. */
    static final class Running {
        private final CountDownLatch done = new CountDownLatch(1);
        private boolean failed; // written before done.countDown(), read after it

        /** Waits, bounded, for the coroutine to end: {@link #OK}, {@link #TIMED_OUT} or {@link #FAILED}. */
        int await() {
            if (!PrimitiveStressSupport.await(done)) {
                return TIMED_OUT;
            }
            return failed ? FAILED : OK;
        }
    }

    /**
     * {@code value} if {@code status} is {@link #OK}, else the status. Written
     * {@code or(run(ctx, body), field)}, the field is read after {@code run} returned, so it
     * holds what the coroutine wrote (the latch orders it).
     */
    static int or(int status, int value) {
        return status == OK ? value : status;
    }

    /** Waits for {@code latch} up to the current bound; false if it timed out. */
    static boolean await(CountDownLatch latch) {
        return StressSupport.await(latch);
    }

    /**
     * Lets the other ready work of the caller's context run before going on (the coroutine
     * is woken by a zero-delay timer, which its loop fires after the work already queued):
     * inside a critical section, it widens the window for the races under test.
     */
    static void letOthersRun() {
        Coroutine.sleep(Duration.ZERO);
    }
}
