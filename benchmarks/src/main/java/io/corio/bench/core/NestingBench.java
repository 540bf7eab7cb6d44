package io.corio.bench.core;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import io.corio.core.Coroutine;
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
 * Nesting {@value #DEPTH} deep, per backend (QEMU's {@code perf_nesting}): each coroutine
 * creates and enters the next until the chain is {@value #DEPTH} long, then they all end
 * from the innermost out. Reported per level (create + enter + end at depth), so it reads
 * against {@link LifecycleBench} (the same work at depth 1): the difference is what depth
 * costs, e.g. pooled carriers running out when a thousand are live at once.
 *
 * <p>The {@code continuation} backend runs a nested coroutine on top of its enterer's frames,
 * so the whole chain lives on the loop thread's one stack; with the default 1 MB stack it
 * overflows before 1000 levels, and {@link #nest1000} reports that failure as it is.
 * {@link #nest1000BigStack} measures the same chain on {@code continuation} with
 * {@code -Xss4m}, to show what a level costs when the stack suffices.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class NestingBench {

    static final int DEPTH = 1000;
    /** Chains per invocation, so one invocation is DEPTH * CHAINS levels. */
    static final int CHAINS = 20;

    /** A continuation context, for the big-stack variant only. */
    @State(Scope.Benchmark)
    public static class ContinuationContext {
        AioContext ctx;

        @Setup(Level.Trial)
        public void start() {
            ctx = CorioContext.startExactly(Backend.CONTINUATION);
        }

        @TearDown(Level.Trial)
        public void close() {
            ctx.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(DEPTH * CHAINS)
    public int nest1000(CorioContext s) {
        return chains(s.ctx);
    }

    @Benchmark
    @OperationsPerInvocation(DEPTH * CHAINS)
    @Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-Xss4m"})
    public int nest1000BigStack(ContinuationContext s) {
        return chains(s.ctx);
    }

    private static int chains(AioContext ctx) {
        return ctx.call(() -> {
            int[] deepest = new int[1];
            for (int c = 0; c < CHAINS; c++) {
                deepest[0] = 0;
                Coroutine.create(() -> nest(1, deepest)).enter();
                if (deepest[0] != DEPTH) {
                    throw new AssertionError("chain reached " + deepest[0] + ", expected " + DEPTH);
                }
            }
            return deepest[0];
        });
    }

    private static void nest(int level, int[] deepest) {
        deepest[0] = level;
        if (level < DEPTH) {
            Coroutine.create(() -> nest(level + 1, deepest)).enter();
        }
    }
}
