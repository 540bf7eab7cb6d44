package io.corio.bench.ninep;

import io.corio.core.WorkerPool;
import io.corio.core.io.BufferPool;
import io.corio.core.io.Listener;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.server.NinepServer;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 9P2000.L server whose request handlers are callbacks, not coroutines: the other side of
 * issue 6's comparison. Same codec, same {@link Backend}s, same transport (pooled frames, a
 * context per connection, a reply-writer thread) and the same 64-thread I/O pool as
 * {@link NinepServer}; only the handlers differ ({@link CallbackFiles}). It serves what
 * {@code diodload} and a typical read path use (see {@link CallbackFiles}), on the given
 * exports and the synthetic {@code ctl} export ({@link NinepServer#ctlBackend}).
 *
 * <p>Thread-safe. {@link #listen} may be called several times; {@link #close()} stops every
 * listener and closes every connection (their fids are clunked as they end) and is idempotent.
 * The back ends are the caller's to close.
 */
public final class CallbackServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CallbackServer.class);

    /** The aname of the synthetic export. */
    static final String CTL = "ctl";
    /** Threads for blocking back-end calls, at most: as the real server (and QEMU). */
    private static final int IO_THREADS = 64;
    /** Read buffers kept for reuse, at most: as the real server. */
    private static final long POOLED_BYTES = 64L * 1024 * 1024;

    /** Counters shown by {@code ctl/stats}; thread-safe. */
    static final class Stats {
        final LongAdder connections = new LongAdder();
        final LongAdder requests = new LongAdder();
        final LongAdder bytesRead = new LongAdder();
        final LongAdder bytesWritten = new LongAdder();
    }

    /** What every connection needs; immutable apart from the thread-safe members. */
    record Shared(Map<String, Backend> exports, int maxMsize, WorkerPool io, BufferPool buffers, Stats stats) {}

    private final Shared shared;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<CallbackConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionSeq = new AtomicLong();
    private final AtomicBoolean ioStopped = new AtomicBoolean();
    private volatile boolean closed;

    private CallbackServer(Map<String, Backend> exports, int maxMsize) {
        Stats stats = new Stats();
        Map<String, Backend> all = new LinkedHashMap<>(exports);
        all.put(CTL, NinepServer.ctlBackend(() -> "connections " + stats.connections.sum() + "\n"
                + "open-connections " + connections.size() + "\n"
                + "requests " + stats.requests.sum() + "\n"
                + "bytes-read " + stats.bytesRead.sum() + "\n"
                + "bytes-written " + stats.bytesWritten.sum() + "\n"));
        this.shared = new Shared(Map.copyOf(all), maxMsize,
                WorkerPool.create("9p-callback-io", 0, IO_THREADS, Duration.ofSeconds(10)),
                new BufferPool(POOLED_BYTES), stats);
    }

    /**
     * A server of {@code exports} (aname to back end; {@code ctl} is reserved) agreeing to
     * msizes up to {@code maxMsize}.
     */
    public static CallbackServer create(Map<String, Backend> exports, int maxMsize) {
        if (exports.isEmpty()) {
            throw new IllegalArgumentException("exports must not be empty");
        }
        if (exports.containsKey(CTL)) {
            throw new IllegalArgumentException("aname '" + CTL + "' is reserved for the ctl export");
        }
        if (maxMsize < P9.MIN_MSIZE || maxMsize > P9.MAX_MSIZE) {
            throw new IllegalArgumentException("maxMsize must be in [" + P9.MIN_MSIZE + ", "
                    + P9.MAX_MSIZE + "]: " + maxMsize);
        }
        return new CallbackServer(exports, maxMsize);
    }

    /**
     * Listens on a TCP or Unix-socket {@code address} (port 0 picks one) and accepts on a virtual
     * thread until {@link #close()}.
     *
     * @return the address bound
     */
    public SocketAddress listen(SocketAddress address) throws IOException {
        if (closed) {
            throw new IllegalStateException("server is closed");
        }
        Listener l = Listener.start("9p-callback-accept", address, this::accepted);
        listeners.add(l);
        if (closed) { // close() ran meanwhile and missed it
            l.close();
        }
        log.info("callback-style 9P server listening on {}", l.address());
        return l.address();
    }

    /** Starts serving a connection the listener accepted. */
    private void accepted(SocketChannel ch) {
        shared.stats().connections.increment();
        CallbackConnection[] self = new CallbackConnection[1];
        self[0] = new CallbackConnection("9p-cb-" + connectionSeq.incrementAndGet(), ch, shared, () -> {
            connections.remove(self[0]);
            stopIoWhenIdle();
        });
        connections.add(self[0]);
        if (closed) {
            self[0].close();
        }
        self[0].start();
    }

    /** Connections being served now. */
    public int connectionCount() {
        return connections.size();
    }

    @Override
    public void close() {
        closed = true;
        listeners.forEach(Listener::close);
        for (CallbackConnection c : connections) {
            c.close();
        }
        stopIoWhenIdle();
    }

    /** Once closed and every connection has ended (their last post-ops need it), stops the pool. */
    private void stopIoWhenIdle() {
        if (closed && connections.isEmpty() && ioStopped.compareAndSet(false, true)) {
            shared.io().shutdown(false);
        }
    }
}
