package io.corio.blockio;

import io.corio.blockio.Linux.ErrnoException;
import io.corio.core.Coroutine;
import io.corio.core.CoroutineFunction;
import io.corio.core.WorkerPool;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A block device stored in a file ({@link BlockDriver#file}); its length is the file's size
 * when opened. Every system call runs inside {@link Coroutine#blocking}, so the calling
 * context serves its other coroutines meanwhile; many requests may be in the kernel at once.
 * With {@code O_DIRECT} every call waits for the device, so they run instead on the driver's
 * own pool of at most {@link #DIRECT_THREADS} platform threads ({@link Coroutine#inWorker}),
 * as QEMU's {@code aio=threads} runs them on its thread pool: the JDK would otherwise add a
 * carrier thread for every virtual thread blocked in file I/O, one per request in flight.
 *
 * <ul>
 *   <li>read and write: positional I/O on a {@link FileChannel}; bytes past the end of a file
 *       that shrank behind the driver's back read as zero.
 *   <li>flush: {@code fdatasync}. FUA is a write followed by {@code fdatasync} ({@link #canFua()}
 *       is false).
 *   <li>discard: {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}, which reads as zero afterwards;
 *       on a file system that cannot punch holes it does nothing, as a hint may.
 *   <li>writeZeroes: with {@code MAY_TRIM} a hole punch, else {@code ZERO_RANGE}, else a
 *       punch followed by an allocation (QEMU's order); when the file system refuses all
 *       that, zeros are written, unless {@code FAST_ZERO} asked for speed: then it fails
 *       with {@link BlockError#ENOTSUP} having done nothing. A mode the file system refused
 *       once is not tried again.
 *   <li>blockStatus: {@code lseek(SEEK_DATA / SEEK_HOLE)}: holes are {@code HOLE | ZERO},
 *       data is 0. A file system without hole reporting shows the whole file as data.
 * </ul>
 *
 * <p>While open, the driver holds QEMU's lock on the file ({@link ImageLock}), unless
 * {@link FileOption#NO_LOCK}: read-write, {@link ImageLock.Use#WRITE}, which keeps other
 * writers out and is refused while another process writes the file or keeps others from
 * writing it; read-only, {@link ImageLock.Use#READ}, which lets others write but not resize
 * it. The device's length is fixed when it opens, so neither lets the file be resized.
 *
 * <p>Errors map to {@link BlockError} as {@link FileErrors} says: {@code ENOSPC},
 * {@code EDQUOT}, {@code EFBIG} are {@code ENOSPC}; {@code EROFS} is {@code EPERM}; the
 * rest {@code EIO}.
 */
final class FileDriver implements BlockDriver {

    /*
     * Implementation notes.
     *
     * Two descriptors of one open file: one opened through FFM, held by `space` for
     * fallocate and lseek, which java.nio lacks; and `channel`, opened on the first's
     * /proc/self/fd link, for reads, writes and fdatasync. Opening the second through the
     * first's magic link makes both the same file even if the path is renamed in between,
     * and leaves the data path to the JDK, whose file I/O on a virtual thread compensates the
     * carrier it blocks (an FFM call pins it). The FFM descriptor is reference counted (Fd),
     * since a request racing close() must not reach a reused descriptor number; the channel
     * defends itself (ClosedChannelException). The image lock is a third descriptor,
     * ImageLock's, opened through the same link, so it locks the file that is served; its
     * OFD locks belong to its own open file description, so closing the other two (or the
     * JDK closing the channel) does not drop them.
     */

    private static final int ZERO_BUFFER = 1 << 20;

    /** The most system calls of an {@code O_DIRECT} driver in the kernel at once. */
    static final int DIRECT_THREADS = 16;

    private final String name; // the path, for messages
    private final FileSpace space;
    private final FileChannel channel;
    private final long length;
    private final boolean readOnly;
    private final int align; // 1, or the O_DIRECT alignment
    private final WorkerPool io; // O_DIRECT only, else null: system calls run in place
    private final ImageLock lock; // null with NO_LOCK
    private final AtomicBoolean closed = new AtomicBoolean(); // CAS only: close releases once
    private volatile ByteBuffer zeros; // made on first need; a duplicate per use

    private FileDriver(String name, FileSpace space, FileChannel channel, long length,
            boolean readOnly, int align, ImageLock lock) {
        this.name = name;
        this.space = space;
        this.channel = channel;
        this.length = length;
        this.readOnly = readOnly;
        this.align = align;
        this.io = align > 1
                ? WorkerPool.create("direct " + name, 0, DIRECT_THREADS, Duration.ofSeconds(10)) : null;
        this.lock = lock;
    }

    static FileDriver open(Path path, Set<FileOption> options) throws IOException {
        Linux.checkSupported();
        boolean ro = options.contains(FileOption.READ_ONLY);
        boolean direct = options.contains(FileOption.DIRECT);
        int raw;
        try {
            raw = Linux.open(path.toString(), ro ? Linux.O_RDONLY : Linux.O_RDWR);
        } catch (ErrnoException e) {
            throw FileErrors.ofOpen(path, e.errno);
        }
        Fd fd = new Fd(raw);
        ImageLock lock = null;
        try {
            List<OpenOption> how = new ArrayList<>(List.of(StandardOpenOption.READ));
            if (!ro) {
                how.add(StandardOpenOption.WRITE);
            }
            if (direct) {
                how.add(directOption());
            }
            Path proc = Path.of("/proc/self/fd/" + raw);
            if (Files.isDirectory(proc)) {
                throw new FileSystemException(path.toString(), null, "is a directory");
            }
            if (!options.contains(FileOption.NO_LOCK)) {
                lock = ImageLock.acquire(path.toString(), proc,
                        ro ? ImageLock.Use.READ : ImageLock.Use.WRITE);
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(proc, how.toArray(OpenOption[]::new));
            } catch (IOException e) {
                throw direct ? new IOException(path + ": cannot open with O_DIRECT (the file"
                        + " system may not support it): " + e.getMessage(), e) : e;
            }
            long size = ch.size();
            int align = direct ? Math.toIntExact(Files.getFileStore(path).getBlockSize()) : 1;
            if (size % align != 0) {
                ch.close();
                throw new IOException(path + ": size " + size + " is not a multiple of the "
                        + align + "-byte O_DIRECT alignment");
            }
            return new FileDriver(path.toString(), new FileSpace(fd), ch, size, ro, align, lock);
        } catch (IOException | RuntimeException e) {
            if (lock != null) {
                lock.close();
            }
            fd.release();
            throw e;
        }
    }

    /**
     * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT}, the JDK's O_DIRECT, from the
     * exported {@code jdk.unsupported} module. Looked up by name because javac warns about
     * every mention of a {@code com.sun} type and the warning cannot be suppressed.
     */
    private static OpenOption directOption() throws IOException {
        try {
            return (OpenOption) Class.forName("com.sun.nio.file.ExtendedOpenOption")
                    .getField("DIRECT").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IOException("this JDK has no O_DIRECT open option", e);
        }
    }

    /** Makes a new sparse file of {@code size} bytes; fails if {@code path} exists. */
    static void create(Path path, long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("file size " + size + " < 0");
        }
        Files.createFile(path);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(size); // ftruncate: allocates nothing
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(path); // ours: it did not exist a moment ago
            throw e;
        }
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public boolean canFua() {
        return false;
    }

    @Override
    public boolean canFastZero() {
        return !readOnly && space.canZeroFast();
    }

    @Override
    public boolean canDiscard() {
        return !readOnly && space.canPunch();
    }

    /** For tests: as if the file system refused every {@code fallocate} mode. */
    void refuseFallocate() {
        space.refuseFallocate();
    }

    /** The O_DIRECT alignment in bytes, or 1 without it. */
    int alignment() {
        return align;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        begin("read", offset, dst.remaining(), false);
        checkAligned("read", offset, dst.remaining());
        if (dst.hasRemaining()) {
            blocking("read", () -> readFully(offset, dst));
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        Requests.checkFlags("write", flags, Requests.WRITE_FLAGS);
        begin("write", offset, src.remaining(), true);
        checkAligned("write", offset, src.remaining());
        if (src.hasRemaining()) {
            blocking("write", () -> writeFully(offset, src));
        }
        if ((flags & FUA) != 0) {
            blocking("write (FUA)", this::sync);
        }
    }

    @Override
    public void flush() throws BlockException {
        Requests.requireCoroutine("flush");
        if (closed.get()) {
            throw Requests.closed("flush", this);
        }
        if (!readOnly) {
            blocking("flush", this::sync);
        }
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        begin("discard", offset, length, true);
        if (length > 0 && space.canPunch()) {
            // false if the file system cannot punch: then a no-op, as a hint may be
            blocking("discard", () -> space.punch(offset, length));
        }
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        Requests.checkFlags("writeZeroes", flags, Requests.ZERO_FLAGS);
        begin("writeZeroes", offset, length, true);
        if (length > 0) {
            boolean mayTrim = (flags & MAY_TRIM) != 0;
            if (!blocking("writeZeroes", () -> space.zeroFast(offset, length, mayTrim))) {
                if ((flags & FAST_ZERO) != 0) {
                    throw new BlockException(BlockError.ENOTSUP, "writeZeroes at " + offset
                            + ": " + this + " can only write zeros, not zero fast");
                }
                checkAligned("writeZeroes", offset, length);
                blocking("writeZeroes", () -> writeZeros(offset, length));
            }
        }
        if ((flags & FUA) != 0) {
            blocking("writeZeroes (FUA)", this::sync);
        }
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws BlockException {
        Requests.requireCoroutine("blockStatus");
        Requests.checkStatusRange(offset, length, this.length);
        if (closed.get()) {
            throw Requests.closed("blockStatus", this);
        }
        return blocking("blockStatus", () -> space.scan(offset, offset + length));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing is lost: data reaches the file with each write, durability with flush
        }
        space.close();
        if (io != null) {
            io.shutdown(false); // its threads end once idle; nothing is queued after close
        }
        if (lock != null) {
            lock.close(); // after the descriptors it guards
        }
    }

    @Override
    public String toString() {
        return "file " + name + (readOnly ? " (read-only)" : "")
                + (align > 1 ? " (O_DIRECT)" : "") + (lock == null ? " (unlocked)" : "")
                + (closed.get() ? " (closed)" : "");
    }

    // ---- in the blocking call -----------------------------------------------------------

    private Void sync() throws IOException {
        channel.force(false); // fdatasync
        return null;
    }

    private Void readFully(long offset, ByteBuffer dst) throws IOException {
        ByteBuffer io = aligned(dst) ? dst : ByteBuffer.allocate(dst.remaining());
        long pos = offset;
        while (io.hasRemaining()) {
            int n = channel.read(io, pos);
            if (n < 0) { // the file shrank under us: what is gone reads as zero
                io.put(new byte[io.remaining()]);
                break;
            }
            pos += n;
        }
        if (io != dst) {
            dst.put(io.flip());
        }
        return null;
    }

    private Void writeFully(long offset, ByteBuffer src) throws IOException {
        ByteBuffer io = src;
        if (!aligned(src)) {
            io = ByteBuffer.allocate(src.remaining()).put(src.duplicate()).flip();
            src.position(src.limit());
        }
        long pos = offset;
        while (io.hasRemaining()) {
            pos += channel.write(io, pos);
        }
        return null;
    }

    /** Whether O_DIRECT can use {@code b} as it is (the JDK copies heap buffers itself). */
    private boolean aligned(ByteBuffer b) {
        return align == 1 || !b.isDirect() || MemorySegment.ofBuffer(b).address() % align == 0;
    }

    private Void writeZeros(long offset, long length) throws IOException {
        ByteBuffer z = zeros;
        if (z == null) {
            z = ByteBuffer.allocateDirect(ZERO_BUFFER + align).alignedSlice(align)
                    .limit(ZERO_BUFFER).asReadOnlyBuffer();
            zeros = z;
        }
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            ByteBuffer piece = z.duplicate().limit((int) Math.min(ZERO_BUFFER, end - pos));
            while (piece.hasRemaining()) {
                pos += channel.write(piece, pos);
            }
        }
        return null;
    }

    // ---- checks and errors --------------------------------------------------------------

    private void begin(String op, long offset, long count, boolean modifies)
            throws BlockException {
        Requests.requireCoroutine(op);
        if (modifies && readOnly) {
            throw new BlockException(BlockError.EPERM, op + " of " + count + " bytes at "
                    + offset + " on " + this);
        }
        Requests.checkRange(op, offset, count, length);
        if (closed.get()) {
            throw Requests.closed(op, this);
        }
    }

    private void checkAligned(String op, long offset, long count) throws BlockException {
        if (offset % align != 0 || count % align != 0) {
            throw new BlockException(BlockError.EINVAL, op + " of " + count + " bytes at "
                    + offset + ": " + this + " needs offsets and lengths aligned to " + align);
        }
    }

    /**
     * Runs {@code call} inside {@link Coroutine#blocking}, or on the {@code O_DIRECT} pool,
     * mapping its failure.
     */
    private <T> T blocking(String op, CoroutineFunction<T, IOException> call)
            throws BlockException {
        try {
            return io != null ? Coroutine.inWorker(io, call) : Coroutine.blocking(call);
        } catch (IOException e) {
            throw FileErrors.of(op + " on " + this, e);
        } catch (IllegalStateException e) {
            if (closed.get()) { // close() shut the pool down while this request was on its way
                throw Requests.closed(op, this);
            }
            throw e;
        }
    }
}
