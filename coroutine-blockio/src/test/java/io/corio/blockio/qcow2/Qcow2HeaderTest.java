package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.BlockError;
import io.corio.blockio.BlockException;
import io.corio.blockio.Extent;
import io.corio.core.AioContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Header parsing and the checks of {@link Qcow2#open} on small images made byte by byte: a
 * valid version 3 image with 512-byte clusters, then one field broken per test. Needs no
 * external tool.
 */
class Qcow2HeaderTest {

    /*
     * The image: header (104 bytes, extensions after it) in cluster 0; L1 (one entry) in
     * cluster 1; the L2 table in cluster 2; guest cluster 0's data in cluster 3. The disk is
     * 32 KiB, what one L2 table of 64 entries maps.
     */
    static final int CLUSTER = 512;
    static final long SIZE = 32 << 10;

    @TempDir
    Path dir;
    final AioContext ctx = AioContext.start("qcow2-test");

    @AfterEach
    void stop() {
        ctx.close();
    }

    static ByteBuffer image() {
        ByteBuffer b = ByteBuffer.allocate(4 * CLUSTER);
        b.putInt(0, Qcow2Header.MAGIC).putInt(4, 3).putInt(20, 9).putLong(24, SIZE);
        b.putInt(36, 1).putLong(40, CLUSTER).putInt(96, 4).putInt(100, 104);
        b.putLong(CLUSTER, 2 * CLUSTER | ClusterMap.COPIED_FLAG);
        b.putLong(2 * CLUSTER, 3 * CLUSTER | ClusterMap.COPIED_FLAG);
        Arrays.fill(b.array(), 3 * CLUSTER, 4 * CLUSTER, (byte) 0x5a);
        return b;
    }

    Path write(Consumer<ByteBuffer> change) throws IOException {
        ByteBuffer b = image();
        change.accept(b);
        Path p = Files.createTempFile(dir, "img", ".qcow2");
        Files.write(p, Arrays.copyOf(b.array(), b.limit()));
        return p;
    }

    String refusal(Consumer<ByteBuffer> change) throws IOException {
        Path p = write(change);
        IOException e = assertThrows(IOException.class, () -> Qcow2.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "names the image: " + e.getMessage());
        return e.getMessage();
    }

    static void assertHas(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' in: " + message);
        }
    }

    @Test
    void aValidImageReadsItsClusterAndZerosAndShowsItsMapping() throws Exception {
        Path p = write(b -> {});
        assertTrue(Qcow2.detect(p));
        try (BlockDriver d = Qcow2.open(p)) {
            assertEquals(SIZE, d.length());
            assertTrue(d.readOnly());
            byte[] got = ctx.call(() -> {
                ByteBuffer dst = ByteBuffer.allocate((int) SIZE);
                d.read(0, dst);
                return dst.array();
            });
            byte[] want = new byte[(int) SIZE];
            Arrays.fill(want, 0, CLUSTER, (byte) 0x5a);
            assertArrayEquals(want, got);
            assertEquals(List.of(new Extent(0, CLUSTER, 0),
                    new Extent(CLUSTER, SIZE - CLUSTER, Extent.HOLE | Extent.ZERO)),
                    ctx.call(() -> d.blockStatus(0, SIZE)));
        }
    }

    @Test
    void writesAreRefusedWithEperm() throws Exception {
        try (BlockDriver d = Qcow2.open(write(b -> {}))) {
            for (var call : List.<io.corio.core.CoroutineFunction<Void, BlockException>>of(
                    () -> { d.write(0, ByteBuffer.allocate(512), 0); return null; },
                    () -> { d.writeZeroes(0, 512, 0); return null; },
                    () -> { d.discard(0, 512); return null; })) {
                BlockException e = assertThrows(BlockException.class, () -> ctx.call(call));
                assertEquals(BlockError.EPERM, e.error());
            }
            ctx.call(() -> { d.flush(); return null; });
        }
    }

    @Test
    void aFileWithoutTheMagicIsNotQcow2() throws Exception {
        assertHas(refusal(b -> b.put(3, (byte) 0)), "not a qcow2 image");
        assertTrue(!Qcow2.detect(write(b -> b.put(3, (byte) 0))));
    }

    @Test
    void versionsOtherThanTwoAndThreeAreRefused() throws Exception {
        assertHas(refusal(b -> b.putInt(4, 1)), "version 1", "old qcow format");
        assertHas(refusal(b -> b.putInt(4, 4)), "version 4", "versions 2 and 3");
    }

    @Test
    void clusterBitsOutsideNineToTwentyOneAreRefused() throws Exception {
        assertHas(refusal(b -> b.putInt(20, 8)), "cluster_bits 8", "9..21");
        assertHas(refusal(b -> b.putInt(20, 22)), "cluster_bits 22");
        assertHas(refusal(b -> b.putInt(20, -1)), "cluster_bits -1");
    }

    @Test
    void encryptedImagesAreRefused() throws Exception {
        assertHas(refusal(b -> b.putInt(32, 2)), "encrypted", "LUKS");
    }

    @Test
    void unknownIncompatibleBitsAreRefusedByNameFromTheFeatureTable() throws Exception {
        assertHas(refusal(b -> b.putLong(72, 1L << 10 | 1L << 40)), "unknown incompatible",
                "bit 10", "bit 40");
        String named = refusal(b -> {
            b.putLong(72, 1L << 10);
            b.putInt(104, Qcow2Header.EXT_FEATURE_NAMES).putInt(108, 48);
            b.put(112, (byte) 0).put(113, (byte) 10);
            b.put(114, "frobnicated".getBytes(StandardCharsets.US_ASCII));
        });
        assertHas(named, "bit 10 (frobnicated)");
    }

    @Test
    void externalDataExtendedL2AndZstdAreRefused() throws Exception {
        assertHas(refusal(b -> b.putLong(72, Qcow2Header.EXTERNAL_DATA_FILE)), "external data");
        assertHas(refusal(b -> b.putLong(72, Qcow2Header.EXTENDED_L2)), "extended L2");
        assertHas(refusal(b -> {
            b.putLong(72, Qcow2Header.COMPRESSION_TYPE).putInt(100, 112);
            b.put(104, (byte) 1);
        }), "zstd", "deflate");
    }

    @Test
    void aDirtyImageIsReadable() throws Exception {
        try (BlockDriver d = Qcow2.open(write(b -> b.putLong(72, Qcow2Header.DIRTY)))) {
            assertHas(d.toString(), "dirty", "read-only");
        }
    }

    @Test
    void malformedLayoutsAreRefusedAtOpen() throws Exception {
        assertHas(refusal(b -> b.limit(40)), "not a qcow2 image");
        assertHas(refusal(b -> b.limit(80)), "truncated");
        assertHas(refusal(b -> b.putInt(100, 1000)), "header_length 1000");
        assertHas(refusal(b -> b.putInt(36, 0)), "l1_size 0");
        assertHas(refusal(b -> b.putLong(40, 1 << 20)), "L1 table", "inside the file");
        assertHas(refusal(b -> b.putLong(CLUSTER, 1 << 20)), "corrupt", "L1 entry 0",
                "beyond the end of the file");
        assertHas(refusal(b -> b.putLong(24, -1)), "too large");
        assertHas(refusal(b -> b.putInt(104, 0x1234).putInt(108, 1 << 20)), "extension 0x1234");
    }

    @Test
    void badL2EntriesFailTheReadNotTheProcess() throws Exception {
        Path p = write(b -> {
            b.putLong(2 * CLUSTER + 8, 1 << 20); // guest cluster 1: past the end of the file
            b.putLong(2 * CLUSTER + 16, ClusterMap.COMPRESSED_FLAG | CLUSTER); // the L1 table: not deflate
        });
        try (BlockDriver d = Qcow2.open(p)) {
            for (long at : new long[] {CLUSTER, 2 * CLUSTER}) {
                BlockException e = assertThrows(BlockException.class, () -> ctx.call(() -> {
                    d.read(at, ByteBuffer.allocate(CLUSTER));
                    return null;
                }));
                assertEquals(BlockError.EIO, e.error());
                assertHas(e.getMessage(), "corrupt image", "guest offset " + at);
            }
            ctx.call(() -> { // the rest still reads
                d.read(0, ByteBuffer.allocate(CLUSTER));
                return null;
            });
        }
    }

    @Test
    void backingFilesThatAreMissingOrLoopAreRefused() throws Exception {
        byte[] name = "missing.qcow2".getBytes(StandardCharsets.US_ASCII);
        assertHas(refusal(b -> b.putLong(8, 200).putInt(16, name.length).put(200, name)),
                "cannot open its backing file missing.qcow2");
        Path self = dir.resolve("self.qcow2");
        ByteBuffer b = image();
        byte[] selfName = "self.qcow2".getBytes(StandardCharsets.US_ASCII);
        b.putLong(8, 200).putInt(16, selfName.length).put(200, selfName);
        Files.write(self, b.array());
        IOException e = assertThrows(IOException.class, () -> Qcow2.open(self).close());
        assertHas(e.getMessage(), "loops back");
    }
}
