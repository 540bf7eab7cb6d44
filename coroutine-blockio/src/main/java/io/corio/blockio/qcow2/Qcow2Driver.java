package io.corio.blockio.qcow2;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.core.Coroutine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A qcow2 image read through its mapping ({@link Qcow2#open}), read-only: every modification
 * is refused with {@link BlockError#EPERM}, flushes do nothing.
 *
 * <ul>
 *   <li>read: each run of the mapping ({@link ClusterMap#lookup}) in turn: data clusters from
 *       the image file (contiguous clusters in one read), zero clusters as zeros,
 *       unallocated ones from the backing driver (zeros past its end, or without one),
 *       compressed clusters read and inflated (raw deflate) whole.
 *   <li>blockStatus: data and compressed clusters are data (0); zero clusters are
 *       {@code HOLE | ZERO}, as QEMU reports them; unallocated ones answer what the
 *       backing chain holds there, or {@code HOLE | ZERO} without one.
 * </ul>
 *
 * Many coroutines of any contexts may read at once; the only shared mutable state is the
 * L2 cache, which guards itself.
 */
final class Qcow2Driver implements BlockDriver {

    /** The most extents one {@link #blockStatus} answer holds; the caller asks again. */
    static final int MAX_EXTENTS = 1024;

    private static final byte[] ZEROS = new byte[64 << 10];

    private final ImageFile file;
    private final ClusterMap map;
    private final BlockDriver backing; // null: unallocated clusters read as zero
    private final long length;
    private final AtomicBoolean closed = new AtomicBoolean(); // CAS only: close releases once

    Qcow2Driver(ImageFile file, ClusterMap map, BlockDriver backing) {
        this.file = file;
        this.map = map;
        this.backing = backing;
        this.length = map.header().size();
    }

    ClusterMap map() {
        return map;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public boolean canFua() {
        return false;
    }

    @Override
    public boolean canFastZero() {
        return false;
    }

    @Override
    public boolean canDiscard() {
        return false;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        begin("read", offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            Mapping m = map.lookup(pos, dst.remaining());
            int n = (int) m.length();
            ByteBuffer part = dst.slice(dst.position(), n);
            switch (m) {
                case Mapping.Data d -> file.read(d.host(), part, "data");
                case Mapping.Zero z -> zero(part);
                case Mapping.Unallocated u -> readBacking(pos, part);
                case Mapping.Compressed c -> part.put(inflate(c, pos), c.inCluster(), n);
            }
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    private void readBacking(long pos, ByteBuffer part) throws BlockException {
        if (backing != null && pos < backing.length()) {
            int within = (int) Math.min(part.remaining(), backing.length() - pos);
            backing.read(pos, part.slice(0, within));
            part.position(within);
        }
        zero(part);
    }

    private static void zero(ByteBuffer b) {
        while (b.hasRemaining()) {
            b.put(ZEROS, 0, Math.min(ZEROS.length, b.remaining()));
        }
    }

    /** The whole guest cluster that {@code c} holds, inflated. */
    private byte[] inflate(Mapping.Compressed c, long guest) throws BlockException {
        // one byte more than the data: zlib may want a byte past a raw deflate stream
        ByteBuffer in = ByteBuffer.allocate(c.size() + 1);
        file.read(c.host(), in.limit(c.size()), "compressed cluster");
        byte[] out = new byte[(int) map.clusterSize()];
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(in.array(), 0, c.size() + 1);
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != out.length) {
                throw map.corrupt("the compressed cluster of guest offset " + guest + " ("
                        + c.size() + " bytes at " + c.host() + ") inflates to " + n
                        + " bytes, not a cluster of " + out.length);
            }
            return out;
        } catch (DataFormatException e) {
            throw map.corrupt("the compressed cluster of guest offset " + guest + " ("
                    + c.size() + " bytes at " + c.host() + ") is not valid deflate data: "
                    + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    @Override
    public List<Extent> blockStatus(long offset, long length) throws BlockException {
        begin("blockStatus", offset, length);
        if (length == 0) {
            throw new BlockException(BlockError.EINVAL, "blockStatus of 0 bytes at " + offset);
        }
        List<Extent> out = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        while (pos < end && out.size() < MAX_EXTENTS) {
            Mapping m = map.lookup(pos, end - pos);
            switch (m) {
                case Mapping.Data d -> add(out, pos, m.length(), 0);
                case Mapping.Compressed c -> add(out, pos, m.length(), 0);
                case Mapping.Zero z -> add(out, pos, m.length(), Extent.HOLE | Extent.ZERO);
                case Mapping.Unallocated u -> {
                    if (backing == null || pos >= backing.length()) {
                        add(out, pos, m.length(), Extent.HOLE | Extent.ZERO);
                    } else { // the chain's answer; it may cover less than asked
                        long within = Math.min(m.length(), backing.length() - pos);
                        for (Extent e : backing.blockStatus(pos, within)) {
                            add(out, e.offset(), e.length(), e.flags());
                        }
                        pos = out.getLast().end();
                        continue;
                    }
                }
            }
            pos += m.length();
        }
        return out;
    }

    /** Appends an extent, joining it to the last one when the flags match. */
    private static void add(List<Extent> out, long offset, long length, int flags) {
        if (!out.isEmpty() && out.getLast().flags() == flags && out.getLast().end() == offset) {
            Extent last = out.removeLast();
            out.add(new Extent(last.offset(), last.length() + length, flags));
        } else {
            out.add(new Extent(offset, length, flags));
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, int flags) throws BlockException {
        checkFlags("write", flags, FUA);
        throw refuse("write", offset, src.remaining());
    }

    @Override
    public void flush() throws BlockException {
        requireCoroutine("flush");
        if (closed.get()) {
            throw new BlockException(BlockError.ESHUTDOWN, "flush on closed " + this);
        }
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        throw refuse("discard", offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        checkFlags("writeZeroes", flags, FUA | MAY_TRIM | FAST_ZERO);
        throw refuse("writeZeroes", offset, length);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            file.close();
            if (backing != null) {
                backing.close();
            }
        }
    }

    @Override
    public String toString() {
        Qcow2Header h = map.header();
        return "qcow2 " + file + " (v" + h.version() + ", " + (map.clusterSize() >> 10 == 0
                ? map.clusterSize() + " B" : (map.clusterSize() >> 10) + " KiB") + " clusters"
                + (backing != null ? ", backing " + backing : "")
                + (h.dirty() ? ", dirty" : "") + ", read-only"
                + (closed.get() ? ", closed)" : ")");
    }

    // ---- checks ---------------------------------------------------------------------------

    private static void requireCoroutine(String op) {
        if (!Coroutine.inCoroutine()) {
            throw new IllegalStateException("BlockDriver." + op
                    + " is a coroutine function: call it from inside a coroutine");
        }
    }

    private void begin(String op, long offset, long count) throws BlockException {
        requireCoroutine(op);
        if (offset < 0 || count < 0 || offset > length || count > length - offset) {
            throw new BlockException(BlockError.EINVAL, op + " of " + count + " bytes at "
                    + offset + " is outside the device of " + length + " bytes");
        }
        if (closed.get()) {
            throw new BlockException(BlockError.ESHUTDOWN, op + " on closed " + this);
        }
    }

    private static void checkFlags(String op, int flags, int allowed) {
        if ((flags & ~allowed) != 0) {
            throw new IllegalArgumentException(op + ": unknown flags 0x"
                    + Integer.toHexString(flags & ~allowed) + " in 0x"
                    + Integer.toHexString(flags));
        }
    }

    private BlockException refuse(String op, long offset, long count) {
        requireCoroutine(op);
        return new BlockException(BlockError.EPERM, op + " of " + count + " bytes at " + offset
                + " on " + this + ": corio writes no qcow2 images yet");
    }
}
