package io.corio.blockio;

import java.nio.ByteBuffer;

/**
 * Refuses every modification with {@link BlockError#EPERM} ({@link BlockDriver#readOnly(
 * BlockDriver)}), before looking at the range; reads, flushes and block status pass through.
 * Refusals are checked in the calling coroutine like any request.
 */
final class ReadOnlyFilter extends FilterDriver {

    ReadOnlyFilter(BlockDriver inner) {
        super(inner);
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
    public boolean canDiscard() {
        return false;
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        Requests.checkFlags("write", flags, Requests.WRITE_FLAGS);
        throw refuse("write", offset, src.remaining());
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        throw refuse("discard", offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        Requests.checkFlags("writeZeroes", flags, Requests.ZERO_FLAGS);
        throw refuse("writeZeroes", offset, length);
    }

    private BlockException refuse(String op, long offset, long length) {
        Requests.requireCoroutine(op);
        return new BlockException(BlockError.EPERM, op + " of " + length + " bytes at " + offset
                + " on read-only " + inner);
    }

    @Override
    public String toString() {
        return "read-only " + inner;
    }
}
