package io.corio.ninep.server;

import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.Rread;
import io.corio.ninep.protocol.Rmessage.Rreaddir;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a session's replies, each frame whole, in the order they were handed over. Sending
 * never waits for the socket: the reply is queued and a writer thread of the session puts
 * everything queued on the wire, so replies that finish together leave in one gathering write.
 * Each reply carries frame units of the session, released to {@code units} once its bytes are
 * written (or dropped after the connection failed): that bounds what a client that stops
 * reading can make the server hold. The payload of Rread and Rreaddir is written from its own
 * buffer, not copied into the frame. A failed write closes the channel, so the session's reader
 * ends the session.
 *
 * <p>{@link #send} and {@link #sendAll} may be called from any thread; callers that need an
 * order between their replies (a reply before the Rflush that waited for it) get it by sending
 * from one thread, or from the session's context, which runs one coroutine at a time.
 *
 * <p>Public so that another server on the same transport (the callback-style server in
 * {@code benchmarks/}) writes its replies exactly as {@link NinepServer} does.
 */
public final class ReplyWriter {
    /*
     * Implementation notes. `queue` holds encoded replies; the writer takes all of it at once
     * (up to MAX_BATCH buffers) under `lock`, which is never held across I/O, writes with
     * gathering writes, then releases the batch's units. A sender signals the writer only
     * when it is parked (`idle`), so under load sending is a lock and an append.
     */
    private static final Logger log = LoggerFactory.getLogger(ReplyWriter.class);

    /** Most buffers in one gathering write (Linux's IOV_MAX is 1024). */
    private static final int MAX_BATCH = 512;

    /** An encoded reply; {@code payload}, if not null, goes back to the pool once written. */
    private record Pending(ByteBuffer[] buffers, int units, ByteBuffer payload) {}

    private final String name;
    private final ByteChannel channel;
    private final Semaphore units; // thread-safe
    private final BufferPool pool; // thread-safe
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by lock
    private boolean idle; // guarded by lock: the writer waits on `work`
    private boolean closing; // guarded by lock: exit once the queue is empty
    private boolean failed; // writer thread only: drop what is left

    public ReplyWriter(String name, ByteChannel channel, Semaphore units, BufferPool pool) {
        this.name = name;
        this.pool = pool;
        this.channel = channel;
        this.units = units;
        this.thread = Thread.ofVirtual().name(name + "-writer").unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    /** Queues {@code r}; {@code frameUnits} are released once it is written. */
    public void send(Rmessage r, int frameUnits) {
        enqueue(pending(r, frameUnits));
    }

    /** Queues {@code replies} back to back; {@code frameUnits} are released after the last. */
    public void sendAll(List<Rmessage> replies, int frameUnits) {
        for (int i = 0; i < replies.size(); i++) {
            enqueue(pending(replies.get(i), i == replies.size() - 1 ? frameUnits : 0));
        }
    }

    /** Lets the writer finish what is queued, then end; waits until it has. */
    public void close() {
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
                throw new IllegalStateException(name + ": reply sent after the writer closed");
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

    private static Pending pending(Rmessage r, int units) {
        int size = Codec.size(r);
        if (r instanceof Rread || r instanceof Rreaddir) {
            ByteBuffer payload = r instanceof Rread rr ? rr.data() : ((Rreaddir) r).data();
            ByteBuffer head = ByteBuffer.allocate(size - payload.remaining());
            ByteBuffer body = Codec.encodeHead(r, head);
            return new Pending(new ByteBuffer[] {head.flip(), body}, units, r instanceof Rread ? payload : null);
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        Codec.encode(r, out);
        return new Pending(new ByteBuffer[] {out.flip()}, units, null);
    }

    private void run() {
        List<ByteBuffer> buffers = new ArrayList<>();
        List<ByteBuffer> payloads = new ArrayList<>();
        while (true) {
            int release = 0;
            lock.lock();
            try {
                while (queue.isEmpty() && !closing) {
                    idle = true;
                    work.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return; // closing, and everything is out
                }
                while (!queue.isEmpty() && buffers.size() + queue.peekFirst().buffers().length <= MAX_BATCH) {
                    Pending p = queue.pollFirst();
                    buffers.addAll(List.of(p.buffers()));
                    release += p.units();
                    if (p.payload() != null) {
                        payloads.add(p.payload());
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
                    log.debug("{}: write failed: {}", name, e.toString());
                    try {
                        channel.close();
                    } catch (IOException again) {
                        log.debug("{}: close: {}", name, again.toString());
                    }
                }
            }
            buffers.clear();
            for (ByteBuffer b : payloads) {
                pool.give(b); // written or dropped: nothing refers to it any more
            }
            payloads.clear();
            units.release(release);
        }
    }

    private void writeFully(ByteBuffer[] bufs) throws IOException {
        if (channel instanceof GatheringByteChannel g) {
            long left = 0;
            for (ByteBuffer b : bufs) {
                left += b.remaining();
            }
            int first = 0;
            while (left > 0) {
                left -= g.write(bufs, first, bufs.length - first);
                while (first < bufs.length && !bufs[first].hasRemaining()) {
                    first++;
                }
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
