package io.corio.bench.compare;

import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * One thread per request, platform or virtual: the request runs its steps on its own new
 * thread, each blocking call simply blocks that thread. Platform threads are capped at
 * {@link #PLATFORM_CAP} in flight, the bound a thread-per-request server sets itself; the
 * driver keeps at most that many requests in flight for them.
 */
final class ThreadStyle implements Style {

    /**
     * The most platform threads in flight. Each is a kernel thread with its own stack (1 MB
     * reserved by default) and costs tens of microseconds to start; a thread-per-request
     * server bounds them, and 1,000 is a generous bound for a 2-core machine.
     */
    static final int PLATFORM_CAP = 1_000;

    private final ThreadFactory threads; // a builder's factory is safe for concurrent use
    private final boolean virtual;
    private final int steps;
    private final long stepNanos;

    ThreadStyle(boolean virtual, int steps, long stepNanos) {
        this.virtual = virtual;
        this.threads = (virtual ? Thread.ofVirtual().name("request") : Thread.ofPlatform().name("request").daemon()).factory();
        this.steps = steps;
        this.stepNanos = stepNanos;
    }

    @Override
    public void submit(Request r, Consumer<Request> done) {
        threads.newThread(() -> {
            handle(r);
            done.accept(r);
        }).start();
    }

    // loc-begin: threads
    void handle(Request r) {
        for (int step = 0; step < steps; step++) {
            r.acc = Request.fold(r.acc, Request.io(r.id, step, stepNanos));
        }
    }
    // loc-end

    @Override
    public int maxInFlight() {
        return virtual ? Integer.MAX_VALUE : PLATFORM_CAP;
    }

    @Override
    public void close() {}
}
