package io.corio.blockio;

/**
 * Why a block request failed. The values are Linux errno numbers, which is also what NBD puts
 * on the wire, so a server sends {@link #errno()} as is.
 */
public enum BlockError {
    /** The device is read-only, or the operation is not permitted. */
    EPERM(1),
    /** The storage failed. */
    EIO(5),
    /** Out of memory for the request. */
    ENOMEM(12),
    /** A bad argument: a range outside the device, an unknown flag. */
    EINVAL(22),
    /** No space left to allocate. */
    ENOSPC(28),
    /** A length that does not fit (for example a read too large to answer). */
    EOVERFLOW(75),
    /** Not supported, including a {@code FAST_ZERO} request that would be slow. */
    ENOTSUP(95),
    /** The device is shutting down. */
    ESHUTDOWN(108);

    private final int errno;

    BlockError(int errno) {
        this.errno = errno;
    }

    /** The Linux errno value. */
    public int errno() {
        return errno;
    }
}
