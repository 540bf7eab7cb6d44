package io.corio.blockio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FileErrorsTest {

    private static BlockError of(IOException e) {
        return FileErrors.of("write on test", e).error();
    }

    @Test
    void noSpaceInAnyFormIsEnospc() {
        assertEquals(BlockError.ENOSPC, of(new IOException("No space left on device")));
        assertEquals(BlockError.ENOSPC, of(new IOException("Disk quota exceeded")));
        assertEquals(BlockError.ENOSPC, of(new IOException("File too large")));
        assertEquals(BlockError.ENOSPC, of(new Linux.ErrnoException("fallocate", Linux.ENOSPC)));
        assertEquals(BlockError.ENOSPC, of(new Linux.ErrnoException("fallocate", Linux.EDQUOT)));
    }

    @Test
    void otherErrorsKeepTheirKindOrAreEio() {
        assertEquals(BlockError.EPERM, of(new Linux.ErrnoException("fallocate", Linux.EROFS)));
        assertEquals(BlockError.EPERM, of(new IOException("Read-only file system")));
        assertEquals(BlockError.EINVAL, of(new IOException("Invalid argument")));
        assertEquals(BlockError.ENOMEM, of(new Linux.ErrnoException("lseek", Linux.ENOMEM)));
        assertEquals(BlockError.ESHUTDOWN, of(new ClosedChannelException()));
        assertEquals(BlockError.EIO, of(new IOException("Input/output error")));
        assertEquals(BlockError.EIO, of(new IOException((String) null)));
        BlockException own = new BlockException(BlockError.ENOTSUP, "kept");
        assertEquals(own, FileErrors.of("x", own), "a block error passes as it is");
    }

    @Test
    void openFailuresAreTheNioExceptions() {
        Path p = Path.of("disk.img");
        assertInstanceOf(NoSuchFileException.class, FileErrors.ofOpen(p, Linux.ENOENT));
        assertInstanceOf(AccessDeniedException.class, FileErrors.ofOpen(p, Linux.EACCES));
        assertEquals("disk.img: is a directory", FileErrors.ofOpen(p, Linux.EISDIR).getMessage());
    }
}
