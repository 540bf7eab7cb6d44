package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.Coroutine;
import io.corio.core.io.ConnectionIo;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Requests of one connection run at once, bounded by bytes: requests park in the driver at a
 * gate, so the test counts how many are inside together; nothing here depends on timing. Each
 * case runs with the connection's I/O in its loop and on threads ({@link io.corio.core.io.ConnectionIo}).
 */
@Timeout(60)
class ConcurrencyTest {
    static final long SIZE = 64 << 20;

    /** Issues {@code n} reads of {@code size} bytes at once from coroutines of the test context. */
    static List<ByteBuffer> readAll(Fixture f, NbdClient c, int n, int size) throws InterruptedException {
        List<ByteBuffer> results = new ArrayList<>();
        List<Coroutine> readers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteBuffer b = ByteBuffer.allocate(size);
            results.add(b);
            long offset = (long) i * size;
            readers.add(f.ctx.spawn("read-" + i, () -> c.read(offset, b)));
        }
        return results;
    }

    static void awaitDone(Fixture f, List<ByteBuffer> results) {
        f.co(() -> {
            while (results.stream().anyMatch(ByteBuffer::hasRemaining)) {
                Coroutine.sleep(Duration.ofMillis(1));
            }
            return null;
        });
    }

    @ParameterizedTest
    @EnumSource(ConnectionIo.class)
    void oneConnectionKeeps128RequestsInsideTheDriverAtOnce(ConnectionIo io) throws Exception {
        SparseTestDriver disk = new SparseTestDriver(SIZE);
        try (Fixture f = new Fixture(NbdServer.builder().io(io).export("d", disk))) {
            NbdClient c = f.connect("d");
            int n = 128;
            int size = 4096;
            f.co(() -> {
                for (int i = 0; i < n; i++) {
                    c.write((long) i * size, Fixture.pattern(size, i), 0);
                }
                return null;
            });
            SparseTestDriver.Gate gate = new SparseTestDriver.Gate();
            disk.gate = gate;
            List<ByteBuffer> results = readAll(f, c, n, size);
            gate.awaitInside(n); // hangs (and the test times out) unless all 128 get in together
            assertEquals(n, gate.peak());
            gate.open();
            awaitDone(f, results);
            for (int i = 0; i < n; i++) {
                assertArrayEquals(Fixture.pattern(size, i).array(), results.get(i).array(), "read " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ConnectionIo.class)
    void theBudgetBoundsBytesInFlightNotRequests(ConnectionIo io) throws Exception {
        SparseTestDriver disk = new SparseTestDriver(SIZE);
        long budget = 1 << 20;
        int size = 64 << 10;
        int fits = (int) (budget / (size + ByteBudget.REQUEST_OVERHEAD)); // 15
        try (Fixture f = new Fixture(NbdServer.builder().io(io).export("d", disk).budget(budget))) {
            NbdClient c = f.connect("d");
            f.co(() -> {
                c.write(0, Fixture.pattern(64 * size, 1), 0);
                return null;
            });
            SparseTestDriver.Gate gate = new SparseTestDriver.Gate();
            disk.gate = gate;
            List<ByteBuffer> results = readAll(f, c, 64, size);
            gate.awaitInside(fits);
            Fixture.awaitDump(f.server, Fixture.READER_WAITS_FOR_BUDGET); // the reader stopped
            assertEquals(fits, gate.inside());
            gate.open();
            awaitDone(f, results);
            assertEquals(fits, gate.peak(), "never more than the budget in flight");
            ByteBuffer all = Fixture.pattern(64 * size, 1);
            for (int i = 0; i < 64; i++) {
                assertEquals(all.slice(i * size, size), results.get(i).flip(), "read " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ConnectionIo.class)
    void smallRequestsAreNotLimitedToAFewPerConnection(ConnectionIo io) throws Exception {
        // 512 tiny reads: with the default 64 MiB budget they all get in together
        SparseTestDriver disk = new SparseTestDriver(SIZE);
        try (Fixture f = new Fixture(NbdServer.builder().io(io).export("d", disk))) {
            NbdClient c = f.connect("d");
            f.co(() -> {
                c.write(0, Fixture.pattern(512 * 512, 2), 0); // data, not holes: reads reach the driver
                return null;
            });
            SparseTestDriver.Gate gate = new SparseTestDriver.Gate();
            disk.gate = gate;
            List<ByteBuffer> results = readAll(f, c, 512, 512);
            gate.awaitInside(512);
            gate.open();
            awaitDone(f, results);
            assertEquals(512, gate.peak());
        }
    }

    @ParameterizedTest
    @EnumSource(ConnectionIo.class)
    void aClientThatStopsReadingRepliesHoldsTheServerToItsBudget(ConnectionIo io) throws Exception {
        // replies not yet written hold their budget (core's FrameWriterTest checks that
        // exactly): once the socket buffers are full the reader stops, and when the client reads
        // again every reply arrives whole
        SparseTestDriver disk = new SparseTestDriver(SIZE);
        int size = 64 << 10;
        int n = 2000;
        try (Fixture f = new Fixture(NbdServer.builder().io(io).export("d", disk).budget(1 << 20));
                RawConnection r = new RawConnection(f.address, 16 << 10)) {
            r.greet(NbdProto.FLAG_C_FIXED_NEWSTYLE | NbdProto.FLAG_C_NO_ZEROES);
            r.send(new Option.Info(true, "d", List.of()));
            HandshakeTest.replies(r);
            for (int i = 0; i < n; i++) {
                r.send(new Request.Read(i, 0, (long) (i % 64) * size, size));
            }
            Fixture.awaitDump(f.server, Fixture.READER_WAITS_FOR_BUDGET);
            int served = disk.reads.get();
            assertTrue(served < n / 2, served + " of " + n + " reads served with no reply read");
            Set<Long> handles = new HashSet<>();
            for (int i = 0; i < n; i++) { // now every reply arrives, whole
                Reply.Simple reply = (Reply.Simple) TransmissionCodec.readReply(r.in, h -> size);
                assertEquals(0, reply.error());
                assertEquals(size, reply.data().remaining());
                handles.add(reply.handle());
            }
            assertEquals(n, handles.size());
            assertEquals(n, disk.reads.get());
        }
    }
}
