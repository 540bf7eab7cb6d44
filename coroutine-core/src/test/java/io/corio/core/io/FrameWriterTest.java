package io.corio.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The frame writer against a channel the test controls: credit and pool buffers come back only
 * once a frame's bytes are written (or dropped), and frames leave whole, in order per sender,
 * however the channel cuts the writes, gathering or not.
 */
@Timeout(30)
class FrameWriterTest {

    /** A channel that takes at most {@code chunk} bytes per write, optionally waiting at a gate. */
    static class TestChannel implements GatheringByteChannel {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final CountDownLatch entered = new CountDownLatch(1);
        final int chunk;
        volatile CountDownLatch gate; // if set, writes wait until it opens
        volatile boolean fail; // if set, writes throw
        volatile boolean open = true;

        TestChannel(int chunk) {
            this.chunk = chunk;
        }

        @Override
        public synchronized long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            entered.countDown();
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (fail || !open) {
                throw new ClosedChannelException();
            }
            long n = 0;
            for (int i = offset; i < offset + length && n < chunk; i++) {
                while (srcs[i].hasRemaining() && n < chunk) {
                    written.write(srcs[i].get());
                    n++;
                }
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) write(new ByteBuffer[] {src});
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    final Semaphore credit = new Semaphore(1000);
    final BufferPool pool = new BufferPool(1 << 20);

    private FrameWriter writer(WritableByteChannel ch) {
        FrameWriter w = new FrameWriter("t", ch, pool, n -> credit.release(Math.toIntExact(n)));
        w.start();
        return w;
    }

    @Test
    void creditAndPayloadComeBackOnlyOnceTheFrameIsWritten() throws InterruptedException {
        TestChannel ch = new TestChannel(Integer.MAX_VALUE);
        ch.gate = new CountDownLatch(1);
        FrameWriter w = writer(ch);
        assertTrue(credit.tryAcquire(300, 10, TimeUnit.SECONDS));
        ByteBuffer payload = pool.take(4096);
        w.send(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {1, 2}), payload.slice(0, 3)}, payload, 300);
        awaitUninterruptibly(ch.entered); // the writer is inside write(), held at the gate
        assertEquals(700, credit.availablePermits(), "held while the frame is not written");
        assertEquals(0, pool.pooledBytes());
        ch.gate.countDown();
        assertTrue(credit.tryAcquire(1000, 10, TimeUnit.SECONDS)); // returns once all 300 are back
        assertEquals(4096, pool.pooledBytes(), "the payload went back to the pool first");
        w.close();
        assertEquals(5, ch.written.size());
    }

    @Test
    void eachFrameOfABatchIsGivenBackOnceWrittenNotAtTheEndOfTheBatch() throws InterruptedException {
        // writes of at most 4 bytes; the first and the third write wait at their gates
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch third = new CountDownLatch(1);
        CountDownLatch[] gates = {first, null, third};
        AtomicInteger calls = new AtomicInteger();
        TestChannel ch = new TestChannel(4) {
            @Override
            public synchronized long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
                int call = calls.getAndIncrement();
                if (call < gates.length && gates[call] != null) {
                    awaitUninterruptibly(gates[call]);
                }
                return super.write(srcs, offset, length);
            }
        };
        Semaphore back = new Semaphore(0);
        FrameWriter w = new FrameWriter("t", ch, pool, n -> back.release(Math.toIntExact(n)));
        w.start();
        w.send(new ByteBuffer[] {ByteBuffer.allocate(4)}, null, 1); // held in the first write
        while (calls.get() == 0) {
            Thread.onSpinWait(); // until the writer is inside that write
        }
        ByteBuffer payload = pool.take(4);
        w.send(new ByteBuffer[] {ByteBuffer.allocate(2), payload.limit(2)}, payload, 10); // A
        w.send(new ByteBuffer[] {ByteBuffer.allocate(4)}, null, 100); // B: one batch with A
        first.countDown();
        // A is written by the second write while B waits at the third: A's credit must come
        // back now, not once the batch is done (a timed wait, so a regression fails, not hangs)
        assertTrue(back.tryAcquire(1 + 10, 10, TimeUnit.SECONDS), "A's credit came back");
        assertEquals(0, back.availablePermits());
        assertEquals(4096, pool.pooledBytes(), "A's payload is back while B waits");
        third.countDown();
        assertTrue(back.tryAcquire(100, 10, TimeUnit.SECONDS), "B's credit came back");
        w.close();
        assertEquals(12, ch.written.size());
    }

    @Test
    void afterAFailedWriteEverythingQueuedIsDroppedAndGivenBack() throws InterruptedException {
        TestChannel ch = new TestChannel(Integer.MAX_VALUE);
        ch.gate = new CountDownLatch(1);
        ch.fail = true;
        FrameWriter w = writer(ch);
        for (int i = 0; i < 3; i++) {
            assertTrue(credit.tryAcquire(100, 10, TimeUnit.SECONDS));
            ByteBuffer payload = pool.take(8192);
            w.send(new ByteBuffer[] {payload}, payload, 100);
        }
        ch.gate.countDown();
        assertTrue(credit.tryAcquire(1000, 10, TimeUnit.SECONDS));
        assertEquals(3 * 8192, pool.pooledBytes());
        assertFalse(ch.isOpen(), "a failed write closes the channel");
        w.close();
        assertEquals(0, ch.written.size());
    }

    @Test
    void framesLeaveWholeAndInOrderPerSenderThroughShortGatheringWrites() throws Exception {
        TestChannel ch = new TestChannel(7); // every write cuts through frames
        checkFramesFromManyThreads(ch, ch.written);
    }

    @Test
    void aChannelThatCannotGatherGetsTheSameBytes() throws Exception {
        TestChannel inner = new TestChannel(5);
        WritableByteChannel plain = new WritableByteChannel() { // one buffer per write
            @Override
            public int write(ByteBuffer src) throws IOException {
                return inner.write(src);
            }

            @Override
            public boolean isOpen() {
                return inner.isOpen();
            }

            @Override
            public void close() {
                inner.close();
            }
        };
        checkFramesFromManyThreads(plain, inner.written);
    }

    @Test
    void aFrameOfMoreBuffersThanOneWriteTakesStillLeavesWhole() {
        TestChannel ch = new TestChannel(Integer.MAX_VALUE);
        FrameWriter w = writer(ch);
        int n = FrameWriter.MAX_BATCH * 2 + 3;
        ByteBuffer[] bufs = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            bufs[i] = ByteBuffer.wrap(new byte[] {(byte) i});
        }
        w.send(ByteBuffer.wrap(new byte[] {-1}));
        w.send(bufs, null, 0);
        w.send(ByteBuffer.wrap(new byte[] {-2}));
        w.close();
        byte[] out = ch.written.toByteArray();
        assertEquals(n + 2, out.length);
        assertEquals(-1, out[0]);
        for (int i = 0; i < n; i++) {
            assertEquals((byte) i, out[i + 1]);
        }
        assertEquals(-2, out[n + 1]);
    }

    @Test
    void sendRefusesNegativeCreditAndAPooledBufferWithoutAPool() {
        FrameWriter w = new FrameWriter("t", new TestChannel(1), null, n -> {});
        ByteBuffer b = pool.take(1);
        assertThrows(IllegalArgumentException.class, () -> w.send(new ByteBuffer[] {b}, b, 0));
        assertThrows(IllegalArgumentException.class, () -> w.send(new ByteBuffer[] {b}, null, -1));
    }

    private void checkFramesFromManyThreads(WritableByteChannel ch, ByteArrayOutputStream written)
            throws Exception {
        FrameWriter w = writer(ch);
        int senders = 4;
        int each = 500;
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            int sender = s;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < each; i++) {
                    w.send(message(sender, i));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        w.close();
        ByteBuffer in = ByteBuffer.wrap(written.toByteArray());
        int[] next = new int[senders];
        while (in.hasRemaining()) {
            int sender = in.getInt();
            int seq = in.getInt();
            int length = in.getInt();
            assertEquals(next[sender]++, seq, "sender " + sender + " out of order");
            for (int i = 0; i < length; i++) {
                assertEquals((byte) (sender * 31 + seq + i), in.get(), "message " + sender + "/" + seq);
            }
        }
        for (int s = 0; s < senders; s++) {
            assertEquals(each, next[s]);
        }
        assertThrows(IllegalStateException.class, () -> w.send(ByteBuffer.allocate(1)));
    }

    /** A header of sender, sequence and length, then the body in buffers of a few bytes. */
    private static ByteBuffer[] message(int sender, int seq) {
        int length = seq % 50;
        List<ByteBuffer> bufs = new ArrayList<>();
        bufs.add(ByteBuffer.allocate(12).putInt(sender).putInt(seq).putInt(length).flip());
        ByteBuffer body = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++) {
            body.put((byte) (sender * 31 + seq + i));
        }
        body.flip();
        while (body.hasRemaining()) {
            int n = Math.min(body.remaining(), 1 + seq % 5);
            bufs.add(body.slice(body.position(), n));
            body.position(body.position() + n);
        }
        return bufs.toArray(ByteBuffer[]::new);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
