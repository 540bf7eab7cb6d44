package io.corio.ninep.server;

import io.corio.ninep.fs.FsException;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An extended attribute a client is setting through a fid: Txattrcreate names it and fixes
 * its size and setxattr(2) flags, Twrite calls append the value, Tclunk applies it. Confined
 * to its session's context.
 *
 * <p>Rules (QEMU's, except where noted): the size is at most {@link P9#XATTR_SIZE_MAX}
 * ({@code E2BIG}); flags are 0, {@code XATTR_CREATE} or {@code XATTR_REPLACE} ({@code EINVAL});
 * the value is complete only when exactly {@code size} bytes were written, otherwise the clunk
 * answers {@code EINVAL} and sets nothing; size 0 removes the attribute, which is how the Linux
 * client sends removexattr (so no client can set an empty value). Unlike QEMU, a write must
 * start where the previous one ended ({@code EINVAL}) and one that would pass the size is
 * refused whole ({@code ENOSPC}; QEMU cuts it short), so the value is never silently cut or
 * left with holes. The value grows with the writes, not to the announced size at once.
 */
final class XattrWrite {
    private static final byte[] EMPTY = new byte[0];

    final String name;
    final int flags;
    final int size;
    private byte[] value = EMPTY; // its first `written` bytes are the value so far
    private int written;

    private XattrWrite(String name, int size, int flags) {
        this.name = name;
        this.size = size;
        this.flags = flags;
    }

    /** Validates a Txattrcreate's {@code attrSize} (u64) and {@code flags}. */
    static XattrWrite start(String name, long attrSize, int flags) throws FsException {
        if (attrSize < 0 || attrSize > P9.XATTR_SIZE_MAX) {
            throw new FsException(Errno.E2BIG, "xattrcreate of " + Long.toUnsignedString(attrSize)
                    + " bytes");
        }
        if (flags != 0 && flags != P9.XATTR_CREATE && flags != P9.XATTR_REPLACE) {
            throw new FsException(Errno.EINVAL, "xattrcreate flags " + Integer.toUnsignedString(flags));
        }
        return new XattrWrite(name, (int) attrSize, flags);
    }

    /** Appends {@code data} at {@code offset}; returns the bytes taken, all of them. */
    int append(long offset, ByteBuffer data) throws FsException {
        if (offset != written) {
            throw new FsException(Errno.EINVAL, "xattr write at " + Long.toUnsignedString(offset)
                    + ", expected " + written);
        }
        int n = data.remaining();
        if (n > size - written) {
            throw new FsException(Errno.ENOSPC, "xattr write of " + n + " bytes at " + written
                    + " past its size " + size);
        }
        if (written + n > value.length) {
            value = Arrays.copyOf(value, Math.min(size, Math.max(written + n, 2 * value.length)));
        }
        data.get(value, written, n);
        written += n;
        return n;
    }

    /** Whether exactly {@link #size} bytes were written. */
    boolean complete() {
        return written == size;
    }

    /** The value written; call when {@link #complete()}. */
    byte[] value() {
        assert complete() : written + " of " + size;
        return value.length == size ? value : Arrays.copyOf(value, size);
    }

    @Override
    public String toString() {
        return "xattr-write(" + written + "/" + size + " bytes, flags " + flags + ")";
    }
}
