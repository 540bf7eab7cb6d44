package io.corio.blockio;

import io.corio.core.Coroutine;

/** The checks every driver makes before it does anything, so that all answer alike. */
final class Requests {
    private Requests() {}

    /** The flags {@link BlockDriver#write} accepts. */
    static final int WRITE_FLAGS = BlockDriver.FUA;

    /** The flags {@link BlockDriver#writeZeroes} accepts. */
    static final int ZERO_FLAGS = BlockDriver.FUA | BlockDriver.MAY_TRIM | BlockDriver.FAST_ZERO;

    /**
     * Throws unless the caller runs inside a coroutine.
     *
     * @throws IllegalStateException naming {@code op}
     */
    static void requireCoroutine(String op) {
        if (!Coroutine.inCoroutine()) {
            throw new IllegalStateException("BlockDriver." + op
                    + " is a coroutine function: call it from inside a coroutine");
        }
    }

    /**
     * Throws {@link BlockError#EINVAL} unless {@code [offset, offset + length)} lies inside a
     * device of {@code size} bytes (an empty range at {@code size} is inside).
     */
    static void checkRange(String op, long offset, long length, long size)
            throws BlockException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new BlockException(BlockError.EINVAL, op + " of " + length + " bytes at "
                    + offset + " is outside the device of " + size + " bytes");
        }
    }

    /**
     * Throws {@link IllegalArgumentException} if {@code flags} has a bit outside
     * {@code allowed}.
     */
    static void checkFlags(String op, int flags, int allowed) {
        if ((flags & ~allowed) != 0) {
            throw new IllegalArgumentException(op + ": unknown flags 0x"
                    + Integer.toHexString(flags & ~allowed) + " in 0x"
                    + Integer.toHexString(flags));
        }
    }

    /** The checks of a block-status request: it must cover at least one byte. */
    static void checkStatusRange(long offset, long length, long size) throws BlockException {
        checkRange("blockStatus", offset, length, size);
        if (length == 0) {
            throw new BlockException(BlockError.EINVAL, "blockStatus of 0 bytes at " + offset);
        }
    }

    /** The answer to a request made after {@link BlockDriver#close()}. */
    static BlockException closed(String op, Object driver) {
        return new BlockException(BlockError.ESHUTDOWN, op + " on closed " + driver);
    }

    /** {@code bytes} as a short human size: {@code 64 KiB}, {@code 8 GiB}, {@code 1000 B}. */
    static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && (v & 1023) == 0) {
            v >>= 10;
            u++;
        }
        return v + " " + units[u];
    }

    /** {@code d} in the largest unit of s, ms, us, ns that shows it whole: {@code 250us}. */
    static String duration(java.time.Duration d) {
        long nanos = d.toNanos();
        if (nanos != 0 && nanos % 1_000_000_000 == 0) {
            return nanos / 1_000_000_000 + "s";
        } else if (nanos != 0 && nanos % 1_000_000 == 0) {
            return nanos / 1_000_000 + "ms";
        } else if (nanos != 0 && nanos % 1_000 == 0) {
            return nanos / 1_000 + "us";
        }
        return nanos + "ns";
    }

    /** A latency range as {@code --latency} takes it: {@code 10ms} or {@code 1ms-30ms}. */
    static String latency(java.time.Duration min, java.time.Duration max) {
        return min.equals(max) ? duration(min) : duration(min) + "-" + duration(max);
    }
}
