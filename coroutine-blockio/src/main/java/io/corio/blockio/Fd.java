package io.corio.blockio;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file descriptor shared by reference count, so that closing a driver while a request still
 * uses the descriptor can never make that request act on a reused number (another file). The
 * creator holds the first reference; each user {@link #retain()}s before passing {@link #fd}
 * to a system call and {@link #release()}s after; the descriptor is closed when the count
 * reaches zero, and from then on {@code retain} fails with {@link BlockError#ESHUTDOWN}.
 */
final class Fd {
    final int fd;
    private final AtomicInteger refs = new AtomicInteger(1); // CAS only; 0 means closed

    Fd(int fd) {
        this.fd = fd;
    }

    /** Takes one more reference; {@code ESHUTDOWN} if the descriptor is already closed. */
    Fd retain() throws BlockException {
        for (int r = refs.get(); ; r = refs.get()) {
            if (r == 0) {
                throw new BlockException(BlockError.ESHUTDOWN, "fd " + fd + " is closed");
            }
            if (refs.compareAndSet(r, r + 1)) {
                return this;
            }
        }
    }

    /** Drops one reference, closing the descriptor with the last. */
    void release() {
        int r = refs.decrementAndGet();
        assert r >= 0 : "fd " + fd + " released more often than retained";
        if (r == 0) {
            Linux.close(fd);
        }
    }

    @Override
    public String toString() {
        return "fd " + fd + (refs.get() == 0 ? " (closed)" : "");
    }
}
