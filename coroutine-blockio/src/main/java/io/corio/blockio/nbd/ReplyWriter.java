package io.corio.blockio.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a connection's messages (handshake replies, then transmission replies), each whole, in
 * the order they were handed over, so replies never interleave on the wire. Sending never waits
 * for the socket: the message is queued and the writer's own thread puts everything queued on
 * the wire, so replies that finish together leave in one gathering write (qemu-nbd serializes
 * them with a {@code send_lock} instead, one write per reply).
 *
 * <p>A reply carries its request's {@code cost}, given back to the connection's
 * {@link ByteBudget} once its bytes are written, or dropped after the connection failed: so the
 * budget also bounds what a client that stops reading makes the server hold. A reply's pooled
 * payload buffer goes back to the {@link BufferPool} at the same moment. A failed write closes
 * the channel (so the reader ends the session) and every later message is dropped.
 *
 * <p>{@link #send} may be called from any thread; messages sent from one thread leave in the
 * order sent. {@link #close()} lets the writer write what is queued, then waits for it to end;
 * sending after that is {@link IllegalStateException}.
 */
final class ReplyWriter {
    /*
     * Implementation notes. `queue` holds encoded messages; the writer takes all of it at once
     * (up to MAX_BATCH buffers) under `lock`, which is never held across I/O, writes with
     * gathering writes, then releases the batch's budget and pool buffers. A sender signals
     * the writer only when it is parked (`idle`), so under load sending is a lock and an
     * append.
     */
    private static final Logger log = LoggerFactory.getLogger(ReplyWriter.class);

    /** Most buffers in one gathering write (Linux's IOV_MAX is 1024). */
    private static final int MAX_BATCH = 512;

    /** An encoded message: the buffers to write, and the pool buffer they view, if any. */
    record Outgoing(ByteBuffer[] buffers, ByteBuffer pooled) {}

    private record Pending(ByteBuffer[] buffers, long cost, ByteBuffer pooled) {}

    private final String name;
    private final GatheringByteChannel channel;
    private final ByteBudget budget; // thread-safe
    private final BufferPool pool; // thread-safe
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by lock
    private boolean idle; // guarded by lock: the writer waits on `work`
    private boolean closing; // guarded by lock: exit once the queue is empty
    private boolean failed; // writer thread only: drop what is left

    ReplyWriter(String name, GatheringByteChannel channel, ByteBudget budget, BufferPool pool) {
        this.name = name;
        this.channel = channel;
        this.budget = budget;
        this.pool = pool;
        this.thread = Thread.ofVirtual().name(name + "-writer").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Queues a message that holds no budget (a handshake reply). */
    void send(ByteBuffer... buffers) {
        enqueue(new Pending(buffers, 0, null));
    }

    /** Queues a reply; {@code cost} budget bytes are given back once it is written or dropped. */
    void send(Outgoing reply, long cost) {
        enqueue(new Pending(reply.buffers(), cost, reply.pooled()));
    }

    /** Lets the writer finish what is queued, then end; waits until it has. */
    void close() {
        lock.lock();
        try {
            closing = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void enqueue(Pending p) {
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException(name + ": message sent after the writer closed");
            }
            queue.addLast(p);
            if (idle) {
                idle = false;
                work.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        List<ByteBuffer> buffers = new ArrayList<>();
        List<ByteBuffer> pooled = new ArrayList<>();
        while (true) {
            long release = 0;
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    idle = true;
                    work.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return; // closing, and everything is out
                }
                // a message of more than MAX_BATCH buffers still goes, alone
                while (!queue.isEmpty() && (buffers.isEmpty()
                        || buffers.size() + queue.peekFirst().buffers().length <= MAX_BATCH)) {
                    Pending p = queue.pollFirst();
                    buffers.addAll(List.of(p.buffers()));
                    release += p.cost();
                    if (p.pooled() != null) {
                        pooled.add(p.pooled());
                    }
                }
            } finally {
                lock.unlock();
            }
            if (!failed) {
                try {
                    writeFully(buffers.toArray(ByteBuffer[]::new));
                } catch (IOException e) {
                    failed = true; // what is queued now can never arrive: drop it
                    log.debug("{}: write failed, closing: {}", name, e.toString());
                    try {
                        channel.close();
                    } catch (IOException again) {
                        log.debug("{}: close: {}", name, again.toString());
                    }
                }
            }
            buffers.clear();
            for (ByteBuffer b : pooled) {
                pool.give(b); // written or dropped: nothing refers to it any more
            }
            pooled.clear();
            if (release > 0) {
                budget.release(release);
            }
        }
    }

    private void writeFully(ByteBuffer[] bufs) throws IOException {
        long left = 0;
        for (ByteBuffer b : bufs) {
            left += b.remaining();
        }
        int first = 0;
        while (left > 0) {
            while (!bufs[first].hasRemaining()) {
                first++;
            }
            left -= channel.write(bufs, first, Math.min(bufs.length - first, MAX_BATCH));
        }
    }
}
