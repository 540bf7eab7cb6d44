package io.corio.blockio;

import static io.corio.blockio.Drivers.errorOf;
import static io.corio.blockio.Drivers.pattern;
import static io.corio.blockio.Drivers.read;
import static io.corio.blockio.Drivers.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.CountingFilter.Counts;
import io.corio.blockio.CountingFilter.OpCount;
import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import io.corio.core.io.Buffers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class FiltersTest {

    private AioContext ctx;

    @BeforeEach
    void start() {
        ctx = AioContext.start("filters-test");
    }

    @AfterEach
    void stop() {
        ctx.close();
    }

    /** Reads pass through to {@code inner}, calling {@code onRead} as each arrives. */
    private record Probe(BlockDriver inner, Runnable onRead) implements BlockDriver {
        @Override
        public long length() {
            return inner.length();
        }

        @Override
        public boolean readOnly() {
            return inner.readOnly();
        }

        @Override
        public boolean canFua() {
            return inner.canFua();
        }

        @Override
        public boolean canFastZero() {
            return inner.canFastZero();
        }

        @Override
        public boolean canDiscard() {
            return inner.canDiscard();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws BlockException {
            onRead.run();
            inner.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src, int flags) throws BlockException {
            inner.write(offset, src, flags);
        }

        @Override
        public void flush() throws BlockException {
            inner.flush();
        }

        @Override
        public void discard(long offset, long length) throws BlockException {
            inner.discard(offset, length);
        }

        @Override
        public void writeZeroes(long offset, long length, int flags) throws BlockException {
            inner.writeZeroes(offset, length, flags);
        }

        @Override
        public List<Extent> blockStatus(long offset, long length) throws BlockException {
            return inner.blockStatus(offset, length);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /**
     * 128 requests on one context all wait out their latency at the same time: each has
     * entered the filter and none has reached the driver below. The latency is a minute, so
     * nothing can end a delay but the wake that follows; a filter that blocked its thread
     * would hold the loop in the first request and never let the others in (timeout).
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void requestsWaitOutTheirLatencyTogetherWithoutHoldingTheThread() throws Exception {
        int n = 128;
        try (BlockDriver memory = BlockDriver.memory(n * 512L)) {
            int[] arrived = {0}; // ctx only, as are the other counters
            BlockDriver slow = BlockDriver.withLatency(new Probe(memory, () -> arrived[0]++),
                    Duration.ofMinutes(1));
            ctx.call(() -> {
                write(memory, 0, pattern(n * 512, 1));
                int[] entered = {0};
                int[] done = {0};
                List<Throwable> failures = new ArrayList<>();
                List<Coroutine> requests = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int at = i * 512;
                    requests.add(ctx.spawn("request-" + i, () -> {
                        try {
                            entered[0]++; // no yield from here into the filter's sleep
                            byte[] got = read(slow, at, 512);
                            assertArrayEquals(java.util.Arrays.copyOfRange(pattern(n * 512, 1),
                                    at, at + 512), got);
                        } catch (Throwable t) {
                            failures.add(t);
                        } finally {
                            done[0]++;
                        }
                    }));
                }
                while (entered[0] < n) {
                    Coroutine.sleep(Duration.ZERO); // lets the requests run
                }
                assertEquals(0, arrived[0], "all " + n + " are in their delay at once");
                requests.forEach(Coroutine::wake); // ends each sleep early
                while (done[0] < n) {
                    Coroutine.sleep(Duration.ZERO);
                }
                assertEquals(List.of(), failures);
                assertEquals(n, arrived[0]);
                return null;
            });
        }
    }

    /** Buffers that count what is taken and given back; ctx only. */
    private static final class CountingBuffers implements Buffers {
        int taken;
        int given;

        @Override
        public ByteBuffer take(int size) {
            taken++;
            return ByteBuffer.allocate(size);
        }

        @Override
        public void give(ByteBuffer buffer) {
            given++;
        }
    }

    /**
     * Reads through a latency filter (under a counting one) take their buffers after their
     * delay: 16 requests waiting out a minute hold none; woken, each takes one and gets its
     * data; a read that fails after its delay gives its buffer back; both kinds are counted.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aReadTakesItsBufferAfterItsDelayAndGivesItBackOnFailure() throws Exception {
        int n = 16;
        try (BlockDriver memory = BlockDriver.memory(n * 512L);
                CountingFilter slow = BlockDriver.counting(BlockDriver.withLatency(memory,
                        Duration.ofMinutes(1)))) {
            CountingBuffers buffers = new CountingBuffers();
            ctx.call(() -> {
                write(memory, 0, pattern(n * 512, 3));
                int[] done = {0};
                List<Throwable> failures = new ArrayList<>();
                List<Coroutine> requests = new ArrayList<>();
                for (int i = 0; i <= n; i++) {
                    long at = i * 512L; // the last one is past the end
                    requests.add(ctx.spawn("request-" + i, () -> {
                        try {
                            if (at == n * 512L) {
                                assertEquals(BlockError.EINVAL, errorOf(() -> slow.read(at, 512, buffers)));
                            } else {
                                ByteBuffer got = slow.read(at, 512, buffers);
                                assertEquals(0, got.position());
                                assertEquals(512, got.limit());
                                assertEquals(ByteBuffer.wrap(pattern(n * 512, 3), (int) at, 512), got);
                            }
                        } catch (Throwable t) {
                            failures.add(t);
                        } finally {
                            done[0]++;
                        }
                    }));
                }
                Coroutine.sleep(Duration.ofMillis(50)); // every request reaches its delay
                assertEquals(0, buffers.taken, "no buffer is taken during the delay");
                requests.forEach(Coroutine::wake);
                while (done[0] <= n) {
                    Coroutine.sleep(Duration.ZERO);
                }
                assertEquals(List.of(), failures);
                return null;
            });
            assertEquals(n + 1, buffers.taken);
            assertEquals(1, buffers.given, "the failed read's buffer, given back");
            assertEquals(new OpCount(n + 1, n * 512L, 1), slow.counts().read());
        }
    }

    @Test
    void aRequestWaitsAtLeastItsLatency() throws Exception {
        try (BlockDriver d = BlockDriver.withLatency(BlockDriver.memory(4096),
                Duration.ofMillis(20))) {
            long took = ctx.call(() -> {
                long t0 = System.nanoTime();
                d.flush();
                return System.nanoTime() - t0;
            });
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(20), "took " + took + " ns");
            // a block-status lookup is a round trip too (an object store's metadata call)
            long lookup = ctx.call(() -> {
                long t0 = System.nanoTime();
                d.blockStatus(0, 4096);
                return System.nanoTime() - t0;
            });
            assertTrue(lookup >= TimeUnit.MILLISECONDS.toNanos(20), "block status took " + lookup + " ns");
        }
    }

    @Test
    void jitteredDelaysStayInTheirRangeAndSpreadOverIt() {
        LatencyFilter f = new LatencyFilter(BlockDriver.memory(1), Duration.ofMillis(1),
                Duration.ofMillis(30));
        long lowHalf = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = f.nextDelayNanos();
            assertTrue(d >= 1_000_000 && d <= 30_000_000, d + " ns");
            lowHalf += d < 15_500_000 ? 1 : 0;
        }
        assertTrue(lowHalf > 4000 && lowHalf < 6000, lowHalf + " of 10000 in the lower half");
        LatencyFilter fixed = new LatencyFilter(BlockDriver.memory(1), Duration.ofMillis(7),
                Duration.ofMillis(7));
        assertEquals(7_000_000, fixed.nextDelayNanos());
        assertThrows(IllegalArgumentException.class, () -> BlockDriver.withLatency(
                BlockDriver.memory(1), Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> BlockDriver.withLatency(
                BlockDriver.memory(1), Duration.ofMillis(5), Duration.ofMillis(4)));
    }

    @Test
    void countsRequestsBytesAndErrorsByKind() throws Exception {
        try (CountingFilter d = BlockDriver.counting(BlockDriver.memory(1 << 20))) {
            ctx.call(() -> {
                write(d, 0, new byte[4096]);
                write(d, 8192, new byte[100]);
                read(d, 0, 512);
                d.flush();
                d.discard(0, 65536);
                d.writeZeroes(65536, 1000, BlockDriver.MAY_TRIM);
                List<Extent> answer = d.blockStatus(0, 1 << 20);
                assertEquals(1 << 20, answer.getLast().end());
                assertEquals(BlockError.EINVAL, errorOf(() -> d.read(1 << 20, ByteBuffer.allocate(1))));
                return null;
            });
            Counts c = d.counts();
            assertEquals(new OpCount(2, 4196, 0), c.write());
            assertEquals(new OpCount(2, 512, 1), c.read());
            assertEquals(new OpCount(1, 0, 0), c.flush());
            assertEquals(new OpCount(1, 65536, 0), c.discard());
            assertEquals(new OpCount(1, 1000, 0), c.writeZeroes());
            assertEquals(new OpCount(1, 1 << 20, 0), c.blockStatus());
            assertEquals(8, c.requests());
            assertTrue(c.toString().contains("write 2 req, 4196 B"), c.toString());
        }
    }

    @Test
    void countsFromSeveralContextsAddUp() throws Exception {
        int writers = 4;
        int each = 1000;
        try (CountingFilter d = BlockDriver.counting(BlockDriver.memory(writers * 512L));
                ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            List<AioContext> ctxs = new ArrayList<>();
            List<Future<?>> done = new ArrayList<>();
            try {
                for (int w = 0; w < writers; w++) {
                    AioContext c = AioContext.start("counter-" + w);
                    ctxs.add(c);
                    long at = w * 512L;
                    done.add(pool.submit(() -> c.call(() -> {
                        for (int i = 0; i < each; i++) {
                            write(d, at, new byte[512]);
                        }
                        return null;
                    })));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                ctxs.forEach(AioContext::close);
            }
            assertEquals(new OpCount(writers * each, writers * each * 512L, 0), d.counts().write());
        }
    }

    @Test
    void filtersPassCapabilitiesOnAndCloseWhatTheyWrap() throws Exception {
        BlockDriver memory = BlockDriver.memory(4096);
        BlockDriver stack = BlockDriver.counting(BlockDriver.withLatency(memory, Duration.ZERO));
        assertEquals(4096, stack.length());
        assertTrue(stack.canFastZero());
        assertTrue(stack.canDiscard());
        assertTrue(stack.canFua());
        assertFalse(stack.readOnly());
        BlockDriver ro = BlockDriver.counting(BlockDriver.readOnly(memory));
        assertTrue(ro.readOnly());
        assertFalse(ro.canDiscard());
        stack.close();
        ctx.call(() -> {
            assertEquals(BlockError.ESHUTDOWN, errorOf(() -> memory.read(0, ByteBuffer.allocate(1))));
            return null;
        });
        assertTrue(stack.toString().contains("memory"), stack.toString());
    }

    @Test
    void aStackOfFiltersKeepsTheData() throws Exception {
        try (CountingFilter d = BlockDriver.counting(BlockDriver.withLatency(
                BlockDriver.memory(1 << 20), Duration.ZERO, Duration.ofNanos(50_000)))) {
            Drivers.randomOperations(ctx, d, 11, 400, 100_000);
            assertTrue(d.counts().requests() >= 400);
        }
    }
}
