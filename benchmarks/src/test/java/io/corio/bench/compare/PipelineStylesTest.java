package io.corio.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.Backend;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.openjdk.jmh.annotations.Benchmark;

/**
 * Every style of the comparison runs the pipeline correctly at a small concurrency, so a
 * broken style fails the build rather than a benchmark run: each request completes once,
 * with the result the pipeline defines ({@link Driver} checks both).
 */
class PipelineStylesTest {

    static final int STEPS = 4;
    static final int REQUESTS = 300;

    static Stream<Arguments> styles() {
        List<Arguments> out = new ArrayList<>();
        for (String id : Style.ALL) {
            if (Style.ON_BACKENDS.contains(id)) {
                for (Backend b : Backend.values()) {
                    out.add(Arguments.of(id, b));
                }
            } else {
                out.add(Arguments.of(id, Backend.VIRTUAL));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("styles")
    void everyRequestCompletesWithItsResult(String id, Backend backend) {
        for (long stepNanos : new long[] {0, 20_000}) {
            try (Style style = Style.open(id, backend, STEPS, stepNanos)) {
                long done = Driver.run(style, STEPS, 16, Long.MAX_VALUE, REQUESTS);
                assertEquals(REQUESTS, done, id + " with " + stepNanos + " ns steps");
            }
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("styles")
    void probeUnderBackgroundLoad(String id, Backend backend) {
        try (Style style = Style.open(id, backend, STEPS, 10_000)) {
            Driver load = Driver.background(style, STEPS, 8);
            for (int i = 0; i < 20; i++) {
                Driver.probe(style, STEPS, PipelineLatencyBench.PROBE_ID - i);
            }
            load.stop();
            assertTrue(load.finish() > 0, "the background load completed requests");
        }
    }

    @Test
    void everyBenchmarkNamesAStyle() {
        for (Class<?> bench : List.of(PipelineBench.class, PipelineLatencyBench.class)) {
            List<String> ids = new ArrayList<>();
            for (Method m : bench.getDeclaredMethods()) {
                if (m.isAnnotationPresent(Benchmark.class)) {
                    ids.add(Subject.styleId(m.getName()));
                }
            }
            assertEquals(Style.ALL.stream().sorted().toList(), ids.stream().sorted().toList(), bench.getSimpleName());
        }
    }

    @Test
    void kotlinPeersCountEveryOperation() {
        try (KotlinPeers peers = new KotlinPeers()) {
            assertEquals(1_000, peers.mutexUncontended(1_000));
            assertEquals(1_600, peers.mutexContended(16, 1_600));
            assertEquals(1_000, peers.channelPingPong(1_000));
        }
    }

    @Test
    void platformThreadsAreCapped() {
        try (Style style = Style.open("platform-threads", Backend.VIRTUAL, STEPS, 0)) {
            assertEquals(ThreadStyle.PLATFORM_CAP, style.maxInFlight());
        }
    }
}
