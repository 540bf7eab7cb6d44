package io.corio.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

class ErrnosTest {

    @Test
    void aFullDeviceIsEnospcFromTheJdksOwnException() throws IOException {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.isWritable(full), "/dev/full is not writable here");
        try (FileChannel ch = FileChannel.open(full, StandardOpenOption.WRITE)) {
            IOException e = assertThrows(IOException.class, () -> ch.write(ByteBuffer.allocate(4096)));
            assertEquals(28, Errnos.of(e, -1), "ENOSPC from: " + e.getMessage());
        }
    }

    @Test
    void aPrefixedTextIsFoundAfterItsColon() {
        assertEquals(122, Errnos.of(new IOException("Write failed: Disk quota exceeded"), -1));
        assertEquals(27, Errnos.of(new IOException("File too large"), -1));
        assertEquals(30, Errnos.of(new IOException("Read-only file system"), -1));
    }

    @Test
    void unknownTextsAndNoMessageGiveTheFallback() {
        assertEquals(Errnos.EIO, Errnos.of(new IOException("something else"), Errnos.EIO));
        assertEquals(-1, Errnos.of(new IOException((String) null), -1));
    }
}
