package io.corio.ninep.fs;

import io.corio.ninep.protocol.P9;

/**
 * Tlopen/Tlcreate flags ({@code P9.DOTL_*}, fixed by the protocol) to this host's open(2)
 * flags ({@link Libc}, which differ on aarch64).
 *
 * <p>Kept: the access mode ({@code DOTL_NOACCESS} becomes read-only), {@code TRUNC},
 * {@code APPEND}, {@code NONBLOCK}, {@code DSYNC}, {@code SYNC} and {@code DIRECTORY}.
 * Dropped, as QEMU does or for our own reasons: {@code CREAT} and {@code EXCL} (create decides
 * those), {@code NOCTTY}, {@code FASYNC} (no signals to a client), {@code DIRECT} (our buffers
 * are not aligned for it), {@code NOATIME} (fails for files the server does not own),
 * {@code LARGEFILE} (implied on 64-bit), {@code NOFOLLOW} (a handle never follows anyway) and
 * {@code CLOEXEC} (always set).
 */
final class OpenFlags {
    private OpenFlags() {}

    static int toHost(int dotl) {
        int acc = dotl & P9.DOTL_ACCMODE;
        int host = acc == P9.DOTL_WRONLY ? Libc.O_WRONLY : acc == P9.DOTL_RDWR ? Libc.O_RDWR
                : Libc.O_RDONLY;
        if ((dotl & P9.DOTL_TRUNC) != 0) {
            host |= Libc.O_TRUNC;
        }
        if ((dotl & P9.DOTL_APPEND) != 0) {
            host |= Libc.O_APPEND;
        }
        if ((dotl & P9.DOTL_NONBLOCK) != 0) {
            host |= Libc.O_NONBLOCK;
        }
        if ((dotl & P9.DOTL_DSYNC) != 0) {
            host |= Libc.O_DSYNC;
        }
        if ((dotl & P9.DOTL_SYNC) != 0) {
            host |= Libc.O_SYNC;
        }
        if ((dotl & P9.DOTL_DIRECTORY) != 0) {
            host |= Libc.O_DIRECTORY;
        }
        return host;
    }

    /** Whether Tlopen {@code dotl} flags would modify the file: write access or truncation. */
    static boolean modifies(int dotl) {
        int acc = dotl & P9.DOTL_ACCMODE;
        return acc == P9.DOTL_WRONLY || acc == P9.DOTL_RDWR || (dotl & P9.DOTL_TRUNC) != 0;
    }
}
