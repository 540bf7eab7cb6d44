package io.corio.bench.core;

import static io.corio.bench.core.CorioContext.OPS;

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
 * The raw JDK mechanisms under corio's backends, without corio: what each backend's
 * round trip is measured against. Shaped like the corio benchmarks ({@link CorioContext#OPS}
 * operations per invocation, run on virtual threads off the JMH thread), so both sides pay
 * the same amortized per-invocation hand-off.
 *
 * <ul>
 *   <li>{@link #virtualHandOff}: park/unpark ping-pong between two virtual threads on the
 *       default scheduler (under {@code virtual}); one op = two hand-offs.
 *   <li>{@link #pinnedHandOff}: the same between two virtual threads on one carrier (under
 *       {@code virtual-pinned}).
 *   <li>{@link #continuationRunYield}: {@code Continuation.run()} of a continuation that
 *       yields at once, on a virtual thread as the continuation backend's loop is (under
 *       {@code continuation}).
 *   <li>{@link #continuationLifecycle}: create an empty {@code Continuation} and run it to
 *       its end: the floor of the continuation backend's lifecycle.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class RawBaselineBench {

    private final Thread.Builder defaultScheduler = Thread.ofVirtual(); // JMH thread only

    /** A single-carrier virtual thread scheduler for the trial. */
    @State(Scope.Benchmark)
    public static class OneCarrierState {
        Raw.OneCarrier oneCarrier;

        @Setup(Level.Trial)
        public void start() {
            oneCarrier = Raw.OneCarrier.start("raw-pinned");
        }

        @TearDown(Level.Trial)
        public void close() {
            oneCarrier.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void virtualHandOff() throws InterruptedException {
        Raw.pingPong(defaultScheduler, OPS);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void pinnedHandOff(OneCarrierState s) throws InterruptedException {
        Raw.pingPong(s.oneCarrier.builder(), OPS);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void continuationRunYield() throws InterruptedException {
        onVirtualThread(() -> {
            int[] runs = new int[1];
            Object cont = Raw.continuation(() -> {
                while (true) {
                    runs[0]++;
                    Raw.yieldContinuation();
                }
            });
            for (int i = 0; i < OPS; i++) {
                Raw.run(cont);
            }
            if (runs[0] != OPS) {
                throw new AssertionError("continuation ran " + runs[0] + " times, expected " + OPS);
            }
            // left suspended: a Continuation that never runs again is just garbage
        });
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void continuationLifecycle() throws InterruptedException {
        onVirtualThread(() -> {
            Runnable empty = () -> {};
            for (int i = 0; i < OPS; i++) {
                Raw.run(Raw.continuation(empty));
            }
        });
    }

    private void onVirtualThread(Runnable r) throws InterruptedException {
        Throwable[] failure = new Throwable[1];
        Thread t = defaultScheduler.start(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.join();
        if (failure[0] != null) {
            throw new AssertionError("raw baseline failed", failure[0]);
        }
    }
}
