package io.corio.ninep.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Packs readdir entries ({@code qid[13] offset[8] type[1] name[s]}) into at most
 * {@code limit} bytes, the payload of one {@link Rmessage.Rreaddir}. An entry that would
 * cross the limit is refused whole, so the server stops there and the client continues from
 * the last packed entry's offset. Not thread-safe; one packer per reply.
 */
public final class DirPacker {
    private static final int INITIAL_CAPACITY = 4096;

    private final int limit;
    private ByteBuffer buf; // little-endian; grows by doubling up to limit
    private int count;

    /** A packer for at most {@code limit} bytes of entries. */
    public DirPacker(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        this.limit = limit;
        this.buf = ByteBuffer.allocate(Math.min(limit, INITIAL_CAPACITY))
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * A packer for the answer to a Treaddir asking for {@code count} bytes (u32) on a
     * connection with {@code msize}: the payload may be neither larger than {@code count}
     * nor make the Rreaddir frame larger than {@code msize}.
     */
    public static DirPacker forReply(int count, int msize) {
        long room = Math.max(0, msize - P9.RREAD_HEADER_SIZE);
        return new DirPacker((int) Math.min(Integer.toUnsignedLong(count), room));
    }

    /** The bytes {@code entry} takes when packed. */
    public static int entrySize(DirEntry entry) {
        return P9.DIRENT_HEADER_SIZE + entry.name().getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Appends {@code entry} if it fits in the bytes left.
     *
     * @return false, having written nothing, if it does not fit
     * @throws IllegalArgumentException if the name is longer than a 9P string holds
     */
    public boolean add(DirEntry entry) {
        byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
        if (name.length > P9.MAX_STRING_BYTES) {
            throw new IllegalArgumentException("name is " + name.length
                    + " bytes of UTF-8, more than a 9P string holds: " + entry);
        }
        int size = P9.DIRENT_HEADER_SIZE + name.length;
        if (size > limit - buf.position()) {
            return false;
        }
        if (size > buf.remaining()) {
            grow(buf.position() + size);
        }
        Qid qid = entry.qid();
        buf.put((byte) qid.type()).putInt(qid.version()).putLong(qid.path());
        buf.putLong(entry.offset());
        buf.put((byte) entry.type());
        buf.putShort((short) name.length).put(name);
        count++;
        return true;
    }

    /** Bytes packed so far. */
    public int size() {
        return buf.position();
    }

    /** Entries packed so far. */
    public int count() {
        return count;
    }

    /** The byte limit this packer honours. */
    public int limit() {
        return limit;
    }

    /** A read-only view of the packed bytes, for {@link Rmessage.Rreaddir}; no copy. */
    public ByteBuffer data() {
        return buf.slice(0, buf.position()).asReadOnlyBuffer();
    }

    private void grow(int needed) {
        int capacity = (int) Math.min(limit, Math.max(needed, 2L * buf.capacity()));
        ByteBuffer bigger = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        bigger.put(buf.flip());
        buf = bigger;
    }
}
