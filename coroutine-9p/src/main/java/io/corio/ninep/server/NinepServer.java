package io.corio.ninep.server;

import io.corio.core.WorkerPool;
import io.corio.core.io.Listener;
import io.corio.core.io.BufferPool;
import io.corio.core.io.ConnectionIo;
import java.time.Duration;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.protocol.P9;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 9P2000.L file server: listens on TCP and Unix domain sockets and serves each connection
 * as a {@code Session} (one context, one coroutine per request; see that class for flow control
 * and error handling). Exports are back ends selected by the Tattach aname; an empty aname
 * selects the only export when there is exactly one. Every server also has the synthetic
 * export {@code ctl} (files {@code version}, {@code stats}, {@code zero}, {@code null}; what
 * {@code diodload} drives), and one POSIX lock table that Tlock and Tgetlock of all its
 * connections share.
 *
 * <p>Thread-safe. {@link #listen} may be called several times; {@link #close()} stops every
 * listener, closes every connection (their fids are clunked as their sessions end) and is
 * idempotent. The server does not close the back ends: they are the caller's.
 *
 * <pre>{@code
 * try (NinepServer server = NinepServer.builder().export("/data", Backend.memory()).build()) {
 *     SocketAddress where = server.listen(new InetSocketAddress("127.0.0.1", 0));
 *     ...
 * }
 * }</pre>
 */
public final class NinepServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NinepServer.class);

    /** The largest msize offered unless configured: 1 MiB. */
    public static final int DEFAULT_MAX_MSIZE = 1024 * 1024;
    /** Requests of one connection that run at once unless configured. */
    public static final int DEFAULT_MAX_REQUESTS = 64;

    /** What every session needs; immutable. */
    record Config(Map<String, Backend> exports, int maxMsize, int maxRequests, LockTable locks,
            ServerStats stats, BufferPool buffers, WorkerPool io, io.corio.core.Backend coroutines,
            boolean inLoop) {}

    /** The system property that chooses {@link ConnectionIo} for connections: {@code loop} or {@code threads}; see {@link Builder#connections}. */
    public static final String IO_PROPERTY = "corio.9p.io";

    /**
     * Threads for back-end calls that may block, at most (QEMU's thread pool has 64 too). The
     * local back end's system calls are FFM calls, during which a virtual thread cannot leave
     * its carrier: made on the sessions' own virtual threads, a few slow disks would stall every
     * connection. So they run here, on platform threads, while the session's loop goes on.
     */
    private static final int IO_THREADS = 64;

    /** Read buffers kept for reuse across the server's sessions, at most. */
    private static final long POOLED_BYTES = 64L * 1024 * 1024;

    private final Config config;
    private final LockTable locks = new LockTable();
    private final ServerStats stats = new ServerStats();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private volatile boolean closed;
    private final AtomicBoolean ioStopped = new AtomicBoolean();

    private NinepServer(Map<String, Backend> exports, int maxMsize, int maxRequests,
            io.corio.core.Backend coroutines, ConnectionIo connIo) {
        Map<String, Backend> all = new LinkedHashMap<>(exports);
        all.put(CtlBackend.ANAME, new CtlBackend(() -> stats.text(sessions.size(), locks.size())));
        this.config = new Config(Map.copyOf(all), maxMsize, maxRequests, locks, stats,
                new BufferPool(POOLED_BYTES),
                WorkerPool.create("9p-io", 0, IO_THREADS, Duration.ofSeconds(10)), coroutines,
                connIo == ConnectionIo.LOOP);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The synthetic {@code ctl} export every server has (aname {@code ctl}: files
     * {@code version}, {@code stats}, {@code zero}, {@code null}), for another server that wants
     * {@code diodload} to drive it too; {@code stats} supplies the text of the {@code stats}
     * file at each read. The back end never blocks ({@link Backend#mayBlock()} is false).
     */
    public static Backend ctlBackend(Supplier<String> stats) {
        return new CtlBackend(Objects.requireNonNull(stats, "stats"));
    }

    /** Configures a server; not thread-safe. */
    public static final class Builder {
        private final Map<String, Backend> exports = new LinkedHashMap<>();
        private int maxMsize = DEFAULT_MAX_MSIZE;
        private int maxRequests = DEFAULT_MAX_REQUESTS;
        private io.corio.core.Backend coroutines; // null: the default backend
        private ConnectionIo connIo; // null: ConnectionIo.choose

        private Builder() {}

        /** Serves {@code backend} to clients attaching with aname {@code aname}. */
        public Builder export(String aname, Backend backend) {
            Objects.requireNonNull(aname, "aname");
            Objects.requireNonNull(backend, "backend");
            if (aname.equals(CtlBackend.ANAME)) {
                throw new IllegalArgumentException("aname '" + CtlBackend.ANAME
                        + "' is reserved for the server's synthetic ctl export");
            }
            if (exports.putIfAbsent(aname, backend) != null) {
                throw new IllegalArgumentException("aname exported twice: '" + aname + "'");
            }
            return this;
        }

        /** The largest msize Tversion agrees to, in [{@link P9#MIN_MSIZE}, {@link P9#MAX_MSIZE}]. */
        public Builder maxMsize(int maxMsize) {
            if (maxMsize < P9.MIN_MSIZE || maxMsize > P9.MAX_MSIZE) {
                throw new IllegalArgumentException("maxMsize must be in [" + P9.MIN_MSIZE + ", "
                        + P9.MAX_MSIZE + "]: " + maxMsize);
            }
            this.maxMsize = maxMsize;
            return this;
        }

        /** How many requests of one connection run at once (at least 1). */
        public Builder maxRequests(int maxRequests) {
            if (maxRequests < 1) {
                throw new IllegalArgumentException("maxRequests must be at least 1: " + maxRequests);
            }
            this.maxRequests = maxRequests;
            return this;
        }

        /**
         * The coroutine backend of each connection's context and where its I/O runs. Default:
         * the {@value io.corio.core.Backend#PROPERTY} backend ({@code virtual} unless set), and
         * {@link ConnectionIo#LOOP} unless {@value #IO_PROPERTY} says {@code threads}. Unlike
         * the NBD server, not {@code continuation}: with it, diodload's msize-sized reads and
         * writes ran at about 0.55x (docs/benchmarks.md).
         */
        public Builder connections(io.corio.core.Backend backend, ConnectionIo connIo) {
            this.coroutines = Objects.requireNonNull(backend, "backend");
            this.connIo = Objects.requireNonNull(connIo, "connIo");
            return this;
        }

        public NinepServer build() {
            if (exports.isEmpty()) {
                throw new IllegalStateException("no export configured");
            }
            io.corio.core.Backend b = coroutines != null ? coroutines : io.corio.core.Backend.defaultBackend();
            return new NinepServer(exports, maxMsize, maxRequests, b,
                    connIo != null ? connIo : ConnectionIo.choose(IO_PROPERTY, ConnectionIo.LOOP));
        }
    }

    /**
     * Listens on {@code address}: an {@link InetSocketAddress} (port 0 picks one) or a
     * {@link UnixDomainSocketAddress} (a stale socket file there is replaced; any other kind of
     * file there is left alone and the bind fails). Accepts on a
     * virtual thread until {@link #close()}.
     *
     * @return the address bound, with the actual port
     */
    public SocketAddress listen(SocketAddress address) throws IOException {
        if (closed) {
            throw new IllegalStateException("server is closed");
        }
        Listener l = Listener.start("9p-accept", address, this::accepted);
        listeners.add(l);
        if (closed) { // close() ran meanwhile and missed it
            l.close();
        }
        log.info("9P server listening on {} (coroutine backend {}, connection I/O {})", l.address(),
                config.coroutines().id(), config.inLoop() ? "in the loop" : "on threads");
        return l.address();
    }

    /** Starts serving a connection the listener accepted. */
    private void accepted(SocketChannel ch) throws IOException {
        Session[] box = new Session[1];
        stats.connections.increment();
        Session s = new Session("9p-" + connections.incrementAndGet(), ch, config,
                () -> {
                    sessions.remove(box[0]);
                    stopIoWhenIdle();
                });
        box[0] = s;
        sessions.add(s);
        if (closed) {
            s.close();
        }
        s.start();
    }

    /** Connections being served now. */
    public int sessionCount() {
        return sessions.size();
    }

    @Override
    public void close() {
        closed = true;
        listeners.forEach(Listener::close);
        for (Session s : sessions) {
            s.close();
        }
        stopIoWhenIdle();
    }

    /** Once closed and every session has ended (their clunks need it), stops the I/O pool. */
    private void stopIoWhenIdle() {
        if (closed && sessions.isEmpty() && ioStopped.compareAndSet(false, true)) {
            config.io().shutdown(false);
        }
    }
}
