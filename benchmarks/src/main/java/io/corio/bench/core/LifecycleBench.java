package io.corio.bench.core;

import static io.corio.bench.core.CorioContext.OPS;

import io.corio.core.Coroutine;
import io.corio.core.CoroutineEntry;
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
 * Coroutine lifecycle, per backend: create an empty coroutine, enter it, let it end (QEMU's
 * {@code perf_lifecycle}). Measured against the backend's own enter+yield round trip
 * ({@link RoundTripBench#enterYield}; aim: within 2x) and its raw baseline in
 * {@link RawBaselineBench}; for {@code continuation}, also against a raw
 * {@code Continuation} create+run to its end ({@link RawBaselineBench#continuationLifecycle}),
 * because a continuation cannot be pooled and that is the floor.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class LifecycleBench {

    private static final CoroutineEntry EMPTY = () -> {};

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void createEnterEnd(CorioContext s) {
        s.ctx.call(() -> {
            for (int i = 0; i < OPS; i++) {
                Coroutine.create(EMPTY).enter();
            }
            return null;
        });
    }
}
