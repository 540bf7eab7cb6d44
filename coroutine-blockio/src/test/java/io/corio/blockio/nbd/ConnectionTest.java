package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.FileOption;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Connections as a whole: simple replies, abuse, disconnect, Unix sockets, server close. */
@Timeout(30)
class ConnectionTest {
    static final long SIZE = 1 << 20;

    SparseTestDriver disk = new SparseTestDriver(SIZE);
    Fixture f;

    @BeforeEach
    void start() throws Exception {
        f = new Fixture(NbdServer.builder().export("disk", disk));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** A raw connection through GO on "disk", with or without structured replies. */
    RawConnection transmission(boolean structured) throws IOException {
        RawConnection r = new RawConnection(f.address);
        r.greet(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
        if (structured) {
            r.send(new Option.StructuredReply());
            r.reply();
        }
        r.send(new Option.Info(true, "disk", List.of()));
        HandshakeTest.replies(r);
        return r;
    }

    @Test
    void simpleRepliesWithoutStructuredReplies() throws Exception {
        NbdClient c = f.connect("disk", false);
        assertFalse(c.structuredReplies());
        assertFalse(c.hasBlockStatus());
        assertEquals(0, c.transmissionFlags() & FLAG_SEND_DF, "no DF without structured replies");
        ByteBuffer data = Fixture.pattern(5000, 9);
        byte[] back = f.co(() -> {
            c.write(100, data.duplicate(), 0);
            ByteBuffer b = ByteBuffer.allocate(5000);
            c.read(100, b);
            return b.array();
        });
        assertArrayEquals(data.array(), back);
        NbdClient.Response err = f.co(() -> c.request(CMD_READ, 0, SIZE, 1, null));
        assertEquals(new Reply.Simple(err.replies().getFirst().handle(), 22, null), err.replies().getFirst());
        assertEquals(22, f.co(() -> c.request(CMD_READ, CMD_FLAG_DF, 0, 1, null)).error(),
                "DF is invalid without structured replies");
        assertEquals(22, f.co(() -> c.request(CMD_BLOCK_STATUS, 0, 0, 1, null)).error());
        BlockException e = assertThrows(BlockException.class, () -> f.co(() -> c.blockStatus(0, 1)));
        assertEquals(BlockError.ENOTSUP, e.error());
    }

    @Test
    void garbageAfterTheHandshakeClosesOnlyThatConnection() throws Exception {
        NbdClient good = f.connect("disk");
        try (RawConnection bad = transmission(true)) {
            bad.send(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".getBytes()));
            assertTrue(bad.closedByServer());
        }
        try (RawConnection bad = transmission(false)) {
            // a WRITE announcing more than 32 MiB of payload
            bad.send(ByteBuffer.wrap(CodecBytesTest.hex(
                    "25609513 0000 0001 0000000000000001 0000000000000000 7fffffff")));
            assertTrue(bad.closedByServer());
        }
        try (RawConnection bad = new RawConnection(f.address)) {
            bad.greet(FLAG_C_FIXED_NEWSTYLE);
            bad.send(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}));
            assertTrue(bad.closedByServer());
        }
        // the other connection never noticed
        ByteBuffer data = Fixture.pattern(4096, 10);
        byte[] back = f.co(() -> {
            good.write(0, data.duplicate(), 0);
            ByteBuffer b = ByteBuffer.allocate(4096);
            good.read(0, b);
            return b.array();
        });
        assertArrayEquals(data.array(), back);
    }

    @Test
    void aMalformedRequestWithIntactFramingGetsAnErrorAndTheConnectionGoesOn() throws Exception {
        try (RawConnection r = transmission(true)) {
            r.send(new Request.Unknown(1, 0, 200, 0, 0));
            r.send(new Request.Read(2, 0xffff, 0, 1));
            r.send(new Request.Read(3, 0, 0, 512));
            Set<Long> errors = new HashSet<>();
            for (int i = 0; i < 2; i++) {
                Reply.Error e = assertInstanceOf(Reply.Error.class, r.transmissionReply());
                assertEquals(22, e.error());
                errors.add(e.handle());
            }
            assertEquals(Set.of(1L, 2L), errors);
            assertEquals(3, assertInstanceOf(Reply.OffsetHole.class, r.transmissionReply()).handle());
        }
    }

    @Test
    void disconnectFinishesRequestsInFlightFirst() throws Exception {
        SparseTestDriver.Gate gate = new SparseTestDriver.Gate();
        disk.gate = gate;
        try (RawConnection r = transmission(false)) {
            for (int i = 0; i < 8; i++) {
                r.send(new Request.Write(i, 0, i * 4096L, Fixture.pattern(4096, i)));
            }
            r.send(new Request.Disconnect(99, 0));
            gate.awaitInside(8);
            gate.open();
            Set<Long> answered = new HashSet<>();
            for (int i = 0; i < 8; i++) {
                Reply.Simple s = assertInstanceOf(Reply.Simple.class, r.transmissionReply());
                assertEquals(0, s.error());
                answered.add(s.handle());
            }
            assertEquals(8, answered.size());
            assertTrue(r.closedByServer());
        }
        NbdClient c = f.connect("disk");
        for (int i = 0; i < 8; i++) {
            int k = i;
            byte[] back = f.co(() -> {
                ByteBuffer b = ByteBuffer.allocate(4096);
                c.read(k * 4096L, b);
                return b.array();
            });
            assertArrayEquals(Fixture.pattern(4096, k).array(), back, "write " + k + " landed");
        }
    }

    @Test
    void aFuaWriteOnOneConnectionIsSeenOnAnother() throws Exception {
        NbdClient a = f.connect("disk");
        NbdClient b = f.connect("disk");
        assertTrue((a.transmissionFlags() & FLAG_CAN_MULTI_CONN) != 0);
        ByteBuffer data = Fixture.pattern(8192, 12);
        f.co(() -> {
            a.write(8192, data.duplicate(), io.corio.blockio.BlockDriver.FUA);
            return null;
        });
        byte[] seen = f.co(() -> {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            b.read(8192, buf);
            return buf.array();
        });
        assertArrayEquals(data.array(), seen);
        assertEquals(1, disk.fuaWrites.get());
    }

    @Test
    void unixDomainSocket(@TempDir Path dir) throws Exception {
        UnixDomainSocketAddress where = UnixDomainSocketAddress.of(dir.resolve("nbd.sock"));
        assertEquals(where, f.server.listen(where));
        try (NbdClient c = NbdClient.connect(where, "disk")) {
            assertEquals(SIZE, c.length());
            assertEquals(0, f.co(() -> c.request(CMD_FLUSH, 0, 0, 0, null)).error());
        }
    }

    @Test
    void serverCloseLetsRequestsInFlightFinish() throws Exception {
        SparseTestDriver.Gate gate = new SparseTestDriver.Gate();
        disk.gate = gate;
        NbdClient c = f.connect("disk");
        var pending = f.ctx.spawn("write", () -> c.write(0, Fixture.pattern(4096, 11), 0));
        gate.awaitInside(1);
        Thread closer = Thread.ofVirtual().start(f.server::close);
        // close() has stopped the reader, which now waits for the write to give its budget back
        Fixture.awaitDump(f.server, Fixture.READER_WAITS_FOR_BUDGET);
        assertTrue(closer.isAlive(), "close() waits for the request in flight");
        gate.open();
        closer.join();
        assertEquals(0, f.server.connectionCount());
        f.co(() -> {
            while (pending.state() != io.corio.core.Coroutine.State.DONE) {
                io.corio.core.Coroutine.sleep(java.time.Duration.ofMillis(1));
            }
            return null;
        });
        assertTrue(disk.allocated(0), "the write in flight was done, not dropped");
        BlockException after = assertThrows(BlockException.class, () -> f.co(() -> {
            c.flush();
            return null;
        }));
        assertEquals(BlockError.EIO, after.error());
    }

    @Test
    void aDirectIoFileExportTakesPayloadsStraightFromThePoolBuffers(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("direct.img");
        BlockDriver.createFile(p, SIZE);
        BlockDriver file;
        try {
            file = BlockDriver.file(p, FileOption.DIRECT);
        } catch (IOException e) {
            assumeTrue(false, "no O_DIRECT here: " + e.getMessage());
            return;
        }
        try (file; Fixture g = new Fixture(NbdServer.builder().export("direct", file))) {
            NbdClient c = g.connect("direct");
            ByteBuffer data = Fixture.pattern(64 << 10, 5);
            ByteBuffer back = ByteBuffer.allocate(64 << 10);
            g.co(() -> {
                c.write(4096, data.duplicate(), 0);
                c.read(4096, back);
                return null;
            });
            assertEquals(data, back.flip());
            // O_DIRECT still wants aligned offsets: the driver's EINVAL reaches the client
            assertEquals(22, g.co(() -> c.request(CMD_READ, 0, 1, 4096, null)).error());
        }
    }
}
