package io.corio.ninep.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes the fields of one frame little-endian, or only counts them when there is no
 * output. In head-only mode a trailing payload is counted but not copied: it is kept for
 * the caller to send after the head (a gathering write).
 */
final class WireWriter {
    private final ByteBuffer out; // little-endian view from the frame's start, or null to count
    private final boolean headOnly;
    private int size;
    private ByteBuffer payload;

    WireWriter(ByteBuffer out, boolean headOnly) {
        this.out = out == null ? null : out.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.headOnly = headOnly;
    }

    /** size[4] type[1] tag[2]; the size is filled in by {@link #finish}. */
    void header(int type, int tag) {
        u32(0);
        u8(type);
        u16(tag);
    }

    void u8(int v) {
        size += 1;
        if (out != null) {
            out.put((byte) v);
        }
    }

    void u16(int v) {
        size += 2;
        if (out != null) {
            out.putShort((short) v);
        }
    }

    void u32(int v) {
        size += 4;
        if (out != null) {
            out.putInt(v);
        }
    }

    void u64(long v) {
        size += 8;
        if (out != null) {
            out.putLong(v);
        }
    }

    void qid(Qid q) {
        u8(q.type());
        u32(q.version());
        u64(q.path());
    }

    void str(String field, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > P9.MAX_STRING_BYTES) {
            throw new IllegalArgumentException(field + " is " + b.length
                    + " bytes of UTF-8, more than a 9P string holds (" + P9.MAX_STRING_BYTES + ")");
        }
        u16(b.length);
        size += b.length;
        if (out != null) {
            out.put(b);
        }
    }

    /** count[4] and the remaining bytes of {@code data}, which is left as it was. */
    void data(ByteBuffer data) {
        int n = data.remaining();
        u32(n);
        size += n;
        if (headOnly) {
            payload = data.duplicate();
        } else if (out != null) {
            out.put(data.duplicate());
        }
    }

    /** Fills in the size field and returns the frame size; the output position is not moved. */
    int finish() {
        if (out != null) {
            out.putInt(0, size);
        }
        return size;
    }

    ByteBuffer payload() {
        return payload;
    }
}
