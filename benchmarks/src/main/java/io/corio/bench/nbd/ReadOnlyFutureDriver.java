package io.corio.bench.nbd;

import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Another {@link FutureDriver} with every modification refused ({@link FutureDriver#readOnly}). */
final class ReadOnlyFutureDriver implements FutureDriver {
    private final FutureDriver inner;

    ReadOnlyFutureDriver(FutureDriver inner) {
        this.inner = inner;
    }

    private static CompletableFuture<Void> refused(String op) {
        return CompletableFuture.failedFuture(new BlockException(BlockError.EPERM, op + " on a read-only device"));
    }

    @Override
    public long length() {
        return inner.length();
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public boolean canFastZero() {
        return false;
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        return inner.read(offset, dst);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, int flags) {
        return refused("write");
    }

    @Override
    public CompletableFuture<Void> flush() {
        return inner.flush();
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return refused("discard");
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, int flags) {
        return refused("writeZeroes");
    }

    @Override
    public CompletableFuture<List<Extent>> blockStatus(long offset, long length) {
        return inner.blockStatus(offset, length);
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return inner + ", read-only";
    }
}
