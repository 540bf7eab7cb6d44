package io.corio.blockio.nbd;

import io.corio.blockio.BlockDriver;
import io.corio.core.Backend;
import io.corio.core.io.BufferPool;
import io.corio.core.io.ConnectionIo;
import io.corio.core.io.Listener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
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
 * An NBD server (fixed newstyle, structured replies, {@code base:allocation}, multi-conn) for
 * one or more exports, on TCP and Unix domain sockets. Each connection is served by its own
 * context with one coroutine per request; see {@code Session} for the concurrency model and flow
 * control, {@code Handshake} for the options, {@code Transmission} for the commands.
 *
 * <p>Thread-safe. {@link #listen} may be called several times. {@link #close()} stops the
 * listeners, lets every connection finish the requests it has in flight (waiting up to
 * {@link #CLOSE_GRACE_MILLIS}), then closes them; it is idempotent. The drivers are the
 * caller's: the server never closes them.
 *
 * <pre>{@code
 * try (NbdServer server = NbdServer.builder().export("disk", driver, "scratch disk").build()) {
 *     SocketAddress where = server.listen(new InetSocketAddress("127.0.0.1", 10809));
 *     ...
 * }
 * }</pre>
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);

    /** Bytes of requests in flight per connection unless configured: 64 MiB. */
    public static final long DEFAULT_BUDGET = 64L << 20;
    /** The smallest budget accepted: one request of {@link NbdProto#MAX_PAYLOAD} must fit. */
    public static final long MIN_BUDGET = 64 << 10;
    /** How long {@link #close()} lets connections finish what they have in flight. */
    public static final long CLOSE_GRACE_MILLIS = 10_000;

    /** Bytes of idle payload buffers the server keeps for reuse, across its connections. */
    static final long POOLED_BYTES = 64L << 20;

    /**
     * What every session needs: the exports as the handshake offers them and their drivers, by
     * name (both immutable), the budget, the pool (thread-safe), the coroutine backend of each
     * connection's context and whether the connection's I/O runs in that context
     * ({@code inLoop}: a reader coroutine on a non-blocking socket, replies written by the
     * request coroutines) or on a reader and a writer thread of its own.
     */
    record Config(Map<String, Export> exports, Map<String, BlockDriver> drivers, long budget, BufferPool pool,
            Backend backend, boolean inLoop) {}

    /** The system property that chooses {@link ConnectionIo} for servers built without one: {@code loop} or {@code threads}. */
    public static final String IO_PROPERTY = "corio.nbd.io";

    private static ConnectionIo defaultIo(Backend backend) {
        return backend == Backend.CONTINUATION ? ConnectionIo.LOOP : ConnectionIo.THREADS;
    }



    private final Config config;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private volatile boolean closed;

    private NbdServer(Config config) {
        this.config = config;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures a server; not thread-safe. */
    public static final class Builder {
        private final Map<String, Export> exports = new LinkedHashMap<>();
        private final Map<String, BlockDriver> drivers = new LinkedHashMap<>();
        private long budget = DEFAULT_BUDGET;
        private Backend backend; // null: ConnectionIo.serverBackend()
        private ConnectionIo io; // null: chosen by IO_PROPERTY and the backend

        private Builder() {}

        /** Serves {@code driver} as export {@code name}, without a description. */
        public Builder export(String name, BlockDriver driver) {
            return export(name, driver, "");
        }

        /**
         * Serves {@code driver} as export {@code name}. The empty name is the default export;
         * without one, the first export added is also served under the empty name.
         */
        public Builder export(String name, BlockDriver driver, String description) {
            Objects.requireNonNull(driver, "driver");
            Export x = new Export(name, description, driver.length(), driver.readOnly());
            if (HandshakeCodec.utf8(name).length > NbdProto.MAX_STRING) {
                throw new IllegalArgumentException("export name longer than " + NbdProto.MAX_STRING
                        + " bytes: " + name.substring(0, 40) + "...");
            }
            if (HandshakeCodec.utf8(description).length > NbdProto.MAX_STRING) {
                throw new IllegalArgumentException("description of export '" + name
                        + "' is longer than " + NbdProto.MAX_STRING + " bytes");
            }
            if (exports.putIfAbsent(name, x) != null) {
                throw new IllegalArgumentException("export '" + name + "' added twice");
            }
            drivers.put(name, driver);
            return this;
        }

        /**
         * The bytes of requests one connection may have in flight (READ and WRITE lengths plus
         * a few KiB per request), at least {@link #MIN_BUDGET}; default {@link #DEFAULT_BUDGET}.
         */
        public Builder budget(long bytes) {
            if (bytes < MIN_BUDGET) {
                throw new IllegalArgumentException("budget must be at least " + MIN_BUDGET
                        + " bytes: " + bytes);
            }
            this.budget = bytes;
            return this;
        }

        /** The coroutine backend of each connection's context (default: {@link ConnectionIo#serverBackend()}). */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * How connections do I/O. Default: {@value #IO_PROPERTY} if set, else {@code LOOP} on the
         * {@code continuation} backend and {@code THREADS} on the others (in the loop on
         * {@code virtual}, 4 KiB reads at depth 1 gained only 1.2x; on {@code continuation},
         * 2x: docs/benchmarks.md).
         */
        public Builder io(ConnectionIo io) {
            this.io = Objects.requireNonNull(io, "io");
            return this;
        }

        public NbdServer build() {
            if (exports.isEmpty()) {
                throw new IllegalStateException("no export configured");
            }
            Backend b = backend != null ? backend : ConnectionIo.serverBackend();
            // insertion order matters: LIST answers in it, and the first export is the default
            return new NbdServer(new Config(Collections.unmodifiableMap(new LinkedHashMap<>(exports)),
                    Map.copyOf(drivers), budget, new BufferPool(POOLED_BYTES), b,
                    (io != null ? io : ConnectionIo.choose(IO_PROPERTY, defaultIo(b))) == ConnectionIo.LOOP));
        }
    }

    /**
     * Listens on {@code address}: an {@link InetSocketAddress} (port 0 picks one) or a
     * {@link UnixDomainSocketAddress} (a stale socket file there is replaced; any other kind of
     * file is left alone and the bind fails). Accepts on a virtual thread until {@link #close()}.
     *
     * @return the address bound, with the actual port
     */
    public SocketAddress listen(SocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        if (closed) {
            throw new IllegalStateException("server is closed");
        }
        Listener l = Listener.start("nbd-accept", address, this::accepted);
        listeners.add(l);
        if (closed) { // close() ran meanwhile and missed it
            l.close();
        }
        log.info("NBD server listening on {} (coroutine backend {}, connection I/O {})", l.address(),
                config.backend().id(), config.inLoop() ? "in the loop" : "on threads");
        return l.address();
    }

    /** Starts serving a connection the listener accepted. */
    private void accepted(SocketChannel ch) throws IOException {
        Session[] box = new Session[1];
        Session s = new Session("nbd-" + connections.incrementAndGet(), ch, config,
                () -> sessions.remove(box[0]));
        box[0] = s;
        sessions.add(s);
        if (closed) {
            s.shutdown();
        }
        s.start();
    }

    /** Connections being served now. */
    public int connectionCount() {
        return sessions.size();
    }

    /**
     * The live coroutines of every connection, with what each waits for (the reader waiting for
     * budget, requests inside the driver or waiting to send): a diagnostic, like a thread dump.
     */
    public String dump() {
        StringBuilder sb = new StringBuilder();
        for (Session s : sessions) {
            sb.append(s.dump()).append('\n');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.forEach(Listener::close);
        List<Session> all = List.copyOf(sessions);
        all.forEach(Session::shutdown);
        long deadline = System.currentTimeMillis() + CLOSE_GRACE_MILLIS;
        boolean interrupted = false;
        for (Session s : all) {
            try {
                if (!s.awaitEnd(Math.max(0, deadline - System.currentTimeMillis()))) {
                    log.warn("{}: requests still in flight after {} ms; closing", s, CLOSE_GRACE_MILLIS);
                    s.close();
                }
            } catch (InterruptedException e) {
                interrupted = true;
                s.close();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
