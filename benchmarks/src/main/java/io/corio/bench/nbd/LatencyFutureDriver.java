package io.corio.bench.nbd;

import io.corio.blockio.Extent;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Delays every request to another {@link FutureDriver} ({@link FutureDriver#withLatency}), block
 * status and flush included, by a time drawn uniformly from {@code [min, max]}, like
 * {@code LatencyFilter}: the delay is a {@link CompletableFuture#delayedExecutor} (the JDK's one
 * timer thread fires it), so a waiting request holds no thread; the request then starts on the
 * executor given.
 */
final class LatencyFutureDriver implements FutureDriver {
    private final FutureDriver inner;
    private final long minNanos;
    private final long maxNanos;
    private final Executor after;

    LatencyFutureDriver(FutureDriver inner, Duration min, Duration max, Executor after) {
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("latency range " + min + ".." + max);
        }
        this.inner = inner;
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.after = after;
    }

    private <T> CompletableFuture<T> delayed(Supplier<CompletableFuture<T>> request) {
        long nanos = minNanos == maxNanos ? minNanos
                : ThreadLocalRandom.current().nextLong(minNanos, maxNanos + 1);
        Executor later = CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, after);
        return CompletableFuture.supplyAsync(request, later).thenCompose(f -> f);
    }

    @Override
    public long length() {
        return inner.length();
    }

    @Override
    public boolean readOnly() {
        return inner.readOnly();
    }

    @Override
    public boolean canFastZero() {
        return inner.canFastZero();
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        return delayed(() -> inner.read(offset, dst));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, int flags) {
        return delayed(() -> inner.write(offset, src, flags));
    }

    @Override
    public CompletableFuture<Void> flush() {
        return delayed(inner::flush);
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return delayed(() -> inner.discard(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, int flags) {
        return delayed(() -> inner.writeZeroes(offset, length, flags));
    }

    @Override
    public CompletableFuture<List<Extent>> blockStatus(long offset, long length) {
        return delayed(() -> inner.blockStatus(offset, length));
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return inner + ", latency " + Duration.ofNanos(minNanos)
                + (minNanos == maxNanos ? "" : ".." + Duration.ofNanos(maxNanos));
    }
}
