package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded random input: well-framed requests with random commands, flags, offsets and lengths
 * each get exactly one complete reply; random bytes in the handshake or after it close only
 * their own connection. Afterwards the server still serves a well-behaved client.
 */
@Timeout(60)
class FuzzTest {
    static final long SIZE = 1 << 20;

    SparseTestDriver disk = new SparseTestDriver(SIZE);
    Fixture f;

    @BeforeEach
    void start() throws Exception {
        f = new Fixture(NbdServer.builder().export("d", disk));
    }

    @AfterEach
    void stop() throws Exception {
        // the server is still fine: write and read back on a fresh connection
        NbdClient c = f.connect("d");
        ByteBuffer data = Fixture.pattern(8192, 3);
        byte[] back = f.co(() -> {
            c.write(4096, data.duplicate(), 0);
            ByteBuffer b = ByteBuffer.allocate(8192);
            c.read(4096, b);
            return b.array();
        });
        assertArrayEquals(data.array(), back);
        f.close();
    }

    static long pick(Random rnd, long... choices) {
        return choices[rnd.nextInt(choices.length)];
    }

    @Test
    void randomWellFramedRequestsEachGetOneReply() throws IOException {
        Random rnd = new Random(42);
        for (boolean structured : new boolean[] {true, false}) {
            try (RawConnection r = new RawConnection(f.address)) {
                r.greet(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES);
                if (structured) {
                    r.send(new Option.StructuredReply());
                    r.reply();
                    r.send(new Option.MetaContext(true, "d", List.of(BASE_ALLOCATION)));
                    HandshakeTest.replies(r);
                }
                r.send(new Option.Info(true, "d", List.of()));
                HandshakeTest.replies(r);
                Set<Long> open = new HashSet<>();
                java.util.Map<Long, Long> readLengths = new java.util.HashMap<>();
                int n = 2000;
                for (long handle = 0; handle < n; handle++) {
                    int type = (int) pick(rnd, 0, 1, 3, 4, 5, 6, 7, 8, 99, 0xffff);
                    int flags = rnd.nextInt(4) == 0 ? rnd.nextInt(1 << 16) : rnd.nextInt(32);
                    long offset = pick(rnd, 0, 1, 4095, SIZE - 1, SIZE, SIZE + 1, -1, Long.MIN_VALUE,
                            rnd.nextLong(SIZE));
                    long length = pick(rnd, 0, 1, 512, 4096, 65536, SIZE, MAX_PAYLOAD + 1L, 0xffffffffL,
                            rnd.nextInt(70_000));
                    ByteBuffer payload = null;
                    if (type == CMD_WRITE) {
                        length = Math.min(length, 70_000); // a longer one would lose the framing
                        payload = Fixture.pattern((int) length, (int) handle);
                    }
                    r.send(TransmissionCodec.encode(TransmissionCodec.request(
                            new TransmissionCodec.Header(flags, type, handle, offset, length), payload)));
                    open.add(handle);
                    if (type == CMD_READ) {
                        readLengths.put(handle, length);
                    }
                }
                while (!open.isEmpty()) {
                    // a successful simple READ reply carries the data: the decoder must know its length
                    Reply reply = TransmissionCodec.readReply(r.in,
                            h -> structured ? -1 : readLengths.getOrDefault(h, -1L).intValue());
                    boolean last = reply instanceof Reply.Simple || ((Reply.Chunk) reply).done();
                    if (!structured) {
                        assertTrue(reply instanceof Reply.Simple, reply.toString());
                    } else if (reply instanceof Reply.Simple s) {
                        assertEquals(0, s.error(), "errors come as chunks with structured replies");
                        assertTrue(readLengths.get(s.handle()) == null, "a READ gets chunks: " + s);
                    }
                    assertTrue(open.contains(reply.handle()), "one reply per request: " + reply);
                    if (last) {
                        open.remove(reply.handle());
                    }
                }
                r.send(new Request.Disconnect(n, 0));
                assertTrue(r.closedByServer());
            }
        }
    }

    @Test
    void randomBytesCloseOnlyTheirConnection() throws IOException {
        Random rnd = new Random(7);
        for (int i = 0; i < 60; i++) {
            try (RawConnection r = new RawConnection(f.address)) {
                byte[] junk = new byte[rnd.nextInt(4096) + 32];
                rnd.nextBytes(junk);
                r.greet(FLAG_C_FIXED_NEWSTYLE);
                if (i % 3 == 1) { // in transmission, after a valid GO
                    r.send(new Option.Info(true, "d", List.of()));
                    HandshakeTest.replies(r);
                } else if (i % 3 == 2) { // an option header with the right magic, then junk
                    ByteBuffer b = ByteBuffer.wrap(junk);
                    b.putLong(0, IHAVEOPT);
                    b.putInt(12, Math.min(b.getInt(12) & 0x7fffffff, 1 << 20));
                }
                r.send(ByteBuffer.wrap(junk));
                r.ch.shutdownOutput(); // so a partial message ends in EOF, not a wait
                assertTrue(r.closedByServer());
            }
        }
        assertEquals(0, waitForConnections(0));
    }

    private int waitForConnections(int n) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (f.server.connectionCount() != n && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return f.server.connectionCount();
    }
}
