package io.corio.blockio.nbd;

import io.corio.blockio.BlockError;
import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection of an {@link NbdClient}: the socket, its own {@link AioContext} with the reader
 * coroutine, and the table of calls in flight by handle. A caller's coroutine (of any context)
 * registers a {@link ClientCall}, sends its request through the {@link Sender} and waits on the
 * call; the reader hands each reply to the call with that handle and completes the call after
 * its last reply. When the connection breaks, every call in flight and every later one fails
 * with EIO; exactly one party (whoever takes the call out of the table) completes each call.
 */
final class ClientLink {
    private static final Logger log = LoggerFactory.getLogger(ClientLink.class);
    private static final AtomicLong LINKS = new AtomicLong();

    /** How long {@link #close()} waits for the server to finish and hang up after NBD_CMD_DISC. */
    static final long DISCONNECT_WAIT_MILLIS = 5_000;

    final String name;
    private final SocketChannel channel;
    private final AioContext ctx;
    private final WireIn in; // the handshake, then the reader coroutine only
    private final Sender out;
    private final AtomicLong handles = new AtomicLong(1);
    private final ConcurrentHashMap<Long, ClientCall> calls = new ConcurrentHashMap<>();
    private final CountDownLatch readerDone = new CountDownLatch(1);
    private volatile IOException broken; // set once, before the calls in flight are failed
    private volatile boolean closed;
    private ClientHandshake.Agreed agreed; // set before the reader starts, then read-only

    private ClientLink(SocketChannel channel) {
        this.name = "nbd-client-" + LINKS.incrementAndGet();
        this.channel = channel;
        this.ctx = AioContext.start(name);
        this.in = new WireIn(buf -> Coroutine.blocking(() -> channel.read(buf)));
        this.out = new Sender(name, channel);
    }

    /** Connects, runs the handshake for {@code export}, and starts the reader. */
    static ClientLink open(SocketAddress address, String export, boolean structured) throws IOException {
        SocketChannel ch = SocketChannel.open(address);
        if (address instanceof InetSocketAddress) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        ClientLink link = new ClientLink(ch);
        try {
            link.agreed = link.ctx.call(link.name + "-handshake",
                    () -> new ClientHandshake(link.in, link.out).run(export, structured));
        } catch (IOException | RuntimeException e) {
            link.abort();
            throw e;
        }
        link.ctx.spawn(link.name + "-reader", link::readReplies);
        return link;
    }

    ClientHandshake.Agreed agreed() {
        return agreed;
    }

    /**
     * Sends a request and waits for its last reply (coroutine-only).
     *
     * @param payload the WRITE data, or {@code null}
     * @param dst where READ data goes, or {@code null}
     * @param raw whether to keep every reply in the call
     */
    ClientCall call(int type, int cmdFlags, long offset, long length, ByteBuffer payload,
            ByteBuffer dst, boolean raw) {
        if (!Coroutine.inCoroutine()) {
            throw new IllegalStateException("NbdClient I/O is coroutine-only (use AioContext.call)");
        }
        long handle = handles.getAndIncrement();
        ClientCall c = new ClientCall(type, offset, length, dst, raw, agreed.contextId());
        calls.put(handle, c);
        IOException b = broken;
        if (b != null || closed) {
            if (calls.remove(handle) != null) {
                c.fail(BlockError.EIO.errno(), closed ? "the client is closed" : "connection lost: " + b);
            }
            c.await(); // whoever took the call out of the table completes it
            return c;
        }
        Request r = TransmissionCodec.request(
                new TransmissionCodec.Header(cmdFlags, type, handle, offset, length), payload);
        if (!out.send(TransmissionCodec.encode(r))) {
            lost(new IOException("sending the request failed"));
        }
        c.await(); // the reader completes it once the last reply is in
        return c;
    }

    /** The reader coroutine: hands each reply to its call until the connection ends. */
    private void readReplies() {
        try {
            while (!in.atEnd()) {
                Reply r = TransmissionCodec.readReply(in, this::simpleReadLength);
                ClientCall c = calls.get(r.handle());
                if (c == null) {
                    throw new FramingException("reply for unknown handle " + r.handle() + ": " + r);
                }
                if (c.accept(r) && calls.remove(r.handle()) != null) {
                    c.complete();
                }
            }
            lost(new IOException("the server closed the connection"));
        } catch (IOException e) {
            lost(e);
        } catch (RuntimeException e) {
            log.error("{}: reader failed", name, e);
            lost(new IOException(e));
        } finally {
            readerDone.countDown();
        }
    }

    private int simpleReadLength(long handle) {
        ClientCall c = calls.get(handle);
        return c != null && c.type == NbdProto.CMD_READ ? (int) c.length : -1;
    }

    /** Marks the connection broken and fails every call in flight. Idempotent. */
    private void lost(IOException cause) {
        if (broken == null) {
            broken = cause;
            if (!closed) {
                log.debug("{}: connection lost: {}", name, cause.toString());
            }
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Long h : List.copyOf(calls.keySet())) {
            ClientCall c = calls.remove(h);
            if (c != null) {
                c.fail(BlockError.EIO.errno(), "connection lost: " + cause.getMessage());
            }
        }
    }

    /**
     * Sends NBD_CMD_DISC, waits for the server to finish and hang up, and releases the
     * connection. Calls still in flight fail with EIO. Idempotent; callable from any code.
     */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (broken == null && channel.isOpen()) {
            try {
                ctx.call(name + "-disconnect", () -> {
                    out.send(TransmissionCodec.encode(new Request.Disconnect(0, 0)));
                    return null;
                });
                channel.shutdownOutput();
                if (!readerDone.await(DISCONNECT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                    log.warn("{}: the server did not hang up after NBD_CMD_DISC", name);
                }
            } catch (IOException | RuntimeException e) {
                log.debug("{}: disconnect: {}", name, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        abort();
    }

    /** Closes the socket and the context without the NBD goodbye. */
    private void abort() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
        ctx.close();
    }
}
