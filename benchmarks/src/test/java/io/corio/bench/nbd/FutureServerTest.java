package io.corio.bench.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.nbd.NbdClient;
import io.corio.blockio.nbd.Reply;
import io.corio.core.AioContext;
import io.corio.core.CoroutineFunction;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link FutureServer} against our {@link NbdClient}: every command, its errors, every driver. */
@Timeout(60)
class FutureServerTest {
    static final long SIZE = 4 << 20;

    @TempDir
    Path dir;
    final ExecutorService io = Executors.newVirtualThreadPerTaskExecutor();
    final AioContext ctx = AioContext.start("test-client");
    final List<AutoCloseable> resources = new ArrayList<>();
    FutureServer server;
    SocketAddress address;
    NbdClient c;

    @BeforeEach
    void start() throws IOException {
        Path file = dir.resolve("disk.img");
        BlockDriver.createFile(file, SIZE);
        FutureDriver memory = FutureDriver.memory(SIZE);
        FutureDriver ro = FutureDriver.readOnly(FutureDriver.memory(1 << 20));
        FutureDriver onFile = FutureDriver.file(file, false, io);
        FutureDriver slow = FutureDriver.withLatency(FutureDriver.memory(1 << 20),
                Duration.ofMillis(20), Duration.ofMillis(20), io);
        resources.addAll(List.of(memory, ro, onFile, slow));
        server = FutureServer.builder().export("", memory, "memory").export("ro", ro, "read-only")
                .export("file", onFile, "file").export("slow", slow, "slow").build();
        address = server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        c = connect("", true);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        ctx.close();
        for (AutoCloseable r : resources) {
            r.close();
        }
        io.shutdown();
    }

    NbdClient connect(String export, boolean structured) throws IOException {
        NbdClient client = NbdClient.connect(address, export, structured);
        resources.addFirst(client);
        return client;
    }

    <T, X extends Exception> T co(CoroutineFunction<T, X> fn) throws X {
        return ctx.call(fn);
    }

    static ByteBuffer pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + seed * 13 + (i >> 9));
        }
        return ByteBuffer.wrap(b);
    }

    byte[] read(NbdClient client, long offset, int length) throws Exception {
        return co(() -> {
            ByteBuffer b = ByteBuffer.allocate(length);
            client.read(offset, b);
            return b.array();
        });
    }

    void write(NbdClient client, long offset, ByteBuffer data, int flags) throws Exception {
        co(() -> {
            client.write(offset, data.duplicate(), flags);
            return null;
        });
    }

    @Test
    void handshakeIsTheRealServersOne() {
        assertEquals(SIZE, c.length());
        assertEquals("memory", c.description());
        assertTrue(c.structuredReplies());
        assertTrue(c.hasBlockStatus());
        int want = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES
                | FLAG_SEND_DF | FLAG_SEND_FAST_ZERO | FLAG_SEND_CACHE | FLAG_CAN_MULTI_CONN;
        assertEquals(want, c.transmissionFlags());
    }

    @Test
    void writeFuaFlushTrimZeroAndReadBack() throws Exception {
        ByteBuffer data = pattern(100_000, 1);
        write(c, 12_345, data, 0);
        assertArrayEquals(data.array(), read(c, 12_345, 100_000));
        write(c, 1 << 20, pattern(4096, 2), BlockDriver.FUA);
        assertArrayEquals(pattern(4096, 2).array(), read(c, 1 << 20, 4096));
        assertEquals(0, co(() -> c.request(CMD_FLUSH, 0, 0, 0, null)).error());
        assertEquals(0, co(() -> c.request(CMD_TRIM, CMD_FLAG_FUA, 0, 65536, null)).error());
        assertArrayEquals(new byte[65536], read(c, 0, 65536)); // the memory driver frees whole chunks
        assertEquals(0, co(() -> c.request(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, 1 << 20, 4096, null)).error());
        assertArrayEquals(new byte[4096], read(c, 1 << 20, 4096));
        assertEquals(0, co(() -> c.request(CMD_CACHE, 0, 0, SIZE, null)).error());
    }

    @Test
    void structuredReadSendsHolesAndDfOneChunkAndBlockStatusMerges() throws Exception {
        write(c, 0, pattern(65536, 3), 0);
        write(c, 2 * 65536, pattern(65536, 4), 0);
        NbdClient.Response r = co(() -> c.request(CMD_READ, 0, 0, 3 * 65536, null));
        assertEquals(0, r.error());
        assertEquals(3, r.replies().size(), r.replies().toString());
        Reply.OffsetHole hole = assertInstanceOf(Reply.OffsetHole.class, r.replies().get(1));
        assertEquals(65536, hole.offset());
        assertTrue(((Reply.Chunk) r.replies().get(2)).done());
        NbdClient.Response df = co(() -> c.request(CMD_READ, CMD_FLAG_DF, 0, 3 * 65536, null));
        assertEquals(1, df.replies().size());
        assertArrayEquals(r.data().array(), df.data().array());

        NbdClient.Response all = co(() -> c.request(CMD_BLOCK_STATUS, 0, 0, 4 * 65536, null));
        assertEquals(List.of(new Reply.Descriptor(65536, 0), new Reply.Descriptor(65536, STATE_HOLE | STATE_ZERO),
                new Reply.Descriptor(65536, 0), new Reply.Descriptor(65536, STATE_HOLE | STATE_ZERO)),
                all.descriptors());
        NbdClient.Response one = co(() -> c.request(CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE, 0, 4 * 65536, null));
        assertEquals(List.of(new Reply.Descriptor(65536, 0)), one.descriptors());
    }

    @Test
    void simpleRepliesWithoutStructuredReplies() throws Exception {
        NbdClient simple = connect("", false);
        assertFalse(simple.structuredReplies());
        write(simple, 777, pattern(5000, 5), 0);
        NbdClient.Response r = co(() -> simple.request(CMD_READ, 0, 777, 5000, null));
        assertInstanceOf(Reply.Simple.class, r.replies().getFirst());
        assertArrayEquals(pattern(5000, 5).array(), r.data().array());
        NbdClient.Response bad = co(() -> simple.request(CMD_READ, 0, SIZE, 1, null));
        assertEquals(22, bad.error());
        assertInstanceOf(Reply.Simple.class, bad.replies().getFirst());
        assertEquals(22, co(() -> simple.request(CMD_BLOCK_STATUS, 0, 0, 1, null)).error()); // no meta context
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
                new Case(CMD_BLOCK_STATUS, 0, 0, 0, 22),
                new Case(CMD_READ, 0, 0, MAX_PAYLOAD + 1L, 22),
                new Case(CMD_READ, CMD_FLAG_NO_HOLE, 0, 1, 22),
                new Case(CMD_WRITE, CMD_FLAG_DF, 0, 1, 22),
                new Case(CMD_FLUSH, 0, 1, 0, 22),
                new Case(42, 0, 0, 0, 22), // unknown command
                new Case(CMD_READ, 1 << 15, 0, 1, 22)); // unknown flag
        for (Case k : cases) {
            ByteBuffer payload = k.type() == CMD_WRITE ? ByteBuffer.allocate((int) k.length()) : null;
            NbdClient.Response r = co(() -> c.request(k.type(), k.flags(), k.offset(), k.length(), payload));
            assertEquals(k.errno(), r.error(), k + ": " + r);
            Reply.Error e = assertInstanceOf(Reply.Error.class, r.replies().getFirst(), k.toString());
            assertFalse(e.message().isEmpty(), k.toString());
        }
        assertEquals(0, co(() -> c.request(CMD_FLUSH, 0, 0, 0, null)).error()); // still fine
    }

    @Test
    void aReadOnlyExportRefusesModificationsWithEperm() throws Exception {
        NbdClient ro = connect("ro", true);
        assertTrue(ro.readOnly());
        for (int type : List.of(CMD_WRITE, CMD_TRIM, CMD_WRITE_ZEROES)) {
            ByteBuffer payload = type == CMD_WRITE ? ByteBuffer.allocate(512) : null;
            NbdClient.Response r = co(() -> ro.request(type, 0, 0, 512, payload));
            assertEquals(1, r.error(), "command " + type + ": " + r); // EPERM
        }
        assertArrayEquals(new byte[4096], read(ro, 0, 4096));
    }

    @Test
    void theFileDriverWritesReadsZeroesAndRefusesFastZero() throws Exception {
        NbdClient file = connect("file", true);
        write(file, 3, pattern(70_000, 6), BlockDriver.FUA);
        assertArrayEquals(pattern(70_000, 6).array(), read(file, 3, 70_000));
        assertEquals(0, co(() -> file.request(CMD_WRITE_ZEROES, 0, 3, 1000, null)).error());
        assertArrayEquals(new byte[1000], read(file, 3, 1000));
        assertEquals(95, co(() -> file.request(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, 0, 1000, null)).error());
        assertEquals(0, co(() -> file.request(CMD_TRIM, 0, 0, 4096, null)).error()); // a hint
        assertEquals(0, co(() -> file.request(CMD_FLUSH, 0, 0, 0, null)).error());
        assertEquals(List.of(new Reply.Descriptor(SIZE, 0)),
                co(() -> file.request(CMD_BLOCK_STATUS, 0, 0, SIZE, null)).descriptors());
    }

    @Test
    void latencyDelaysEveryRequestAndKeepsItsData() throws Exception {
        NbdClient slow = connect("slow", true);
        long start = System.nanoTime();
        write(slow, 4096, pattern(4096, 7), 0);
        assertArrayEquals(pattern(4096, 7).array(), read(slow, 4096, 4096)); // read and status: one delay each, at once
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 40, "a write and a read delayed by 20 ms each took " + ms + " ms");
    }
}
