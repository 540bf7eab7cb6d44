package io.corio.blockio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.function.Executable;

/** Helpers for driver tests; every method that touches a driver must run in a coroutine. */
final class Drivers {
    private Drivers() {}

    /** {@code n} bytes of a pattern that differs at every offset and with {@code seed}. */
    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed * 7 + (i >>> 8));
        }
        return b;
    }

    static byte[] read(BlockDriver d, long offset, int n) throws BlockException {
        ByteBuffer dst = ByteBuffer.allocate(n);
        d.read(offset, dst);
        assertEquals(n, dst.position(), "read fills the buffer");
        return dst.array();
    }

    static void write(BlockDriver d, long offset, byte[] data) throws BlockException {
        ByteBuffer src = ByteBuffer.wrap(data);
        d.write(offset, src, 0);
        assertEquals(0, src.remaining(), "write consumes the buffer");
    }

    /** The error of the {@link BlockException} that {@code call} throws. */
    static BlockError errorOf(Executable call) {
        return assertThrows(BlockException.class, call).error();
    }

    /**
     * The whole status of {@code [offset, offset + length)}, asking again where each answer
     * ends, after checking each answer keeps the contract: contiguous, starting where asked,
     * not past the end.
     */
    static List<Extent> status(BlockDriver d, long offset, long length) throws BlockException {
        List<Extent> all = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            List<Extent> part = d.blockStatus(pos, end - pos);
            assertTrue(!part.isEmpty(), "blockStatus answers at least one extent");
            for (Extent e : part) {
                assertEquals(pos, e.offset(), "extents are contiguous: " + part);
                pos = e.end();
            }
            assertTrue(pos <= end, "no extent past the end: " + part);
            all.addAll(part);
        }
        return merge(all);
    }

    /** {@code extents} with neighbours of equal flags joined. */
    static List<Extent> merge(List<Extent> extents) {
        List<Extent> out = new ArrayList<>();
        for (Extent e : extents) {
            Extent last = out.isEmpty() ? null : out.getLast();
            if (last != null && last.flags() == e.flags() && last.end() == e.offset()) {
                out.set(out.size() - 1, new Extent(last.offset(), last.length() + e.length(),
                        e.flags()));
            } else {
                out.add(e);
            }
        }
        return out;
    }

    static final int HOLE = Extent.HOLE | Extent.ZERO;
}
