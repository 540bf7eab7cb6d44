package io.corio.ninep.fs;

import io.corio.ninep.protocol.Errno;

/**
 * A file-system operation failed with a Linux {@code errno} ({@link Errno}), the value a 9P
 * server sends back in Rlerror. {@code detail} says which operation on what, for logs; it is
 * never sent to the client.
 *
 * <p>Back ends throw this for everything a client can cause (a missing name, a full disk, a
 * race with another client). Misuse of the API by the server itself (a handle of another back
 * end, a null argument) is an {@link IllegalArgumentException} instead. It carries no stack
 * trace: it is an answer for the client, not a bug, and some (ENOENT) are frequent.
 */
public final class FsException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String detail;

    /** An error {@code errno} ({@code Errno.*}) about {@code detail}, e.g. {@code "walk 'a'"}. */
    public FsException(int errno, String detail) {
        super(Errno.name(errno) + ": " + detail, null, false, false);
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        this.errno = errno;
        this.detail = detail;
    }

    /** The Linux errno, e.g. {@link Errno#ENOENT}. */
    public int errno() {
        return errno;
    }

    /** What failed, for logs. */
    public String detail() {
        return detail;
    }
}
