package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Qcow2Create} and {@link Qcow2Check} against qemu-img and qemu-io (Debian package
 * qemu-utils): created images pass {@code qemu-img check} and read as {@code qemu-img info}
 * says; images qemu wrote into (data, compressed, zero clusters, snapshots) check the same
 * with both tools; hand-made corruptions are classified as qemu-img classifies them, with the
 * same exit status, and repairs leave images that qemu-img finds clean. Skipped, naming the
 * package, without the tools.
 */
@Timeout(300)
class Qcow2CheckQemuTest {
    @TempDir
    Path dir;
    Qemu qemu;

    @BeforeEach
    void setUp() {
        Qemu.require();
        qemu = new Qemu(dir);
    }

    /** A command's exit status and its output (both streams). */
    record Run(int status, String out) {}

    Run run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command));
        return new Run(p.exitValue(), out);
    }

    static long field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": (\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0; // qemu leaves out zeros
    }

    static String text(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\": \"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    static final List<String> FIELDS = List.of("check-errors", "corruptions", "leaks",
            "image-end-offset", "total-clusters", "allocated-clusters", "fragmented-clusters",
            "compressed-clusters");

    /**
     * Checks {@code img} with both tools; asserts the same exit status and the same counts;
     * returns qemu-img's JSON.
     */
    String assertSameCheck(Path img) throws Exception {
        Run q = run("qemu-img", "check", "--output=json", img.toString());
        Qcow2Check.Report r = Qcow2Check.check(img);
        assertEquals(q.status(), r.exitCode(), "exit status; qemu-img: " + q.out()
                + "\ncorio: " + r.messages() + "\n" + r.json());
        String mine = r.json();
        for (String f : FIELDS) {
            assertEquals(field(q.out(), f), field(mine, f), f + "; qemu-img: " + q.out()
                    + "\ncorio: " + r.messages() + "\n" + mine);
        }
        return q.out();
    }

    @ParameterizedTest(name = "-o {0} {1}")
    @CsvSource(delimiter = ';', value = {
        "compat=1.1; 1G", "compat=0.10; 1000", "cluster_size=512; 1G",
        "cluster_size=512,refcount_bits=64; 8G", "cluster_size=2M,refcount_bits=1; 10G",
        "refcount_bits=8,cluster_size=4k; 20M", "compat=0.10,cluster_size=1k; 3G",
        "refcount_bits=32; 0", "refcount_bits=2,cluster_size=8k; 2T",
        "lazy_refcounts=on; 64M", "lazy_refcounts=off,compat=1.1; 64M"})
    void createdImagesPassQemuImgCheckAndReadAsQemuImgInfoSays(String options, String size)
            throws Exception {
        Path mine = dir.resolve("mine.qcow2");
        Path theirs = dir.resolve("theirs.qcow2");
        assertEquals(0, ImgMain.run(new String[] {"create", "-q", "-f", "qcow2", "-o", options,
                mine.toString(), size}, System.out, System.err));
        qemu.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", options, theirs.toString(),
                size);
        Run check = run("qemu-img", "check", mine.toString());
        assertEquals(0, check.status(), check.out());
        String a = qemu.run("qemu-img", "info", "--output=json", mine.toString());
        String b = qemu.run("qemu-img", "info", "--output=json", theirs.toString());
        for (String f : List.of("virtual-size", "cluster-size", "refcount-bits")) {
            assertEquals(field(b, f), field(a, f), f + ": " + a);
        }
        assertEquals(text(b, "compat"), text(a, "compat"));
        assertEquals(b.contains("\"lazy-refcounts\": true"), a.contains("\"lazy-refcounts\": true"), a);
        assertTrue(a.contains("\"dirty-flag\": false") && a.contains("\"corrupt\": false")
                || !a.contains("corrupt"), a);
        long cluster = field(a, "cluster-size");
        long compressedAt = Math.max(512 << 10, 2 * cluster); // whole clusters only
        if (field(a, "virtual-size") >= compressedAt + cluster) {
            String c = compressedAt + " " + cluster;
            qemu.io(mine, "write -P 0x5a 0 192k", "write -c -P 0x6b " + c, "write -z 256k 64k");
            qemu.io(mine, "read -P 0x5a 0 192k", "read -P 0x6b " + c, "read -P 0 256k 64k");
            assertSameCheck(mine);
        }
    }

    @Test
    void backingFilesAsQemuImgInfoReadsThem() throws Exception {
        Path base = qemu.create("base.qcow2", "cluster_size=4k", 5 << 20);
        qemu.io(base, "write -P 0x21 0 1M");
        Files.write(dir.resolve("base.raw"), new byte[3 << 20]);
        // -F given, -F taken from the magic, SIZE from the backing file, a raw backing file
        String[][] cases = {
            {"create", "-q", "-b", "base.qcow2", "-F", "qcow2", "a.qcow2", "8M"},
            {"create", "-q", "-b", "base.qcow2", "b.qcow2"},
            {"create", "-q", "-o", "compat=0.10", "-b", "base.raw", "c.qcow2"},
            {"create", "-q", "-o", "cluster_size=512", "-b", "b.qcow2", "d.qcow2"},
        };
        long[] sizes = {8 << 20, 5 << 20, 3 << 20, 5 << 20};
        String[] formats = {"qcow2", "qcow2", "raw", "qcow2"};
        for (int i = 0; i < cases.length; i++) {
            String[] c = cases[i].clone();
            c[c.length - 1 - (c[c.length - 1].endsWith("M") ? 1 : 0)] = dir.resolve(
                    c[c.length - 1 - (c[c.length - 1].endsWith("M") ? 1 : 0)]).toString();
            assertEquals(0, ImgMain.run(c, System.out, System.err), List.of(c) + "");
            Path img = dir.resolve(String.valueOf((char) ('a' + i)) + ".qcow2");
            String info = qemu.run("qemu-img", "info", "--output=json", img.toString());
            assertEquals(sizes[i], field(info, "virtual-size"), info);
            assertEquals(formats[i], text(info, "backing-filename-format"), info);
            assertEquals(0, run("qemu-img", "check", img.toString()).status());
        }
        qemu.io(dir.resolve("d.qcow2"), "read -P 0x21 0 1M", "read -P 0 1M 1M");
    }

    @ParameterizedTest(name = "{0}-byte clusters, {1}-bit refcounts")
    @CsvSource({"512, 16", "65536, 16", "65536, 64", "4096, 8", "2097152, 32", "1024, 4"})
    void afterQemuWritesAndSnapshotsBothCheckersAgree(int cluster, int refcountBits)
            throws Exception {
        Path img = dir.resolve("w.qcow2");
        Qcow2Create.create(img, Qcow2Create.Options.of(24 << 20).withClusterSize(cluster)
                .withRefcountBits(refcountBits));
        int compressed = Math.min(3 * cluster, 2 << 20); // side by side, sharing host clusters
        qemu.io(img, "write -P 0x11 0 100k", "write -c -P 0x33 2M " + compressed,
                "write -z 3M 64k", "write -P 0x44 5M 1M", "write -z -u 5M 64k");
        qemu.run("qemu-img", "snapshot", "-c", "one", img.toString());
        qemu.io(img, "write -P 0x55 0 64k", "write -c -P 0x66 8M " + cluster,
                "write -P 0x77 5M 4k");
        qemu.run("qemu-img", "snapshot", "-c", "two", img.toString());
        qemu.io(img, "write -P 0x88 5M 8k", "discard 2M 64k");
        String json = assertSameCheck(img);
        assertEquals(0, field(json, "corruptions") + field(json, "leaks"), json);
        assertTrue(field(json, "compressed-clusters") > 0, json);
    }

    @Test
    void persistentBitmapsAreCountedSoARepairKeepsThem() throws Exception {
        Path img = dir.resolve("bitmaps.qcow2");
        Qcow2Create.create(img, Qcow2Create.Options.of(64 << 20));
        qemu.io(img, "write -P 0x11 0 1M");
        qemu.run("qemu-img", "bitmap", "--add", img.toString(), "b0");
        qemu.run("qemu-img", "bitmap", "--add", "-g", "4k", img.toString(), "b1");
        qemu.io(img, "write -P 0x22 8M 3M");
        String json = assertSameCheck(img);
        assertEquals(0, field(json, "leaks") + field(json, "corruptions"), json);
        Qcow2CheckTest.leakOneCluster(img);
        assertEquals(1, Qcow2Check.check(img).leaks());
        assertEquals(0, Qcow2Check.repair(img, Qcow2Check.Mode.LEAKS).result().exitCode());
        assertEquals(0, run("qemu-img", "check", img.toString()).status());
        String info = qemu.run("qemu-img", "info", img.toString());
        assertTrue(info.contains("name: b0") && info.contains("name: b1"), info);
    }

    // ---- corruptions made by editing bytes ----

    /** The image's header fields the edits need. */
    record Layout(int clusterBits, int refcountOrder, long l1, long refcountTable) {
        static Layout of(FileChannel ch) throws IOException {
            ByteBuffer h = Qcow2Check.read(ch, 0, 112);
            return new Layout(h.getInt(20), h.getInt(96), h.getLong(40), h.getLong(48));
        }
    }

    enum Corruption { REFCOUNT_ZERO, LEAK, COPIED_CLEARED, PAST_END }

    /** Makes an image with data in it, then corrupts it as {@code c} says. */
    Path corrupted(Corruption c, Path before) throws Exception {
        Path img = dir.resolve(c + ".qcow2");
        Qcow2Create.create(img, Qcow2Create.Options.of(16 << 20));
        qemu.io(img, "write -P 0x11 0 256k");
        Files.copy(img, before);
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            Layout l = Layout.of(ch);
            long l2 = Qcow2Check.read(ch, l.l1(), 8).getLong(0) & ClusterMap.OFFSET_MASK;
            long entry = Qcow2Check.read(ch, l2, 8).getLong(0);
            long data = entry & ClusterMap.OFFSET_MASK;
            long block = Qcow2Check.read(ch, l.refcountTable(), 8).getLong(0);
            ByteBuffer refs = Qcow2Check.read(ch, block, 1 << l.clusterBits());
            switch (c) {
                case REFCOUNT_ZERO -> {
                    RefcountEntries.set(refs, (int) (data >> l.clusterBits()),
                            l.refcountOrder(), 0);
                    Qcow2Check.write(ch, refs, block);
                }
                case LEAK -> Qcow2CheckTest.leakOneCluster(img);
                case COPIED_CLEARED -> Qcow2Check.write(ch,
                        ByteBuffer.allocate(8).putLong(0, entry & ~ClusterMap.COPIED_FLAG), l2);
                case PAST_END -> Qcow2Check.write(ch, ByteBuffer.allocate(8).putLong(0,
                        ClusterMap.COPIED_FLAG | (ch.size() + (100L << l.clusterBits()))),
                        l2 + 8);
            }
        }
        return img;
    }

    @ParameterizedTest
    @ValueSource(strings = {"REFCOUNT_ZERO", "LEAK", "COPIED_CLEARED", "PAST_END"})
    void corruptionsAreClassifiedAsQemuImgClassifiesThem(Corruption c) throws Exception {
        Path img = corrupted(c, dir.resolve("before.qcow2"));
        String json = assertSameCheck(img);
        Qcow2Check.Report r = Qcow2Check.check(img);
        switch (c) {
            case LEAK -> assertEquals(3, r.exitCode(), json);
            default -> assertEquals(2, r.exitCode(), json);
        }
        if (c == Corruption.COPIED_CLEARED) {
            assertTrue(r.messages().stream().anyMatch(m -> m.startsWith(
                    "ERROR OFLAG_COPIED data cluster")), r.messages() + "");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"REFCOUNT_ZERO", "LEAK", "COPIED_CLEARED", "PAST_END"})
    void repairsEndWhereQemuImgRepairsEnd(Corruption c) throws Exception {
        Path before = dir.resolve("before.qcow2");
        Path img = corrupted(c, before);
        for (String mode : List.of("leaks", "all")) {
            Path mine = dir.resolve("mine-" + mode + ".qcow2");
            Path theirs = dir.resolve("theirs-" + mode + ".qcow2");
            Files.copy(img, mine);
            Files.copy(img, theirs);
            Run q = run("qemu-img", "check", "-r", mode, theirs.toString());
            Qcow2Check.Repaired r = Qcow2Check.repair(mine,
                    mode.equals("all") ? Qcow2Check.Mode.ALL : Qcow2Check.Mode.LEAKS);
            String what = c + " -r " + mode + "; qemu-img: " + q.out() + "\ncorio: "
                    + r.pass().messages() + " " + r.result();
            assertEquals(q.status(), r.result().exitCode(), what);
            // the images each tool repaired check alike, with qemu-img and with corio
            int theirsAfter = run("qemu-img", "check", theirs.toString()).status();
            assertEquals(theirsAfter, run("qemu-img", "check", mine.toString()).status(), what);
            assertSameCheck(mine);
            assertEquals(0, run("qemu-img", "compare", mine.toString(), theirs.toString())
                    .status(), what);
            if (c == Corruption.LEAK || mode.equals("all") && c != Corruption.PAST_END) {
                assertEquals(0, theirsAfter, what);
                assertEquals(0, run("qemu-img", "compare", before.toString(), mine.toString())
                        .status(), what);
            }
        }
    }

    @Test
    void theCommandLineReportsAsQemuImgDoes() throws Exception {
        Path img = corrupted(Corruption.LEAK, dir.resolve("before.qcow2"));
        for (String output : List.of("human", "json")) {
            Run q = run("qemu-img", "check", "--output=" + output, img.toString());
            Run mine = img("check", "--output=" + output, img.toString());
            assertEquals(q.status(), mine.status());
            if (output.equals("human")) { // json: the same members in another order
                assertEquals(q.out(), mine.out());
            }
        }
        Run fix = img("check", "-r", "leaks", img.toString());
        assertEquals(0, fix.status(), fix.out());
        assertTrue(fix.out().contains("Double checking the fixed image now...")
                && fix.out().contains("1 leaked clusters"), fix.out());
        Run info = img("info", img.toString());
        assertTrue(info.out().contains("virtual size: 16 MiB (16777216 bytes)"), info.out());
    }

    /** {@code ./corio img ARGS}, in this JVM: status and both streams. */
    static Run img(String... args) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream ps = new java.io.PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = ImgMain.run(args, ps, ps);
        return new Run(status, bytes.toString(StandardCharsets.UTF_8));
    }
}
