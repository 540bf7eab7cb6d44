package io.corio.ninep.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A full file system answers ENOSPC, not EIO, on both write paths of the local back end: the
 * JDK channel (whose failures carry only a strerror text) and pwrite (O_APPEND). Needs a
 * small tmpfs, so root (CI runs as root); skipped otherwise.
 */
class NoSpaceTest {
    private Path dir;
    private boolean mounted;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        dir = Files.createTempDirectory("corio-full-");
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        assumeTrue(mounted, "needs root to mount a 64 KiB tmpfs (mount said: " + out.strip() + ")");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            new ProcessBuilder("umount", dir.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(dir);
    }

    @Test
    void writesPastTheSpaceAnswerEnospcOnEitherPath() throws Exception {
        try (Backend fs = Backend.local(dir, SecurityModel.PASSTHROUGH, false);
                Handle root = fs.root();
                Handle f = fs.create(root, "big", P9.DOTL_RDWR | P9.DOTL_CREATE, 0600, Fixture.ME)) {
            assertTrue(fs.writesWithoutPinning(f), "a created regular file writes through the JDK");
            assertEquals(Errno.ENOSPC, fillUntilError(fs, f));
            try (Handle app = fs.walk(root, "big")) {
                fs.open(app, P9.DOTL_WRONLY | P9.DOTL_APPEND);
                assertTrue(!fs.writesWithoutPinning(app));
                assertEquals(Errno.ENOSPC, fillUntilError(fs, app));
            }
        }
    }

    /** Writes 16 KiB pieces until one fails; the errno it failed with. */
    private static int fillUntilError(Backend fs, Handle h) {
        long offset = 0;
        for (int i = 0; i < 64; i++) { // 1 MiB: far past the 64 KiB
            ByteBuffer piece = ByteBuffer.allocate(16 << 10);
            try {
                while (piece.hasRemaining()) {
                    offset += fs.write(h, offset, piece);
                }
            } catch (FsException e) {
                return e.errno();
            }
        }
        throw new AssertionError("1 MiB fitted in a 64 KiB tmpfs");
    }
}
