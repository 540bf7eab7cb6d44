package io.corio.bench.compare;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@link CompletableFuture} chains: each step's blocking call is an asynchronous call on a
 * fixed executor of {@link Style#POOL_THREADS} platform threads ({@code supplyAsync}), and
 * the handler composes the steps ({@code thenCompose}, {@code thenApply}); a continuation
 * runs on whichever thread completed the stage before it. The request's state is captured
 * by the lambdas.
 */
final class FutureStyle implements Style {

    private final ExecutorService io = Executors.newFixedThreadPool(POOL_THREADS,
            Thread.ofPlatform().name("pipeline-future-", 0).daemon().factory());
    private final int steps;
    private final long stepNanos;

    FutureStyle(int steps, long stepNanos) {
        this.steps = steps;
        this.stepNanos = stepNanos;
    }

    @Override
    public void submit(Request r, Consumer<Request> done) {
        handle(r).thenAccept(done);
    }

    // loc-begin: futures
    CompletableFuture<Request> handle(Request r) {
        CompletableFuture<Request> f = CompletableFuture.completedFuture(r);
        for (int step = 0; step < steps; step++) {
            int s = step;
            f = f.thenCompose(x -> CompletableFuture.supplyAsync(() -> Request.io(x.id, s, stepNanos), io))
                    .thenApply(data -> {
                        r.acc = Request.fold(r.acc, data);
                        return r;
                    });
        }
        return f;
    }
    // loc-end

    @Override
    public void close() {
        io.shutdown();
    }
}
