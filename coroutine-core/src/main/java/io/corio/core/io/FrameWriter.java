package io.corio.core.io;

import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a connection's frames (replies, handshake messages), each whole, in the order they were
 * handed over, so frames never interleave on the wire. Sending never waits for the socket: the
 * frame is queued, and the writer's own virtual thread puts everything queued on the wire, so
 * replies that finish together leave in one gathering write. (QEMU's 9p and qemu-nbd take a
 * send lock instead and write one reply per system call.) Both servers, 9P and NBD, write
 * through one of these per connection; the caller encodes, the writer only moves bytes.
 *
 * <p>A frame may carry {@code credit}, handed to the {@code release} callback once the frame's
 * bytes are written, or dropped after the connection failed: the connection's bound on what it
 * holds (frame units, payload bytes) therefore also bounds what a client that stops reading can
 * make the server keep. Each frame's credit comes back as soon as that frame is on the wire,
 * not when the whole batch is (credits of frames completed by one system call are summed into
 * one call). A frame may also carry a {@code pooled} buffer (the payload its buffers view),
 * given back to the {@link Buffers} at the same moment, before the credit.
 *
 * <p>A failed write closes the channel (so the connection's reader sees the end) and every later
 * frame is dropped, its credit and buffer still given back. {@link #send} may be called from any
 * thread; frames sent from one thread leave in the order sent. {@link #close()} lets the writer
 * write what is queued, then waits for it to end; sending after that is
 * {@link IllegalStateException}.
 *
 * <p><b>In a context</b> ({@link #inContext}): no thread of its own. The channel is
 * non-blocking, and {@code send} and {@code close} are called by coroutines of one
 * {@link AioContext}, in its turn. A send writes at once, in the sender, as much as the
 * socket takes (QEMU's qemu-nbd writes its replies in the request coroutine too); what the
 * socket does not take is left to a writer coroutine that waits for the channel to be
 * writable ({@link Coroutine#awaitChannel}) while later sends queue behind it. At one
 * request in flight that is one system call per reply and no thread hand-off.
 */
public final class FrameWriter {
    /*
     * Implementation notes. `queue` holds encoded frames; the writer takes all of it at once
     * (up to MAX_BATCH buffers, but always at least one frame) under `lock`, which is never
     * held across I/O, writes with gathering writes, and gives back each frame's pooled
     * buffer and credit once a write has carried its last byte. A sender signals the writer only when it is parked (`idle`), so
     * under load sending is a lock and an append.
     */
    private static final Logger log = LoggerFactory.getLogger(FrameWriter.class);

    /**
     * In a context: a frame of at most this many bytes, sent while nothing else is queued, is
     * written at once by its sender; larger ones go to the writer coroutine, which runs after
     * the context's current work, so replies finishing together share a system call.
     */
    static final int INLINE_BYTES = 64 * 1024;

    /** Most buffers in one gathering write (Linux's IOV_MAX is 1024). */
    static final int MAX_BATCH = 512;

    private record Pending(ByteBuffer[] buffers, ByteBuffer pooled, long credit) {}

    private final String name;
    private final WritableByteChannel channel;
    private final Buffers pool; // thread-safe; null: no pooled buffers
    private final LongConsumer release; // thread-safe
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by lock
    private boolean idle; // guarded by lock: the writer waits on `work`
    private boolean closing; // guarded by lock: exit once the queue is empty
    private boolean failed; // writer thread only: drop what is left
    private int given; // writer thread only: frames of the current batch given back
    private final AioContext ctx; // in a context: the turn guards queue, closing, failed, flushing
    private boolean flushing; // in a context: a sender or the writer coroutine is writing
    private Coroutine closer; // in a context: waits in close() for the writer coroutine
    private ByteBuffer[] scratch; // in a context: the gathering write's buffers

    /**
     * A writer to {@code channel} (gathering writes if it is a {@link GatheringByteChannel});
     * pooled buffers go back to {@code pool} (may be null if none are sent), credit to
     * {@code release}, called on the writer's thread. Its thread is named {@code name-writer}.
     */
    public FrameWriter(String name, WritableByteChannel channel, Buffers pool, LongConsumer release) {
        this.name = name;
        this.channel = channel;
        this.pool = pool;
        this.release = release;
        this.thread = Thread.ofVirtual().name(name + "-writer").unstarted(this::run);
        this.ctx = null;
    }

    private FrameWriter(AioContext ctx, String name, SocketChannel channel, Buffers pool, LongConsumer release) {
        if (channel.isBlocking()) {
            throw new IllegalArgumentException(name + ": a writer in a context needs a non-blocking channel");
        }
        this.name = name;
        this.channel = channel;
        this.pool = pool;
        this.release = release;
        this.thread = null;
        this.ctx = ctx;
    }

    /**
     * A writer with no thread, for the coroutines of {@code ctx} (see the class comment):
     * {@code channel} must be non-blocking; {@code release} runs in the context.
     */
    public static FrameWriter inContext(AioContext ctx, String name, SocketChannel channel, Buffers pool,
            LongConsumer release) {
        return new FrameWriter(ctx, name, channel, pool, release);
    }

    public void start() {
        if (thread != null) {
            thread.start();
        }
    }

    /** Queues a frame that carries no credit and no pooled buffer (a handshake reply). */
    public void send(ByteBuffer... buffers) {
        enqueue(new Pending(buffers, null, 0));
    }

    /**
     * Queues a frame of {@code buffers}; once it is written or dropped, {@code pooled} (if not
     * null) goes back to the pool, then {@code credit} (if not 0) to the release callback.
     */
    public void send(ByteBuffer[] buffers, ByteBuffer pooled, long credit) {
        if (credit < 0) {
            throw new IllegalArgumentException("credit " + credit + " < 0");
        }
        if (pooled != null && pool == null) {
            throw new IllegalArgumentException(name + ": a pooled buffer sent to a writer without a pool");
        }
        enqueue(new Pending(buffers, pooled, credit));
    }

    /** Lets the writer finish what is queued, then end; waits until it has. */
    public void close() {
        if (ctx != null) {
            closeInContext();
            return;
        }
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
        if (ctx != null) {
            sendInContext(p);
            return;
        }
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException(name + ": frame sent after the writer closed");
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

    // ---------------------------------------------------------------- in a context

    private void sendInContext(Pending p) {
        if (closing) {
            throw new IllegalStateException(name + ": frame sent after the writer closed");
        }
        if (failed) {
            giveBack(p); // the connection is gone: nothing will carry it
            return;
        }
        queue.addLast(p);
        if (flushing) {
            return; // the writer coroutine (or an earlier sender) carries it
        }
        flushing = true;
        if (queue.size() == 1 && bytes(p) <= INLINE_BYTES) {
            if (writeAvailable()) {
                flushing = false;
            } else {
                ctx.spawn(name + "-writer", this::writeWhenWritable);
            }
        } else { // large, or not alone: let the replies finishing in this turn leave together
            ctx.spawn(name + "-writer", () -> {
                if (writeAvailable()) {
                    writerDone();
                } else {
                    writeWhenWritable();
                }
            });
        }
    }

    private static long bytes(Pending p) {
        long n = 0;
        for (ByteBuffer b : p.buffers()) {
            n += b.remaining();
        }
        return n;
    }

    /** The writer coroutine: waits for room in the socket until the queue is empty. */
    private void writeWhenWritable() {
        try {
            while (!failed) {
                try {
                    Coroutine.awaitChannel((SelectableChannel) channel, SelectionKey.OP_WRITE);
                } catch (IOException e) {
                    fail(e);
                    break;
                }
                if (writeAvailable()) {
                    break;
                }
            }
        } finally {
            writerDone();
        }
    }

    private void writerDone() {
        flushing = false;
        Coroutine c = closer;
        if (c != null) {
            closer = null;
            c.wake();
        }
    }

    /**
     * Writes queued frames until the queue is empty (true) or the socket takes no more
     * (false), giving back each frame's buffer and credit once it is all on the wire. A
     * failed write fails the writer (true: nothing is left to write).
     */
    private boolean writeAvailable() {
        GatheringByteChannel g = (GatheringByteChannel) channel;
        if (scratch == null) {
            scratch = new ByteBuffer[MAX_BATCH];
        }
        try {
            while (!queue.isEmpty()) {
                int n = 0;
                for (Pending p : queue) {
                    ByteBuffer[] bs = p.buffers();
                    if (n > 0 && n + bs.length > MAX_BATCH) {
                        break;
                    }
                    for (ByteBuffer b : bs) {
                        if (b.hasRemaining() && n < MAX_BATCH) {
                            scratch[n++] = b;
                        }
                    }
                }
                long wrote = n == 0 ? 0 : g.write(scratch, 0, n);
                java.util.Arrays.fill(scratch, 0, n, null);
                Pending head;
                while ((head = queue.peekFirst()) != null && written(head)) {
                    queue.pollFirst();
                    giveBack(head);
                }
                if (wrote == 0 && n > 0) {
                    return false; // the socket is full
                }
            }
            return true;
        } catch (IOException e) {
            fail(e);
            return true;
        }
    }

    private static boolean written(Pending p) {
        for (ByteBuffer b : p.buffers()) {
            if (b.hasRemaining()) {
                return false;
            }
        }
        return true;
    }

    private void giveBack(Pending p) {
        if (p.pooled() != null) {
            pool.give(p.pooled());
        }
        if (p.credit() > 0) {
            release.accept(p.credit());
        }
    }

    private void fail(IOException e) {
        failed = true;
        log.debug("{}: write failed, closing: {}", name, e.toString());
        try {
            channel.close();
        } catch (IOException again) {
            log.debug("{}: close: {}", name, again.toString());
        }
        for (Pending p; (p = queue.pollFirst()) != null; ) {
            giveBack(p); // can never arrive: dropped
        }
    }

    private void closeInContext() {
        closing = true;
        while (flushing) {
            closer = Coroutine.current(); // IllegalStateException outside a coroutine
            Coroutine.yield(); // woken by the writer coroutine when the queue is empty
        }
    }

    // ---------------------------------------------------------------- on a thread

    private void run() {
        List<Pending> batch = new ArrayList<>();
        List<ByteBuffer> buffers = new ArrayList<>();
        while (true) {
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    idle = true;
                    work.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return; // closing, and everything is out
                }
                // a frame of more than MAX_BATCH buffers still goes, alone
                while (!queue.isEmpty() && (buffers.isEmpty()
                        || buffers.size() + queue.peekFirst().buffers().length <= MAX_BATCH)) {
                    Pending p = queue.pollFirst();
                    batch.add(p);
                    buffers.addAll(List.of(p.buffers()));
                }
            } finally {
                lock.unlock();
            }
            given = 0;
            if (!failed) {
                try {
                    writeBatch(batch, buffers.toArray(ByteBuffer[]::new));
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
            giveBack(batch, given, batch.size()); // what was not written: dropped
            batch.clear();
            buffers.clear();
        }
    }

    /**
     * Writes the frames of {@code batch}, whose buffers are {@code bufs}, giving back each
     * frame's pooled buffer and credit as soon as the frame is on the wire rather than at the
     * end of the batch: a batch can hold many megabytes of read replies, and the budget they
     * free lets the connection's reader go on. {@link #given} counts the frames given back.
     */
    private void writeBatch(List<Pending> batch, ByteBuffer[] bufs) throws IOException {
        int first = 0; // the first buffer with bytes left
        int frameEnd = 0; // the first buffer of frame `given`
        while (true) {
            while (first < bufs.length && !bufs[first].hasRemaining()) {
                first++;
            }
            int from = given;
            while (given < batch.size() && frameEnd + batch.get(given).buffers().length <= first) {
                frameEnd += batch.get(given).buffers().length;
                given++;
            }
            giveBack(batch, from, given);
            if (first == bufs.length) {
                return;
            }
            if (channel instanceof GatheringByteChannel g) {
                g.write(bufs, first, Math.min(bufs.length - first, MAX_BATCH));
            } else {
                channel.write(bufs[first]);
            }
        }
    }

    /** Gives back the pooled buffers, then the credit, of {@code batch}'s frames [from, to). */
    private void giveBack(List<Pending> batch, int from, int to) {
        long credit = 0;
        for (int i = from; i < to; i++) {
            Pending p = batch.get(i);
            if (p.pooled() != null) {
                pool.give(p.pooled()); // written or dropped: nothing refers to it any more
            }
            credit += p.credit();
        }
        if (credit > 0) {
            release.accept(credit);
        }
    }

    /**
     * Writes every remaining byte of {@code bufs} to {@code channel}, in gathering writes of at
     * most {@link #MAX_BATCH} buffers if it is a {@link GatheringByteChannel}; for a blocking
     * channel (a non-blocking one would spin). Used by the writer thread, and by clients that
     * write their requests under a lock of their own.
     */
    public static void writeFully(WritableByteChannel channel, ByteBuffer[] bufs) throws IOException {
        if (channel instanceof GatheringByteChannel g) {
            long left = 0;
            for (ByteBuffer b : bufs) {
                left += b.remaining();
            }
            int first = 0;
            while (left > 0) {
                while (!bufs[first].hasRemaining()) {
                    first++;
                }
                left -= g.write(bufs, first, Math.min(bufs.length - first, MAX_BATCH));
            }
            return;
        }
        for (ByteBuffer b : bufs) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }
}
