package io.corio.blockio.nbd;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: a byte stream handed out in chunks cut where the test says. */
final class Chunked implements WireIn.Source {
    private final byte[] bytes;
    private final int[] cuts; // ascending positions where a read must stop
    private int pos;
    private int reads;

    private Chunked(byte[] bytes, int... cuts) {
        this.bytes = bytes;
        this.cuts = cuts;
    }

    /** The stream cut once, at {@code at}. */
    static Chunked splitAt(byte[] bytes, int at) {
        return new Chunked(bytes, at);
    }

    /** The stream handed out one byte per read. */
    static Chunked byteByByte(byte[] bytes) {
        int[] cuts = new int[bytes.length];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        return new Chunked(bytes, cuts);
    }

    @Override
    public int read(ByteBuffer dst) {
        reads++;
        if (pos == bytes.length) {
            return -1;
        }
        int end = bytes.length;
        for (int c : cuts) {
            if (c > pos) {
                end = Math.min(end, c);
                break;
            }
        }
        int n = Math.min(dst.remaining(), end - pos);
        dst.put(bytes, pos, n);
        pos += n;
        return n;
    }

    /** Whether every byte has been handed out. */
    boolean exhausted() {
        return pos == bytes.length;
    }

    int reads() {
        return reads;
    }

    /** The bytes of buffers written in order, as a gathering write would send them. */
    static byte[] concat(ByteBuffer... bufs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b : bufs) {
            ByteBuffer d = b.duplicate();
            byte[] a = new byte[d.remaining()];
            d.get(a);
            out.writeBytes(a);
        }
        return out.toByteArray();
    }

    static byte[] concat(List<ByteBuffer[]> parts) {
        List<ByteBuffer> all = new ArrayList<>();
        parts.forEach(p -> all.addAll(List.of(p)));
        return concat(all.toArray(ByteBuffer[]::new));
    }
}
