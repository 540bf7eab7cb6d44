package io.corio.bench.compare;

import static io.corio.bench.primitives.Prim.CONTENDED_OPS;
import static io.corio.bench.primitives.Prim.OPS;

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
 * kotlinx.coroutines' {@code Mutex} and {@code Channel} ({@link KotlinPeers}), measured
 * against corio's {@code CoMutex} and {@code CoQueue} in the same shapes, which live in
 * {@code io.corio.bench.primitives} and are not repeated here:
 * <ul>
 *   <li>{@link #mutexUncontended} against {@code MutexBench.uncontended};
 *   <li>{@code mutexContendedN} (N coroutines lock, yield, unlock) against
 *       {@code MutexBench.contendedN} (lock, reschedule, unlock);
 *   <li>{@link #channelPingPong} (a turn through two rendezvous channels) against
 *       {@code QueueBench.pingPong} (a turn through a CoQueue under a CoMutex).
 * </ul>
 * Same ops per invocation and same time unit as the corio side: ns per op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KotlinPeerBench {

    /** One single-threaded dispatcher per trial. */
    @State(Scope.Benchmark)
    public static class Peers {
        KotlinPeers peers;

        @Setup(Level.Trial)
        public void start() {
            peers = new KotlinPeers();
        }

        @TearDown(Level.Trial)
        public void close() {
            peers.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public int mutexUncontended(Peers p) {
        return p.peers.mutexUncontended(OPS);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public int mutexContended2(Peers p) {
        return p.peers.mutexContended(2, CONTENDED_OPS);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public int mutexContended16(Peers p) {
        return p.peers.mutexContended(16, CONTENDED_OPS);
    }

    @Benchmark
    @OperationsPerInvocation(CONTENDED_OPS)
    public int channelPingPong(Peers p) {
        return p.peers.channelPingPong(CONTENDED_OPS);
    }
}
