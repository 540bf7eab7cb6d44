package io.corio.bench.compare;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
import io.corio.core.WorkerPool;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * corio coroutines: each request is a coroutine of one {@link AioContext} on the given
 * backend, and each step leaves the context for its blocking call and comes back, either
 * with {@link Coroutine#blocking} or with {@link Coroutine#inWorker} on a WorkerPool of
 * {@link Style#POOL_THREADS} platform threads. The request's state lives in local variables
 * and the {@link Request} the coroutine holds.
 */
final class CoroutineStyle implements Style {

    private final AioContext ctx;
    private final WorkerPool pool; // null: steps use Coroutine.blocking
    private final int steps;
    private final long stepNanos;

    CoroutineStyle(Backend backend, boolean inWorker, int steps, long stepNanos) {
        this.ctx = AioContext.start("pipeline-" + backend.id(), backend);
        if (ctx.backend() != backend) {
            ctx.close();
            throw new IllegalStateException("backend " + backend + " fell back to " + ctx.backend()
                    + ": run with --add-opens java.base/java.lang=ALL-UNNAMED");
        }
        this.pool = inWorker ? WorkerPool.create("pipeline", POOL_THREADS, POOL_THREADS, Duration.ofMinutes(10)) : null;
        this.steps = steps;
        this.stepNanos = stepNanos;
    }

    @Override
    public void submit(Request r, Consumer<Request> done) {
        ctx.spawn("request", () -> {
            if (pool == null) {
                handle(r);
            } else {
                handleInWorker(r);
            }
            done.accept(r);
        });
    }

    // loc-begin: corio-blocking
    void handle(Request r) {
        for (int step = 0; step < steps; step++) {
            int s = step;
            long data = Coroutine.blocking(() -> Request.io(r.id, s, stepNanos));
            r.acc = Request.fold(r.acc, data);
        }
    }
    // loc-end

    // loc-begin: corio-in-worker
    void handleInWorker(Request r) {
        for (int step = 0; step < steps; step++) {
            int s = step;
            long data = Coroutine.inWorker(pool, () -> Request.io(r.id, s, stepNanos));
            r.acc = Request.fold(r.acc, data);
        }
    }
    // loc-end

    @Override
    public void close() {
        ctx.close();
        if (pool != null) {
            pool.close();
        }
    }
}
