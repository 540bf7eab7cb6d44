package io.corio.bench.compare;

import io.corio.core.Backend;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * JMH state of the pipeline benchmarks: the style under test, opened once per trial and
 * named by the benchmark method ({@code corioBlocking} runs style {@code corio-blocking}).
 * In SampleTime mode it also keeps {@code concurrency - 1} requests in flight behind the
 * measured one, for the whole of each iteration.
 */
public abstract class Subject {

    Style style;
    private Driver background; // SampleTime only

    /** The load, shared by every style of a run. */
    @State(Scope.Benchmark)
    public static class Load {
        /** Steps per request. */
        @Param("4")
        public int steps;

        /** How long each step's blocking call waits, in ns; 0: no wait at all. */
        @Param({"0", "10000", "1000000"})
        public long stepNanos;

        /** Requests in flight. */
        @Param({"1", "100", "10000"})
        public int concurrency;
    }

    /** A style that does not depend on a corio backend (its contexts, if any, use the default). */
    @State(Scope.Benchmark)
    public static class Plain extends Subject {
        @Setup(Level.Trial)
        public void open(Load load, BenchmarkParams params) {
            open(params, Backend.VIRTUAL, load);
        }
    }

    /** A corio style, once per backend. */
    @State(Scope.Benchmark)
    public static class OnBackend extends Subject {
        @Param({"virtual", "virtual-pinned", "continuation"})
        public String backend;

        @Setup(Level.Trial)
        public void open(Load load, BenchmarkParams params) {
            open(params, Backend.fromId(backend), load);
        }
    }

    /** Requests completed, reported by JMH as requests per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Requests {
        public long requests;

        @Setup(Level.Iteration)
        public void reset() {
            requests = 0;
        }
    }

    void open(BenchmarkParams params, Backend backend, Load load) {
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        style = Style.open(styleId(method), backend, load.steps, load.stepNanos);
    }

    /** corioInWorker -> corio-in-worker. */
    static String styleId(String method) {
        return method.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    @Setup(Level.Iteration)
    public void startBackground(Load load, BenchmarkParams params) {
        if (params.getMode() == Mode.SampleTime && load.concurrency > 1) {
            background = Driver.background(style, load.steps, load.concurrency - 1);
        }
    }

    @TearDown(Level.Iteration)
    public void stopBackground() {
        if (background != null) {
            background.stop();
            background.finish();
            background = null;
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        style.close();
    }
}
