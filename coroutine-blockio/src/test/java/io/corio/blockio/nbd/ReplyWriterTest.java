package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reply writer against a channel the test controls: budget and pool buffers come back only
 * once a reply's bytes are written (or dropped), and messages leave whole, in order per sender,
 * however the channel cuts the writes.
 */
@Timeout(30)
class ReplyWriterTest {

    /** A channel that takes at most {@code chunk} bytes per write, optionally waiting at a gate. */
    static final class TestChannel implements GatheringByteChannel {
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

    final ByteBudget budget = new ByteBudget(1000);
    final BufferPool pool = new BufferPool(1 << 20);

    @Test
    void budgetAndPayloadComeBackOnlyOnceTheReplyIsWritten() {
        TestChannel ch = new TestChannel(Integer.MAX_VALUE);
        ch.gate = new CountDownLatch(1);
        ReplyWriter w = new ReplyWriter("t", ch, budget, pool);
        w.start();
        budget.acquire(300);
        ByteBuffer payload = pool.take(4096);
        w.send(new ReplyWriter.Outgoing(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {1, 2}),
                payload.slice(0, 3)}, payload), 300);
        awaitUninterruptibly(ch.entered); // the writer is inside write(), held at the gate
        assertEquals(700, budget.available(), "held while the reply is not written");
        assertEquals(0, pool.pooledBytes());
        ch.gate.countDown();
        budget.acquire(1000); // returns once all 300 bytes are back
        assertEquals(4096, pool.pooledBytes(), "the payload went back to the pool first");
        w.close();
        assertEquals(5, ch.written.size());
    }

    @Test
    void afterAFailedWriteEverythingQueuedIsDroppedAndGivenBack() {
        TestChannel ch = new TestChannel(Integer.MAX_VALUE);
        ch.gate = new CountDownLatch(1);
        ch.fail = true;
        ReplyWriter w = new ReplyWriter("t", ch, budget, pool);
        w.start();
        for (int i = 0; i < 3; i++) {
            budget.acquire(100);
            ByteBuffer payload = pool.take(8192);
            w.send(new ReplyWriter.Outgoing(new ByteBuffer[] {payload}, payload), 100);
        }
        ch.gate.countDown();
        budget.acquire(1000);
        assertEquals(3 * 8192, pool.pooledBytes());
        assertFalse(ch.isOpen(), "a failed write closes the channel");
        w.close();
        assertEquals(0, ch.written.size());
    }

    @Test
    void messagesLeaveWholeAndInOrderPerSenderThroughShortWrites() throws Exception {
        TestChannel ch = new TestChannel(7); // every write cuts through messages
        ReplyWriter w = new ReplyWriter("t", ch, budget, pool);
        w.start();
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
        ByteBuffer in = ByteBuffer.wrap(ch.written.toByteArray());
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

    @Test
    void theBudgetRefusesMisuse() {
        assertThrows(IllegalArgumentException.class, () -> budget.acquire(1001));
        assertThrows(IllegalArgumentException.class, () -> budget.acquire(0));
        assertThrows(IllegalStateException.class, () -> budget.release(1));
        budget.acquire(400);
        assertTrue(budget.toString().contains("600 of 1000"), budget.toString());
        budget.release(400);
        assertEquals(1000, budget.available());
    }
}
