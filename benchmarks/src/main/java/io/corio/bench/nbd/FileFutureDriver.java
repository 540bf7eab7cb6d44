package io.corio.bench.nbd;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A file as a {@link FutureDriver} ({@link FutureDriver#file}): positional {@link FileChannel}
 * reads and writes, {@code fdatasync} ({@code force(false)}) for flush and FUA, each run on the
 * executor given, whose future completes there. Bytes past the end of a file that shrank behind
 * the driver's back read as zero. TRIM does nothing, WRITE_ZEROES writes zeroes, BLOCK_STATUS
 * reports one data extent: see {@link FutureDriver} for why. I/O errors are
 * {@link BlockError#EIO}, a closed driver {@link BlockError#ESHUTDOWN}.
 */
final class FileFutureDriver implements FutureDriver {
    private static final int ZERO_BUFFER = 1 << 20;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(ZERO_BUFFER).asReadOnlyBuffer();

    /** A blocking file call. */
    @FunctionalInterface
    private interface Call {
        void run() throws IOException;
    }

    private final Path path;
    private final FileChannel channel; // thread-safe for positional I/O
    private final long length;
    private final boolean readOnly;
    private final Executor io;

    private FileFutureDriver(Path path, FileChannel channel, long length, boolean readOnly, Executor io) {
        this.path = path;
        this.channel = channel;
        this.length = length;
        this.readOnly = readOnly;
        this.io = io;
    }

    static FileFutureDriver open(Path path, boolean readOnly, Executor io) throws IOException {
        FileChannel ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            return new FileFutureDriver(path, ch, ch.size(), readOnly, io);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Runs {@code call} on the executor; the future fails with a {@link BlockException}. */
    private CompletableFuture<Void> blocking(String op, long offset, long count, Call call) {
        if (offset < 0 || count < 0 || offset > length || count > length - offset) {
            return CompletableFuture.failedFuture(new BlockException(BlockError.EINVAL, op + " of "
                    + offset + "+" + count + " outside the " + length + "-byte " + this));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    call.run();
                    done.complete(null);
                } catch (ClosedChannelException e) {
                    done.completeExceptionally(new BlockException(BlockError.ESHUTDOWN, this + " is closed"));
                } catch (IOException e) {
                    done.completeExceptionally(new BlockException(BlockError.EIO, op + " on " + this
                            + ": " + e.getMessage(), e));
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new BlockException(BlockError.ESHUTDOWN, this + ": executor stopped"));
        }
        return done;
    }

    private CompletableFuture<Void> refuseIfReadOnly(String op) {
        return readOnly ? CompletableFuture.failedFuture(new BlockException(BlockError.EPERM,
                op + " on read-only " + this)) : null;
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
    public boolean canFastZero() {
        return false;
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer dst) {
        return blocking("read", offset, dst.remaining(), () -> {
            long at = offset;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, at);
                if (n < 0) { // the file shrank: the rest reads as zero
                    while (dst.hasRemaining()) {
                        dst.put(ZEROES.duplicate().limit(Math.min(ZERO_BUFFER, dst.remaining())));
                    }
                    return;
                }
                at += n;
            }
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer src, int flags) {
        CompletableFuture<Void> refused = refuseIfReadOnly("write");
        return refused != null ? refused : blocking("write", offset, src.remaining(), () -> {
            writeAll(offset, src);
            if ((flags & BlockDriver.FUA) != 0) {
                channel.force(false);
            }
        });
    }

    private void writeAll(long offset, ByteBuffer src) throws IOException {
        long at = offset;
        while (src.hasRemaining()) {
            at += channel.write(src, at);
        }
    }

    @Override
    public CompletableFuture<Void> flush() {
        return blocking("flush", 0, 0, () -> channel.force(false));
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        CompletableFuture<Void> refused = refuseIfReadOnly("discard");
        return refused != null ? refused : blocking("discard", offset, length, () -> {});
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, int flags) {
        CompletableFuture<Void> refused = refuseIfReadOnly("writeZeroes");
        if (refused != null) {
            return refused;
        }
        if ((flags & BlockDriver.FAST_ZERO) != 0) {
            return CompletableFuture.failedFuture(new BlockException(BlockError.ENOTSUP,
                    "zeroing is not fast on " + this));
        }
        return blocking("writeZeroes", offset, length, () -> {
            for (long at = offset, end = offset + length; at < end; ) {
                int n = (int) Math.min(ZERO_BUFFER, end - at);
                writeAll(at, ZEROES.duplicate().limit(n));
                at += n;
            }
            if ((flags & BlockDriver.FUA) != 0) {
                channel.force(false);
            }
        });
    }

    @Override
    public CompletableFuture<List<Extent>> blockStatus(long offset, long length) {
        if (offset < 0 || length < 1 || offset > this.length || length > this.length - offset) {
            return CompletableFuture.failedFuture(new BlockException(BlockError.EINVAL,
                    "blockStatus of " + offset + "+" + length + " outside the " + this.length
                            + "-byte " + this));
        }
        return CompletableFuture.completedFuture(List.of(new Extent(offset, length, 0)));
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to do: the descriptor is released either way
        }
    }

    @Override
    public String toString() {
        return "file " + path;
    }
}
