package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every command through {@link NbdClient} against the server, with structured replies. */
@Timeout(30)
class NbdCommandsTest {
    static final long SIZE = 16 << 20;

    SparseTestDriver disk;
    Fixture f;
    NbdClient c;

    @BeforeEach
    void start() throws Exception {
        disk = new SparseTestDriver(SIZE);
        f = new Fixture(NbdServer.builder().export("disk", disk, "a sparse test disk"));
        c = f.connect("disk");
    }

    @AfterEach
    void stop() {
        f.close();
    }

    byte[] read(long offset, int length) throws BlockException {
        return f.co(() -> {
            ByteBuffer b = ByteBuffer.allocate(length);
            c.read(offset, b);
            assertFalse(b.hasRemaining());
            return b.array();
        });
    }

    void write(long offset, ByteBuffer data, int flags) throws BlockException {
        f.co(() -> {
            c.write(offset, data.duplicate(), flags);
            return null;
        });
    }

    @Test
    void handshakeAgreesOnSizeFlagsAndDescription() {
        assertEquals(SIZE, c.length());
        assertTrue(c.structuredReplies());
        assertTrue(c.hasBlockStatus());
        assertEquals("a sparse test disk", c.description());
        int expected = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM
                | FLAG_SEND_WRITE_ZEROES | FLAG_SEND_DF | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE
                | FLAG_SEND_FAST_ZERO;
        assertEquals(expected, c.transmissionFlags());
    }

    @Test
    void writeThenReadBackAtUnalignedOffsets() throws Exception {
        ByteBuffer data = Fixture.pattern(10_000, 1);
        write(4095, data, 0);
        assertArrayEquals(data.array(), read(4095, 10_000));
        byte[] around = read(4000, 10_200); // hole, data, hole
        for (int i = 0; i < 95; i++) {
            assertEquals(0, around[i]);
        }
        assertEquals(data.get(0), around[95]);
        assertEquals(0, around[10_199]);
    }

    @Test
    void fuaReachesTheDriverAndFlushFlushes() throws Exception {
        write(0, Fixture.pattern(512, 2), BlockDriver.FUA);
        assertEquals(1, disk.fuaWrites.get());
        f.co(() -> {
            c.flush();
            return null;
        });
        assertEquals(1, disk.flushes.get());
    }

    @Test
    void trimMakesAHoleThatReadsAsZero() throws Exception {
        write(0, Fixture.pattern(3 * 4096, 3), 0);
        f.co(() -> {
            c.discard(4096, 4096);
            return null;
        });
        assertFalse(disk.allocated(4096));
        assertArrayEquals(new byte[4096], read(4096, 4096));
        List<Extent> map = f.co(() -> c.blockStatus(0, 3 * 4096));
        assertEquals(List.of(new Extent(0, 4096, 0), new Extent(4096, 4096, Extent.HOLE | Extent.ZERO),
                new Extent(8192, 4096, 0)), map);
    }

    @Test
    void writeZeroesPunchesUnlessNoHoleAndFastZeroIsPassedOn() throws Exception {
        write(0, Fixture.pattern(2 * 4096, 4), 0);
        f.co(() -> {
            c.writeZeroes(0, 4096, BlockDriver.MAY_TRIM); // NBD: no NO_HOLE flag
            c.writeZeroes(4096, 4096, 0); // NBD_CMD_FLAG_NO_HOLE: stays allocated
            c.writeZeroes(8192, 4096, BlockDriver.FAST_ZERO | BlockDriver.FUA); // NO_HOLE|FAST_ZERO|FUA
            return null;
        });
        assertFalse(disk.allocated(0));
        assertTrue(disk.allocated(4096));
        assertTrue(disk.allocated(8192));
        assertEquals(1, disk.fuaWrites.get());
        assertArrayEquals(new byte[3 * 4096], read(0, 3 * 4096));
    }

    @Test
    void aNoHoleZeroOfAMemoryExportLeavesItAllocatedAndZero() throws Exception {
        // proto.md: with NBD_CMD_FLAG_NO_HOLE "the area MUST be fully provisioned", so block
        // status must not call it a hole (STATE_HOLE: future writes may fail for space)
        try (BlockDriver memory = BlockDriver.memory(SIZE);
                Fixture g = new Fixture(NbdServer.builder().export("m", memory))) {
            NbdClient m = g.connect("m");
            int chunk = 64 << 10;
            NbdClient.Response status = g.co(() -> {
                m.request(CMD_WRITE_ZEROES, CMD_FLAG_NO_HOLE, 0, chunk, null);
                m.request(CMD_WRITE_ZEROES, 0, chunk, chunk, null); // may punch: stays a hole
                return m.request(CMD_BLOCK_STATUS, 0, 0, 2 * chunk, null);
            });
            assertEquals(List.of(new Reply.Descriptor(chunk, STATE_ZERO),
                    new Reply.Descriptor(chunk, STATE_HOLE | STATE_ZERO)), status.descriptors());
        }
    }

    @Test
    void blockStatusReqOneSendsOneDescriptor() throws Exception {
        write(8192, Fixture.pattern(4096, 5), 0);
        NbdClient.Response all = f.co(() -> c.request(CMD_BLOCK_STATUS, 0, 0, 4 * 4096, null));
        assertEquals(List.of(new Reply.Descriptor(8192, STATE_HOLE | STATE_ZERO), new Reply.Descriptor(4096, 0),
                new Reply.Descriptor(4096, STATE_HOLE | STATE_ZERO)), all.descriptors());
        NbdClient.Response one = f.co(() -> c.request(CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE, 0, 4 * 4096, null));
        assertEquals(List.of(new Reply.Descriptor(8192, STATE_HOLE | STATE_ZERO)), one.descriptors());
    }

    @Test
    void structuredReadSendsHolesAsHoleChunksAndDfAsOneDataChunk() throws Exception {
        ByteBuffer a = Fixture.pattern(4096, 6);
        ByteBuffer b = Fixture.pattern(4096, 7);
        write(0, a, 0);
        write(8192, b, 0);
        NbdClient.Response r = f.co(() -> c.request(CMD_READ, 0, 0, 3 * 4096, null));
        assertEquals(0, r.error());
        List<Reply> chunks = r.replies();
        assertEquals(3, chunks.size(), chunks.toString());
        Reply.OffsetData d0 = assertInstanceOf(Reply.OffsetData.class, chunks.get(0));
        Reply.OffsetHole h = assertInstanceOf(Reply.OffsetHole.class, chunks.get(1));
        Reply.OffsetData d1 = assertInstanceOf(Reply.OffsetData.class, chunks.get(2));
        assertEquals(List.of(0L, 4096L, 8192L), List.of(d0.offset(), h.offset(), d1.offset()));
        assertEquals(4096, h.length());
        assertFalse(d0.done() || h.done());
        assertTrue(d1.done());
        byte[] expected = new byte[3 * 4096];
        System.arraycopy(a.array(), 0, expected, 0, 4096);
        System.arraycopy(b.array(), 0, expected, 8192, 4096);
        assertArrayEquals(expected, r.data().array());

        NbdClient.Response df = f.co(() -> c.request(CMD_READ, CMD_FLAG_DF, 0, 3 * 4096, null));
        assertEquals(1, df.replies().size());
        Reply.OffsetData only = assertInstanceOf(Reply.OffsetData.class, df.replies().getFirst());
        assertTrue(only.done());
        assertArrayEquals(expected, df.data().array());
    }

    @Test
    void cacheSucceedsInRange() {
        NbdClient.Response r = f.co(() -> c.request(CMD_CACHE, 0, 0, SIZE, null));
        assertEquals(0, r.error());
        assertInstanceOf(Reply.Simple.class, r.replies().getFirst());
    }

    @Test
    void zeroLengthRequestsSucceedWithoutTouchingTheDriver() {
        int before = disk.reads.get();
        NbdClient.Response read = f.co(() -> c.request(CMD_READ, 0, SIZE, 0, null));
        assertEquals(0, read.error());
        assertEquals(List.of(new Reply.None(read.replies().getFirst().handle())), read.replies());
        assertEquals(0, f.co(() -> c.request(CMD_WRITE, 0, 0, 0, ByteBuffer.allocate(0))).error());
        assertEquals(0, f.co(() -> c.request(CMD_TRIM, 0, SIZE, 0, null)).error());
        assertEquals(before, disk.reads.get());
    }

    @Test
    void errorsCarryTheRightErrnoAndAMessage() {
        record Case(int type, int flags, long offset, long length, int errno) {}
        List<Case> cases = List.of(
                new Case(CMD_READ, 0, SIZE - 1, 2, 22), // read past the end: EINVAL
                new Case(CMD_READ, 0, -1, 1, 22), // offset >= 2^63
                new Case(CMD_WRITE, 0, SIZE - 1, 2, 28), // write past the end: ENOSPC
                new Case(CMD_WRITE_ZEROES, 0, SIZE, 1, 28),
                new Case(CMD_TRIM, 0, SIZE, 1, 22),
                new Case(CMD_CACHE, 0, SIZE + 1, 0, 22),
                new Case(CMD_BLOCK_STATUS, 0, SIZE, 1, 22),
                new Case(CMD_BLOCK_STATUS, 0, 0, 0, 22), // empty block status
                new Case(CMD_READ, 0, 0, MAX_PAYLOAD + 1L, 22), // read over the limit
                new Case(CMD_READ, CMD_FLAG_NO_HOLE, 0, 1, 22), // a flag not valid for READ
                new Case(CMD_WRITE, CMD_FLAG_DF, 0, 1, 22),
                new Case(CMD_WRITE_ZEROES, CMD_FLAG_DF, 0, 1, 22),
                new Case(CMD_BLOCK_STATUS, CMD_FLAG_NO_HOLE, 0, 1, 22),
                new Case(CMD_FLUSH, 0, 1, 0, 22), // flush with an offset
                new Case(CMD_FLUSH, CMD_FLAG_REQ_ONE, 0, 0, 22),
                new Case(42, 0, 0, 0, 22), // unknown command
                new Case(CMD_READ, 1 << 15, 0, 1, 22)); // unknown flag
        for (Case k : cases) {
            ByteBuffer payload = k.type() == CMD_WRITE ? ByteBuffer.allocate((int) k.length()) : null;
            NbdClient.Response r = f.co(() -> c.request(k.type(), k.flags(), k.offset(), k.length(), payload));
            assertEquals(k.errno(), r.error(), k + ": " + r);
            Reply.Error e = assertInstanceOf(Reply.Error.class, r.replies().getFirst(), k.toString());
            assertFalse(e.message().isEmpty(), k.toString());
        }
        // the connection is still fine after all that
        assertEquals(0, f.co(() -> c.request(CMD_FLUSH, 0, 0, 0, null)).error());
    }

    @Test
    void clientChecksRangesBeforeSending() {
        BlockException e = assertThrows(BlockException.class, () -> f.co(() -> {
            c.read(SIZE, ByteBuffer.allocate(1));
            return null;
        }));
        assertEquals(BlockError.EINVAL, e.error());
    }
}
