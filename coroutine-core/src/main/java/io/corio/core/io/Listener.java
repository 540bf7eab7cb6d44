package io.corio.core.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket, TCP or Unix domain, that accepts on a virtual thread of its own and hands
 * each connection to the server. Every server in this repository (9P, NBD, and their twins in
 * {@code benchmarks/}) listens through one of these.
 *
 * <p>TCP listeners set {@code SO_REUSEADDR} (a restarted server rebinds its port at once) and
 * give each connection {@code TCP_NODELAY} (replies are written whole; a small one must not wait
 * for an ACK). A Unix listener replaces a stale socket file at its path, but never any other
 * kind of file (the bind then fails), and deletes its socket file when closed. A failed accept
 * is logged and the loop goes on while the listener is open; {@link #close()} ends it.
 * Thread-safe.
 */
public final class Listener implements AutoCloseable {
    /**
     * Serves an accepted connection. A handler that throws gets the connection closed (an
     * {@link IOException} is logged as a warning, anything else as a server bug); the
     * listener goes on accepting.
     */
    @FunctionalInterface
    public interface Handler {
        void accept(SocketChannel channel) throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(Listener.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final ServerSocketChannel channel;
    private final SocketAddress address;
    private volatile boolean closed;

    private Listener(ServerSocketChannel channel, SocketAddress address) {
        this.channel = channel;
        this.address = address;
    }

    /**
     * Binds {@code address}, an {@link InetSocketAddress} (port 0 picks one) or a
     * {@link UnixDomainSocketAddress}, and accepts on a virtual thread named {@code name} plus
     * the bound address, calling {@code onAccept} with each connection (which it then owns).
     *
     * @throws IllegalArgumentException for any other kind of address
     */
    public static Listener start(String name, SocketAddress address, Handler onAccept)
            throws IOException {
        ServerSocketChannel ssc;
        if (address instanceof UnixDomainSocketAddress unix) {
            removeStaleSocket(unix.getPath());
            ssc = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        } else if (address instanceof InetSocketAddress) {
            ssc = ServerSocketChannel.open();
            ssc.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        } else {
            throw new IllegalArgumentException("address must be TCP or Unix: " + address);
        }
        try {
            ssc.bind(address);
            Listener l = new Listener(ssc, ssc.getLocalAddress());
            Thread.ofVirtual().name(name + " " + l.address).start(() -> l.acceptLoop(onAccept));
            return l;
        } catch (IOException | RuntimeException e) {
            ssc.close();
            throw e;
        }
    }

    /** The address bound, with the actual port. */
    public SocketAddress address() {
        return address;
    }

    /** Stops accepting and, for a Unix socket, deletes its file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
            if (address instanceof UnixDomainSocketAddress unix) {
                Files.deleteIfExists(unix.getPath());
            }
        } catch (IOException e) {
            log.debug("closing listener {}: {}", address, e.toString());
        }
    }

    private void acceptLoop(Handler onAccept) {
        boolean tcp = address instanceof InetSocketAddress;
        while (!closed) {
            SocketChannel ch;
            try {
                ch = channel.accept();
            } catch (IOException e) {
                if (!closed && channel.isOpen()) {
                    log.warn("{}: accept failed: {}", address, e.toString());
                    continue;
                }
                return;
            }
            if (tcp) {
                try {
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                } catch (IOException e) {
                    log.debug("TCP_NODELAY: {}", e.toString());
                }
            }
            try {
                onAccept.accept(ch);
            } catch (IOException e) { // e.g. the socket could not be made non-blocking
                log.warn("{}: cannot serve a connection: {}", address, e.toString());
                closeQuietly(ch);
            } catch (RuntimeException e) { // a server bug must not end the listener
                log.error("{}: serving a connection failed", address, e);
                closeQuietly(ch);
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException again) {
            log.debug("close: {}", again.toString());
        }
    }

    /** Deletes {@code path} if it is a socket: never a regular file someone pointed us at. */
    private static void removeStaleSocket(Path path) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (UnsupportedOperationException e) {
            return; // cannot tell: leave it, the bind reports a clash
        }
        if ((mode & S_IFMT) == S_IFSOCK) {
            Files.deleteIfExists(path);
        }
    }

    @Override
    public String toString() {
        return "Listener[" + address + (closed ? " closed" : "") + "]";
    }
}
