package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.core.Coroutine;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Structured READs: holes come from block status, checked against the bytes actually read. */
@Timeout(30)
class SparseReadTest {
    SparseTestDriver disk = new SparseTestDriver(1 << 20);
    Fixture f;
    NbdClient c;

    @BeforeEach
    void start() throws Exception {
        f = new Fixture(NbdServer.builder().export("d", disk));
        c = f.connect("d");
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void blockStatusAndReadRunAtTheSameTime() throws Exception {
        f.co(() -> {
            c.write(0, Fixture.pattern(4096, 1), 0);
            return null;
        });
        SparseTestDriver.Gate gate = new SparseTestDriver.Gate();
        disk.gate = gate;
        disk.statusGate = gate;
        var reader = f.ctx.spawn("reader", () -> c.request(CMD_READ, 0, 0, 8192, null));
        gate.awaitInside(2); // the read and its block status lookup, both in the driver at once
        gate.open();
        f.co(() -> {
            while (reader.state() != Coroutine.State.DONE) {
                Coroutine.sleep(Duration.ofMillis(1));
            }
            return null;
        });
        assertEquals(2, gate.peak());
    }

    @Test
    void aHoleThatDoesNotReadAsZeroIsSentAsData() throws Exception {
        ByteBuffer data = Fixture.pattern(4096, 2);
        f.co(() -> {
            c.write(4096, data.duplicate(), 0);
            return null;
        });
        disk.lieAboutHoles = true; // says all of it is a zero hole; the bytes say otherwise
        NbdClient.Response r = f.co(() -> c.request(CMD_READ, 0, 0, 3 * 4096, null));
        assertEquals(0, r.error());
        // the lie spans the whole range: it is one run, not all zero, so one data chunk
        Reply.OffsetData only = assertInstanceOf(Reply.OffsetData.class, r.replies().getFirst());
        assertEquals(1, r.replies().size());
        assertTrue(only.done());
        byte[] expected = new byte[3 * 4096];
        System.arraycopy(data.array(), 0, expected, 4096, 4096);
        assertArrayEquals(expected, r.data().array());
    }

    @Test
    void withoutBlockStatusTheReadIsOneDataChunk() throws Exception {
        SparseTestDriver inner = new SparseTestDriver(1 << 20);
        BlockDriver noStatus = new BlockDriver() {
            public long length() { return inner.length(); }
            public boolean readOnly() { return false; }
            public boolean canFua() { return true; }
            public boolean canFastZero() { return false; }
            public boolean canDiscard() { return true; }
            public void read(long o, ByteBuffer d) throws BlockException { inner.read(o, d); }
            public void write(long o, ByteBuffer s, int fl) throws BlockException { inner.write(o, s, fl); }
            public void flush() { }
            public void discard(long o, long l) throws BlockException { inner.discard(o, l); }
            public void writeZeroes(long o, long l, int fl) throws BlockException { inner.writeZeroes(o, l, fl); }
            public List<Extent> blockStatus(long o, long l) throws BlockException {
                throw new BlockException(BlockError.ENOTSUP, "no block status here");
            }
            public void close() { }
        };
        try (Fixture g = new Fixture(NbdServer.builder().export("n", noStatus))) {
            NbdClient nc = g.connect("n");
            NbdClient.Response r = g.co(() -> nc.request(CMD_READ, 0, 0, 8192, null));
            assertEquals(0, r.error());
            assertEquals(1, r.replies().size());
            assertInstanceOf(Reply.OffsetData.class, r.replies().getFirst());
            // and FAST_ZERO is refused at once when the driver has no fast zero
            assertEquals(95, g.co(() -> nc.request(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, 0, 4096, null)).error());
        }
    }
}
