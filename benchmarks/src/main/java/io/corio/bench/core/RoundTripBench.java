package io.corio.bench.core;

import static io.corio.bench.core.CorioContext.OPS;

import io.corio.core.Coroutine;
import java.util.concurrent.CompletableFuture;
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
 * Enter+yield round trip, per backend: one coroutine yields in a loop and is re-entered
 * {@link CorioContext#OPS} times. Measured against the raw mechanism under each backend in
 * {@link RawBaselineBench} (virtual: park/unpark ping-pong on the default scheduler;
 * virtual-pinned: the same on one carrier; continuation: {@code Continuation} run+yield).
 *
 * <ul>
 *   <li>{@link #enterYield}: a coroutine enters another ({@code enter()} returns when it
 *       yields), QEMU's {@code qemu_coroutine_enter} / {@code qemu_coroutine_yield}.
 *   <li>{@link #wakeYield}: the context's loop re-enters it through {@code wake()}
 *       ({@code aio_co_wake} from the loop), which adds the wake flag CAS and dispatch.
 *   <li>{@link #wakePingPong}: two coroutines of one context hand the turn to each other,
 *       each waking the other and yielding: the hand-off under a contended {@code CoMutex}
 *       or a {@code CoQueue}. One op is one wake+yield and the other coroutine running;
 *       like a round trip, that is two switches.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class RoundTripBench {

    /** A coroutine that yields until told to stop, counting how often it ran. */
    private static final class Yielder {
        volatile boolean stop; // volatile: no compiler may hoist the read out of the loop (a plain load on x86)
        int runs;
        final Coroutine co = Coroutine.create("yielder", () -> {
            while (!stop) {
                runs++;
                Coroutine.yield();
            }
        });

        void finish() {
            stop = true;
            co.enter();
            if (runs != OPS) {
                throw new AssertionError("yielder ran " + runs + " times, expected " + OPS);
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void enterYield(CorioContext s) {
        s.ctx.call(() -> {
            Yielder y = new Yielder();
            for (int i = 0; i < OPS; i++) {
                y.co.enter();
            }
            y.finish();
            return null;
        });
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void wakeYield(CorioContext s) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        s.ctx.execute(() -> { // runs on the loop, which holds the turn: wake() enters at once
            try {
                Yielder y = new Yielder();
                y.co.enter(); // binds it to the context; its first yield
                for (int i = 1; i < OPS; i++) {
                    y.co.wake();
                }
                y.finish();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        done.join();
    }

    /** Two coroutines that wake each other until they have taken {@code rounds} turns in all. */
    private static final class PingPong {
        int turns;
        Coroutine a; // not final: each body refers to the other
        Coroutine b;

        PingPong(int rounds) {
            a = Coroutine.create("ping", () -> {
                while (turns < rounds) {
                    turns++;
                    this.b.wake();
                    Coroutine.yield();
                }
            });
            b = Coroutine.create("pong", () -> {
                Coroutine.yield(); // parked until ping first wakes it
                while (turns < rounds) {
                    turns++;
                    this.a.wake();
                    Coroutine.yield();
                }
            });
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public void wakePingPong(CorioContext s) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        s.ctx.execute(() -> {
            try {
                PingPong p = new PingPong(OPS);
                p.b.enter();
                p.a.enter(); // returns when the chain of wakes has run out
                for (Coroutine co : new Coroutine[] {p.a, p.b}) {
                    if (co.state() == Coroutine.State.SUSPENDED) {
                        co.enter(); // the one left waiting sees the count and ends
                    }
                }
                if (p.turns != OPS || p.a.state() != Coroutine.State.DONE || p.b.state() != Coroutine.State.DONE) {
                    throw new AssertionError("ping-pong took " + p.turns + " turns, expected " + OPS);
                }
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        done.join();
    }
}
