package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.core.CoSemaphore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One request of an {@link NbdClient} in flight: the caller's coroutine waits on it, the reader
 * coroutine fills it in reply by reply and releases the caller after the last one.
 *
 * <p>The wait is a one-unit {@link CoSemaphore} taken at creation: {@link #complete()} gives the
 * unit back (from any thread), {@link #await()} takes it. A plain {@code Coroutine.wake()} would
 * not do: a reply that lands while the caller is still inside its send leaves a wake pending
 * that the caller does not need, and the next call's wake would then be a second one.
 *
 * <p>The result fields are written by the reader only (or by whoever took the call out of the
 * client's table to fail it) before {@code complete()}, and read by the caller after
 * {@code await()}: the semaphore's release and acquire order them.
 */
final class ClientCall {
    private static final byte[] ZEROES = new byte[64 * 1024];

    final int type;
    final long offset;
    final long length;
    private final ByteBuffer dst; // READ data goes here (absolute puts), or null
    private final boolean raw; // keep every reply for NbdClient.request
    private final int contextId;
    int error;
    String message = "";
    final List<Reply.Descriptor> descriptors = new ArrayList<>();
    final List<Reply> replies = new ArrayList<>();
    private long covered; // READ bytes received as data or holes
    private final CoSemaphore completion = CoSemaphore.create(1);

    ClientCall(int type, long offset, long length, ByteBuffer dst, boolean raw,
            int contextId) {
        this.type = type;
        completion.tryAcquire(1); // the unit complete() gives back
        this.offset = offset;
        this.length = length;
        this.dst = dst;
        this.raw = raw;
        this.contextId = contextId;
    }

    /**
     * Takes one reply or chunk (reader only).
     *
     * @return whether it was the last one of this request
     * @throws FramingException if the server broke the protocol: the connection must close
     */
    boolean accept(Reply r) throws FramingException {
        if (raw) {
            replies.add(r);
        }
        switch (r) {
            case Reply.Simple s -> {
                if (s.error() != 0) {
                    setError(s.error(), "server: " + errorName(s.error()));
                } else if (s.data() != null && dst != null) {
                    dst.put(0, s.data(), s.data().position(), s.data().remaining());
                }
                return true;
            }
            case Reply.OffsetData d -> {
                int at = content(d.offset(), d.data().remaining());
                if (dst != null) {
                    dst.put(at, d.data(), d.data().position(), d.data().remaining());
                }
            }
            case Reply.OffsetHole h -> {
                int at = content(h.offset(), h.length());
                for (long n = h.length(); dst != null && n > 0; ) {
                    int step = (int) Math.min(n, ZEROES.length);
                    dst.put(at, ZEROES, 0, step);
                    at += step;
                    n -= step;
                }
            }
            case Reply.BlockStatus b -> {
                if (type != CMD_BLOCK_STATUS) {
                    throw new FramingException("block status chunk in reply to command " + type);
                }
                if (b.contextId() == contextId) {
                    descriptors.addAll(b.descriptors());
                }
            }
            case Reply.Error e -> setError(e.error(), "server: " + e.message());
            case Reply.ErrorOffset e -> setError(e.error(), "server: " + e.message() + " (at offset "
                    + e.offset() + ")");
            case Reply.None n -> { }
            case Reply.UnknownChunk u -> {
                if (!u.isError()) {
                    throw new FramingException("unknown reply chunk type " + u.type());
                }
                setError(BlockError.EIO.errno(), "server: unknown error chunk type " + u.type());
            }
        }
        Reply.Chunk c = (Reply.Chunk) r;
        if (!c.done()) {
            return false;
        }
        if (error == 0 && type == CMD_READ && covered != length) {
            setError(BlockError.EIO.errno(), "server: read reply covers " + covered + " of "
                    + length + " bytes");
        }
        if (error == 0 && type == CMD_BLOCK_STATUS && descriptors.isEmpty()) {
            setError(BlockError.EIO.errno(), "server: block status without extents");
        }
        return true;
    }

    /** Checks a content chunk lies inside the request; returns its index in {@code dst}. */
    private int content(long chunkOffset, long chunkLength) throws FramingException {
        long at = chunkOffset - offset;
        if (type != CMD_READ || at < 0 || chunkLength > length - at) {
            throw new FramingException("content chunk " + chunkOffset + "+" + chunkLength
                    + " outside the request " + offset + "+" + length);
        }
        covered += chunkLength;
        return (int) at;
    }

    private void setError(int errno, String text) {
        if (error == 0) { // the first error is the one reported
            error = errno;
            message = text;
        }
    }

    /** Marks the call finished and lets its caller go on. Exactly once per call. */
    void complete() {
        completion.release(1);
    }

    /** Fails the call and lets its caller go on. */
    void fail(int errno, String text) {
        setError(errno, text);
        complete();
    }

    /** Waits until the call is complete (coroutine-only). */
    void await() {
        completion.acquire(1);
    }

    void throwIfFailed() throws BlockException {
        if (error != 0) {
            throw new BlockException(blockError(error), message);
        }
    }

    /** The {@link BlockError} of an NBD error value; an unexpected value counts as EINVAL. */
    static BlockError blockError(int errno) {
        for (BlockError e : BlockError.values()) {
            if (e.errno() == errno) {
                return e;
            }
        }
        return BlockError.EINVAL;
    }
}
