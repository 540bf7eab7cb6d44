package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.CMD_FLAG_FUA;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;

/**
 * The checks an NBD request passes before it reaches a driver, for one export: command flags
 * (EINVAL), read-only export (EPERM), range (EINVAL, or ENOSPC for writes past the end, as
 * proto.md asks). Immutable, so any thread may use it.
 *
 * <p>Public so that another server on the same transport (the CompletableFuture-style server in
 * {@code benchmarks/}) refuses exactly what the coroutine server refuses, with the same
 * messages: the two differ in how they call the driver, not in what they accept.
 */
public final class RequestChecks {
    /** A request refused before it reached the driver: the errno to answer and why. */
    public static final class Refused extends Exception {
        private final int error;

        public Refused(BlockError error, String message) {
            super(message, null, false, false);
            this.error = error.errno();
        }

        /** The errno to send. */
        public int error() {
            return error;
        }
    }

    private final long size;
    private final boolean readOnly;

    /** Checks for an export of {@code size} bytes, read-only or not. */
    public RequestChecks(long size, boolean readOnly) {
        this.size = size;
        this.readOnly = readOnly;
    }

    /** Refuses flags outside {@code allowed}, and modifications of a read-only export. */
    public void check(Request r, int allowed, boolean modifies) throws Refused {
        int bad = r.flags() & ~allowed;
        if (bad != 0) {
            throw new Refused(BlockError.EINVAL, "command flags 0x" + Integer.toHexString(bad)
                    + " are not valid for this command");
        }
        if (modifies && readOnly) {
            throw new Refused(BlockError.EPERM, "the export is read-only");
        }
    }

    /** Refuses a range that does not lie within the export (EINVAL). */
    public void checkRange(long offset, long length) throws Refused {
        if (offset < 0 || offset > size || length > size - offset) {
            throw new Refused(BlockError.EINVAL, outOfRange(offset, length));
        }
    }

    /** Refuses a write range that does not lie within the export (ENOSPC). */
    public void checkWriteRange(long offset, long length) throws Refused {
        if (offset < 0 || offset > size || length > size - offset) {
            throw new Refused(BlockError.ENOSPC, outOfRange(offset, length));
        }
    }

    /** The driver flag for the request's NBD_CMD_FLAG_FUA. */
    public static int fua(Request r) {
        return (r.flags() & CMD_FLAG_FUA) != 0 ? BlockDriver.FUA : 0;
    }

    private String outOfRange(long offset, long length) {
        return "range " + Long.toUnsignedString(offset) + "+" + length + " is past the end of the "
                + size + "-byte export";
    }
}
