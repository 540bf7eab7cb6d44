package io.corio.blockio;

import io.corio.blockio.Linux.ErrnoException;
import io.corio.core.io.Errnos;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * How a {@link FileDriver}'s failures become {@link BlockError}s. An FFM call brings its
 * errno; a {@code FileChannel} call brings only the C library's {@code strerror} text in its
 * message, which {@link Errnos} maps back.
 */
final class FileErrors {
    private FileErrors() {}

    /**
     * The block error for {@code e}, raised by {@code what}: no space (also quota and file
     * size limits) is ENOSPC, a read-only file system EPERM, a closed channel ESHUTDOWN,
     * EINVAL and ENOMEM themselves, anything else EIO.
     */
    static BlockException of(String what, IOException e) {
        if (e instanceof BlockException be) {
            return be;
        }
        if (e instanceof ClosedChannelException) {
            return new BlockException(BlockError.ESHUTDOWN, what + ": closed", e);
        }
        int errno = e instanceof ErrnoException ee ? ee.errno : Errnos.of(e, Linux.EIO);
        BlockError error = switch (errno) {
            case Linux.ENOSPC, Linux.EDQUOT, Linux.EFBIG -> BlockError.ENOSPC;
            case Linux.EROFS, Linux.EBADF, Linux.EPERM -> BlockError.EPERM;
            case Linux.EINVAL -> BlockError.EINVAL;
            case Linux.ENOMEM -> BlockError.ENOMEM;
            default -> BlockError.EIO;
        };
        return new BlockException(error, what + ": " + e.getMessage(), e);
    }

    /** The exception {@code java.nio.file} would throw for failing to open {@code path}. */
    static IOException ofOpen(Path path, int errno) {
        String file = path.toString();
        return switch (errno) {
            case Linux.ENOENT -> new NoSuchFileException(file);
            case Linux.EPERM, Linux.EACCES, Linux.EROFS ->
                    new AccessDeniedException(file, null, "open: errno " + errno);
            case Linux.EISDIR -> new FileSystemException(file, null, "is a directory");
            default -> new FileSystemException(file, null, "open: errno " + errno);
        };
    }
}
