package io.corio.bench.compare;

import io.corio.core.Backend;
import java.util.List;
import java.util.function.Consumer;

/**
 * One way of writing the pipeline's handler (see {@link Request}): it takes a request, runs
 * its steps, and reports it done. The driver ({@link Driver}) keeps a number of requests in
 * flight through it. Each implementation marks its handler with {@code // loc-begin: NAME}
 * and {@code // loc-end} comments, which {@code benchmarks/render-compare.py} counts.
 */
public interface Style extends AutoCloseable {

    /**
     * Threads of the bounded pools (WorkerPool, the futures' executor, kotlinx's
     * {@code Dispatchers.IO}): 64, the default of QEMU's thread pool and of Dispatchers.IO.
     */
    int POOL_THREADS = 64;

    /** The styles that run on a corio backend: one run per backend. */
    List<String> ON_BACKENDS = List.of("corio-blocking", "corio-in-worker");

    /** Every style, by id. */
    List<String> ALL = List.of("corio-blocking", "corio-in-worker", "callbacks", "futures",
            "platform-threads", "virtual-threads", "kotlin-io", "kotlin-virtual");

    /**
     * Starts request {@code r} and returns; {@code done} is called exactly once, on any
     * thread, after its last step. May be called from any thread.
     */
    void submit(Request r, Consumer<Request> done);

    /** The most requests this style allows in flight (thread-per-request caps its threads). */
    default int maxInFlight() {
        return Integer.MAX_VALUE;
    }

    /** Lets the style's loops and pools end; requests still in flight may not complete. */
    @Override
    void close();

    /**
     * Opens style {@code id}, whose steps each wait {@code stepNanos}; {@code backend} is
     * the corio backend of the styles in {@link #ON_BACKENDS}, ignored by the others.
     *
     * @throws IllegalArgumentException naming an unknown style
     */
    static Style open(String id, Backend backend, int steps, long stepNanos) {
        if (steps < 1 || stepNanos < 0) {
            throw new IllegalArgumentException("steps=" + steps + ", stepNanos=" + stepNanos);
        }
        return switch (id) {
            case "corio-blocking" -> new CoroutineStyle(backend, false, steps, stepNanos);
            case "corio-in-worker" -> new CoroutineStyle(backend, true, steps, stepNanos);
            case "callbacks" -> new CallbackStyle(steps, stepNanos);
            case "futures" -> new FutureStyle(steps, stepNanos);
            case "platform-threads" -> new ThreadStyle(false, steps, stepNanos);
            case "virtual-threads" -> new ThreadStyle(true, steps, stepNanos);
            case "kotlin-io" -> new KotlinStyle(false, steps, stepNanos);
            case "kotlin-virtual" -> new KotlinStyle(true, steps, stepNanos);
            default -> throw new IllegalArgumentException("style=" + id + " (one of " + ALL + ")");
        };
    }
}
