package io.corio.ninep.client;

import io.corio.ninep.protocol.Errno;

/** A request answered with Rlerror: {@link #errno()} is the server's Linux errno. */
public final class NinepError extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public NinepError(int errno, String request) {
        super(Errno.name(errno) + " for " + request, null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
