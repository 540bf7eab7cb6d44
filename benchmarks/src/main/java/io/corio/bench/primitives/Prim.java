package io.corio.bench.primitives;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import io.corio.core.CoroutineEntry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Per-trial state of the primitive benchmarks: two started contexts on the backend named
 * by {@link #backend} (the second only for the across-contexts cases), and the helpers that
 * run N coroutines or N virtual threads to their end. Measured loops run inside the
 * contexts (or inside virtual threads), so the JMH thread's hand-off to a virtual thread
 * (27-56 us here) is paid once per invocation, amortized over the invocation's ops.
 */
@State(Scope.Benchmark)
public class Prim {

    /** Operations per invocation of the cheap single-coroutine loops. */
    public static final int OPS = 100_000;
    /** Operations per invocation of the contended loops (divisible by 2 and 16). */
    public static final int CONTENDED_OPS = 16_000;

    @Param({"virtual", "virtual-pinned", "continuation"})
    public String backend;

    AioContext ctx;
    AioContext other;

    @Setup(Level.Trial)
    public void start() {
        ctx = startExactly(Backend.fromId(backend), "a");
        other = startExactly(Backend.fromId(backend), "b");
    }

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
        other.close();
    }

    static AioContext startExactly(Backend wanted, String tag) {
        AioContext c = AioContext.start("bench-" + wanted.id() + "-" + tag, wanted);
        if (c.backend() != wanted) {
            c.close();
            throw new IllegalStateException("backend " + wanted + " fell back to " + c.backend()
                    + ": run with --add-opens java.base/java.lang=ALL-UNNAMED");
        }
        return c;
    }

    /** A body that may throw, for coroutines and threads alike. */
    interface Body {
        void run() throws Exception;
    }

    /**
     * Spawns {@code n} coroutines, body {@code i} in {@code contexts[i % contexts.length]},
     * and waits until all have ended; rethrows the first failure.
     */
    static void runCoroutines(AioContext[] contexts, int n, IntFunction<Body> body) throws Exception {
        CountDownLatch done = new CountDownLatch(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < n; i++) {
            Body b = body.apply(i);
            CoroutineEntry entry = () -> {
                try {
                    b.run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            };
            contexts[i % contexts.length].spawn("bench-" + i, entry);
        }
        done.await();
        rethrow(failure.get());
    }

    /** Starts {@code n} virtual threads (default scheduler) and joins them; rethrows the first failure. */
    static void runVirtualThreads(int n, IntFunction<Body> body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] ts = new Thread[n];
        for (int i = 0; i < n; i++) {
            Body b = body.apply(i);
            ts[i] = Thread.ofVirtual().name("bench-vt-" + i).unstarted(() -> {
                try {
                    b.run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
        }
        for (Thread t : ts) {
            t.start();
        }
        for (Thread t : ts) {
            t.join();
        }
        rethrow(failure.get());
    }

    private static void rethrow(Throwable t) throws Exception {
        if (t instanceof Exception e) {
            throw e;
        } else if (t instanceof Error e) {
            throw e;
        } else if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Lets the context's other coroutines run, then carries on (QEMU's
     * {@code aio_co_schedule(ctx, self); qemu_coroutine_yield()}): the loop wakes the caller
     * again after whatever it had queued before. The coroutine analogue of {@link Thread#yield}.
     */
    static void reschedule() {
        Coroutine me = Coroutine.current();
        me.context().execute(me::wake);
        Coroutine.yield();
    }
}
