package io.corio.blockio;

import io.corio.core.io.Buffers;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * A driver that wraps another and passes every request and capability on: the filters
 * override what they change (a filter that overrides {@link #read(long, ByteBuffer)} overrides
 * {@link #read(long, int, Buffers)} too, which passes on as it is). Closing a filter closes the
 * driver it wraps.
 */
abstract sealed class FilterDriver implements BlockDriver
        permits ReadOnlyFilter, LatencyFilter, CountingDriver {

    final BlockDriver inner;

    FilterDriver(BlockDriver inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
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
        inner.read(offset, dst);
    }

    @Override
    public ByteBuffer read(long offset, int length, Buffers buffers) throws BlockException {
        return inner.read(offset, length, buffers); // so the inner driver takes the buffer late
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
