package io.corio.bench.primitives;

import static io.corio.bench.primitives.Prim.CONTENDED_OPS;

import io.corio.core.AioContext;
import io.corio.core.CoMutex;
import io.corio.core.CoQueue;
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
 * {@link CoQueue} ping-pong, per backend: two coroutines of one context take turns under a
 * {@link CoMutex}, each waiting on the queue ({@code await(lock)}) until it is its turn,
 * then passing the turn and waking the other ({@code next()}). One op is one turn. The JDK
 * equivalent ({@link JdkBench#conditionPingPong}) is ReentrantLock + Condition on two
 * virtual threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class QueueBench {

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public void pingPong(Prim s) throws Exception {
        CoMutex m = CoMutex.create("bench");
        CoQueue q = CoQueue.create("bench");
        int[] turn = {0};
        int[] turns = {0};
        Prim.runCoroutines(new AioContext[] {s.ctx}, 2, me -> () -> {
            for (int k = 0; k < CONTENDED_OPS / 2; k++) {
                m.lock();
                while (turn[0] != me) {
                    q.await(m);
                }
                turn[0] = 1 - me;
                turns[0]++;
                q.next();
                m.unlock();
            }
        });
        if (turns[0] != CONTENDED_OPS) {
            throw new AssertionError("ping-pong took " + turns[0] + " turns, expected " + CONTENDED_OPS);
        }
    }
}
