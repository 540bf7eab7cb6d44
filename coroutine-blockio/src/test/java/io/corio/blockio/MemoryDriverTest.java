package io.corio.blockio;

import static io.corio.blockio.Drivers.HOLE;
import static io.corio.blockio.Drivers.errorOf;
import static io.corio.blockio.Drivers.pattern;
import static io.corio.blockio.Drivers.read;
import static io.corio.blockio.Drivers.status;
import static io.corio.blockio.Drivers.write;
import static io.corio.blockio.MemoryDriver.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.AioContext;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MemoryDriverTest {

    private static final long GIB = 1L << 30;

    private AioContext ctx;

    @BeforeEach
    void start() {
        ctx = AioContext.start("memory-test");
    }

    @AfterEach
    void stop() {
        ctx.close();
    }

    @Test
    void aLargeDeviceIsFreeUntilWrittenAndReadsZero() throws Exception {
        try (MemoryDriver d = new MemoryDriver(9 * GIB)) {
            ctx.call(() -> {
                assertArrayEquals(new byte[4096], read(d, 9 * GIB - 4096, 4096));
                assertEquals(List.of(new Extent(0, 9 * GIB, HOLE)), status(d, 0, 9 * GIB));
                write(d, 5 * GIB + 10, pattern(100, 1));
                assertArrayEquals(pattern(100, 1), read(d, 5 * GIB + 10, 100));
                return null;
            });
            assertEquals(CHUNK, d.allocatedBytes(), "one chunk for one small write");
            assertTrue(d.canFastZero());
            assertTrue(d.canDiscard());
            assertFalse(d.readOnly());
        }
    }

    @Test
    void writesAcrossChunksReadBackAndShowAsDataExtents() throws Exception {
        try (BlockDriver d = BlockDriver.memory(8L * CHUNK)) {
            byte[] data = pattern(2 * CHUNK + 300, 2);
            ctx.call(() -> {
                write(d, CHUNK - 100, data);
                assertArrayEquals(data, read(d, CHUNK - 100, data.length));
                assertArrayEquals(new byte[100], read(d, CHUNK - 200, 100), "before the write");
                assertEquals(List.of(new Extent(0, 4L * CHUNK, 0),
                        new Extent(4L * CHUNK, 4L * CHUNK, HOLE)), status(d, 0, 8L * CHUNK));
                // an answer starts where asked, also inside a chunk
                assertEquals(new Extent(CHUNK + 5, 10, 0), d.blockStatus(CHUNK + 5, 10).getFirst());
                return null;
            });
        }
    }

    @Test
    void aLengthThatIsNoChunkMultipleWorksToTheLastByte() throws Exception {
        long len = 3L * CHUNK + 7;
        try (BlockDriver d = BlockDriver.memory(len)) {
            ctx.call(() -> {
                write(d, len - 5, pattern(5, 3));
                assertArrayEquals(pattern(5, 3), read(d, len - 5, 5));
                assertEquals(List.of(new Extent(0, 3L * CHUNK, HOLE), new Extent(3L * CHUNK, 7, 0)),
                        status(d, 0, len));
                d.discard(3L * CHUNK, 7); // the whole (short) last chunk: freed
                assertEquals(List.of(new Extent(0, len, HOLE)), status(d, 0, len));
                return null;
            });
        }
    }

    @Test
    void outOfRangeRequestsAreEinvalAndChangeNothing() throws Exception {
        try (BlockDriver d = BlockDriver.memory(4096)) {
            ctx.call(() -> {
                write(d, 0, pattern(4096, 4));
                assertEquals(BlockError.EINVAL, errorOf(() -> d.read(4095, ByteBuffer.allocate(2))));
                assertEquals(BlockError.EINVAL, errorOf(() -> d.read(-1, ByteBuffer.allocate(1))));
                assertEquals(BlockError.EINVAL,
                        errorOf(() -> d.write(4000, ByteBuffer.allocate(97), 0)));
                assertEquals(BlockError.EINVAL, errorOf(() -> d.discard(0, 4097)));
                assertEquals(BlockError.EINVAL,
                        errorOf(() -> d.writeZeroes(Long.MAX_VALUE, 2, BlockDriver.MAY_TRIM)));
                assertEquals(BlockError.EINVAL, errorOf(() -> d.blockStatus(4096, 1)));
                assertEquals(BlockError.EINVAL, errorOf(() -> d.blockStatus(0, 0)));
                d.read(4096, ByteBuffer.allocate(0)); // empty, at the end: inside
                assertArrayEquals(pattern(4096, 4), read(d, 0, 4096), "nothing was changed");
                return null;
            });
        }
    }

    @Test
    void unknownFlagsAndCallsOutsideACoroutineAreMisuse() throws Exception {
        try (BlockDriver d = BlockDriver.memory(4096)) {
            assertThrows(IllegalStateException.class, () -> d.read(0, ByteBuffer.allocate(1)));
            assertThrows(IllegalStateException.class, d::flush);
            assertThrows(IllegalStateException.class, () -> d.blockStatus(0, 1));
            ctx.call(() -> {
                assertThrows(IllegalArgumentException.class,
                        () -> d.write(0, ByteBuffer.allocate(1), BlockDriver.MAY_TRIM));
                assertThrows(IllegalArgumentException.class, () -> d.writeZeroes(0, 1, 8));
                return null;
            });
        }
        assertThrows(IllegalArgumentException.class, () -> BlockDriver.memory(-1));
        assertThrows(IllegalArgumentException.class, () -> BlockDriver.memory(1L << 47));
    }

    @Test
    void discardFreesWholeChunksAndZeroesPartOnes() throws Exception {
        try (MemoryDriver d = new MemoryDriver(3L * CHUNK)) {
            byte[] all = pattern(3 * CHUNK, 5);
            ctx.call(() -> {
                write(d, 0, all);
                d.discard(CHUNK / 2, 2L * CHUNK); // half of chunk 0, chunk 1, half of chunk 2
                byte[] expect = all.clone();
                Arrays.fill(expect, CHUNK / 2, CHUNK / 2 + 2 * CHUNK, (byte) 0);
                assertArrayEquals(expect, read(d, 0, 3 * CHUNK));
                assertEquals(List.of(new Extent(0, CHUNK, 0), new Extent(CHUNK, CHUNK, HOLE),
                        new Extent(2L * CHUNK, CHUNK, 0)), status(d, 0, 3L * CHUNK));
                return null;
            });
            assertEquals(2L * CHUNK, d.allocatedBytes());
        }
    }

    @Test
    void writeZeroesTrimsOnlyWhenAllowed() throws Exception {
        try (MemoryDriver d = new MemoryDriver(4L * CHUNK)) {
            ctx.call(() -> {
                write(d, 0, pattern(2 * CHUNK, 6));
                d.writeZeroes(0, 4L * CHUNK, BlockDriver.FAST_ZERO | BlockDriver.FUA);
                assertArrayEquals(new byte[4 * CHUNK], read(d, 0, 4 * CHUNK));
                // without MAY_TRIM (NBD's NO_HOLE) the whole range is provisioned: written chunks
                // stay allocated, holes get allocated, and all of it reads as zero
                assertEquals(List.of(new Extent(0, 4L * CHUNK, Extent.ZERO)), status(d, 0, 4L * CHUNK));
                assertEquals(4L * CHUNK, d.allocatedBytes());
                d.writeZeroes(0, 4L * CHUNK, BlockDriver.MAY_TRIM | BlockDriver.FAST_ZERO);
                assertEquals(List.of(new Extent(0, 4L * CHUNK, HOLE)), status(d, 0, 4L * CHUNK));
                return null;
            });
            assertEquals(0, d.allocatedBytes());
        }
    }

    @Test
    void blockStatusAnswersInPartsWhenFragmented() throws Exception {
        int chunks = 2 * MemoryDriver.MAX_EXTENTS + 10;
        try (BlockDriver d = BlockDriver.memory((long) chunks * CHUNK)) {
            ctx.call(() -> {
                for (int c = 0; c < chunks; c += 2) {
                    write(d, (long) c * CHUNK, new byte[] {1});
                }
                List<Extent> first = d.blockStatus(0, d.length());
                assertEquals(MemoryDriver.MAX_EXTENTS, first.size(), "capped");
                List<Extent> all = status(d, 0, d.length());
                assertEquals(chunks, all.size());
                for (int c = 0; c < chunks; c++) {
                    assertEquals(c % 2 == 0 ? 0 : HOLE, all.get(c).flags(), "chunk " + c);
                }
                return null;
            });
        }
    }

    @Test
    void readOnlyRefusesModificationsWithEperm() throws Exception {
        BlockDriver rw = BlockDriver.memory(8192);
        try (BlockDriver ro = BlockDriver.readOnly(rw)) {
            assertTrue(ro.readOnly());
            assertFalse(ro.canDiscard());
            ctx.call(() -> {
                write(rw, 0, pattern(10, 7));
                assertEquals(BlockError.EPERM, errorOf(() -> ro.write(0, ByteBuffer.allocate(1), 0)));
                assertEquals(BlockError.EPERM, errorOf(() -> ro.discard(0, 10)));
                assertEquals(BlockError.EPERM, errorOf(() -> ro.writeZeroes(0, 10, 0)));
                ro.flush();
                assertArrayEquals(pattern(10, 7), read(ro, 0, 10), "unchanged, and readable");
                assertEquals(0, ro.blockStatus(0, 10).getFirst().flags());
                return null;
            });
            assertThrows(IllegalStateException.class, () -> ro.discard(0, 1));
            assertSame(ro, BlockDriver.readOnly(ro), "not wrapped twice");
        }
    }

    @Test
    void aClosedDeviceAnswersEshutdown() throws Exception {
        BlockDriver d = BlockDriver.memory(4096);
        d.close();
        d.close(); // idempotent
        ctx.call(() -> {
            assertEquals(BlockError.ESHUTDOWN, errorOf(() -> d.read(0, ByteBuffer.allocate(1))));
            assertEquals(BlockError.ESHUTDOWN, errorOf(d::flush));
            return null;
        });
    }

    @Test
    void writersInSeveralContextsNeverLoseEachOthersBytes() throws Exception {
        try (BlockDriver d = BlockDriver.memory(5L * CHUNK)) {
            Drivers.concurrentWriters(ctx, d, 4, CHUNK, 200);
        }
    }

    @Test
    void randomOperationsMatchAReferenceArray() throws Exception {
        try (BlockDriver d = BlockDriver.memory(16 * CHUNK + 4321)) {
            Drivers.randomOperations(ctx, d, 42, 3000, 3 * CHUNK);
        }
    }

    @Test
    void aProvisionedZeroRangeIsAllocatedAndZeroUntilWritten() throws Exception {
        try (MemoryDriver d = new MemoryDriver(4L * CHUNK)) {
            ctx.call(() -> {
                write(d, 0, pattern(CHUNK, 7)); // chunk 0: data; chunks 1-3: holes
                d.writeZeroes(100, 200, 0); // part of a data chunk: still data
                d.writeZeroes(CHUNK + 10, 20, 0); // part of a hole: the chunk is allocated, all zero
                d.writeZeroes(3L * CHUNK, CHUNK, 0); // a whole hole
                assertEquals(List.of(new Extent(0, CHUNK, 0), new Extent(CHUNK, CHUNK, Extent.ZERO),
                        new Extent(2L * CHUNK, CHUNK, HOLE), new Extent(3L * CHUNK, CHUNK, Extent.ZERO)),
                        status(d, 0, 4L * CHUNK));
                assertEquals(3L * CHUNK, d.allocatedBytes());
                byte[] expected = pattern(CHUNK, 7);
                java.util.Arrays.fill(expected, 100, 300, (byte) 0);
                assertArrayEquals(expected, read(d, 0, CHUNK));
                assertArrayEquals(new byte[3 * CHUNK], read(d, CHUNK, 3 * CHUNK));
                write(d, 3L * CHUNK + 5, new byte[] {1}); // written: data again
                d.writeZeroes(0, CHUNK, 0); // a whole data chunk zeroed: known zero now
                assertEquals(List.of(new Extent(0, 2L * CHUNK, Extent.ZERO),
                        new Extent(2L * CHUNK, CHUNK, HOLE), new Extent(3L * CHUNK, CHUNK, 0)),
                        status(d, 0, 4L * CHUNK));
                return null;
            });
        }
    }
}
