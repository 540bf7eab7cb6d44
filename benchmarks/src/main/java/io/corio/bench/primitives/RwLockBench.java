package io.corio.bench.primitives;

import static io.corio.bench.primitives.Prim.CONTENDED_OPS;

import io.corio.core.AioContext;
import io.corio.core.CoRwLock;
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
 * {@link CoRwLock} read-mostly, per backend: 16 coroutines of one context each take the
 * lock {@code CONTENDED_OPS / 16} times, one time in ten for writing, reschedule while
 * holding it (so readers overlap and writers wait) and unlock. One op is one acquisition.
 * The JDK equivalent ({@link JdkBench#rwReadMostly16}) is ReentrantReadWriteLock on 16
 * virtual threads with {@code Thread.yield()} in place of the reschedule.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class RwLockBench {

    static final int N = 16;
    static final int WRITE_EVERY = 10;

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void readMostly16(Prim s) throws Exception {
        CoRwLock rw = CoRwLock.create("bench");
        int[] writes = {0};
        Prim.runCoroutines(new AioContext[] {s.ctx}, N, i -> () -> {
            for (int k = 0; k < CONTENDED_OPS / N; k++) {
                if ((k + i) % WRITE_EVERY == 0) {
                    rw.writeLock();
                    writes[0]++;
                } else {
                    rw.readLock();
                }
                Prim.reschedule();
                rw.unlock();
            }
        });
        if (writes[0] == 0) {
            throw new AssertionError("no writes");
        }
    }
}
