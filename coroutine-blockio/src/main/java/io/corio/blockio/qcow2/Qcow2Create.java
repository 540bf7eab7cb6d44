package io.corio.blockio.qcow2;

import io.corio.blockio.qcow2.Qcow2Header.FeatureName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes a fresh, empty qcow2 image, as {@code qemu-img create -f qcow2} does: the header
 * with its extensions (backing format, feature-name table), a refcount table and the refcount
 * blocks that count the metadata, and a zeroed L1 table sized for the virtual disk. Nothing
 * else is allocated: every cluster reads from the backing file, or as zeros without one.
 *
 * <p>{@link #create} replaces an existing file at the path (as qemu-img does) and syncs the
 * new one before returning. Bad options are {@link IllegalArgumentException}s naming the
 * option and its value; a backing file that cannot be opened is an {@link IOException}.
 */
public final class Qcow2Create {
    private Qcow2Create() {}

    /*
     * Implementation notes.
     *
     * Layout, in clusters: 0 the header, its extensions and the backing file name; then the
     * refcount table (T clusters), the refcount blocks (B), the L1 table (L). Every one of
     * those N = 1 + T + B + L clusters has refcount 1 and nothing else is counted. B and T
     * depend on N, so they are grown together until they cover it (two rounds at most in
     * practice; 512-byte clusters with a large L1 need several blocks). The file is sized to
     * the whole last cluster, sparse where it is zero.
     *
     * The extensions are those qemu writes, in its order: the backing format (with a backing
     * file, in both versions), the feature-name table (version 3, when it fits the first
     * cluster: qemu leaves it out of 512-byte clusters), the end marker; the backing file's
     * name follows them, not NUL-terminated.
     */

    /** The default cluster size, as qemu-img's. */
    public static final int DEFAULT_CLUSTER_SIZE = 64 << 10;
    public static final int DEFAULT_REFCOUNT_BITS = 16;
    /** Sizes are rounded up to this, as qemu's block layer does (1000 becomes 1024). */
    static final int SECTOR = 512;

    /** Feature names that qemu 7 writes into the table: type, bit, name. */
    private static final List<FeatureName> FEATURES = List.of(
            new FeatureName(0, 0, "dirty bit"), new FeatureName(0, 1, "corrupt bit"),
            new FeatureName(0, 2, "external data file"),
            new FeatureName(0, 3, "compression type"),
            new FeatureName(0, 4, "extended L2 entries"), new FeatureName(1, 0, "lazy refcounts"),
            new FeatureName(2, 0, "bitmaps"), new FeatureName(2, 1, "raw external data"));

    /**
     * What to create.
     *
     * @param size the virtual size in bytes (rounded up to 512), or -1 for the backing
     *     file's
     * @param version 2 ({@code compat=0.10}) or 3 ({@code compat=1.1})
     * @param clusterSize a power of two, 512 B..2 MiB
     * @param refcountBits a power of two, 1..64; only 16 with version 2
     * @param backingFile the backing file's name as it is stored (relative to the image's
     *     directory unless absolute), or null
     * @param backingFormat {@code qcow2} or {@code raw}, or null to take it from the backing
     *     file's first bytes
     * @param lazyRefcounts the lazy refcounts compatible feature ({@code lazy_refcounts=on});
     *     version 3 only
     */
    public record Options(long size, int version, int clusterSize, int refcountBits,
            String backingFile, String backingFormat, boolean lazyRefcounts) {

        /** Version 3, 64 KiB clusters, 16-bit refcounts, no backing file. */
        public static Options of(long size) {
            return new Options(size, 3, DEFAULT_CLUSTER_SIZE, DEFAULT_REFCOUNT_BITS, null, null,
                    false);
        }

        public Options withVersion(int v) {
            return new Options(size, v, clusterSize, refcountBits, backingFile, backingFormat,
                    lazyRefcounts);
        }

        public Options withClusterSize(int c) {
            return new Options(size, version, c, refcountBits, backingFile, backingFormat,
                    lazyRefcounts);
        }

        public Options withRefcountBits(int r) {
            return new Options(size, version, clusterSize, r, backingFile, backingFormat,
                    lazyRefcounts);
        }

        public Options withBacking(String file, String format) {
            return new Options(size, version, clusterSize, refcountBits, file, format,
                    lazyRefcounts);
        }

        public Options withLazyRefcounts(boolean on) {
            return new Options(size, version, clusterSize, refcountBits, backingFile,
                    backingFormat, on);
        }
    }

    /** What was written: the virtual size, and the backing format used (or null). */
    public record Created(long size, String backingFormat) {}

    /**
     * Writes a new image at {@code path} (replacing any file there) and syncs it.
     *
     * @throws IllegalArgumentException naming the bad option and its value
     * @throws IOException if the backing file cannot be read or the image cannot be written
     */
    public static Created create(Path path, Options o) throws IOException {
        if (o.version() != 2 && o.version() != 3) {
            throw new IllegalArgumentException("version " + o.version() + ": expected 2"
                    + " (compat=0.10) or 3 (compat=1.1)");
        }
        int cs = o.clusterSize();
        if (cs < 512 || cs > (2 << 20) || Integer.bitCount(cs) != 1) {
            throw new IllegalArgumentException("cluster_size " + cs + ": must be a power of"
                    + " two between 512 and 2M");
        }
        int bits = Integer.numberOfTrailingZeros(cs);
        int rb = o.refcountBits();
        if (rb < 1 || rb > 64 || Integer.bitCount(rb) != 1) {
            throw new IllegalArgumentException("refcount_bits " + rb + ": must be a power of"
                    + " two from 1 to 64");
        }
        if (o.version() == 2 && rb != 16) {
            throw new IllegalArgumentException("refcount_bits " + rb + ": version 2"
                    + " (compat=0.10) images have 16-bit refcounts; use compat=1.1");
        }
        if (o.version() == 2 && o.lazyRefcounts()) {
            throw new IllegalArgumentException("lazy_refcounts: version 2 (compat=0.10) images"
                    + " have no lazy refcounts; use compat=1.1");
        }
        int order = Integer.numberOfTrailingZeros(rb);
        String backingFormat = o.backingFormat();
        long size = o.size();
        byte[] backingName = null;
        if (o.backingFile() != null) {
            backingName = o.backingFile().getBytes(StandardCharsets.UTF_8);
            if (backingName.length == 0 || backingName.length > Qcow2Header.MAX_BACKING_NAME) {
                throw new IllegalArgumentException("backing file name of " + backingName.length
                        + " bytes: must be 1 to " + Qcow2Header.MAX_BACKING_NAME);
            }
            Path backing = path.toAbsolutePath().getParent().resolve(o.backingFile());
            if (!Files.isReadable(backing)) {
                throw new IOException("cannot open the backing file " + o.backingFile()
                        + " (looked for " + backing + ")");
            }
            boolean qcow2 = Qcow2.detect(backing);
            if (backingFormat == null) {
                backingFormat = qcow2 ? "qcow2" : "raw";
            } else if (!backingFormat.equals("qcow2") && !backingFormat.equals("raw")) {
                throw new IllegalArgumentException("backing format '" + backingFormat
                        + "': expected qcow2 or raw");
            } else if (backingFormat.equals("qcow2") && !qcow2) {
                throw new IOException("backing file " + o.backingFile() + " is not a qcow2"
                        + " image (no 'QFI\\xfb' magic), but -F qcow2 was given");
            }
            if (size < 0) {
                size = backingFormat.equals("qcow2") ? qcow2Size(backing) : Files.size(backing);
            }
        } else if (backingFormat != null) {
            throw new IllegalArgumentException("a backing format without a backing file");
        }
        if (size < 0) {
            throw new IllegalArgumentException("no size: give one, or a backing file to take"
                    + " it from");
        }
        if (size > Long.MAX_VALUE - SECTOR) {
            throw new IllegalArgumentException("size " + size + " is too large");
        }
        size = (size + SECTOR - 1) / SECTOR * SECTOR;
        long coverage = (long) cs * (cs / 8); // guest bytes one L2 table maps
        long l1Size = (size + coverage - 1) / coverage;
        if (l1Size > Qcow2Header.MAX_L1_ENTRIES) {
            throw new IllegalArgumentException("size " + size + " is too large for "
                    + cs + "-byte clusters (at most " + coverage * Qcow2Header.MAX_L1_ENTRIES
                    + " bytes); use a larger cluster_size");
        }

        ByteBuffer first = firstCluster(o.version(), bits, order, size, backingName,
                backingFormat, o.lazyRefcounts());
        long l1Clusters = (l1Size * 8 + cs - 1) / cs;
        long perBlock = RefcountEntries.perBlock(bits, order);
        long blocks = 1;
        long tableClusters = 1;
        long total;
        while (true) {
            total = 1 + tableClusters + blocks + l1Clusters;
            long b = (total + perBlock - 1) / perBlock;
            long t = (b * 8 + cs - 1) / cs;
            if (b == blocks && t == tableClusters) {
                break;
            }
            blocks = Math.max(b, blocks);
            tableClusters = Math.max(t, tableClusters);
        }
        long tableOffset = cs;
        long blocksOffset = tableOffset + tableClusters * cs;
        long l1Offset = blocksOffset + blocks * cs;
        first.putLong(24, size);
        first.putInt(36, (int) l1Size);
        first.putLong(40, l1Offset);
        first.putLong(48, tableOffset);
        first.putInt(56, (int) tableClusters);

        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            write(ch, first, 0);
            ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * cs));
            for (int i = 0; i < blocks; i++) {
                table.putLong(8 * i, blocksOffset + (long) i * cs);
            }
            write(ch, table, tableOffset);
            for (long i = 0; i < blocks; i++) {
                ByteBuffer block = ByteBuffer.allocate(cs);
                for (long c = i * perBlock; c < Math.min(total, (i + 1) * perBlock); c++) {
                    RefcountEntries.set(block, (int) (c - i * perBlock), order, 1);
                }
                write(ch, block, blocksOffset + i * cs);
            }
            if (l1Clusters > 0) { // zeros: a hole up to the last byte
                write(ch, ByteBuffer.allocate(1), total * cs - 1);
            }
            ch.force(true);
        }
        return new Created(size, backingFormat);
    }

    private static ByteBuffer firstCluster(int version, int bits, int order, long size,
            byte[] backingName, String backingFormat, boolean lazyRefcounts) {
        int cs = 1 << bits;
        int headerLength = version == 3 ? 112 : Qcow2Header.V2_LENGTH;
        byte[] format = backingFormat == null ? null
                : backingFormat.getBytes(StandardCharsets.US_ASCII);
        int formatExt = format == null ? 0 : 8 + pad8(format.length);
        int featureExt = 8 + 48 * FEATURES.size();
        int name = backingName == null ? 0 : backingName.length;
        boolean features = version == 3
                && headerLength + formatExt + featureExt + 8 + name <= cs;
        int used = headerLength + formatExt + (features ? featureExt : 0) + 8 + name;
        if (used > cs) {
            throw new IllegalArgumentException("the backing file name of " + name + " bytes"
                    + " does not fit the first " + cs + "-byte cluster with the header; use"
                    + " a shorter name or a larger cluster_size");
        }
        ByteBuffer h = ByteBuffer.allocate(cs);
        h.putInt(0, Qcow2Header.MAGIC);
        h.putInt(4, version);
        h.putInt(20, bits);
        if (version == 3) {
            h.putLong(80, lazyRefcounts ? 1 : 0); // compatible features: bit 0, lazy refcounts
            h.putInt(96, order);
            h.putInt(100, headerLength); // byte 104: compression type 0, deflate
        }
        int pos = headerLength;
        if (format != null) {
            h.putInt(pos, Qcow2Header.EXT_BACKING_FORMAT).putInt(pos + 4, format.length);
            h.put(pos + 8, format);
            pos += formatExt;
        }
        if (features) {
            h.putInt(pos, Qcow2Header.EXT_FEATURE_NAMES).putInt(pos + 4, 48 * FEATURES.size());
            int e = pos + 8;
            for (FeatureName f : FEATURES) {
                h.put(e, (byte) f.type()).put(e + 1, (byte) f.bit());
                h.put(e + 2, f.name().getBytes(StandardCharsets.US_ASCII));
                e += 48;
            }
            pos = e;
        }
        pos += 8; // the end marker: type 0, length 0
        if (backingName != null) {
            h.putLong(8, pos);
            h.putInt(16, backingName.length);
            h.put(pos, backingName);
        }
        return h;
    }

    private static int pad8(int n) {
        return (n + 7) & ~7;
    }

    /** The virtual size of the qcow2 image at {@code path}. */
    private static long qcow2Size(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long length = ch.size();
            return Qcow2Header.parse(path.toString(), (at, n) -> {
                ByteBuffer b = ByteBuffer.allocate((int) Math.max(0, Math.min(n, length - at)));
                while (b.hasRemaining() && ch.read(b, at + b.position()) >= 0) {
                    // until full or the end
                }
                return b.flip();
            }, length).size();
        }
    }

    private static void write(FileChannel ch, ByteBuffer b, long at) throws IOException {
        b.rewind();
        while (b.hasRemaining()) {
            ch.write(b, at + b.position());
        }
    }
}
