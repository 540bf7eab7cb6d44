package io.corio.blockio;

/**
 * A run of bytes with one allocation state, as NBD's {@code base:allocation} reports it.
 *
 * @param offset where the run starts
 * @param length its length in bytes, at least 1
 * @param flags {@link #HOLE} and {@link #ZERO} bits (the NBD {@code NBD_STATE_*} values)
 */
public record Extent(long offset, long length, int flags) {

    /** The run is not allocated: writing to it may need new space. */
    public static final int HOLE = 1;

    /** The run reads as zero. */
    public static final int ZERO = 2;

    public Extent {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " < 0");
        }
        if (length < 1) {
            throw new IllegalArgumentException("length " + length + " < 1");
        }
        if ((flags & ~(HOLE | ZERO)) != 0) {
            throw new IllegalArgumentException("unknown flags 0x" + Integer.toHexString(flags));
        }
    }

    /** Where the run ends (exclusive). */
    public long end() {
        return offset + length;
    }
}
