package io.corio.blockio.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The header of a qcow2 image (QEMU's {@code docs/interop/qcow2.rst}), versions 2 and 3, with
 * the header extensions corio understands; parsed and checked by {@link #parse}. All numbers
 * in qcow2 are big-endian.
 *
 * <p>{@link #parse} refuses, with an {@link IOException} that names the reason, anything this
 * reader cannot serve faithfully: a bad magic or version, a cluster size outside 512 B..2 MiB,
 * encryption, unknown incompatible feature bits (named from the image's feature-name table
 * when it has one), an external data file, extended L2 entries, a compression type other than
 * deflate. Unknown compatible and autoclear bits, unknown extensions and snapshots are
 * ignored, as the format allows a reader to.
 *
 * @param version 2 or 3
 * @param backingFile the backing file's name as stored (a path, relative to the image's
 *     directory unless absolute), or null
 * @param backingFormat the backing format extension ({@code raw}, {@code qcow2}), or null
 * @param clusterBits log2 of the cluster size, 9..21
 * @param size the virtual disk size in bytes
 * @param l1Size the number of L1 entries
 * @param l1TableOffset where the L1 table starts in the file
 * @param refcountTableOffset where the refcount table starts (unused by reads)
 * @param refcountTableClusters its length in clusters
 * @param snapshots the number of internal snapshots (ignored: the active layer is served)
 * @param incompatible incompatible feature bits (always 0 for version 2)
 * @param compatible compatible feature bits
 * @param autoclear autoclear feature bits
 * @param refcountOrder log2 of the refcount width in bits, 0..6 (4 for version 2)
 * @param headerLength the header's length in bytes (72 for version 2)
 * @param featureNames the feature-name table extension, possibly empty
 */
record Qcow2Header(int version, String backingFile, String backingFormat, int clusterBits,
        long size, int l1Size, long l1TableOffset, long refcountTableOffset,
        int refcountTableClusters, int snapshots, long incompatible, long compatible,
        long autoclear, int refcountOrder, int headerLength, List<FeatureName> featureNames) {

    /** "QFI\xfb". */
    static final int MAGIC = 0x514649fb;

    static final int MIN_CLUSTER_BITS = 9;
    static final int MAX_CLUSTER_BITS = 21;

    /** The bytes {@link #parse} needs to read the fixed fields of either version. */
    static final int FIXED_LENGTH = 112;

    static final int V2_LENGTH = 72;
    static final int V3_MIN_LENGTH = 104;

    /** Incompatible feature bits. */
    static final long DIRTY = 1L;
    static final long CORRUPT = 1L << 1;
    static final long EXTERNAL_DATA_FILE = 1L << 2;
    static final long COMPRESSION_TYPE = 1L << 3;
    static final long EXTENDED_L2 = 1L << 4;
    static final long KNOWN_INCOMPATIBLE = DIRTY | CORRUPT | EXTERNAL_DATA_FILE
            | COMPRESSION_TYPE | EXTENDED_L2;

    /** Header extension types. */
    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_NAMES = 0x6803f857;

    /** The longest backing file name the format allows. */
    static final int MAX_BACKING_NAME = 1023;

    /** L1 tables past this many entries are refused (QEMU's limit: 32 MiB of table). */
    static final int MAX_L1_ENTRIES = (32 << 20) / 8;

    /**
     * One entry of the feature-name table extension.
     *
     * @param type 0 incompatible, 1 compatible, 2 autoclear
     * @param bit the bit number, 0..63
     */
    record FeatureName(int type, int bit, String name) {}

    int clusterSize() {
        return 1 << clusterBits;
    }

    /** Entries per L2 table: a table is one cluster of 8-byte entries. */
    int l2Entries() {
        return 1 << (clusterBits - 3);
    }

    boolean dirty() {
        return (incompatible & DIRTY) != 0;
    }

    boolean corrupt() {
        return (incompatible & CORRUPT) != 0;
    }

    /** What reads the first bytes of an image: {@code n} bytes at {@code offset}, or fewer at its end. */
    @FunctionalInterface
    interface Source {
        ByteBuffer read(long offset, int n) throws IOException;
    }

    /** Whether {@code start} (an image's first bytes) begins with the qcow2 magic. */
    static boolean hasMagic(ByteBuffer start) {
        return start.remaining() >= 4 && start.getInt(start.position()) == MAGIC;
    }

    /**
     * Reads and checks the header of the image that {@code in} reads, of {@code fileLength}
     * bytes; {@code name} is for messages.
     *
     * @throws IOException naming the image and the reason if it is not a qcow2 image corio can
     *     read
     */
    static Qcow2Header parse(String name, Source in, long fileLength) throws IOException {
        ByteBuffer h = in.read(0, FIXED_LENGTH);
        if (h.remaining() < V2_LENGTH || !hasMagic(h)) {
            throw refuse(name, "not a qcow2 image (no 'QFI\\xfb' magic at its start)");
        }
        int version = h.getInt(4);
        if (version != 2 && version != 3) {
            throw refuse(name, "qcow2 version " + version + " (" + (version == 1
                    ? "the old qcow format" : "unknown") + "): corio reads versions 2 and 3");
        }
        long backingOffset = h.getLong(8);
        int backingSize = h.getInt(16);
        int clusterBits = h.getInt(20);
        long size = h.getLong(24);
        int crypt = h.getInt(32);
        int l1Size = h.getInt(36);
        long l1Offset = h.getLong(40);
        long refcountOffset = h.getLong(48);
        int refcountClusters = h.getInt(56);
        int snapshots = h.getInt(60);
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
            throw refuse(name, "cluster_bits " + clusterBits + " is outside "
                    + MIN_CLUSTER_BITS + ".." + MAX_CLUSTER_BITS + " (512 B to 2 MiB clusters)");
        }
        if (crypt != 0) {
            throw refuse(name, "the image is encrypted (crypt_method " + crypt + ", "
                    + (crypt == 1 ? "AES" : crypt == 2 ? "LUKS" : "unknown") + "): corio does"
                    + " not decrypt; convert it with qemu-img convert --object secret,...");
        }
        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        int headerLength = V2_LENGTH;
        if (version == 3) {
            if (h.remaining() < V3_MIN_LENGTH) {
                throw refuse(name, "truncated: the file ends inside the version 3 header");
            }
            incompatible = h.getLong(72);
            compatible = h.getLong(80);
            autoclear = h.getLong(88);
            refcountOrder = h.getInt(96);
            headerLength = h.getInt(100);
            if (headerLength < V3_MIN_LENGTH || headerLength % 8 != 0) {
                throw refuse(name, "header_length " + headerLength + " is not a multiple of 8"
                        + " of at least " + V3_MIN_LENGTH);
            }
            if (refcountOrder > 6) {
                throw refuse(name, "refcount_order " + refcountOrder + " is above 6 (64 bits)");
            }
        }
        int clusterSize = 1 << clusterBits;
        if (headerLength > clusterSize) {
            throw refuse(name, "header_length " + headerLength + " is past the first cluster");
        }
        ByteBuffer first = in.read(0, clusterSize);
        List<FeatureName> names = new ArrayList<>();
        String backingFormat = extensions(name, first, headerLength, names);
        if ((incompatible & ~KNOWN_INCOMPATIBLE) != 0) {
            throw refuse(name, "unknown incompatible features "
                    + describe(incompatible & ~KNOWN_INCOMPATIBLE, names)
                    + ": a newer QEMU made it, and reading it without them could be wrong");
        }
        if ((incompatible & EXTERNAL_DATA_FILE) != 0) {
            throw refuse(name, "its data is in an external data file, which corio does not"
                    + " support yet");
        }
        if ((incompatible & EXTENDED_L2) != 0) {
            throw refuse(name, "it has extended L2 entries (subclusters, -o extended_l2=on),"
                    + " which corio does not support yet");
        }
        if ((incompatible & COMPRESSION_TYPE) != 0 && headerLength > V3_MIN_LENGTH) {
            int type = first.get(V3_MIN_LENGTH) & 0xff;
            if (type != 0) {
                throw refuse(name, "compression type " + (type == 1 ? "zstd" : type) + ": corio"
                        + " decompresses deflate (zlib) clusters only; convert with"
                        + " qemu-img convert -O qcow2 -o compression_type=zlib");
            }
        }
        if (size < 0) {
            throw refuse(name, "virtual size " + Long.toUnsignedString(size) + " is too large");
        }
        long coverage = (long) clusterSize * (clusterSize / 8); // bytes one L2 table maps
        long l1Needed = (size + coverage - 1) / coverage;
        if (l1Size < l1Needed || l1Size > MAX_L1_ENTRIES) {
            throw refuse(name, "l1_size " + Integer.toUnsignedString(l1Size) + " does not fit a"
                    + " disk of " + size + " bytes (needs " + l1Needed + ", at most "
                    + MAX_L1_ENTRIES + ")");
        }
        if (l1Size > 0 && ((l1Offset & (clusterSize - 1)) != 0 || l1Offset < 0
                || l1Offset > fileLength - 8L * l1Size)) {
            throw refuse(name, "the L1 table (" + l1Size + " entries at " + l1Offset + ") is"
                    + " not cluster-aligned inside the file of " + fileLength + " bytes");
        }
        String backing = null;
        if (backingOffset != 0) {
            if (backingSize <= 0 || backingSize > MAX_BACKING_NAME || backingOffset < 0
                    || backingOffset > fileLength - backingSize) {
                throw refuse(name, "the backing file name (" + backingSize + " bytes at "
                        + backingOffset + ") is not inside the file or longer than "
                        + MAX_BACKING_NAME + " bytes");
            }
            ByteBuffer b = in.read(backingOffset, backingSize);
            if (b.remaining() != backingSize) {
                throw refuse(name, "the file ends inside the backing file name");
            }
            backing = StandardCharsets.UTF_8.decode(b).toString();
        }
        return new Qcow2Header(version, backing, backingFormat, clusterBits, size, l1Size,
                l1Offset, refcountOffset, refcountClusters, snapshots, incompatible,
                compatible, autoclear, refcountOrder, headerLength, List.copyOf(names));
    }

    /**
     * Walks the header extensions after the header in the first cluster: fills {@code names}
     * from the feature-name table, returns the backing format or null, skips the rest.
     */
    private static String extensions(String name, ByteBuffer first, int at,
            List<FeatureName> names) throws IOException {
        String backingFormat = null;
        int pos = at;
        while (pos + 8 <= first.limit()) {
            int type = first.getInt(pos);
            int length = first.getInt(pos + 4);
            if (type == EXT_END) {
                return backingFormat;
            }
            int data = pos + 8;
            if (length < 0 || length > first.limit() - data) {
                throw refuse(name, "header extension 0x" + Integer.toHexString(type) + " of "
                        + Integer.toUnsignedString(length) + " bytes at " + pos
                        + " runs past the first cluster");
            }
            if (type == EXT_BACKING_FORMAT) {
                backingFormat = ascii(first, data, length);
            } else if (type == EXT_FEATURE_NAMES) {
                for (int e = data; e + 48 <= data + length; e += 48) {
                    names.add(new FeatureName(first.get(e) & 0xff, first.get(e + 1) & 0xff,
                            ascii(first, e + 2, 46)));
                }
            }
            pos = data + ((length + 7) & ~7);
        }
        return backingFormat; // the cluster ended without an end marker: QEMU accepts that too
    }

    /** Bytes as text up to the first NUL. */
    private static String ascii(ByteBuffer b, int at, int length) {
        int n = 0;
        while (n < length && b.get(at + n) != 0) {
            n++;
        }
        byte[] text = new byte[n];
        b.get(at, text);
        return new String(text, StandardCharsets.UTF_8);
    }

    /** {@code bits} as "bit 5 (name), bit 9": named where the image's table names them. */
    static String describe(long bits, List<FeatureName> names) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((bits & (1L << bit)) == 0) {
                continue;
            }
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append("bit ").append(bit);
            for (FeatureName f : names) {
                if (f.type() == 0 && f.bit() == bit) {
                    sb.append(" (").append(f.name()).append(')');
                }
            }
        }
        return sb.toString();
    }

    private static IOException refuse(String name, String why) {
        return new IOException(name + ": " + why);
    }
}
