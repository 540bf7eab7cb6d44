package io.corio.blockio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

    /**
     * Runs {@code steps} random writes, zeroings and discards of up to {@code maxRequest}
     * bytes on {@code d} (in a coroutine of {@code ctx}), mirrors each in a reference array,
     * compares random reads along the way, then the whole device, and checks that every
     * extent said to read as zero does. Discard must deallocate ({@code d.canDiscard()}).
     *
     * @return the reference: what {@code d} holds now
     */
    static byte[] randomOperations(AioContext ctx, BlockDriver d, long seed, int steps,
            int maxRequest) throws Exception {
        assertTrue(d.canDiscard(), "the reference model needs discard to read as zero");
        int len = Math.toIntExact(d.length());
        byte[] ref = new byte[len];
        Random rnd = new Random(seed);
        ctx.call(() -> {
            for (int i = 0; i < steps; i++) {
                int off = rnd.nextInt(len);
                int n = rnd.nextInt(Math.min(maxRequest, len - off) + 1);
                switch (rnd.nextInt(5)) {
                    case 0, 1 -> {
                        byte[] data = new byte[n];
                        rnd.nextBytes(data);
                        d.write(off, ByteBuffer.wrap(data), rnd.nextInt(8) == 0 ? BlockDriver.FUA : 0);
                        System.arraycopy(data, 0, ref, off, n);
                    }
                    case 2 -> {
                        d.writeZeroes(off, n, rnd.nextBoolean() ? BlockDriver.MAY_TRIM : 0);
                        Arrays.fill(ref, off, off + n, (byte) 0);
                    }
                    case 3 -> {
                        d.discard(off, n);
                        Arrays.fill(ref, off, off + n, (byte) 0);
                    }
                    default -> {
                        int at = rnd.nextInt(len);
                        int k = rnd.nextInt(Math.min(maxRequest, len - at) + 1);
                        assertArrayEquals(Arrays.copyOfRange(ref, at, at + k), read(d, at, k),
                                "step " + i + ": read of " + k + " at " + at);
                    }
                }
            }
            assertArrayEquals(ref, read(d, 0, len));
            for (Extent e : status(d, 0, len)) {
                if ((e.flags() & Extent.ZERO) != 0) {
                    assertArrayEquals(new byte[(int) e.length()],
                            Arrays.copyOfRange(ref, (int) e.offset(), (int) e.end()),
                            "a ZERO extent reads zero: " + e);
                }
            }
            return null;
        });
        return ref;
    }

    /**
     * Has {@code writers} coroutines, each in a context of its own, released together,
     * write {@code rounds} times: a whole region of {@code region} bytes of their own, and
     * their own 64 bytes of one region they all share (the last), also zeroing another 64 of
     * their own there; then checks that the last round of each is all there. {@code d} must
     * hold {@code (writers + 1) * region} bytes, {@code region >= writers * 128 + 1024}.
     */
    static void concurrentWriters(AioContext ctx, BlockDriver d, int writers, int region,
            int rounds) throws Exception {
        long shared = (long) writers * region;
        List<AioContext> ctxs = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            for (int w = 0; w < writers; w++) {
                AioContext c = AioContext.start("writer-" + w);
                ctxs.add(c);
                int me = w;
                done.add(pool.submit(() -> c.call(() -> {
                    Coroutine.blocking(() -> {
                        go.await(); // all writers start together
                        return null;
                    });
                    for (int r = 0; r < rounds; r++) {
                        write(d, (long) me * region, pattern(region, me * 1000 + r));
                        write(d, shared + me * 64, pattern(64, me * 1000 + r));
                        d.writeZeroes(shared + 1024 + me * 64, 64, BlockDriver.MAY_TRIM);
                    }
                    return null;
                })));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            ctxs.forEach(AioContext::close);
        }
        ctx.call(() -> {
            for (int w = 0; w < writers; w++) {
                int last = w * 1000 + rounds - 1;
                assertArrayEquals(pattern(region, last), read(d, (long) w * region, region),
                        "region " + w);
                assertArrayEquals(pattern(64, last), read(d, shared + w * 64, 64), "slice " + w);
                assertArrayEquals(new byte[64], read(d, shared + 1024 + w * 64, 64), "zeroed " + w);
            }
            return null;
        });
    }
}
