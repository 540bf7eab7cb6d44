package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToIntFunction;

/**
 * Encodes and decodes the messages of the transmission phase: requests ({@link Request}), simple
 * replies and structured reply chunks ({@link Reply}). Encoders return the buffers to write in
 * order (a header, then a payload as a view of the caller's data, never copied) for a gathering
 * write.
 *
 * <p>A request is decoded in two steps, {@link #readHeader} then {@link #request}, so that a
 * server can take a WRITE's payload bytes from its budget before it reads the payload. Errors: a
 * bad magic number, or a WRITE payload longer than the caller's limit, means the framing is lost
 * ({@link FramingException}); anything else with an intact header decodes to a record (an unknown
 * command to {@link Request.Unknown}) that the server answers with an error.
 */
public final class TransmissionCodec {
    private TransmissionCodec() {}

    /** A request header as read, before its payload. */
    public record Header(int flags, int type, long handle, long offset, long length) {}

    // ------------------------------------------------------------------ requests

    public static ByteBuffer[] encode(Request r) {
        long offset = 0;
        long length = 0;
        ByteBuffer data = null;
        switch (r) {
            case Request.Read x -> { offset = x.offset(); length = x.length(); }
            case Request.Write x -> { offset = x.offset(); data = x.data().duplicate(); length = data.remaining(); }
            case Request.Disconnect x -> { }
            case Request.Flush x -> { offset = x.offset(); length = x.length(); }
            case Request.Trim x -> { offset = x.offset(); length = x.length(); }
            case Request.Cache x -> { offset = x.offset(); length = x.length(); }
            case Request.WriteZeroes x -> { offset = x.offset(); length = x.length(); }
            case Request.BlockStatus x -> { offset = x.offset(); length = x.length(); }
            case Request.Unknown x -> { offset = x.offset(); length = x.length(); }
        }
        ByteBuffer head = ByteBuffer.allocate(REQUEST_HEADER_SIZE).putInt(REQUEST_MAGIC)
                .putShort((short) r.flags()).putShort((short) r.type()).putLong(r.handle())
                .putLong(offset).putInt((int) length).flip();
        return data == null ? new ByteBuffer[] {head} : new ByteBuffer[] {head, data};
    }

    /** Reads a request header; a bad magic number is a {@link FramingException}. */
    public static Header readHeader(WireIn in) throws IOException {
        in.require(REQUEST_HEADER_SIZE);
        int magic = in.getInt();
        int flags = Short.toUnsignedInt(in.getShort());
        int type = Short.toUnsignedInt(in.getShort());
        long handle = in.getLong();
        long offset = in.getLong();
        long length = Integer.toUnsignedLong(in.getInt());
        if (magic != REQUEST_MAGIC) {
            throw new FramingException("request magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(REQUEST_MAGIC));
        }
        return new Header(flags, type, handle, offset, length);
    }

    /** Whether a request with this header is followed by {@code length} payload bytes. */
    public static boolean hasPayload(Header h) {
        return h.type() == CMD_WRITE;
    }

    /** The request of header {@code h}; {@code payload} is the WRITE data, else {@code null}. */
    public static Request request(Header h, ByteBuffer payload) {
        long handle = h.handle();
        int flags = h.flags();
        return switch (h.type()) {
            case CMD_READ -> new Request.Read(handle, flags, h.offset(), h.length());
            case CMD_WRITE -> new Request.Write(handle, flags, h.offset(), payload);
            case CMD_DISC -> new Request.Disconnect(handle, flags);
            case CMD_FLUSH -> new Request.Flush(handle, flags, h.offset(), h.length());
            case CMD_TRIM -> new Request.Trim(handle, flags, h.offset(), h.length());
            case CMD_CACHE -> new Request.Cache(handle, flags, h.offset(), h.length());
            case CMD_WRITE_ZEROES -> new Request.WriteZeroes(handle, flags, h.offset(), h.length());
            case CMD_BLOCK_STATUS -> new Request.BlockStatus(handle, flags, h.offset(), h.length());
            default -> new Request.Unknown(handle, flags, h.type(), h.offset(), h.length());
        };
    }

    /**
     * Reads a whole request.
     *
     * @throws FramingException on a bad magic number or a WRITE longer than {@code maxPayload}
     */
    public static Request readRequest(WireIn in, int maxPayload) throws IOException {
        Header h = readHeader(in);
        ByteBuffer payload = null;
        if (hasPayload(h)) {
            checkPayload(h, maxPayload);
            payload = in.payload((int) h.length());
        }
        return request(h, payload);
    }

    /** Refuses a WRITE payload longer than {@code maxPayload}: the framing is then lost. */
    public static void checkPayload(Header h, int maxPayload) throws FramingException {
        if (h.length() > maxPayload) {
            throw new FramingException("NBD_CMD_WRITE of " + h.length()
                    + " bytes, more than the limit of " + maxPayload);
        }
    }

    // ------------------------------------------------------------------ replies

    public static ByteBuffer[] encode(Reply r) {
        return switch (r) {
            case Reply.Simple s -> {
                ByteBuffer head = ByteBuffer.allocate(SIMPLE_REPLY_HEADER_SIZE)
                        .putInt(SIMPLE_REPLY_MAGIC).putInt(s.error()).putLong(s.handle()).flip();
                yield s.data() == null ? new ByteBuffer[] {head}
                        : new ByteBuffer[] {head, s.data().duplicate()};
            }
            case Reply.None n -> new ByteBuffer[] {chunkHeader(n, REPLY_TYPE_NONE, 0).flip()};
            case Reply.OffsetData d -> {
                ByteBuffer data = d.data().duplicate();
                ByteBuffer head = chunkHeader(d, REPLY_TYPE_OFFSET_DATA, 8 + data.remaining())
                        .putLong(d.offset()).flip();
                yield new ByteBuffer[] {head, data};
            }
            case Reply.OffsetHole h -> new ByteBuffer[] {chunkHeader(h, REPLY_TYPE_OFFSET_HOLE, 12)
                    .putLong(h.offset()).putInt((int) h.length()).flip()};
            case Reply.BlockStatus b -> {
                ByteBuffer out = chunkHeader(b, REPLY_TYPE_BLOCK_STATUS,
                        4 + 8 * b.descriptors().size()).putInt(b.contextId());
                for (Reply.Descriptor d : b.descriptors()) {
                    out.putInt((int) d.length()).putInt(d.status());
                }
                yield new ByteBuffer[] {out.flip()};
            }
            case Reply.Error e -> {
                byte[] msg = message(e.message());
                yield new ByteBuffer[] {chunkHeader(e, REPLY_TYPE_ERROR, 6 + msg.length)
                        .putInt(e.error()).putShort((short) msg.length).put(msg).flip()};
            }
            case Reply.ErrorOffset e -> {
                byte[] msg = message(e.message());
                yield new ByteBuffer[] {chunkHeader(e, REPLY_TYPE_ERROR_OFFSET, 14 + msg.length)
                        .putInt(e.error()).putShort((short) msg.length).put(msg)
                        .putLong(e.offset()).flip()};
            }
            case Reply.UnknownChunk u -> {
                ByteBuffer p = u.payload().duplicate();
                yield new ByteBuffer[] {chunkHeader(u, u.type(), p.remaining()).flip(), p};
            }
        };
    }

    /** A chunk header with room for {@code payload} bytes when the payload is small. */
    private static ByteBuffer chunkHeader(Reply.Chunk c, int type, int payload) {
        int room = c instanceof Reply.OffsetData || c instanceof Reply.UnknownChunk ? 8 : payload;
        return ByteBuffer.allocate(CHUNK_HEADER_SIZE + room).putInt(STRUCTURED_REPLY_MAGIC)
                .putShort((short) (c.done() ? REPLY_FLAG_DONE : 0)).putShort((short) type)
                .putLong(c.handle()).putInt(payload);
    }

    /** An error message as UTF-8, cut at a character boundary to {@link NbdProto#MAX_STRING}. */
    private static byte[] message(String s) {
        byte[] b = HandshakeCodec.utf8(s == null ? "" : s);
        if (b.length <= MAX_STRING) {
            return b;
        }
        int n = MAX_STRING;
        while (n > 0 && (b[n] & 0xC0) == 0x80) { // do not split a multi-byte character
            n--;
        }
        return java.util.Arrays.copyOf(b, n);
    }

    /**
     * Reads one reply or chunk (client side). A simple reply carries data only if it is a
     * success and {@code readLength} gives the length of the READ with that handle ({@code -1}
     * for any other request).
     *
     * @throws FramingException on a bad magic number or a chunk that breaks the layout
     */
    public static Reply readReply(WireIn in, LongToIntFunction readLength) throws IOException {
        in.require(4);
        int magic = in.getInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
            in.require(SIMPLE_REPLY_HEADER_SIZE - 4);
            int error = in.getInt();
            long handle = in.getLong();
            int length = error == 0 ? readLength.applyAsInt(handle) : -1;
            return new Reply.Simple(handle, error, length < 0 ? null : in.payload(length));
        }
        if (magic != STRUCTURED_REPLY_MAGIC) {
            throw new FramingException("reply magic 0x" + Integer.toHexString(magic));
        }
        in.require(CHUNK_HEADER_SIZE - 4);
        boolean done = (in.getShort() & REPLY_FLAG_DONE) != 0;
        int type = Short.toUnsignedInt(in.getShort());
        long handle = in.getLong();
        long length = Integer.toUnsignedLong(in.getInt());
        if (length > MAX_PAYLOAD + 8L) {
            throw new FramingException("reply chunk of " + length + " bytes");
        }
        ByteBuffer p = in.payload((int) length);
        String bad = null;
        Reply.Chunk chunk = null;
        switch (type) {
            case REPLY_TYPE_NONE -> {
                if (length != 0 || !done) {
                    bad = "NONE chunk with " + length + " bytes or without DONE";
                } else {
                    chunk = new Reply.None(handle);
                }
            }
            case REPLY_TYPE_OFFSET_DATA -> {
                if (length < 9) {
                    bad = "OFFSET_DATA chunk of " + length + " bytes";
                } else {
                    chunk = new Reply.OffsetData(handle, done, p.getLong(), p.slice());
                }
            }
            case REPLY_TYPE_OFFSET_HOLE -> {
                if (length != 12) {
                    bad = "OFFSET_HOLE chunk of " + length + " bytes";
                } else {
                    chunk = new Reply.OffsetHole(handle, done, p.getLong(),
                            Integer.toUnsignedLong(p.getInt()));
                }
            }
            case REPLY_TYPE_BLOCK_STATUS -> {
                if (length < 12 || (length - 4) % 8 != 0) {
                    bad = "BLOCK_STATUS chunk of " + length + " bytes";
                } else {
                    int id = p.getInt();
                    List<Reply.Descriptor> ds = new ArrayList<>();
                    while (p.hasRemaining()) {
                        ds.add(new Reply.Descriptor(Integer.toUnsignedLong(p.getInt()), p.getInt()));
                    }
                    chunk = new Reply.BlockStatus(handle, done, id, ds);
                }
            }
            case REPLY_TYPE_ERROR, REPLY_TYPE_ERROR_OFFSET -> {
                int fixed = type == REPLY_TYPE_ERROR ? 6 : 14;
                int error = length >= fixed ? p.getInt() : 0;
                int msgLength = length >= fixed ? Short.toUnsignedInt(p.getShort()) : 0;
                if (length < fixed || msgLength != length - fixed) {
                    bad = "error chunk of " + length + " bytes with a message of " + msgLength;
                } else {
                    String msg = HandshakeCodec.lenient(p.slice(p.position(), msgLength));
                    p.position(p.position() + msgLength);
                    chunk = type == REPLY_TYPE_ERROR ? new Reply.Error(handle, done, error, msg)
                            : new Reply.ErrorOffset(handle, done, error, msg, p.getLong());
                }
            }
            default -> chunk = new Reply.UnknownChunk(handle, done, type, p);
        }
        if (bad != null) {
            throw new FramingException("malformed reply: " + bad);
        }
        return chunk;
    }
}
