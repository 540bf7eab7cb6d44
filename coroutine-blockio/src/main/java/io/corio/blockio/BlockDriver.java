package io.corio.blockio;

import io.corio.core.io.Buffers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A block device: a fixed-length array of bytes that can be read, written, flushed, trimmed and
 * zeroed, like a QEMU {@code BlockDriver}. Drivers (file, memory) store the bytes; filters
 * (latency, counting) wrap another driver and pass requests on.
 *
 * <p><b>Coroutine functions.</b> Every I/O method is a coroutine function: call it from inside
 * a coroutine ({@link io.corio.core.Coroutine#inCoroutine()}), otherwise it throws
 * {@link IllegalStateException}. A method may yield while it waits (a latency filter sleeps
 * with {@code Coroutine.sleep}; a file driver runs its system call inside
 * {@code Coroutine.blocking}), so the caller's {@link io.corio.core.AioContext} keeps serving
 * other coroutines meanwhile. Many coroutines, of one context or of several, may call a driver
 * at once, also on overlapping ranges; the driver orders nothing between concurrent requests,
 * as a disk does not.
 *
 * <p><b>Ranges.</b> {@code offset} and lengths are in bytes, with no alignment required. A
 * range that does not lie inside {@code [0, length())} is refused with
 * {@link BlockError#EINVAL} before anything is done (a server turns that into its own
 * out-of-range error first; a driver still checks).
 *
 * <p><b>Durability.</b> Data written is visible to every later read of every caller at once.
 * It is durable after a {@link #flush()} that started after the write completed, or when the
 * write was made with {@link #FUA}: a driver without native FUA ({@link #canFua()} false)
 * emulates it by flushing after the write.
 *
 * <p><b>Errors.</b> A failure is a {@link BlockException} whose {@link BlockError} a server
 * can send as is (NBD error values are Linux errno values). A read-only driver answers
 * {@link BlockError#EPERM} to every modification.
 */
public interface BlockDriver extends AutoCloseable {

    /** Write flag: the data is durable when the call returns. */
    int FUA = 1;

    /** {@link #writeZeroes} flag: the range may be deallocated (punched) instead of written. */
    int MAY_TRIM = 2;

    /**
     * {@link #writeZeroes} flag: fail with {@link BlockError#ENOTSUP} at once, having done
     * nothing, unless zeroing is fast (no slower than a metadata change).
     */
    int FAST_ZERO = 4;

    /**
     * A sparse device of {@code length} bytes in the Java heap, all zero at first: memory is
     * taken as it is written (or zeroed without {@link #MAY_TRIM}, which provisions the range),
     * in 64 KiB chunks, and freed again by {@link #discard} and by
     * {@link #writeZeroes} with {@link #MAY_TRIM}. Its contents go with it on
     * {@link #close()}. Safe for coroutines of any number of contexts.
     *
     * @throws IllegalArgumentException if {@code length} is negative or above 64 TiB
     */
    static BlockDriver memory(long length) {
        return new MemoryDriver(length);
    }

    /**
     * A memory device like {@link #memory(long)} whose methods may also be called outside a
     * coroutine, from any thread: none of them ever yields (a copy under a chunk lock is all
     * they do), so the coroutine requirement is only {@link #memory(long)}'s contract, not its
     * need. Public so that a server whose handlers are not coroutines (the
     * {@code CompletableFuture}-style NBD server in benchmarks/) serves the same storage code
     * as the coroutine server; everything else should use {@link #memory(long)}.
     *
     * @throws IllegalArgumentException if {@code length} is negative or above 64 TiB
     */
    static BlockDriver unconfinedMemory(long length) {
        return new MemoryDriver(length, true);
    }

    /**
     * The file at {@code path} as a device of the file's current size, opened read-write
     * unless {@link FileOption#READ_ONLY}. Requests become positional reads and writes,
     * {@code fdatasync}, {@code fallocate} (punch hole, zero range) and
     * {@code lseek(SEEK_DATA/SEEK_HOLE)}, each run inside {@code Coroutine.blocking}. With
     * {@link FileOption#DIRECT} reads and writes must be aligned to the file system's block
     * size ({@code FileStore.getBlockSize()}), or they fail with {@link BlockError#EINVAL}.
     * While open, the driver holds QEMU's image lock on the file ({@link ImageLock}): a
     * read-write driver keeps other writers (qemu, another corio) out, a read-only one keeps
     * the file from being resized; {@link FileOption#NO_LOCK} takes none. Needs Linux on
     * x86_64 or aarch64.
     *
     * @throws IOException if the file cannot be opened as asked (missing, a directory, no
     *     permission, {@code O_DIRECT} unsupported or a size it cannot serve), or is locked:
     *     for a read-write open, another process writes it or keeps others from writing
     *     it; for a read-only one, another process resizes it
     * @throws UnsupportedOperationException on another platform
     */
    static BlockDriver file(Path path, FileOption... options) throws IOException {
        Set<FileOption> set = EnumSet.noneOf(FileOption.class);
        set.addAll(Arrays.asList(options));
        return FileDriver.open(path, set);
    }

    /**
     * Makes a new sparse file of {@code size} bytes at {@code path} for {@link #file}: its
     * size is set, nothing is allocated, all of it reads as zero.
     *
     * @throws java.nio.file.FileAlreadyExistsException if {@code path} exists (it is left
     *     alone)
     * @throws IllegalArgumentException if {@code size} is negative
     */
    static void createFile(Path path, long size) throws IOException {
        FileDriver.create(path, size);
    }

    /**
     * {@code driver} with every modification ({@link #write}, {@link #discard},
     * {@link #writeZeroes}) refused with {@link BlockError#EPERM}. Closing the result closes
     * {@code driver}.
     */
    static BlockDriver readOnly(BlockDriver driver) {
        return driver.readOnly() ? driver : new ReadOnlyFilter(driver);
    }

    /**
     * {@code driver} with every request delayed by a fixed {@code latency} first, as a remote
     * store would; see {@link #withLatency(BlockDriver, Duration, Duration)}.
     */
    static BlockDriver withLatency(BlockDriver driver, Duration latency) {
        return new LatencyFilter(driver, latency, latency);
    }

    /**
     * {@code driver} with every request delayed first by a time drawn uniformly from
     * {@code [min, max]}, block-status lookups and flushes included. The delay is a
     * {@code Coroutine.sleep}: it holds no thread, so many requests wait out their delays at
     * once. Closing the result closes {@code driver}.
     *
     * @throws IllegalArgumentException if {@code min} is negative or {@code max < min}
     */
    static BlockDriver withLatency(BlockDriver driver, Duration min, Duration max) {
        return new LatencyFilter(driver, min, max);
    }

    /**
     * {@code driver} with its requests counted by kind, in requests, bytes and errors; read
     * them with {@link CountingFilter#counts()}. Closing the result closes {@code driver}.
     */
    static CountingFilter counting(BlockDriver driver) {
        return new CountingDriver(driver);
    }

    /** The device size in bytes; fixed for the driver's life. */
    long length();

    /** Whether every modification is refused with {@link BlockError#EPERM}. */
    boolean readOnly();

    /** Whether {@link #FUA} is native (cheaper than a write plus a whole-device flush). */
    boolean canFua();

    /** Whether {@link #writeZeroes} with {@link #FAST_ZERO} can ever succeed. */
    boolean canFastZero();

    /** Whether {@link #discard} can actually deallocate (otherwise it is a no-op). */
    boolean canDiscard();

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}, advancing its
     * position to its limit. Unwritten or discarded bytes read as zero.
     */
    void read(long offset, ByteBuffer dst) throws BlockException;

    /**
     * Reads {@code length} bytes at {@code offset} into a buffer the driver takes from
     * {@code buffers} as late as it can, and returns that buffer with position 0 and limit
     * {@code length}; the caller gives it back to {@code buffers} when done with it. A driver
     * that waits before its data exists (the latency filter's delay, a remote store's round
     * trip) takes the buffer only after the wait, so a request waiting out its delay holds no
     * payload memory: a server with many slow reads in flight holds buffers only for the ones
     * whose data is arriving. On failure nothing is held: a buffer taken is given back first.
     * Otherwise the same as {@link #read(long, ByteBuffer)}, which the default calls with a
     * buffer taken at once.
     *
     * @throws IllegalArgumentException if {@code length} is negative
     */
    default ByteBuffer read(long offset, int length, Buffers buffers) throws BlockException {
        if (length < 0) {
            throw new IllegalArgumentException("read length " + length + " < 0");
        }
        ByteBuffer dst = buffers.take(length);
        boolean read = false;
        try {
            read(offset, dst);
            read = true;
        } finally {
            if (!read) {
                buffers.give(dst);
            }
        }
        return dst.flip();
    }

    /**
     * Writes {@code src.remaining()} bytes at {@code offset}, advancing {@code src}'s position
     * to its limit. {@code flags}: {@link #FUA} or 0; other bits are
     * {@link IllegalArgumentException}.
     */
    void write(long offset, ByteBuffer src, int flags) throws BlockException;

    /** Makes every write completed before this call durable. */
    void flush() throws BlockException;

    /**
     * A hint that the range is no longer needed: afterwards it reads as zero or as its old
     * contents (NBD {@code TRIM} semantics); a driver that can deallocate reads zero.
     */
    void discard(long offset, long length) throws BlockException;

    /**
     * Makes the range read as zero. {@code flags}: any of {@link #FUA}, {@link #MAY_TRIM},
     * {@link #FAST_ZERO}.
     */
    void writeZeroes(long offset, long length, int flags) throws BlockException;

    /**
     * What is allocated in {@code [offset, offset + length)}: one or more extents, contiguous,
     * the first starting at {@code offset}, covering at least one byte and not past
     * {@code offset + length}. A driver may answer less than the whole range; the caller asks
     * again from where the answer ends.
     */
    List<Extent> blockStatus(long offset, long length) throws BlockException;

    /** Releases what the driver holds (file descriptors, memory); idempotent. */
    @Override
    void close();
}
