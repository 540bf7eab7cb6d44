package io.corio.blockio.qcow2;

import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.ImageLock;
import io.corio.core.Coroutine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The file a qcow2 image lives in, as its driver reads it: positional reads that fill the
 * whole buffer, bytes past the end of the file reading as zero (as QEMU's file layer answers
 * them; a compressed cluster's last sector may lie past the end). {@link #read} is a
 * coroutine function that runs the system call inside {@link Coroutine#blocking};
 * {@link #readNow} blocks its caller, for opening. Opened for writing, it also writes
 * ({@link #write}, {@link #writeNow}) and syncs ({@link #sync}: {@code fdatasync}), and its
 * {@link #length()} grows with what is written past the end.
 */
final class ImageFile implements AutoCloseable {

    private final Path path;
    private final FileChannel channel;
    private final boolean writable;
    private final ImageLock lock; // released at close; null for a peek under the caller's lock
    private final AtomicLong length; // grows with writes past the end; CAS only

    private ImageFile(Path path, FileChannel channel, long length, boolean writable,
            ImageLock lock) {
        this.path = path;
        this.channel = channel;
        this.length = new AtomicLong(length);
        this.writable = writable;
        this.lock = lock;
    }

    /**
     * Opens the image for reading; {@code lock} (the caller's {@link ImageLock} on it, or
     * null for a look at an image the caller holds locked some other way) is released when
     * this closes, and if this fails.
     */
    static ImageFile openReadOnly(Path path, ImageLock lock) throws IOException {
        return open(path, false, lock, StandardOpenOption.READ);
    }

    /**
     * Opens the image for writing; {@code lock} (the caller's {@link ImageLock} on it) is
     * released when this closes, and if this fails.
     */
    static ImageFile openReadWrite(Path path, ImageLock lock) throws IOException {
        return open(path, true, lock, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private static ImageFile open(Path path, boolean writable, ImageLock lock,
            StandardOpenOption... how) throws IOException {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(path, how);
            return new ImageFile(path, ch, ch.size(), writable, lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
    }

    boolean writable() {
        return writable;
    }

    Path path() {
        return path;
    }

    /** The file's length: its size at open, or the end of the furthest write since. */
    long length() {
        return length.get();
    }

    /** Up to {@code n} bytes at {@code offset}, fewer at the end of the file; blocks. */
    ByteBuffer readNow(long offset, int n) throws IOException {
        int want = (int) Math.max(0, Math.min(n, length() - offset));
        ByteBuffer b = ByteBuffer.allocate(want);
        fill(offset, b);
        return b.flip();
    }

    /**
     * Fills {@code dst} from {@code offset}: what lies past the end of the file reads as zero.
     * A coroutine function; {@code what} names the read in an error.
     */
    void read(long offset, ByteBuffer dst, String what) throws BlockException {
        try {
            Coroutine.blocking(() -> fill(offset, dst));
        } catch (IOException e) {
            throw new BlockException(BlockError.EIO, what + " at " + offset + " of " + path
                    + ": " + e.getMessage(), e);
        }
    }

    private Void fill(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                dst.put(new byte[dst.remaining()]);
                break;
            }
            pos += n;
        }
        return null;
    }

    /**
     * Writes all of {@code src} at {@code offset}. A coroutine function; {@code what} names the
     * write in an error.
     */
    void write(long offset, ByteBuffer src, String what) throws BlockException {
        try {
            Coroutine.blocking(() -> writeNow(offset, src));
        } catch (IOException e) {
            throw new BlockException(BlockError.EIO, "writing " + what + " at " + offset + " of "
                    + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes all of {@code src} at {@code offset}; blocks (for opening). */
    Void writeNow(long offset, ByteBuffer src) throws IOException {
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
        length.accumulateAndGet(pos, Math::max);
        return null;
    }

    /** {@code fdatasync}: every write completed before is durable. A coroutine function. */
    void sync() throws BlockException {
        try {
            Coroutine.blocking(() -> {
                channel.force(false);
                return null;
            });
        } catch (IOException e) {
            throw new BlockException(BlockError.EIO, "fdatasync of " + path + ": "
                    + e.getMessage(), e);
        }
    }

    /** {@code fdatasync}, blocking (for opening). */
    void syncNow() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the driver synced what it had to before closing; nothing more to lose here
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
