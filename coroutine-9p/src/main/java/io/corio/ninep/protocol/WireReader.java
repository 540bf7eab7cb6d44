package io.corio.ninep.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the fields of one message body, checking every length against the end of the frame
 * so that a short or lying frame becomes a {@link ProtocolException} carrying its tag.
 */
final class WireReader {
    private final ByteBuffer in; // little-endian view of the body; position = next field
    private final int type;
    private final int tag;

    WireReader(ByteBuffer body, int type, int tag) {
        this.in = body.order(ByteOrder.LITTLE_ENDIAN);
        this.type = type;
        this.tag = tag;
    }

    int u8(String field) throws ProtocolException {
        need(1, field);
        return in.get() & 0xFF;
    }

    int u16(String field) throws ProtocolException {
        need(2, field);
        return in.getShort() & 0xFFFF;
    }

    int u32(String field) throws ProtocolException {
        need(4, field);
        return in.getInt();
    }

    long u64(String field) throws ProtocolException {
        need(8, field);
        return in.getLong();
    }

    Qid qid(String field) throws ProtocolException {
        need(P9.QID_SIZE, field);
        return new Qid(in.get() & 0xFF, in.getInt(), in.getLong());
    }

    /** A string: len[2] and that many bytes of UTF-8. */
    String str(String field) throws ProtocolException {
        int len = u16(field);
        need(len, field);
        int start = in.position();
        in.position(start + len);
        if (in.hasArray() && isAscii(in.array(), in.arrayOffset() + start, len)) {
            return new String(in.array(), in.arrayOffset() + start, len, StandardCharsets.US_ASCII);
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder() // reports malformed input
                    .decode(in.slice(start, len));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw error(Errno.EINVAL, field + " is not valid UTF-8");
        }
    }

    /** A payload: count[4] and that many bytes, returned as a read-only view of the frame. */
    ByteBuffer data(String field) throws ProtocolException {
        int count = u32(field);
        if (Integer.compareUnsigned(count, in.remaining()) > 0) {
            throw error(Errno.EINVAL, field + " count " + Integer.toUnsignedString(count)
                    + " runs past the end of the frame (" + in.remaining() + " bytes left)");
        }
        ByteBuffer data = in.slice(in.position(), count).asReadOnlyBuffer();
        in.position(in.position() + count);
        return data;
    }

    int remaining() {
        return in.remaining();
    }

    /** Asserts the body is used up: a well-formed message has no bytes after its last field. */
    void end() throws ProtocolException {
        if (in.hasRemaining()) {
            throw error(Errno.EINVAL, in.remaining() + " bytes after the last field");
        }
    }

    ProtocolException error(int errno, String message) {
        return new ProtocolException(tag, type, errno,
                "type " + type + " tag " + tag + ": " + message);
    }

    private void need(int n, String field) throws ProtocolException {
        if (in.remaining() < n) {
            throw error(Errno.EINVAL, field + " runs past the end of the frame (needs " + n
                    + " bytes, " + in.remaining() + " left)");
        }
    }

    private static boolean isAscii(byte[] a, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            if (a[i] < 0) {
                return false;
            }
        }
        return true;
    }
}
