package io.corio.bench.compare;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one request through the pipeline of {@link PipelineBench}, per style, while
 * {@code concurrency - 1} other requests are kept in flight ({@link Subject}'s background
 * load); JMH samples each request's time, so the result has p50, p90, p99. Measured against
 * each other, corio's {@code corioBlocking} on {@code virtual} as the reference. The JMH
 * thread (a platform thread) submits the request and parks until it is done, so every
 * style's figure includes one wake of a platform thread by whichever thread finished it
 * (tens of microseconds here): compare styles with each other, not with the step time alone.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"})
public class PipelineLatencyBench {

    /** The measured request's id (its expected result differs from the background's). */
    static final int PROBE_ID = -1;

    @Benchmark
    public void corioBlocking(Subject.OnBackend s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }

    @Benchmark
    public void corioInWorker(Subject.OnBackend s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }

    @Benchmark
    public void callbacks(Subject.Plain s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }

    @Benchmark
    public void futures(Subject.Plain s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }

    @Benchmark
    public void platformThreads(Subject.Plain s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }

    @Benchmark
    public void virtualThreads(Subject.Plain s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }

    @Benchmark
    public void kotlinIo(Subject.Plain s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }

    @Benchmark
    public void kotlinVirtual(Subject.Plain s, Subject.Load load) {
        Driver.probe(s.style, load.steps, PROBE_ID);
    }
}
