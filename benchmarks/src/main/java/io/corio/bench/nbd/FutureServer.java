package io.corio.bench.nbd;

import io.corio.blockio.nbd.Export;
import io.corio.blockio.nbd.NbdServer;
import io.corio.core.io.BufferPool;
import io.corio.core.io.Listener;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An NBD server whose request handlers are {@link java.util.concurrent.CompletableFuture}
 * chains, not coroutines: the other side of issue 6's comparison for NBD. Same handshake
 * ({@code Handshake}: structured replies, {@code base:allocation}), codec, reply writer
 * ({@code FrameWriter}), buffer pool and per-connection byte budget as {@link NbdServer}; only
 * the transmission-phase handlers ({@link FutureTransmission}) and the drivers under them
 * ({@link FutureDriver}) differ.
 *
 * <p>Thread-safe. {@link #listen} may be called several times. {@link #close()} stops the
 * listeners, lets every connection finish what it has in flight (up to
 * {@link NbdServer#CLOSE_GRACE_MILLIS}), then closes them; idempotent. The drivers are the
 * caller's to close.
 */
public final class FutureServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FutureServer.class);

    /** Bytes of idle payload buffers kept for reuse: as the coroutine server. */
    static final long POOLED_BYTES = 64L << 20;

    /** What every connection needs: exports and drivers by name (immutable), budget, pool. */
    record Config(Map<String, Export> exports, Map<String, FutureDriver> drivers, long budget, BufferPool pool) {}

    private final Config config;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<FutureConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionSeq = new AtomicLong();
    private volatile boolean closed;

    private FutureServer(Config config) {
        this.config = config;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures a server; not thread-safe. */
    public static final class Builder {
        private final Map<String, Export> exports = new LinkedHashMap<>();
        private final Map<String, FutureDriver> drivers = new LinkedHashMap<>();
        private long budget = NbdServer.DEFAULT_BUDGET;

        private Builder() {}

        /** Serves {@code driver} as export {@code name}; the first export added is the default. */
        public Builder export(String name, FutureDriver driver, String description) {
            Objects.requireNonNull(driver, "driver");
            if (exports.putIfAbsent(name, new Export(name, description, driver.length(), driver.readOnly())) != null) {
                throw new IllegalArgumentException("export '" + name + "' added twice");
            }
            drivers.put(name, driver);
            return this;
        }

        /** Bytes of requests one connection may have in flight, at least {@link NbdServer#MIN_BUDGET}. */
        public Builder budget(long bytes) {
            if (bytes < NbdServer.MIN_BUDGET) {
                throw new IllegalArgumentException("budget must be at least " + NbdServer.MIN_BUDGET
                        + " bytes: " + bytes);
            }
            this.budget = bytes;
            return this;
        }

        public FutureServer build() {
            if (exports.isEmpty()) {
                throw new IllegalStateException("no export configured");
            }
            return new FutureServer(new Config(Collections.unmodifiableMap(new LinkedHashMap<>(exports)),
                    Map.copyOf(drivers), budget, new BufferPool(POOLED_BYTES)));
        }
    }

    /**
     * Listens on {@code address}, TCP (port 0 picks one) or Unix (a stale socket file there is
     * replaced), accepting on a virtual thread until {@link #close()}.
     *
     * @return the address bound
     */
    public SocketAddress listen(SocketAddress address) throws IOException {
        if (closed) {
            throw new IllegalStateException("server is closed");
        }
        Listener l = Listener.start("nbd-future-accept", address, this::accepted);
        listeners.add(l);
        if (closed) { // close() ran meanwhile and missed it
            l.close();
        }
        log.info("NBD server (CompletableFuture handlers) listening on {}", l.address());
        return l.address();
    }

    /** Starts serving a connection the listener accepted. */
    private void accepted(SocketChannel ch) {
        FutureConnection[] box = new FutureConnection[1];
        box[0] = new FutureConnection("nbd-future-" + connectionSeq.incrementAndGet(), ch, config,
                () -> connections.remove(box[0]));
        connections.add(box[0]);
        if (closed) {
            box[0].shutdown();
        }
        box[0].start();
    }

    /** Connections being served now. */
    public int connectionCount() {
        return connections.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.forEach(Listener::close);
        List<FutureConnection> all = List.copyOf(connections);
        all.forEach(FutureConnection::shutdown);
        long deadline = System.currentTimeMillis() + NbdServer.CLOSE_GRACE_MILLIS;
        boolean interrupted = false;
        for (FutureConnection c : all) {
            try {
                if (!c.awaitEnd(Math.max(0, deadline - System.currentTimeMillis()))) {
                    log.warn("{}: requests still in flight after {} ms; closing", c, NbdServer.CLOSE_GRACE_MILLIS);
                    c.close();
                }
            } catch (InterruptedException e) {
                interrupted = true;
                c.close();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
