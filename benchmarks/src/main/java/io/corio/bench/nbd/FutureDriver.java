package io.corio.bench.nbd;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A block device whose requests return {@link CompletableFuture}s: the storage side of the
 * {@code CompletableFuture}-style NBD server ({@link FutureServer}), the way a JVM programmer
 * writes it without coroutines. Same operations, flags ({@link BlockDriver#FUA},
 * {@link BlockDriver#MAY_TRIM}, {@link BlockDriver#FAST_ZERO}) and errors as
 * {@link BlockDriver}; a failure completes the future with a {@link BlockException}.
 *
 * <p>Why not {@link BlockDriver} itself: its methods are coroutine functions (a latency filter
 * sleeps with {@code Coroutine.sleep}, the file driver runs its system calls inside
 * {@code Coroutine.blocking}), and calling them from future code would put coroutines back
 * under the handlers this server exists to write without them. So each driver has a
 * future-returning twin, as close to the original as the style allows:
 * <ul>
 *   <li>{@link #memory}: the real memory driver's storage ({@link BlockDriver#unconfinedMemory}),
 *       called on the caller's thread, since a memory copy never blocks; the futures are
 *       already complete.
 *   <li>{@link #file}: positional {@code FileChannel} I/O and {@code fdatasync} (for flush and
 *       FUA) on an executor. Unlike {@code FileDriver} it punches no holes and reports no
 *       holes ({@code FileChannel} can do neither without FFM): TRIM is a no-op, as a hint may
 *       be, WRITE_ZEROES writes zeroes and is never fast, BLOCK_STATUS reports data.
 *   <li>{@link #withLatency}: the delay is a {@link CompletableFuture#delayedExecutor}, so no
 *       thread is held while a request waits, as {@code LatencyFilter}'s
 *       {@code Coroutine.sleep} holds none.
 *   <li>{@link #readOnly}: every modification fails with {@link BlockError#EPERM}.
 * </ul>
 *
 * <p>Thread-safe: any thread may call any method, also while other requests are in flight, on
 * overlapping ranges too; nothing is ordered between concurrent requests. Futures may complete
 * on the calling thread, an executor's thread or a timer's thread; callers must not assume
 * which. A method never throws for a failed request: it returns a failed future.
 */
public interface FutureDriver extends AutoCloseable {

    /** The device size in bytes; fixed for the driver's life. */
    long length();

    /** Whether every modification fails with {@link BlockError#EPERM}. */
    boolean readOnly();

    /** Whether {@link #writeZeroes} with {@link BlockDriver#FAST_ZERO} can ever succeed. */
    boolean canFastZero();

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}. */
    CompletableFuture<Void> read(long offset, ByteBuffer dst);

    /** Writes {@code src.remaining()} bytes at {@code offset}; {@code flags}: FUA or 0. */
    CompletableFuture<Void> write(long offset, ByteBuffer src, int flags);

    /** Makes every write completed before this call durable. */
    CompletableFuture<Void> flush();

    /** A hint that the range is no longer needed (NBD TRIM). */
    CompletableFuture<Void> discard(long offset, long length);

    /** Makes the range read as zero; {@code flags}: FUA, MAY_TRIM, FAST_ZERO. */
    CompletableFuture<Void> writeZeroes(long offset, long length, int flags);

    /** The extents from {@code offset} on, as {@link BlockDriver#blockStatus} answers them. */
    CompletableFuture<List<Extent>> blockStatus(long offset, long length);

    /** Releases what the driver holds; idempotent. */
    @Override
    void close();

    /** A sparse memory device of {@code length} bytes: the real memory driver's storage. */
    static FutureDriver memory(long length) {
        return new SyncFutureDriver(BlockDriver.unconfinedMemory(length));
    }

    /** The file at {@code path}, of its size, its I/O run on {@code io}. */
    static FutureDriver file(Path path, boolean readOnly, Executor io) throws IOException {
        return FileFutureDriver.open(path, readOnly, io);
    }

    /**
     * {@code driver} with every request delayed first by a time drawn uniformly from
     * {@code [min, max]}; the request then starts on {@code after}.
     */
    static FutureDriver withLatency(FutureDriver driver, Duration min, Duration max, Executor after) {
        return new LatencyFutureDriver(driver, min, max, after);
    }

    /** {@code driver} with every modification refused with {@link BlockError#EPERM}. */
    static FutureDriver readOnly(FutureDriver driver) {
        return driver.readOnly() ? driver : new ReadOnlyFutureDriver(driver);
    }
}
