package io.corio.blockio.qcow2;

import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.core.Coroutine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file a qcow2 image lives in, as its driver reads it: positional reads that fill the
 * whole buffer, bytes past the end of the file reading as zero (as QEMU's file layer answers
 * them; a compressed cluster's last sector may lie past the end). {@link #read} is a
 * coroutine function that runs the system call inside {@link Coroutine#blocking};
 * {@link #readNow} blocks its caller, for opening. Read-only for now; the write path will
 * add writes and growth here.
 */
final class ImageFile implements AutoCloseable {

    private final Path path;
    private final FileChannel channel;
    private final long length; // fixed while read-only

    private ImageFile(Path path, FileChannel channel, long length) {
        this.path = path;
        this.channel = channel;
        this.length = length;
    }

    static ImageFile openReadOnly(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new ImageFile(path, ch, ch.size());
        } catch (RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    Path path() {
        return path;
    }

    long length() {
        return length;
    }

    /** Up to {@code n} bytes at {@code offset}, fewer at the end of the file; blocks. */
    ByteBuffer readNow(long offset, int n) throws IOException {
        int want = (int) Math.max(0, Math.min(n, length - offset));
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

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
