package io.corio.bench.compare;

import io.corio.core.AioContext;
import io.corio.core.WorkerPool;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Callbacks, the shape of QEMU's device code before coroutines ("threadlets"): a request
 * starts on an {@link AioContext}'s loop, each step's blocking call is submitted to a
 * {@link WorkerPool} of {@link Style#POOL_THREADS} platform threads, and the rest of the
 * step runs as a post-op delivered back to the loop as a bottom half. Where the request is
 * between steps lives in an object ({@link Call}), not on a stack.
 */
final class CallbackStyle implements Style {

    private final AioContext ctx = AioContext.start("pipeline-callbacks");
    private final WorkerPool pool = WorkerPool.create("pipeline", POOL_THREADS, POOL_THREADS, Duration.ofMinutes(10));
    private final int steps;
    private final long stepNanos;

    CallbackStyle(int steps, long stepNanos) {
        this.steps = steps;
        this.stepNanos = stepNanos;
    }

    @Override
    public void submit(Request r, Consumer<Request> done) {
        ctx.execute(new Call(r, done)::submitStep); // requests arrive on the loop
    }

    // loc-begin: callbacks
    /** One request in flight: what the coroutine keeps in its locals and its stack. */
    private final class Call {
        final Request r;
        final Consumer<Request> done;
        int step; // loop thread only

        Call(Request r, Consumer<Request> done) {
            this.r = r;
            this.done = done;
        }

        void submitStep() {
            int s = step;
            pool.submit(() -> Request.io(r.id, s, stepNanos)).onCompletion(ctx, this::stepDone);
        }

        /** The post-op: runs on the loop when the step's blocking call is done. */
        void stepDone(WorkerPool.Job<Long> job) {
            r.acc = Request.fold(r.acc, job.join());
            if (++step < steps) {
                submitStep();
            } else {
                done.accept(r);
            }
        }
    }
    // loc-end

    @Override
    public void close() {
        ctx.close();
        pool.close();
    }
}
