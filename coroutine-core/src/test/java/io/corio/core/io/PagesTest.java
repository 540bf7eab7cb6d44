package io.corio.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PagesTest {

    @Test
    void onLinuxPagesAreMappedZeroAlignedAndUnmappedWhenTheirArenaCloses() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().startsWith("linux"));
        assertTrue(Pages.mapsPages(), "mmap is linked (tests run with native access)");
        Arena arena = Arena.ofShared();
        MemorySegment m = Pages.map(3 * BufferPool.ALIGN + 1, arena);
        assertEquals(0, m.address() % BufferPool.ALIGN);
        assertEquals(3 * BufferPool.ALIGN + 1, m.byteSize());
        for (long i = 0; i < m.byteSize(); i += 512) {
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, i));
        }
        m.fill((byte) 7);
        long address = m.address();
        assertTrue(mapped(address), "mapped");
        arena.close();
        assertThrows(IllegalStateException.class, () -> m.get(ValueLayout.JAVA_BYTE, 0));
        assertFalse(mapped(address), "unmapped once its arena closed");
    }

    /** Whether a mapping of this process covers {@code address} (/proc/self/maps). */
    private static boolean mapped(long address) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16)) {
                return true;
            }
        }
        return false;
    }
}
