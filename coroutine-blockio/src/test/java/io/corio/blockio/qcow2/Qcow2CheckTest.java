package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Qcow2Create}, {@link Qcow2Check} and {@code ./corio img} without qemu: refcount
 * packing at every width, created images that check clean and open, corruptions made by
 * hand and their repair, the command line's errors. Agreement with qemu-img is
 * {@link Qcow2CheckQemuTest}'s.
 */
class Qcow2CheckTest {
    @TempDir
    Path dir;

    @Test
    void refcountEntriesRoundTripAtEveryWidthWithoutTouchingNeighbours() {
        Random random = new Random(3);
        for (int order = 0; order <= 6; order++) {
            ByteBuffer block = ByteBuffer.allocate(512);
            int entries = (int) RefcountEntries.perBlock(9, order);
            long[] want = new long[entries];
            for (int i = 0; i < entries; i++) {
                want[i] = order == 6 ? random.nextLong()
                        : random.nextLong() & RefcountEntries.max(order);
                RefcountEntries.set(block, i, order, want[i]);
            }
            for (int i = 0; i < entries; i++) {
                assertEquals(want[i], RefcountEntries.get(block, i, order), "order " + order
                        + " entry " + i);
            }
        }
        ByteBuffer b = ByteBuffer.allocate(512); // 1-bit entries: the first in the low bit
        for (int i = 0; i < 4; i++) {
            RefcountEntries.set(b, i, 0, 1);
        }
        assertEquals(0x0f, b.get(0));
    }

    @ParameterizedTest(name = "v{0}, {1}-byte clusters, {2}-bit refcounts, {3} bytes")
    @CsvSource({"3, 65536, 16, 1073741824", "2, 65536, 16, 1000", "3, 512, 1, 1073741824",
            "3, 512, 64, 137438953472", "3, 2097152, 8, 0", "3, 4096, 2, 10485760",
            "3, 512, 16, 5368709120", "3, 1024, 32, 6291456"})
    void createdImagesCheckCleanAndOpen(int version, int cluster, int refcountBits, long size)
            throws Exception {
        Path img = dir.resolve("new.qcow2");
        Qcow2Create.Created c = Qcow2Create.create(img, Qcow2Create.Options.of(size)
                .withVersion(version).withClusterSize(cluster).withRefcountBits(refcountBits));
        long rounded = (size + 511) / 512 * 512;
        assertEquals(rounded, c.size());
        Qcow2Check.Report r = Qcow2Check.check(img);
        assertTrue(r.clean() && r.exitCode() == 0, r + "");
        assertEquals(Files.size(img), r.imageEndOffset(), "no cluster left unaccounted");
        try (BlockDriver d = Qcow2.open(img)) {
            assertEquals(rounded, d.length());
        }
    }

    @Test
    void badOptionsAreRefusedNamingThem() {
        Path img = dir.resolve("bad.qcow2");
        var o = Qcow2Create.Options.of(1 << 20);
        assertMessage(() -> Qcow2Create.create(img, o.withClusterSize(1000)), "cluster_size");
        assertMessage(() -> Qcow2Create.create(img, o.withClusterSize(4 << 20)), "cluster_size");
        assertMessage(() -> Qcow2Create.create(img, o.withRefcountBits(3)), "refcount_bits");
        assertMessage(() -> Qcow2Create.create(img, o.withRefcountBits(128)), "refcount_bits");
        assertMessage(() -> Qcow2Create.create(img, o.withVersion(2).withRefcountBits(8)),
                "version 2");
        assertMessage(() -> Qcow2Create.create(img, Qcow2Create.Options.of(1L << 40)
                .withClusterSize(512)), "cluster_size");
        assertThrows(IOException.class, () -> Qcow2Create.create(img,
                o.withBacking("missing.qcow2", null)));
        assertTrue(!Files.exists(img), "nothing written for a refused option");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }

    @Test
    void aBackingFileGivesItsSizeAndFormat() throws Exception {
        Path base = dir.resolve("base.raw");
        Files.write(base, new byte[3 << 20]);
        Qcow2Create.Created mid = Qcow2Create.create(dir.resolve("mid.qcow2"),
                Qcow2Create.Options.of(-1).withBacking("base.raw", null));
        assertEquals(3 << 20, mid.size());
        assertEquals("raw", mid.backingFormat());
        Qcow2Create.Created top = Qcow2Create.create(dir.resolve("top.qcow2"),
                Qcow2Create.Options.of(-1).withVersion(2).withClusterSize(512)
                        .withBacking("mid.qcow2", null));
        assertEquals("qcow2", top.backingFormat());
        assertEquals(3 << 20, top.size());
        assertTrue(Qcow2Check.check(dir.resolve("top.qcow2")).clean());
        try (BlockDriver d = Qcow2.open(dir.resolve("top.qcow2"))) {
            assertEquals(3 << 20, d.length()); // the chain opens: names and formats are right
        }
    }

    /** An image with a leaked cluster: one more cluster at the end, stored with refcount 1. */
    static void leakOneCluster(Path img) throws IOException {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer h = Qcow2Check.read(ch, 0, 112);
            int bits = h.getInt(20);
            long cluster = (ch.size() + (1L << bits) - 1) >> bits; // past a partial last one
            ch.write(ByteBuffer.allocate(1 << bits), cluster << bits);
            long block = Qcow2Check.read(ch, h.getLong(48), 8).getLong(0);
            ByteBuffer b = Qcow2Check.read(ch, block, 1 << bits);
            RefcountEntries.set(b, (int) cluster, h.getInt(96), 1);
            Qcow2Check.write(ch, b, block);
        }
    }

    @Test
    void aLeakIsFoundAndRepaired() throws Exception {
        Path img = dir.resolve("leak.qcow2");
        Qcow2Create.create(img, Qcow2Create.Options.of(1 << 30).withRefcountBits(4));
        leakOneCluster(img);
        Qcow2Check.Report r = Qcow2Check.check(img);
        assertEquals(1, r.leaks());
        assertEquals(0, r.corruptions());
        assertEquals(3, r.exitCode());
        assertTrue(r.messages().getFirst().startsWith("Leaked cluster 4 refcount=1 reference=0"),
                r.messages() + "");
        Qcow2Check.Repaired fixed = Qcow2Check.repair(img, Qcow2Check.Mode.LEAKS);
        assertEquals(1, fixed.result().leaksFixed());
        assertTrue(fixed.result().clean(), fixed + "");
        assertTrue(Qcow2Check.check(img).clean());
    }

    @Test
    void theCommandLineNamesBadFlagsAndSizes() throws Exception {
        assertRun(1, "unknown flag -x", "create", "-x", "a.qcow2", "1G");
        assertRun(1, "lazy_refcounts=maybe", "create", "-o", "lazy_refcounts=maybe",
                dir.resolve("a").toString(), "1G");
        assertRun(1, "no lazy refcounts", "create", "-o", "compat=0.10,lazy_refcounts=on",
                dir.resolve("a").toString(), "1G");
        assertRun(1, "SIZE '12Q'", "create", dir.resolve("a").toString(), "12Q");
        assertRun(1, "SIZE '-5'", "create", dir.resolve("a").toString(), "-5");
        assertRun(1, "cluster_size=3000", "create", "-o", "cluster_size=3000",
                dir.resolve("a").toString(), "1G");
        assertRun(1, "-o preallocation", "create", "-o", "preallocation=full",
                dir.resolve("a").toString(), "1G");
        assertRun(1, "-f vmdk", "create", "-f", "vmdk", dir.resolve("a").toString(), "1G");
        assertRun(1, "needs a SIZE", "create", dir.resolve("a").toString());
        assertRun(1, "-r some", "check", "-r", "some", dir.resolve("a").toString());
        assertRun(1, "--output=xml", "info", "--output=xml", dir.resolve("a").toString());
        assertRun(1, "no such file", "check", dir.resolve("missing").toString());
        assertRun(1, "unknown command", "convert");
        String img = dir.resolve("ok.qcow2").toString();
        assertRun(0, "size=1610612736", "create", "-f", "qcow2", "-o",
                "compat=0.10,cluster_size=4k", img, "1.5G");
        assertRun(0, "No errors were found", "check", img);
        assertRun(0, "\"check-errors\": 0", "check", "--output=json", img);
        assertRun(0, "virtual size: 1.5 GiB (1610612736 bytes)", "info", img);
        assertRun(0, "\"cluster-size\": 4096", "info", "--output=json", img);
        assertEquals(512, ImgMain.parseSize("s", "0.5k"));
        assertEquals(3L << 40, ImgMain.parseSize("s", "3T"));
        assertEquals(7, ImgMain.parseSize("s", "7"));
        assertEquals(7, ImgMain.parseSize("s", "7b"));
    }

    private static void assertRun(int status, String output, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int got = ImgMain.run(args, ps, ps);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(status, got, List.of(args) + ": " + text);
        assertTrue(text.contains(output), List.of(args) + ": expected '" + output + "' in "
                + text);
    }
}
