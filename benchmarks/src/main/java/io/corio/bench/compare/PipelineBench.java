package io.corio.bench.compare;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of one request pipeline written in each style, in requests per second (the
 * {@code requests} counter; JMH's primary score counts 100 ms windows and means nothing).
 * Each style runs the same {@link Request}s: {@code steps} steps, each a blocking call of
 * {@code stepNanos}, with {@code concurrency} requests kept in flight by {@link Driver}.
 * Measured against each other, with corio's {@code corioBlocking} on {@code virtual} as the
 * reference:
 * <ul>
 *   <li>{@link #corioBlocking}, {@link #corioInWorker}: a coroutine per request on one
 *       context, per backend, leaving it by {@code Coroutine.blocking} or {@code inWorker};
 *   <li>{@link #callbacks}: WorkerPool submissions with post-ops back on a context's loop;
 *   <li>{@link #futures}: CompletableFuture chains on a fixed executor;
 *   <li>{@link #platformThreads}, {@link #virtualThreads}: a new thread per request (platform
 *       threads capped at {@link ThreadStyle#PLATFORM_CAP} in flight);
 *   <li>{@link #kotlinIo}, {@link #kotlinVirtual}: kotlinx.coroutines, a coroutine per request
 *       on a single-threaded dispatcher, steps in {@code withContext(Dispatchers.IO)} or on
 *       virtual threads ({@link KotlinStyle}).
 * </ul>
 * One invocation issues requests for {@link #WINDOW_NANOS} and then waits for those in
 * flight, so each starts from an empty pipeline: a burst of {@code concurrency} submissions.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class PipelineBench {

    /** How long one invocation keeps issuing requests. */
    static final long WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    static void run(Subject s, Subject.Load load, Subject.Requests n) {
        n.requests += Driver.run(s.style, load.steps, load.concurrency, WINDOW_NANOS, Integer.MAX_VALUE);
    }

    @Benchmark
    public void corioBlocking(Subject.OnBackend s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }

    @Benchmark
    public void corioInWorker(Subject.OnBackend s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }

    @Benchmark
    public void callbacks(Subject.Plain s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }

    @Benchmark
    public void futures(Subject.Plain s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }

    @Benchmark
    public void platformThreads(Subject.Plain s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }

    @Benchmark
    public void virtualThreads(Subject.Plain s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }

    @Benchmark
    public void kotlinIo(Subject.Plain s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }

    @Benchmark
    public void kotlinVirtual(Subject.Plain s, Subject.Load load, Subject.Requests n) {
        run(s, load, n);
    }
}
