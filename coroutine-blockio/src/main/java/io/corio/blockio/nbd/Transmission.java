package io.corio.blockio.nbd;

import static io.corio.blockio.nbd.NbdProto.*;


import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.blockio.nbd.RequestChecks.Refused;
import io.corio.core.io.BufferPool;
import io.corio.core.io.Buffers;
import io.corio.core.io.FrameWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one request against an export's driver and encodes its reply: the transmission phase of
 * one connection, minus the reading and the writing. Called by each request's own coroutine,
 * many at once; it keeps no state between requests, so it needs no lock (the
 * {@link FrameWriter} keeps replies whole on the wire).
 *
 * <p>Checks come before any I/O, in this order: command flags (EINVAL), read-only export
 * (EPERM), range (EINVAL, or ENOSPC for WRITE and WRITE_ZEROES past the end, as proto.md asks),
 * length limits (EINVAL). A driver failure is sent with its errno; a driver that throws
 * anything else gets EIO and a log line: client input never kills the server.
 *
 * <p>With structured replies a READ sends holes as OFFSET_HOLE chunks and the rest as
 * OFFSET_DATA (see {@link SparseRead}; with NBD_CMD_FLAG_DF one OFFSET_DATA chunk), and errors
 * as ERROR chunks with a message. Everything is read before the first chunk goes out, so a
 * reply is never cut short by a late error. READ data lands in a buffer of the server's
 * {@link BufferPool}, which the driver takes only once its data is there
 * ({@link BlockDriver#read(long, int, Buffers)}: after a latency filter's delay), which travels
 * with the reply ({@link Outgoing#pooled()}) and goes back to the pool once the reply is
 * written.
 */
final class Transmission {
    private static final Logger log = LoggerFactory.getLogger(Transmission.class);
    private static final AtomicBoolean heapFallbackWarned = new AtomicBoolean();

    /** The most descriptors sent in one BLOCK_STATUS reply; the client asks again for the rest. */
    static final int MAX_DESCRIPTORS = 8192;

    /** An encoded reply: the buffers to write, and the pool buffer they view, if any. */
    record Outgoing(ByteBuffer[] buffers, ByteBuffer pooled) {}

    private final String name;
    private final BufferPool pool;
    private final Buffers payloads; // the pool, with payloadBuffer's fallback to the heap
    private final BlockDriver driver;
    private final long size;
    private final RequestChecks checks;
    private final boolean structured;
    private final boolean baseAllocation;

    Transmission(String name, BufferPool pool, Handshake.Result agreed, BlockDriver driver) {
        this.name = name;
        this.pool = pool;
        this.payloads = new Buffers() {
            @Override
            public ByteBuffer take(int size) {
                return payloadBuffer(pool, size);
            }

            @Override
            public void give(ByteBuffer buffer) {
                pool.give(buffer);
            }
        };
        this.driver = driver;
        this.size = driver.length();
        this.checks = new RequestChecks(size, driver.readOnly());
        this.structured = agreed.structured();
        this.baseAllocation = agreed.baseAllocation();
    }

    // loc-begin: nbd-coroutine-serve
    /** Serves {@code r} and returns its reply; never throws for anything the client sent. */
    Outgoing serve(Request r) {
        try {
            switch (r) {
                case Request.Read x -> {
                    return read(x);
                }
                case Request.Write x -> {
                    checks.check(r, CMD_FLAG_FUA, true);
                    checks.checkWriteRange(x.offset(), x.data().remaining());
                    if (x.data().hasRemaining()) {
                        driver.write(x.offset(), x.data(), RequestChecks.fua(r));
                    }
                    return ok(r);
                }
                case Request.Flush x -> {
                    checks.check(r, CMD_FLAG_FUA, false);
                    if (x.offset() != 0 || x.length() != 0) {
                        throw new Refused(BlockError.EINVAL, "NBD_CMD_FLUSH with offset " + x.offset()
                                + " and length " + x.length() + "; both must be 0");
                    }
                    driver.flush();
                    return ok(r);
                }
                case Request.Trim x -> {
                    checks.check(r, CMD_FLAG_FUA, true);
                    checks.checkRange(x.offset(), x.length());
                    if (x.length() > 0) {
                        driver.discard(x.offset(), x.length());
                        if (RequestChecks.fua(r) != 0) {
                            driver.flush();
                        }
                    }
                    return ok(r);
                }
                case Request.Cache x -> {
                    checks.check(r, CMD_FLAG_FUA, false);
                    checks.checkRange(x.offset(), x.length());
                    return ok(r); // a hint; our drivers have no cache to fill
                }
                case Request.WriteZeroes x -> {
                    return writeZeroes(x);
                }
                case Request.BlockStatus x -> {
                    return blockStatus(x);
                }
                case Request.Disconnect x -> throw new AssertionError("the reader handles NBD_CMD_DISC");
                case Request.Unknown x -> throw new Refused(BlockError.EINVAL, "unknown command " + x.type());
            }
        } catch (Refused e) {
            return fail(r, e.error(), e.getMessage());
        } catch (BlockException e) {
            return fail(r, e.error().errno(), e.getMessage());
        } catch (RuntimeException e) {
            log.error("{}: {} failed in the driver", name, r, e);
            return fail(r, BlockError.EIO.errno(), "internal error: " + e);
        }
    }
    // loc-end

    // loc-begin: nbd-coroutine-read
    private Outgoing read(Request.Read r) throws Refused, BlockException {
        checks.check(r, CMD_FLAG_FUA | (structured ? CMD_FLAG_DF : 0), false);
        checks.checkRange(r.offset(), r.length());
        if (r.length() > MAX_PAYLOAD) {
            throw new Refused(BlockError.EINVAL, "NBD_CMD_READ of " + r.length()
                    + " bytes; the most is " + MAX_PAYLOAD);
        }
        int length = (int) r.length();
        if (length == 0) {
            return reply(structured ? new Reply.None(r.handle()) : new Reply.Simple(r.handle(), 0, null));
        }
        // taken by the driver once its data is there (after a latency filter's delay); back to
        // the pool once the reply is written
        ByteBuffer data = null;
        try {
            if (!structured) {
                data = driver.read(r.offset(), length, payloads);
                return new Outgoing(TransmissionCodec.encode(new Reply.Simple(r.handle(), 0, data)), data);
            }
            List<Reply.Chunk> chunks;
            if ((r.flags() & CMD_FLAG_DF) != 0) { // one content chunk, zeroes included
                data = driver.read(r.offset(), length, payloads);
                chunks = List.of(new Reply.OffsetData(r.handle(), true, r.offset(), data));
            } else {
                SparseRead.Result sparse = SparseRead.read(driver, name, r.handle(), r.offset(), length, payloads);
                data = sparse.data();
                chunks = sparse.chunks();
            }
            List<ByteBuffer> bufs = new ArrayList<>();
            for (Reply.Chunk c : chunks) {
                bufs.addAll(List.of(TransmissionCodec.encode(c)));
            }
            return new Outgoing(bufs.toArray(ByteBuffer[]::new), data);
        } catch (RuntimeException e) {
            if (data != null) {
                pool.give(data); // no reply refers to it
            }
            throw e;
        }
    }
    // loc-end

    /**
     * A buffer of {@code size} bytes from {@code pool}, or from the heap when native memory is
     * exhausted (the pool's buffers are native memory outside {@code -XX:MaxDirectMemorySize};
     * the connections' budgets bound them): the request is then served through the JDK's copies
     * instead of failing, and the pool ignores the buffer when it comes back. Warns once per
     * JVM.
     */
    static ByteBuffer payloadBuffer(BufferPool pool, int size) {
        try {
            return pool.take(size);
        } catch (OutOfMemoryError e) {
            if (!heapFallbackWarned.getAndSet(true)) {
                log.warn("native memory for payload buffers exhausted ({}); payloads go through"
                        + " the heap now (lower --budget)", e.getMessage());
            }
            return ByteBuffer.allocate(size);
        }
    }

    // loc-begin: nbd-coroutine-write-zeroes
    private Outgoing writeZeroes(Request.WriteZeroes r) throws Refused, BlockException {
        checks.check(r, CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO, true);
        checks.checkWriteRange(r.offset(), r.length());
        boolean fast = (r.flags() & CMD_FLAG_FAST_ZERO) != 0;
        if (fast && !driver.canFastZero()) {
            throw new Refused(BlockError.ENOTSUP, "zeroing is not fast on this export");
        }
        int flags = RequestChecks.fua(r) | ((r.flags() & CMD_FLAG_NO_HOLE) != 0 ? 0 : BlockDriver.MAY_TRIM)
                | (fast ? BlockDriver.FAST_ZERO : 0);
        if (r.length() > 0) {
            driver.writeZeroes(r.offset(), r.length(), flags);
        }
        return ok(r);
    }
    // loc-end

    // loc-begin: nbd-coroutine-block-status
    private Outgoing blockStatus(Request.BlockStatus r) throws Refused, BlockException {
        checks.check(r, CMD_FLAG_FUA | CMD_FLAG_REQ_ONE, false);
        if (!baseAllocation) {
            throw new Refused(BlockError.EINVAL,
                    "NBD_CMD_BLOCK_STATUS without base:allocation selected by NBD_OPT_SET_META_CONTEXT");
        }
        checks.checkRange(r.offset(), r.length());
        if (r.length() == 0) {
            throw new Refused(BlockError.EINVAL, "NBD_CMD_BLOCK_STATUS of length 0");
        }
        boolean one = (r.flags() & CMD_FLAG_REQ_ONE) != 0;
        List<Reply.Descriptor> ds = new ArrayList<>();
        long at = r.offset();
        for (Extent e : driver.blockStatus(r.offset(), r.length())) {
            if (e.offset() != at || e.end() > r.offset() + r.length()) {
                throw new BlockException(BlockError.EIO, "the driver's block status " + e
                        + " does not continue at " + at);
            }
            if (!ds.isEmpty() && ds.getLast().status() == e.flags()) {
                Reply.Descriptor last = ds.removeLast();
                ds.add(new Reply.Descriptor(last.length() + e.length(), e.flags()));
            } else if (ds.size() == MAX_DESCRIPTORS || (one && !ds.isEmpty())) {
                break;
            } else {
                ds.add(new Reply.Descriptor(e.length(), e.flags()));
            }
            at = e.end();
        }
        if (ds.isEmpty()) {
            throw new BlockException(BlockError.EIO, "the driver answered block status with no extent");
        }
        return reply(new Reply.BlockStatus(r.handle(), true, Handshake.BASE_ALLOCATION_ID, ds));
    }
    // loc-end

    // ------------------------------------------------------------------ checks

    // loc-begin: nbd-coroutine-common

    // ------------------------------------------------------------------ replies

    private static Outgoing reply(Reply r) {
        return new Outgoing(TransmissionCodec.encode(r), null);
    }

    private static Outgoing ok(Request r) {
        return reply(new Reply.Simple(r.handle(), 0, null));
    }

    private Outgoing fail(Request r, int error, String message) {
        log.debug("{}: {} -> {} ({})", name, r, errorName(error), message);
        return reply(structured ? new Reply.Error(r.handle(), true, error, message)
                : new Reply.Simple(r.handle(), error, null));
    }
    // loc-end
}
