package io.corio.bench.primitives;

import static io.corio.bench.primitives.Prim.CONTENDED_OPS;
import static io.corio.bench.primitives.Prim.OPS;

import io.corio.core.AioContext;
import io.corio.core.CoMutex;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CoMutex}, per backend; the JDK equivalents are in {@link JdkBench}.
 *
 * <ul>
 *   <li>{@link #uncontended}: one coroutine locks and unlocks, {@link Prim#OPS} times.
 *   <li>{@code contendedN}: N coroutines of one context each lock, reschedule (let the
 *       others run, so they queue on the mutex) and unlock; one op is one lock held, so
 *       each op includes a hand-off to the next waiter.
 *   <li>{@code acrossContextsN}: the same with the N coroutines split over two contexts
 *       (two loop threads), so hand-offs cross threads.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class MutexBench {

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int uncontended(Prim s) {
        return s.ctx.call(() -> {
            CoMutex m = CoMutex.create("bench");
            int held = 0;
            for (int i = 0; i < OPS; i++) {
                m.lock();
                held++;
                m.unlock();
            }
            return held;
        });
    }

    static void contended(AioContext[] contexts, int n) throws Exception {
        CoMutex m = CoMutex.create("bench");
        int[] held = {0};
        Prim.runCoroutines(contexts, n, i -> () -> {
            for (int k = 0; k < CONTENDED_OPS / n; k++) {
                m.lock();
                held[0]++; // guarded by m
                Prim.reschedule();
                m.unlock();
            }
        });
        if (held[0] != CONTENDED_OPS) {
            throw new AssertionError("mutex held " + held[0] + " times, expected " + CONTENDED_OPS);
        }
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void contended2(Prim s) throws Exception {
        contended(new AioContext[] {s.ctx}, 2);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void contended16(Prim s) throws Exception {
        contended(new AioContext[] {s.ctx}, 16);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void acrossContexts2(Prim s) throws Exception {
        contended(new AioContext[] {s.ctx, s.other}, 2);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void acrossContexts16(Prim s) throws Exception {
        contended(new AioContext[] {s.ctx, s.other}, 16);
    }
}
