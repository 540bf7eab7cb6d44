package io.corio.ninep.protocol;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Encodes and decodes 9P2000.L messages, both directions: a server decodes {@link Tmessage}s
 * and encodes {@link Rmessage}s, a client the reverse. Stateless and thread-safe.
 *
 * <h2>Framing</h2>
 * Every message is one frame, {@code size[4] type[1] tag[2] body}, all integers
 * little-endian, where {@code size} counts the whole frame including itself. A string is
 * {@code len[2]} and that many bytes of UTF-8, without a terminating NUL; a qid is
 * {@code type[1] version[4] path[8]}; a payload (Twrite, Rread, Rreaddir) is
 * {@code count[4]} and that many bytes, and always ends its message. {@link FrameReader}
 * cuts a byte stream into frames and enforces the negotiated msize.
 *
 * <h2>Error contract</h2>
 * Decoding never throws an unchecked exception for any input:
 * <ul>
 * <li>{@link FramingException} when the buffer is not exactly one frame (shorter than
 *     {@link P9#HEADER_SIZE}, or its size field disagrees with its length): the stream is
 *     lost and the connection must be closed.
 * <li>{@link ProtocolException} when the frame is whole but the message is not: an unknown
 *     type ({@link Errno#EOPNOTSUPP}), a field or payload running past the end, bytes left
 *     after the last field, more than {@link P9#MAX_WALK_ELEMENTS} walk elements, a string
 *     that is not valid UTF-8 (all {@link Errno#EINVAL}). It carries the frame's tag, so a
 *     server answers {@code Rlerror} and carries on.
 * </ul>
 * Encoding a message that cannot be encoded (a string longer than
 * {@link P9#MAX_STRING_BYTES} bytes, a frame that does not fit in the output's remaining
 * space) is the caller's bug: {@link IllegalArgumentException}, with the output's position
 * unchanged.
 *
 * <h2>Payloads without copies</h2>
 * A decoded Twrite, Rread or Rreaddir holds a read-only view of the frame's payload, not a
 * copy; it stays valid as long as the frame buffer is not reused ({@link FrameReader} never
 * reuses one). Encoding reads a payload's remaining bytes without moving its position.
 * {@link #encode} copies the payload into the output; {@link #encodeHead} writes everything
 * but the payload and hands the payload back, for a gathering write of head and payload.
 */
public final class Codec {
    private Codec() {}

    /** Decodes one request frame: {@code frame}'s remaining bytes, which are not consumed. */
    public static Tmessage decodeT(ByteBuffer frame) throws FramingException, ProtocolException {
        ByteBuffer body = body(frame);
        int type = type(frame);
        int tag = tag(frame);
        WireReader r = new WireReader(body, type, tag);
        try {
            Tmessage message = Decoder.request(type, tag, r);
            r.end();
            return message;
        } catch (BufferUnderflowException | IndexOutOfBoundsException
                | IllegalArgumentException e) {
            throw unexpected(r, e); // the reader checks lengths; this is a safety net
        }
    }

    /** Decodes one reply frame: {@code frame}'s remaining bytes, which are not consumed. */
    public static Rmessage decodeR(ByteBuffer frame) throws FramingException, ProtocolException {
        ByteBuffer body = body(frame);
        int type = type(frame);
        int tag = tag(frame);
        WireReader r = new WireReader(body, type, tag);
        try {
            Rmessage message = Decoder.reply(type, tag, r);
            r.end();
            return message;
        } catch (BufferUnderflowException | IndexOutOfBoundsException
                | IllegalArgumentException e) {
            throw unexpected(r, e);
        }
    }

    /**
     * Unpacks the entries in an Rreaddir payload ({@code data}'s remaining bytes, not
     * consumed). A malformed payload gives a {@link ProtocolException} with tag
     * {@link P9#NOTAG}.
     */
    public static List<DirEntry> decodeDirEntries(ByteBuffer data) throws ProtocolException {
        WireReader r = new WireReader(data.duplicate(), P9.RREADDIR, P9.NOTAG);
        try {
            return Decoder.dirEntries(r);
        } catch (BufferUnderflowException | IndexOutOfBoundsException
                | IllegalArgumentException e) {
            throw unexpected(r, e);
        }
    }

    /**
     * Writes {@code message} as one frame at {@code out}'s position and advances it.
     * Bound the frame by {@code out}'s limit (e.g. msize).
     *
     * @return the frame size
     * @throws IllegalArgumentException if the message does not fit or cannot be encoded
     */
    public static int encode(Tmessage message, ByteBuffer out) {
        WireWriter w = new WireWriter(out, false);
        try {
            Encoder.request(message, w);
        } catch (BufferOverflowException e) {
            throw tooBig(message, out);
        }
        return advance(out, w.finish());
    }

    /** As {@link #encode(Tmessage, ByteBuffer)}, for a reply. */
    public static int encode(Rmessage message, ByteBuffer out) {
        WireWriter w = new WireWriter(out, false);
        try {
            Encoder.reply(message, w);
        } catch (BufferOverflowException e) {
            throw tooBig(message, out);
        }
        return advance(out, w.finish());
    }

    /**
     * Writes {@code message}'s frame except its trailing payload, whose bytes are still
     * counted in the size field, and returns that payload (a duplicate; empty when the
     * message has none). Sending the head and then the payload sends the frame.
     */
    public static ByteBuffer encodeHead(Tmessage message, ByteBuffer out) {
        WireWriter w = new WireWriter(out, true);
        try {
            Encoder.request(message, w);
        } catch (BufferOverflowException e) {
            throw tooBig(message, out);
        }
        return finishHead(out, w);
    }

    /** As {@link #encodeHead(Tmessage, ByteBuffer)}, for a reply (Rread, Rreaddir). */
    public static ByteBuffer encodeHead(Rmessage message, ByteBuffer out) {
        WireWriter w = new WireWriter(out, true);
        try {
            Encoder.reply(message, w);
        } catch (BufferOverflowException e) {
            throw tooBig(message, out);
        }
        return finishHead(out, w);
    }

    /** The size of {@code message}'s frame, payload included. */
    public static int size(Tmessage message) {
        WireWriter w = new WireWriter(null, false);
        Encoder.request(message, w);
        return w.finish();
    }

    /** The size of {@code message}'s frame, payload included. */
    public static int size(Rmessage message) {
        WireWriter w = new WireWriter(null, false);
        Encoder.reply(message, w);
        return w.finish();
    }

    /** Checks that {@code frame} is exactly one frame; returns a view of its body. */
    private static ByteBuffer body(ByteBuffer frame) throws FramingException {
        int n = frame.remaining();
        if (n < P9.HEADER_SIZE) {
            throw new FramingException("a frame of " + n + " bytes is shorter than its header");
        }
        int size = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(frame.position());
        if (size != n) {
            throw new FramingException("size field " + Integer.toUnsignedString(size)
                    + " does not match the frame's " + n + " bytes");
        }
        return frame.slice(frame.position() + P9.HEADER_SIZE, n - P9.HEADER_SIZE);
    }

    private static int type(ByteBuffer frame) {
        return frame.get(frame.position() + 4) & 0xFF;
    }

    private static int tag(ByteBuffer frame) {
        int p = frame.position();
        return (frame.get(p + 5) & 0xFF) | (frame.get(p + 6) & 0xFF) << 8;
    }

    private static ProtocolException unexpected(WireReader r, RuntimeException e) {
        ProtocolException pe = r.error(Errno.EINVAL, "malformed: " + e);
        pe.initCause(e);
        return pe;
    }

    private static int advance(ByteBuffer out, int size) {
        out.position(out.position() + size);
        return size;
    }

    private static ByteBuffer finishHead(ByteBuffer out, WireWriter w) {
        int size = w.finish();
        ByteBuffer payload = w.payload();
        if (payload == null) {
            advance(out, size);
            return ByteBuffer.allocate(0);
        }
        advance(out, size - payload.remaining());
        return payload;
    }

    private static IllegalArgumentException tooBig(Object message, ByteBuffer out) {
        return new IllegalArgumentException("message does not fit in the " + out.remaining()
                + " bytes left in the output: " + message);
    }
}
