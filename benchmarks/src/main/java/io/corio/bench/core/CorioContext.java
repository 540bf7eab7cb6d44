package io.corio.bench.core;

import io.corio.core.AioContext;
import io.corio.core.Backend;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One started {@link AioContext} per trial, on the backend named by {@link #backend}.
 * Benchmarks run their measured loop inside it (through {@code call} or {@code execute}),
 * so the JMH thread pays the platform-to-virtual-thread hand-off (27-56 us here) once per
 * invocation, amortized over {@link #OPS} operations, and never per operation.
 */
@State(Scope.Benchmark)
public class CorioContext {

    /** Operations per invocation: enough that the per-invocation hand-off stays under 1%. */
    public static final int OPS = 100_000;

    @Param({"virtual", "virtual-pinned", "continuation"})
    public String backend;

    AioContext ctx;

    @Setup(Level.Trial)
    public void start() {
        ctx = startExactly(Backend.fromId(backend));
    }

    /** Starts a context on {@code wanted}, refusing a silent fallback to another backend. */
    static AioContext startExactly(Backend wanted) {
        AioContext ctx = AioContext.start("bench-" + wanted.id(), wanted);
        if (ctx.backend() != wanted) {
            ctx.close();
            throw new IllegalStateException("backend " + wanted + " fell back to " + ctx.backend()
                    + ": run with --add-opens java.base/java.lang=ALL-UNNAMED");
        }
        return ctx;
    }

    @TearDown(Level.Trial)
    public void close() {
        ctx.close();
    }
}
