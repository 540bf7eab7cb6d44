package io.corio.blockio;

import io.corio.core.Coroutine;
import io.corio.core.io.Buffers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Delays every request before passing it on, as a remote store would
 * ({@link BlockDriver#withLatency}): a fixed delay, or one drawn uniformly from
 * {@code [min, max]} for each request. The delay is a {@link Coroutine#sleep}, so it holds no
 * thread: the context runs its other coroutines meanwhile, and any number of requests wait
 * out their delays at once (128 requests with 10 ms each take about 10 ms, not 1.28 s).
 *
 * <p>Every request is delayed, also one that the wrapped driver then refuses (a real store
 * answers errors after the round trip too), and so is every {@link #blockStatus} lookup and
 * {@link #flush}: an object store's metadata call (which ranges hold data) costs a round trip
 * like a read does. An NBD server that looks up block status to answer a sparse READ pays for
 * it; corio's looks it up while the data is read, so a READ still costs one delay, not two.
 * A {@link Coroutine#wake()} of the requesting coroutine ends its delay early, as it ends any
 * {@code Coroutine.sleep}.
 *
 * <p>A read through {@link #read(long, int, Buffers)} takes its payload buffer after the delay,
 * so requests waiting out their delays hold no payload memory.
 */
final class LatencyFilter extends FilterDriver {

    private final long minNanos;
    private final long maxNanos;

    LatencyFilter(BlockDriver inner, Duration min, Duration max) {
        super(inner);
        if (min.isNegative()) {
            throw new IllegalArgumentException("latency " + min + " is negative");
        }
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("latency range " + min + ".." + max
                    + " ends before it starts");
        }
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** The delay for the next request, in nanoseconds. */
    long nextDelayNanos() {
        return minNanos == maxNanos ? minNanos
                : ThreadLocalRandom.current().nextLong(minNanos, maxNanos + 1);
    }

    private void delay(String op) {
        Requests.requireCoroutine(op);
        long nanos = nextDelayNanos();
        if (nanos > 0) {
            Coroutine.sleep(Duration.ofNanos(nanos));
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        delay("read");
        inner.read(offset, dst);
    }

    /** The delay first, then the inner read, which takes its buffer only then. */
    @Override
    public ByteBuffer read(long offset, int length, Buffers buffers) throws BlockException {
        delay("read");
        return inner.read(offset, length, buffers);
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        delay("write");
        inner.write(offset, src, flags);
    }

    @Override
    public void flush() throws BlockException {
        delay("flush");
        inner.flush();
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        delay("discard");
        inner.discard(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        delay("writeZeroes");
        inner.writeZeroes(offset, length, flags);
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws BlockException {
        delay("blockStatus");
        return inner.blockStatus(offset, length);
    }

    @Override
    public String toString() {
        return inner + " with latency "
                + Requests.latency(Duration.ofNanos(minNanos), Duration.ofNanos(maxNanos));
    }
}
