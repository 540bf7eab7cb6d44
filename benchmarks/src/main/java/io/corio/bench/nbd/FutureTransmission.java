package io.corio.bench.nbd;

import static io.corio.blockio.nbd.NbdProto.*;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.blockio.nbd.Handshake;
import io.corio.blockio.nbd.Reply;
import io.corio.blockio.nbd.Request;
import io.corio.blockio.nbd.RequestChecks;
import io.corio.blockio.nbd.RequestChecks.Refused;
import io.corio.blockio.nbd.SparseRead;
import io.corio.blockio.nbd.TransmissionCodec;
import io.corio.core.io.BufferPool;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request handlers of {@link FutureServer}, as {@link CompletableFuture} chains: the twin of
 * coroutine-blockio's {@code Transmission}, with the same checks in the same order (flags,
 * read-only, range, limits), the same errors and the same replies, but each handler returns a
 * future of its reply, composed from the {@link FutureDriver}'s futures with
 * {@code thenApply}/{@code thenCompose}/{@code exceptionally} instead of written as sequential
 * code that yields. The future never fails: every outcome, a driver error included, is a reply.
 *
 * <p>A structured READ is sparse as the coroutine server's: the data and the block status are
 * asked for at once and joined with {@code allOf}, and {@link SparseRead#chunks} cuts the reply;
 * block status answered in parts is asked again from where it ended, by recursion on the future.
 * READ data lands in a buffer of the server's {@link BufferPool}, carried by the reply.
 *
 * <p>Thread-safe and stateless between requests; continuations run on whatever thread completes
 * the driver's future (the connection's reader for the memory driver).
 */
final class FutureTransmission {
    private static final Logger log = LoggerFactory.getLogger(FutureTransmission.class);

    /** The most descriptors sent in one BLOCK_STATUS reply, as the coroutine server. */
    static final int MAX_DESCRIPTORS = 8192;

    /** An encoded reply: the buffers to write, and the pool buffer they view, if any. */
    record Outgoing(ByteBuffer[] buffers, ByteBuffer pooled) {}

    private final String name;
    private final BufferPool pool;
    private final FutureDriver driver;
    private final long size;
    private final RequestChecks checks;
    private final boolean structured;
    private final boolean baseAllocation;

    FutureTransmission(String name, BufferPool pool, Handshake.Result agreed, FutureDriver driver) {
        this.name = name;
        this.pool = pool;
        this.driver = driver;
        this.size = driver.length();
        this.checks = new RequestChecks(size, driver.readOnly());
        this.structured = agreed.structured();
        this.baseAllocation = agreed.baseAllocation();
    }

    // loc-begin: nbd-future-serve
    /** Serves {@code r}: a future of its reply that never fails for anything the client sent. */
    CompletableFuture<Outgoing> serve(Request r) {
        CompletableFuture<Outgoing> reply;
        try {
            reply = switch (r) {
                case Request.Read x -> read(x);
                case Request.Write x -> {
                    checks.check(r, CMD_FLAG_FUA, true);
                    checks.checkWriteRange(x.offset(), x.data().remaining());
                    yield !x.data().hasRemaining() ? done(ok(r))
                            : driver.write(x.offset(), x.data(), RequestChecks.fua(r)).thenApply(v -> ok(r));
                }
                case Request.Flush x -> {
                    checks.check(r, CMD_FLAG_FUA, false);
                    if (x.offset() != 0 || x.length() != 0) {
                        throw new Refused(BlockError.EINVAL, "NBD_CMD_FLUSH with offset " + x.offset()
                                + " and length " + x.length() + "; both must be 0");
                    }
                    yield driver.flush().thenApply(v -> ok(r));
                }
                case Request.Trim x -> {
                    checks.check(r, CMD_FLAG_FUA, true);
                    checks.checkRange(x.offset(), x.length());
                    yield x.length() == 0 ? done(ok(r)) : driver.discard(x.offset(), x.length())
                            .thenCompose(v -> RequestChecks.fua(r) != 0 ? driver.flush() : done(null))
                            .thenApply(v -> ok(r));
                }
                case Request.Cache x -> {
                    checks.check(r, CMD_FLAG_FUA, false);
                    checks.checkRange(x.offset(), x.length());
                    yield done(ok(r)); // a hint; our drivers have no cache to fill
                }
                case Request.WriteZeroes x -> writeZeroes(x);
                case Request.BlockStatus x -> blockStatus(x);
                case Request.Disconnect x -> throw new AssertionError("the reader handles NBD_CMD_DISC");
                case Request.Unknown x -> throw new Refused(BlockError.EINVAL, "unknown command " + x.type());
            };
        } catch (Refused e) {
            return done(fail(r, e.error(), e.getMessage()));
        } catch (RuntimeException e) { // a driver that threw instead of failing its future
            reply = CompletableFuture.failedFuture(e);
        }
        return reply.exceptionally(e -> failed(r, e));
    }

    /** The reply to a request whose driver future failed. */
    private Outgoing failed(Request r, Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof BlockException b) {
            return fail(r, b.error().errno(), b.getMessage());
        }
        log.error("{}: {} failed in the driver", name, r, cause);
        return fail(r, BlockError.EIO.errno(), "internal error: " + cause);
    }
    // loc-end

    // loc-begin: nbd-future-read
    private CompletableFuture<Outgoing> read(Request.Read r) throws Refused {
        checks.check(r, CMD_FLAG_FUA | (structured ? CMD_FLAG_DF : 0), false);
        checks.checkRange(r.offset(), r.length());
        if (r.length() > MAX_PAYLOAD) {
            throw new Refused(BlockError.EINVAL, "NBD_CMD_READ of " + r.length()
                    + " bytes; the most is " + MAX_PAYLOAD);
        }
        int length = (int) r.length();
        if (length == 0) {
            return done(reply(structured ? new Reply.None(r.handle()) : new Reply.Simple(r.handle(), 0, null)));
        }
        ByteBuffer data = pool.take(length); // goes back to the pool once the reply is written
        CompletableFuture<Outgoing> out;
        if (!structured) {
            out = driver.read(r.offset(), data).thenApply(v -> new Outgoing(TransmissionCodec.encode(
                    new Reply.Simple(r.handle(), 0, data.flip())), data));
        } else if ((r.flags() & CMD_FLAG_DF) != 0) { // one content chunk, zeroes included
            out = driver.read(r.offset(), data).thenApply(v -> chunks(List.of(
                    new Reply.OffsetData(r.handle(), true, r.offset(), data.flip())), data));
        } else { // the data and where the holes are, asked for at once
            CompletableFuture<Void> read = driver.read(r.offset(), data);
            CompletableFuture<List<Extent>> status = lookup(r.offset(), r.offset() + length, new ArrayList<>())
                    .exceptionally(e -> {
                        log.debug("{}: block status for a sparse read failed: {}", name, e.toString());
                        return null; // no holes known
                    });
            out = CompletableFuture.allOf(read, status).thenApply(v -> {
                List<Extent> extents = status.join();
                data.flip();
                return chunks(extents == null ? List.of(new Reply.OffsetData(r.handle(), true, r.offset(), data))
                        : SparseRead.chunks(r.handle(), r.offset(), data, extents), data);
            });
        }
        return out.whenComplete((o, e) -> {
            if (e != null) {
                pool.give(data); // no reply refers to it
            }
        });
    }

    /** The extents of {@code [at, end)} added to {@code all}, or null if the driver cannot tell. */
    private CompletableFuture<List<Extent>> lookup(long at, long end, List<Extent> all) {
        if (at >= end) {
            return done(all);
        }
        return driver.blockStatus(at, end - at).thenCompose(some -> {
            if (some.isEmpty()) {
                return done(null);
            }
            long next = at;
            for (Extent e : some) {
                if (e.offset() != next || e.end() > end) {
                    log.warn("{}: driver block status {} does not continue at {}", name, e, next);
                    return done(null);
                }
                all.add(e);
                next = e.end();
            }
            return lookup(next, end, all);
        });
    }
    // loc-end

    // loc-begin: nbd-future-write-zeroes
    private CompletableFuture<Outgoing> writeZeroes(Request.WriteZeroes r) throws Refused {
        checks.check(r, CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO, true);
        checks.checkWriteRange(r.offset(), r.length());
        boolean fast = (r.flags() & CMD_FLAG_FAST_ZERO) != 0;
        if (fast && !driver.canFastZero()) {
            throw new Refused(BlockError.ENOTSUP, "zeroing is not fast on this export");
        }
        int flags = RequestChecks.fua(r) | ((r.flags() & CMD_FLAG_NO_HOLE) != 0 ? 0 : BlockDriver.MAY_TRIM)
                | (fast ? BlockDriver.FAST_ZERO : 0);
        return r.length() == 0 ? done(ok(r))
                : driver.writeZeroes(r.offset(), r.length(), flags).thenApply(v -> ok(r));
    }
    // loc-end

    // loc-begin: nbd-future-block-status
    private CompletableFuture<Outgoing> blockStatus(Request.BlockStatus r) throws Refused {
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
        return driver.blockStatus(r.offset(), r.length()).thenApply(extents -> {
            List<Reply.Descriptor> ds = new ArrayList<>();
            long at = r.offset();
            for (Extent e : extents) {
                if (e.offset() != at || e.end() > r.offset() + r.length()) {
                    throw new CompletionException(new BlockException(BlockError.EIO,
                            "the driver's block status " + e + " does not continue at " + at));
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
                throw new CompletionException(new BlockException(BlockError.EIO,
                        "the driver answered block status with no extent"));
            }
            return reply(new Reply.BlockStatus(r.handle(), true, Handshake.BASE_ALLOCATION_ID, ds));
        });
    }
    // loc-end

    // loc-begin: nbd-future-common
    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private static Outgoing chunks(List<Reply.Chunk> chunks, ByteBuffer pooled) {
        List<ByteBuffer> bufs = new ArrayList<>();
        for (Reply.Chunk c : chunks) {
            bufs.addAll(List.of(TransmissionCodec.encode(c)));
        }
        return new Outgoing(bufs.toArray(ByteBuffer[]::new), pooled);
    }

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
