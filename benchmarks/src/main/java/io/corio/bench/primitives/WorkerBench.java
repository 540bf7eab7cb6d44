package io.corio.bench.primitives;

import io.corio.core.Coroutine;
import io.corio.core.WorkerPool;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Leaving the context for a trivial call and coming back, per backend, {@link #OPS} times
 * in a row from one coroutine:
 * <ul>
 *   <li>{@link #inWorker}: {@code Coroutine.inWorker(pool, call)}, a 2-thread WorkerPool;
 *   <li>{@link #blocking}: {@code Coroutine.blocking(call)} (in place on {@code virtual},
 *       a hop to a virtual thread and back otherwise).
 * </ul>
 * The JDK equivalent is {@link JdkBench#vtSubmitGet}: a virtual thread submitting to a
 * 2-thread fixed ExecutorService and waiting on the Future.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class WorkerBench {

    static final int OPS = 10_000;

    /** A two-thread worker pool per trial. */
    @State(Scope.Benchmark)
    public static class Pool {
        WorkerPool pool;

        @Setup(Level.Trial)
        public void start() {
            pool = WorkerPool.create("bench", 2, 2, Duration.ofMinutes(5));
        }

        @TearDown(Level.Trial)
        public void close() {
            pool.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int inWorker(Prim s, Pool p) {
        return s.ctx.call(() -> {
            int sum = 0;
            for (int i = 0; i < OPS; i++) {
                int k = i;
                sum += Coroutine.inWorker(p.pool, () -> k);
            }
            return sum;
        });
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int blocking(Prim s) {
        return s.ctx.call(() -> {
            int sum = 0;
            for (int i = 0; i < OPS; i++) {
                int k = i;
                sum += Coroutine.blocking(() -> k);
            }
            return sum;
        });
    }
}
