package io.corio.ninep.client;

import io.corio.core.Coroutine;
import io.corio.ninep.protocol.Codec;
import io.corio.ninep.protocol.FrameReader;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage;
import io.corio.ninep.protocol.Rmessage.Rflush;
import io.corio.ninep.protocol.Rmessage.Rlerror;
import io.corio.ninep.protocol.Rmessage.Rversion;
import io.corio.ninep.protocol.Tmessage;
import io.corio.ninep.protocol.Tmessage.Tflush;
import io.corio.ninep.protocol.Tmessage.Tversion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;

/**
 * A multiplexing 9P2000.L client on one TCP or Unix-socket connection. Callers pass a message
 * builder that receives a free tag; the reply comes back to that caller whatever order the
 * server answers in. Thread-safe: any number of plain or virtual threads may have requests in
 * flight; inside a coroutine, {@link #rpc} waits through {@link Coroutine#blocking}, so the
 * coroutine's context keeps running.
 *
 * <p>One virtual thread reads replies and completes the waiter of each tag; a reply for a tag
 * nobody waits for is dropped. When the connection ends, every waiter fails with
 * {@link ClosedChannelException}.
 */
public final class NinepClient implements AutoCloseable {
    private final SocketChannel channel;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentHashMap<Integer, CompletableFuture<Rmessage>> waiting = new ConcurrentHashMap<>();
    private final Thread reader;
    private int nextTag; // guarded by waiting's putIfAbsent: a hint only
    private volatile int msize = P9.MIN_MSIZE;
    private volatile boolean closed;

    private NinepClient(SocketChannel channel) {
        this.channel = channel;
        this.reader = Thread.ofVirtual().name("9p-client-reader").start(this::readLoop);
    }

    /** Connects to a TCP ({@link InetSocketAddress}) or Unix ({@link UnixDomainSocketAddress}) server. */
    public static NinepClient connect(SocketAddress address) throws IOException {
        SocketChannel ch = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        if (!(address instanceof UnixDomainSocketAddress)) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // requests are small frames
        }
        ch.connect(address);
        return new NinepClient(ch);
    }

    /** Sends Tversion for 9P2000.L asking {@code msize}; returns the server's answer. */
    public Rversion version(int msize) throws IOException, NinepError {
        Rversion v = call(Rversion.class, tag -> new Tversion(P9.NOTAG, msize, P9.VERSION_9P2000_L), P9.NOTAG);
        this.msize = v.msize();
        return v;
    }

    /** The msize agreed by {@link #version}. */
    public int msize() {
        return msize;
    }

    /**
     * Sends the message {@code build} makes for a free tag and waits for its reply.
     *
     * @throws CancellationException if {@link #flush} made the server drop the request
     */
    public Rmessage rpc(IntFunction<Tmessage> build) throws IOException {
        if (Coroutine.inCoroutine()) {
            return Coroutine.blocking(() -> await(send(build)));
        }
        return await(send(build));
    }

    /** As {@link #rpc}, but a reply other than {@code type} (Rlerror) is thrown as {@link NinepError}. */
    public <R extends Rmessage> R call(Class<R> type, IntFunction<Tmessage> build)
            throws IOException, NinepError {
        Rmessage r = rpc(build);
        return expect(type, r, build);
    }

    private <R extends Rmessage> R call(Class<R> type, IntFunction<Tmessage> build, int fixedTag)
            throws IOException, NinepError {
        CompletableFuture<Rmessage> f = new CompletableFuture<>();
        if (waiting.putIfAbsent(fixedTag, f) != null) {
            throw new IllegalStateException("tag " + fixedTag + " busy");
        }
        write(build.apply(fixedTag), fixedTag);
        return expect(type, await(f), build);
    }

    private static <R extends Rmessage> R expect(Class<R> type, Rmessage r, IntFunction<Tmessage> build)
            throws NinepError {
        if (type.isInstance(r)) {
            return type.cast(r);
        }
        if (r instanceof Rlerror e) {
            throw new NinepError(e.ecode(), build.apply(r.tag()).toString());
        }
        throw new IllegalStateException("expected " + type.getSimpleName() + ", got " + r);
    }

    /** Sends without waiting; the future completes with the reply. */
    public CompletableFuture<Rmessage> send(IntFunction<Tmessage> build) throws IOException {
        CompletableFuture<Rmessage> f = new CompletableFuture<>();
        int tag = allocateTag(f);
        Tmessage t = build.apply(tag);
        if (t.tag() != tag) {
            waiting.remove(tag);
            throw new IllegalArgumentException("message must carry tag " + tag + ": " + t);
        }
        write(t, tag);
        return f;
    }

    /**
     * Sends Tflush for the request tagged {@code oldtag} without waiting; the future completes
     * with the Rflush. If the request was still waiting for its reply when the Rflush arrived,
     * the server dropped it: its future then fails with {@link CancellationException} (before
     * the returned future completes) and the tag is free again. A server answers a request it
     * did not drop before the Rflush, so that request completes normally.
     */
    public CompletableFuture<Rmessage> flush(int oldtag) throws IOException {
        CompletableFuture<Rmessage> target = waiting.get(oldtag);
        CompletableFuture<Rmessage> rflush = new CompletableFuture<>();
        CompletableFuture<Rmessage> done = target == null ? rflush : rflush.thenApply(r -> {
            if (r instanceof Rflush && waiting.remove(oldtag, target)) {
                target.completeExceptionally(new CancellationException("tag " + oldtag + " flushed"));
            }
            return r;
        });
        int tag = allocateTag(rflush);
        write(new Tflush(tag, oldtag), tag);
        return done;
    }

    /**
     * Writes {@code frame} as it is (tests send malformed frames this way) and returns a future
     * for the reply to {@code tag}, which the caller promises the frame carries.
     */
    public CompletableFuture<Rmessage> sendRaw(ByteBuffer frame, int tag) throws IOException {
        CompletableFuture<Rmessage> f = new CompletableFuture<>();
        if (waiting.putIfAbsent(tag, f) != null) {
            throw new IllegalStateException("tag " + tag + " busy");
        }
        writeRaw(frame, tag);
        return f;
    }

    private int allocateTag(CompletableFuture<Rmessage> f) throws IOException {
        for (int i = 0; i < P9.NOTAG; i++) {
            int tag;
            synchronized (this) {
                tag = nextTag;
                nextTag = (nextTag + 1) % P9.NOTAG;
            }
            if (waiting.putIfAbsent(tag, f) == null) {
                if (closed) {
                    waiting.remove(tag);
                    throw new ClosedChannelException();
                }
                return tag;
            }
        }
        throw new IOException("all tags busy");
    }

    private void write(Tmessage t, int tag) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(Codec.size(t));
        Codec.encode(t, out);
        writeRaw(out.flip(), tag);
    }

    private void writeRaw(ByteBuffer frame, int tag) throws IOException {
        writeLock.lock();
        try {
            while (frame.hasRemaining()) {
                channel.write(frame);
            }
        } catch (IOException e) {
            waiting.remove(tag);
            throw e;
        } finally {
            writeLock.unlock();
        }
    }

    private static Rmessage await(CompletableFuture<Rmessage> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    private void readLoop() {
        FrameReader frames = new FrameReader(P9.MAX_MSIZE);
        IOException failure = new ClosedChannelException();
        try {
            while (true) {
                ByteBuffer frame = frames.next();
                if (frame == null) {
                    if (frames.readFrom(channel) < 0) {
                        break;
                    }
                    continue;
                }
                Rmessage r = Codec.decodeR(frame);
                CompletableFuture<Rmessage> f = waiting.remove(r.tag());
                if (f != null) {
                    f.complete(r);
                }
            }
        } catch (Exception e) {
            if (!closed) {
                failure = e instanceof IOException io ? io : new IOException(e);
            }
        } finally {
            closed = true;
            for (var it = waiting.values().iterator(); it.hasNext(); ) {
                CompletableFuture<Rmessage> f = it.next();
                it.remove();
                f.completeExceptionally(failure);
            }
        }
    }

    /** Whether the connection has ended (closed by either side). */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
