package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * An NBD client that is itself a {@link BlockDriver}: one connection, many requests in flight on
 * it at once (each caller's coroutine sends its request and yields until a reader coroutine, in
 * the client's own context, hands it the reply). Negotiates fixed newstyle with
 * {@code NBD_OPT_GO}, structured replies and {@code base:allocation} when the server has them.
 *
 * <p>Every I/O method is a coroutine function (see {@link BlockDriver}), callable from
 * coroutines of any context. Ranges are checked here first, as the contract asks, so the
 * server's own errors for bad requests are seen only through {@link #request}, the raw call for
 * tests and tools. When the connection breaks, every request in flight and every later one
 * fails with {@link BlockError#EIO}. The connection itself lives in {@code ClientLink}.
 */
public final class NbdClient implements BlockDriver {
    /**
     * The outcome of a raw {@link #request}: the error value (0 for success) and message, the
     * data of a READ, the extents of a BLOCK_STATUS, and every reply or chunk received.
     */
    public record Response(int error, String message, ByteBuffer data,
            List<Reply.Descriptor> descriptors, List<Reply> replies) {}

    private final ClientLink link;
    private final long size;
    private final int flags;
    private final boolean structured;
    private final int contextId;
    private final String description;

    private NbdClient(ClientLink link) {
        this.link = link;
        ClientHandshake.Agreed a = link.agreed();
        this.size = a.size();
        this.flags = a.flags();
        this.structured = a.structured();
        this.contextId = a.contextId();
        this.description = a.description();
    }

    /** Connects to {@code export} on a TCP or Unix socket, asking for structured replies. */
    public static NbdClient connect(SocketAddress address, String export) throws IOException {
        return connect(address, export, true);
    }

    /**
     * Connects to {@code export}; without {@code structuredReplies} the server answers with
     * simple replies only and {@link #blockStatus} is unavailable.
     *
     * @throws IOException if the connection fails or the server refuses the export (the message
     *     carries the server's)
     */
    public static NbdClient connect(SocketAddress address, String export, boolean structuredReplies)
            throws IOException {
        return new NbdClient(ClientLink.open(address, export, structuredReplies));
    }

    // ------------------------------------------------------------------ what was negotiated

    @Override
    public long length() {
        return size;
    }

    /** The transmission flags the server sent. */
    public int transmissionFlags() {
        return flags;
    }

    /** Whether the server agreed to structured replies. */
    public boolean structuredReplies() {
        return structured;
    }

    /** Whether {@code base:allocation} was selected, so {@link #blockStatus} works. */
    public boolean hasBlockStatus() {
        return contextId >= 0;
    }

    /** The export's description, or "" if the server sent none. */
    public String description() {
        return description;
    }

    @Override
    public boolean readOnly() {
        return (flags & FLAG_READ_ONLY) != 0;
    }

    @Override
    public boolean canFua() {
        return (flags & FLAG_SEND_FUA) != 0;
    }

    @Override
    public boolean canFastZero() {
        return (flags & FLAG_SEND_FAST_ZERO) != 0;
    }

    @Override
    public boolean canDiscard() {
        return (flags & FLAG_SEND_TRIM) != 0;
    }

    // ------------------------------------------------------------------ BlockDriver

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        checkRange(offset, dst.remaining(), false);
        while (dst.hasRemaining()) {
            int n = Math.min(dst.remaining(), MAX_PAYLOAD);
            ByteBuffer part = dst.slice(dst.position(), n);
            call(CMD_READ, 0, offset, n, null, part, false).throwIfFailed();
            dst.position(dst.position() + n);
            offset += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        if ((flags & ~FUA) != 0) {
            throw new IllegalArgumentException("write flags 0x" + Integer.toHexString(flags));
        }
        checkRange(offset, src.remaining(), true);
        boolean fua = (flags & FUA) != 0;
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), MAX_PAYLOAD);
            ByteBuffer part = src.slice(src.position(), n);
            call(CMD_WRITE, fua && canFua() ? CMD_FLAG_FUA : 0, offset, n, part, null, false)
                    .throwIfFailed();
            src.position(src.position() + n);
            offset += n;
        }
        if (fua && !canFua()) {
            flush();
        }
    }

    @Override
    public void flush() throws BlockException {
        if ((flags & FLAG_SEND_FLUSH) != 0) {
            call(CMD_FLUSH, 0, 0, 0, null, null, false).throwIfFailed();
        }
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        checkRange(offset, length, true);
        if (!canDiscard()) {
            return; // a hint: without TRIM it is a no-op
        }
        for (long end = offset + length; offset < end; ) {
            long n = Math.min(end - offset, 0xffffffffL & ~0xfffL);
            call(CMD_TRIM, 0, offset, n, null, null, false).throwIfFailed();
            offset += n;
        }
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        if ((flags & ~(FUA | MAY_TRIM | FAST_ZERO)) != 0) {
            throw new IllegalArgumentException("writeZeroes flags 0x" + Integer.toHexString(flags));
        }
        checkRange(offset, length, true);
        if ((flags & FAST_ZERO) != 0 && !canFastZero()) {
            throw new BlockException(BlockError.ENOTSUP, "the server has no fast zero");
        }
        if ((this.flags & FLAG_SEND_WRITE_ZEROES) == 0) {
            throw new BlockException(BlockError.ENOTSUP, "the server has no NBD_CMD_WRITE_ZEROES");
        }
        int cmdFlags = ((flags & FUA) != 0 && canFua() ? CMD_FLAG_FUA : 0)
                | ((flags & MAY_TRIM) != 0 ? 0 : CMD_FLAG_NO_HOLE)
                | ((flags & FAST_ZERO) != 0 ? CMD_FLAG_FAST_ZERO : 0);
        for (long end = offset + length; offset < end; ) {
            long n = Math.min(end - offset, 0xffffffffL & ~0xfffL);
            call(CMD_WRITE_ZEROES, cmdFlags, offset, n, null, null, false).throwIfFailed();
            offset += n;
        }
        if ((flags & FUA) != 0 && !canFua()) {
            flush();
        }
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws BlockException {
        checkRange(offset, length, false);
        if (length == 0) {
            throw new BlockException(BlockError.EINVAL, "block status of length 0");
        }
        if (!hasBlockStatus()) {
            throw new BlockException(BlockError.ENOTSUP, "base:allocation was not negotiated");
        }
        long n = Math.min(length, 0xffffffffL & ~0xfffL);
        ClientCall c = call(CMD_BLOCK_STATUS, 0, offset, n, null, null, false);
        c.throwIfFailed();
        List<Extent> extents = new ArrayList<>();
        long at = offset;
        for (Reply.Descriptor d : c.descriptors) {
            long len = Math.min(d.length(), offset + n - at); // the last may reach past the request
            if (len <= 0) {
                break;
            }
            extents.add(new Extent(at, len, d.status() & (Extent.HOLE | Extent.ZERO)));
            at += len;
        }
        return extents;
    }

    /**
     * Sends any request as given (flags, offset and length are not checked here) and returns
     * what the server answered; the handle is chosen by the client. Coroutine-only.
     *
     * @param payload the WRITE data, or {@code null}
     */
    public Response request(int type, int cmdFlags, long offset, long length, ByteBuffer payload) {
        ByteBuffer dst = type == CMD_READ && length <= MAX_PAYLOAD
                ? ByteBuffer.allocate((int) length) : null;
        ClientCall c = call(type, cmdFlags, offset, length, payload, dst, true);
        return new Response(c.error, c.message, dst, List.copyOf(c.descriptors), List.copyOf(c.replies));
    }

    private void checkRange(long offset, long length, boolean write) throws BlockException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new BlockException(BlockError.EINVAL, "range " + offset + "+" + length
                    + " is outside the " + size + "-byte export");
        }
        if (write && readOnly()) {
            throw new BlockException(BlockError.EPERM, "the export is read-only");
        }
    }

    private ClientCall call(int type, int cmdFlags, long offset, long length, ByteBuffer payload,
            ByteBuffer dst, boolean raw) {
        return link.call(type, cmdFlags, offset, length, payload, dst, raw);
    }

    /**
     * Sends NBD_CMD_DISC, waits for the server to finish and hang up, and releases the
     * connection. Requests still in flight fail with EIO. Idempotent; callable from any code.
     */
    @Override
    public void close() {
        link.close();
    }

    @Override
    public String toString() {
        return link.name + " (" + size + " bytes)";
    }
}
