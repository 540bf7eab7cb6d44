package io.corio.blockio.qcow2;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A qcow2 image read through its mapping: read-only ({@link Qcow2#open}), where every
 * modification is refused with {@link BlockError#EPERM} and flushes do nothing, or writable
 * ({@link Qcow2#openReadWrite}), where writes and flushes go through {@link Qcow2Writes},
 * discards and write-zeroes through {@link Qcow2Zeroes}; FUA is a flush after the request
 * ({@link #canFua()} is false).
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
 * Many coroutines of any contexts may read and write at once; the L2 cache guards itself,
 * the write path guards the metadata it changes (see {@link Qcow2Writes}).
 */
final class Qcow2Driver implements BlockDriver {

    /** The most extents one {@link #blockStatus} answer holds; the caller asks again. */
    static final int MAX_EXTENTS = 1024;

    private static final byte[] ZEROS = new byte[64 << 10];
    private static final Logger log = LoggerFactory.getLogger(Qcow2Driver.class);

    private final ImageFile file;
    private final ClusterMap map;
    private final BlockDriver backing; // null: unallocated clusters read as zero
    private final Qcow2Writes writes; // null: read-only
    private final Qcow2Zeroes zeroes; // null: read-only
    private final long length;
    private final AtomicBoolean closed = new AtomicBoolean(); // CAS only: close releases once

    /** A read-only driver. */
    Qcow2Driver(ImageFile file, ClusterMap map, BlockDriver backing) {
        this(file, map, backing, null);
    }

    /** A writable driver when {@code refcounts} is not null. */
    Qcow2Driver(ImageFile file, ClusterMap map, BlockDriver backing, Refcounts refcounts) {
        this.file = file;
        this.map = map;
        this.backing = backing;
        this.length = map.header().size();
        this.writes = refcounts == null ? null : new Qcow2Writes(file.toString(), map,
                refcounts, this::readMapped, backing != null);
        this.zeroes = writes == null ? null : new Qcow2Zeroes(writes, map, backing != null);
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
        return writes == null;
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
        return writes != null;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws BlockException {
        begin("read", offset, dst.remaining());
        if (writes != null) {
            writes.beginRead();
        }
        try {
            long pos = offset;
            while (dst.hasRemaining()) {
                Mapping m = map.lookup(pos, dst.remaining());
                int n = (int) m.length();
                readMapped(m, pos, dst.slice(dst.position(), n));
                dst.position(dst.position() + n);
                pos += n;
            }
        } finally {
            if (writes != null) {
                writes.endRead();
            }
        }
    }

    /** Fills {@code part} with the guest bytes at {@code pos} that {@code m} maps. */
    private void readMapped(Mapping m, long pos, ByteBuffer part) throws BlockException {
        switch (m) {
            case Mapping.Data d -> file.read(d.host(), part, "data");
            case Mapping.Zero z -> zero(part);
            case Mapping.Unallocated u -> readBacking(pos, part);
            case Mapping.Compressed c -> part.put(inflate(c, pos), c.inCluster(),
                    part.remaining());
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
        if (writes == null) {
            throw refuse("write", offset, src.remaining());
        }
        begin("write", offset, src.remaining());
        writes.write(offset, src, (flags & FUA) != 0);
    }

    @Override
    public void flush() throws BlockException {
        requireCoroutine("flush");
        if (closed.get()) {
            throw new BlockException(BlockError.ESHUTDOWN, "flush on closed " + this);
        }
        if (writes != null) {
            writes.flush();
        }
    }

    @Override
    public void discard(long offset, long length) throws BlockException {
        if (writes == null) {
            throw refuse("discard", offset, length);
        }
        begin("discard", offset, length);
        zeroes.discard(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws BlockException {
        checkFlags("writeZeroes", flags, FUA | MAY_TRIM | FAST_ZERO);
        if (writes == null) {
            throw refuse("writeZeroes", offset, length);
        }
        begin("writeZeroes", offset, length);
        if ((flags & FAST_ZERO) != 0) {
            throw new BlockException(BlockError.ENOTSUP, "writeZeroes with FAST_ZERO on "
                    + this + ": partial clusters are written, which is not fast");
        }
        zeroes.writeZeroes(offset, length, (flags & MAY_TRIM) != 0, (flags & FUA) != 0);
    }

    /**
     * Closes the image; a writable one is flushed first (metadata written back, released
     * clusters freed, synced), in the calling coroutine or, outside one, in a context of its
     * own. A failure of that flush is logged: the image may then leak clusters.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (writes != null) {
                if (Coroutine.inCoroutine()) {
                    writes.close();
                } else {
                    try (AioContext ctx = AioContext.start("qcow2-close")) {
                        ctx.call(() -> {
                            writes.close();
                            return null;
                        });
                    }
                }
            }
        } catch (BlockException | RuntimeException e) {
            log.error("{}: the flush at close failed; the image may leak clusters: {}", file,
                    e.toString());
        } finally {
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
                + (h.dirty() ? ", dirty" : "") + (writes == null ? ", read-only" : "")
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
                + " on " + this + ": the image is open read-only");
    }
}
