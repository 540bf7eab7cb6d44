package io.corio.blockio.nbd;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.core.AioContext;
import io.corio.core.CoSemaphore;
import io.corio.core.io.Buffers;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A structured READ as chunks: OFFSET_HOLE for runs that read as zero, OFFSET_DATA for the
 * rest (qemu-nbd's sparse read). The driver's block status says where the holes are; it is
 * looked up by a second coroutine while this one reads the whole range, so a driver whose block
 * status costs a round trip (a latency filter, a remote store) costs one round trip per READ,
 * not two. A run becomes a hole only if the driver reports it as reading zero and the bytes
 * just read are indeed zero: a write racing with the lookup can never turn data into zeroes.
 * Coroutine-only, but for {@link #chunks}, a pure function: public so that the
 * {@code CompletableFuture}-style server in benchmarks/ cuts its sparse reads the same way.
 */
public final class SparseRead {
    private static final Logger log = LoggerFactory.getLogger(SparseRead.class);
    private static final ByteBuffer ZEROES = ByteBuffer.allocate(64 * 1024).asReadOnlyBuffer();

    private SparseRead() {}

    /** A structured READ's reply: its chunks, and the buffer their data views (the caller's to give back). */
    record Result(List<Reply.Chunk> chunks, ByteBuffer data) {}

    /**
     * Reads {@code [offset, offset + length)} into a buffer from {@code buffers}, taken as late as
     * the driver can ({@link BlockDriver#read(long, int, Buffers)}), and returns the chunks of
     * the reply, the last one marked DONE, with that buffer.
     *
     * @throws BlockException if the read fails (a failed block status only means no holes);
     *     then no buffer is held
     */
    // loc-begin: nbd-coroutine-read
    static Result read(BlockDriver driver, String name, long handle, long offset, int length,
            Buffers buffers) throws BlockException {
        long end = offset + length;
        AtomicReference<List<Extent>> status = new AtomicReference<>(); // null: no holes known
        CoSemaphore looked = CoSemaphore.create(name + "-status", 1);
        looked.tryAcquire(1); // given back when the lookup is over
        AioContext.current().spawn(name + "-status-" + handle, () -> {
            try {
                status.set(lookup(driver, name, offset, end));
            } finally {
                looked.release(1);
            }
        });
        ByteBuffer data;
        try {
            data = driver.read(offset, length, buffers);
        } finally {
            looked.acquire(1); // the lookup never outlives the request
        }
        try {
            List<Extent> extents = status.get();
            return new Result(extents == null ? List.of(new Reply.OffsetData(handle, true, offset, data))
                    : chunks(handle, offset, data, extents), data);
        } catch (RuntimeException e) {
            buffers.give(data); // no reply refers to it
            throw e;
        }
    }

    /** The extents of {@code [offset, end)}, or null if the driver cannot tell. */
    private static List<Extent> lookup(BlockDriver driver, String name, long offset, long end) {
        List<Extent> all = new ArrayList<>();
        long at = offset;
        try {
            while (at < end) {
                List<Extent> some = driver.blockStatus(at, end - at);
                if (some.isEmpty()) {
                    return null;
                }
                for (Extent e : some) {
                    if (e.offset() != at || e.end() > end) {
                        log.warn("{}: driver block status {} does not continue at {}", name, e, at);
                        return null;
                    }
                    all.add(e);
                    at = e.end();
                }
            }
            return all;
        } catch (BlockException | RuntimeException e) {
            log.debug("{}: block status for a sparse read failed: {}", name, e.toString());
            return null;
        }
    }
    // loc-end

    /**
     * The chunks of a READ of {@code data} (position 0, all of it read) at {@code offset}, given
     * the extents of that range, contiguous from {@code offset} to its end: OFFSET_HOLE where an
     * extent is ZERO and its bytes are zero, else OFFSET_DATA; the last chunk marked DONE.
     */
    public static List<Reply.Chunk> chunks(long handle, long offset, ByteBuffer data, List<Extent> extents) {
        List<long[]> runs = new ArrayList<>(); // {start, length, hole ? 1 : 0}, merged
        for (Extent e : extents) {
            int from = (int) (e.offset() - offset);
            long hole = (e.flags() & Extent.ZERO) != 0 && isZero(data, from, (int) e.length()) ? 1 : 0;
            long[] last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last[2] == hole) {
                last[1] += e.length();
            } else {
                runs.add(new long[] {e.offset(), e.length(), hole});
            }
        }
        List<Reply.Chunk> chunks = new ArrayList<>(runs.size());
        for (int i = 0; i < runs.size(); i++) {
            long[] run = runs.get(i);
            boolean done = i == runs.size() - 1;
            chunks.add(run[2] == 1 ? new Reply.OffsetHole(handle, done, run[0], run[1])
                    : new Reply.OffsetData(handle, done, run[0],
                            data.slice((int) (run[0] - offset), (int) run[1])));
        }
        return chunks;
    }

    private static boolean isZero(ByteBuffer data, int from, int length) {
        for (int at = from, end = from + length; at < end; ) {
            int n = Math.min(end - at, ZEROES.capacity());
            if (data.slice(at, n).mismatch(ZEROES.slice(0, n)) >= 0) {
                return false;
            }
            at += n;
        }
        return true;
    }
}
