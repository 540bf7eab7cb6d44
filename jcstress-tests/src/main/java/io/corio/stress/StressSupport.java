package io.corio.stress;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Plumbing shared by the jcstress tests of this package: one started {@link AioContext} per
 * backend for the whole forked VM, and waits that are bounded, so that a lost wake-up or a
 * stalled loop shows up as a FORBIDDEN outcome instead of hanging jcstress.
 *
 * <p>jcstress makes a state object per sample, millions per test; a context per sample
 * would measure thread start-up and drown the races in it. Tests therefore share the
 * contexts returned by {@link #context(Backend)} (they are never closed; their loop threads
 * are daemons, virtual or pinned carriers, and die with the fork) and make their per-sample
 * objects (coroutines, bottom halves, timers) on them. Only a test whose subject is
 * {@code close()} itself needs a context of its own per sample.
 *
 * <p>Waits ({@link #await}, {@link #spinUntil}, {@link #drain}) give up after
 * {@link #TIMEOUT}; once one has timed out in a VM, the others give up after
 * {@link #TIMEOUT_AFTER_FAILURE}, so a broken run still ends and reports every sample it
 * spoiled instead of waiting seconds for each.
 */
final class StressSupport {

    /** How long a wait may take before its sample counts as lost: far beyond any GC pause. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** The bound once a timeout has been seen in this VM (the run is already failing). */
    static final Duration TIMEOUT_AFTER_FAILURE = Duration.ofMillis(20);

    /** Result value of a sample whose wait timed out; every test grades it FORBIDDEN. */
    static final int TIMED_OUT = -1;

    private static final Map<Backend, AioContext> CONTEXTS = new EnumMap<>(Backend.class); // guarded by itself
    private static volatile boolean timedOut;

    private StressSupport() {}

    /**
     * The shared started context of {@code backend} in this VM, made on first use.
     *
     * @throws IllegalStateException if the context fell back to another backend: the fork
     *     lacks the JVM flags the backend needs (see {@link Backend}), and testing the fallback
     *     under the backend's name would prove nothing
     */
    static AioContext context(Backend backend) {
        synchronized (CONTEXTS) {
            AioContext ctx = CONTEXTS.get(backend);
            if (ctx == null) {
                ctx = AioContext.start("stress-" + backend.id(), backend);
                if (ctx.backend() != backend) {
                    ctx.close();
                    throw new IllegalStateException("backend " + backend + " fell back to " + ctx.backend()
                            + " in this jcstress fork: run it with --add-opens java.base/java.lang=ALL-UNNAMED"
                            + " --add-exports java.base/jdk.internal.vm=ALL-UNNAMED (./corio passes them to jcstress forks; a bare java -jar jcstress.jar needs them on its own command line)");
                }
                CONTEXTS.put(backend, ctx);
            }
            return ctx;
        }
    }

    private static long timeoutNanos() {
        return (timedOut ? TIMEOUT_AFTER_FAILURE : TIMEOUT).toNanos();
    }

    private static boolean noteTimeout() {
        timedOut = true;
        return false;
    }

    /** Waits for {@code latch} up to the current bound; false if it timed out. */
    static boolean await(CountDownLatch latch) {
        try {
            return latch.await(timeoutNanos(), TimeUnit.NANOSECONDS) || noteTimeout();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Waits until {@code condition} holds, up to the current bound; false if it timed out.
     * It spins briefly, then yields, then parks: on a two-core machine an actor that only
     * spins would starve the very loop it waits for.
     */
    static boolean spinUntil(BooleanSupplier condition) {
        long deadline = 0;
        for (int i = 0; ; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (i < 64) {
                Thread.onSpinWait();
            } else if (i < 256) {
                Thread.yield();
            } else {
                if (deadline == 0) {
                    deadline = System.nanoTime() + timeoutNanos();
                } else if (System.nanoTime() - deadline > 0) {
                    return noteTimeout();
                }
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /**
     * Waits until {@code ctx}'s loop has run everything queued on it before this call
     * (tasks, bottom halves, coroutine wakes) and every timer due by now; false if it timed
     * out. It arms a zero-delay timer and waits for it: the loop runs queued tasks before due
     * timers, and due timers in deadline order, so the marker fires after all of those.
     */
    static boolean drain(AioContext ctx) {
        CountDownLatch marker = new CountDownLatch(1);
        ctx.timer(Duration.ZERO, marker::countDown);
        return await(marker);
    }
}
