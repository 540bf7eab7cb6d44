package io.corio.bench.nbd;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link FutureDriver} over a {@link BlockDriver} that never blocks and may be called from
 * any thread ({@link BlockDriver#unconfinedMemory}): each request runs on the caller's thread
 * and returns a completed future. Not for a driver that may block or yield.
 */
final class SyncFutureDriver implements FutureDriver {

    /** A driver call that may fail. */
    @FunctionalInterface
    private interface Call<T> {
        T run() throws BlockException;
    }

    private final BlockDriver inner;

    SyncFutureDriver(BlockDriver inner) {
        this.inner = inner;
    }

    private static <T> CompletableFuture<T> now(Call<T> call) {
        try {
            return CompletableFuture.completedFuture(call.run());
        } catch (BlockException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
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
        return now(() -> {
            inner.read(offset, dst);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, int flags) {
        return now(() -> {
            inner.write(offset, src, flags);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> flush() {
        return now(() -> {
            inner.flush();
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return now(() -> {
            inner.discard(offset, length);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, int flags) {
        return now(() -> {
            inner.writeZeroes(offset, length, flags);
            return null;
        });
    }

    @Override
    public CompletableFuture<List<Extent>> blockStatus(long offset, long length) {
        return now(() -> inner.blockStatus(offset, length));
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return inner.toString();
    }
}
