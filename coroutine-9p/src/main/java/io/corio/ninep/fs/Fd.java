package io.corio.ninep.fs;

import io.corio.ninep.protocol.Errno;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file descriptor shared by reference count, so that closing a handle while another thread
 * still uses the descriptor can never make that thread act on a reused number. The creator
 * holds the first reference; each user {@link #retain()}s before passing {@link #fd} to a
 * system call and {@link #release()}s after; the descriptor is closed when the count reaches
 * zero, and from then on {@code retain} fails with {@code EBADF}.
 */
final class Fd {
    final int fd;
    private final AtomicInteger refs = new AtomicInteger(1); // CAS only; 0 means closed

    Fd(int fd) {
        this.fd = fd;
    }

    /** Takes one more reference; {@code EBADF} if the descriptor is already closed. */
    Fd retain() throws FsException {
        for (int r = refs.get(); ; r = refs.get()) {
            if (r == 0) {
                throw new FsException(Errno.EBADF, "handle closed");
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
            Libc.close(fd);
        }
    }

    @Override
    public String toString() {
        return "fd " + fd + (refs.get() == 0 ? " (closed)" : "");
    }
}
