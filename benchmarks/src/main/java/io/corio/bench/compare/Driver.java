package io.corio.bench.compare;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Drives requests through a {@link Style} in a closed loop: it starts {@code concurrency}
 * requests (at most the style's {@link Style#maxInFlight()}; all of them, even when that
 * takes longer than the window), and each one's completion starts the next, so that many
 * stay in flight, until the window ends or the request limit is reached; then it waits for
 * the last ones. Every completed request is checked: the right
 * result, reported once. The bookkeeping (two atomic counters, one clock read per request)
 * is the same for every style.
 */
final class Driver implements Consumer<Request> {

    /** How long {@link #finish} waits for the last requests before calling the run hung. */
    static final long HANG_SECONDS = 120;

    private final Style style;
    private final int steps;
    private final long deadline; // stop issuing at this System.nanoTime()
    private final int limit; // stop issuing after this many requests
    private final AtomicInteger issued = new AtomicInteger(); // CAS only; may pass limit
    private final LongAdder completed = new LongAdder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopped;
    private CountDownLatch slots; // set by start, before any request can complete

    private Driver(Style style, int steps, long windowNanos, int limit) {
        this.style = style;
        this.steps = steps;
        this.deadline = windowNanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + windowNanos;
        this.limit = limit;
    }

    /**
     * Runs the closed loop for {@code windowNanos}, or {@code limit} requests if fewer, then
     * waits for the requests in flight. Returns how many requests completed.
     */
    static long run(Style style, int steps, int concurrency, long windowNanos, int limit) {
        Driver d = new Driver(style, steps, windowNanos, limit);
        d.start(concurrency);
        return d.finish();
    }

    /** Starts a closed loop that runs until {@link #stop()}: the load behind a latency probe. */
    static Driver background(Style style, int steps, int concurrency) {
        Driver d = new Driver(style, steps, Long.MAX_VALUE, Integer.MAX_VALUE);
        d.start(concurrency);
        return d;
    }

    /** Runs one request through {@code style} from the calling thread and waits for it. */
    static void probe(Style style, int steps, int id) {
        CompletableFuture<Request> done = new CompletableFuture<>();
        style.submit(new Request(id), done::complete);
        Request r = done.join();
        if (r.acc != Request.expected(r.id, steps)) {
            throw new AssertionError(r + " ended with " + r.acc + ", expected " + Request.expected(r.id, steps));
        }
    }

    private void start(int concurrency) {
        int n = Math.max(0, Math.min(concurrency, style.maxInFlight()));
        slots = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            issueOrEnd(true); // every slot starts, however long filling them takes (10,000 threads...)
        }
    }

    /** Stops issuing; requests in flight still complete. */
    void stop() {
        stopped = true;
    }

    /** Waits for the requests in flight, then returns how many completed, or throws the first failure. */
    long finish() {
        try {
            if (!slots.await(HANG_SECONDS, TimeUnit.SECONDS)) {
                fail(new AssertionError(style.getClass().getSimpleName() + ": " + slots.getCount()
                        + " requests still in flight after " + HANG_SECONDS + " s"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
        }
        Throwable t = failure.get();
        if (t != null) {
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
        long n = completed.sum();
        long started = Math.min(issued.get(), limit);
        if (n != started) {
            throw new AssertionError(n + " requests completed, " + started + " started");
        }
        return n;
    }

    /** A request is done: check it, count it, and start the next one in its place. */
    @Override
    public void accept(Request r) {
        if (r.reported) {
            fail(new AssertionError(r + " reported done twice"));
        }
        r.reported = true;
        if (r.acc != Request.expected(r.id, steps)) {
            fail(new AssertionError(r + " ended with " + r.acc + ", expected " + Request.expected(r.id, steps)));
        }
        completed.increment();
        issueOrEnd(false);
    }

    private void issueOrEnd(boolean first) {
        if (!stopped && failure.get() == null && (first || System.nanoTime() < deadline)) {
            int id = issued.getAndIncrement();
            if (id < limit) {
                try {
                    style.submit(new Request(id), this);
                    return;
                } catch (Throwable t) {
                    fail(t);
                }
            }
        }
        slots.countDown();
    }

    private void fail(Throwable t) {
        failure.compareAndSet(null, t);
    }
}
