package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.qcow2.Qcow2;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writable qcow2 image served over NBD, written by qemu-io (qemu-utils) and fio's nbd engine
 * (fio); afterwards {@code qemu-img check} finds it clean and {@code qemu-img compare} finds
 * it holding what was written.
 */
@Timeout(180)
class Qcow2NbdWriteTest {
    @TempDir
    Path dir;
    Fixture f;
    BlockDriver disk;

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    static final int SIZE = 32 << 20;

    /** base.qcow2 (two patterns) under top.qcow2 (v3, 64 KiB clusters, some clusters written). */
    Path chain() throws Exception {
        Tools.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "base.qcow2", "" + SIZE).ok();
        Tools.run(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x41 0 12M",
                "-c", "write -P 0x42 20M 4M", "base.qcow2").ok();
        Tools.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F",
                "qcow2", "top.qcow2", "" + SIZE).ok();
        Tools.run(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x43 1M 100k",
                "-c", "write -c -P 0x44 4M 64k", "top.qcow2").ok();
        return dir.resolve("top.qcow2");
    }

    String serve(Path image) throws Exception {
        disk = Qcow2.openReadWrite(image);
        f = new Fixture(NbdServer.builder().export("", disk, "qcow2"));
        return f.uri("");
    }

    /** Stops the server and closes the image (which flushes it). */
    void shutDown() {
        f.close();
        f = null;
        disk.close();
        disk = null;
    }

    byte[] raw(Path image) throws Exception {
        Path out = dir.resolve("raw-" + System.nanoTime());
        Tools.run(dir, "qemu-img", "convert", "-O", "raw", image.toString(), out.toString()).ok();
        byte[] bytes = Files.readAllBytes(out);
        Files.delete(out);
        return bytes;
    }

    void assertClean(Path image) throws Exception {
        Tools.Run r = Tools.run(dir, "qemu-img", "check", "--output=json", image.toString());
        assertEquals(0, r.exit(), r.output());
        for (String field : List.of("corruptions", "leaks", "check-errors")) {
            Matcher m = Pattern.compile("\"" + field + "\": (\\d+)").matcher(r.output());
            assertTrue(!m.find() || m.group(1).equals("0"), r.output());
        }
    }

    void assertHolds(Path image, Path raw) throws Exception {
        Tools.Run r = Tools.run(dir, "qemu-img", "compare", "-f", "raw", "-F", "qcow2",
                raw.toString(), image.toString()).ok();
        assertTrue(r.output().contains("Images are identical"), r.output());
    }

    static void fill(byte[] b, long at, long n, int value) {
        Arrays.fill(b, (int) at, (int) (at + n), (byte) value);
    }

    @Test
    void qemuIoWritesFuaZeroesAndDiscardsLandInTheImage() throws Exception {
        Tools.require("qemu-io", "qemu-utils");
        Path top = chain();
        byte[] mirror = raw(top);
        String uri = serve(top);
        int k = 1024;
        Tools.Run io = Tools.run(dir, "qemu-io", "-f", "raw",
                "-c", "write -P 0x61 0 100k",
                "-c", "write -f -P 0x62 300k 70k",
                "-c", "write -z 64k 128k",
                "-c", "write -z -u 1M 256k",
                "-c", "discard 2M 192k",
                "-c", "write -P 0x63 2100k 10k",
                "-c", "write -P 0x64 4100k 3k", // into the compressed cluster
                "-c", "write -f -z 8M 1M",
                "-c", "discard 20M 100k",
                "-c", "flush",
                "-c", "read -P 0x62 300k 70k",
                "-c", "read -P 0x63 2100k 10k",
                uri).ok();
        assertTrue(!io.output().contains("fail") && !io.output().contains("error"), io.output());
        fill(mirror, 0, 100 * k, 0x61);
        fill(mirror, 300 * k, 70 * k, 0x62);
        fill(mirror, 64 * k, 128 * k, 0);
        fill(mirror, 1 << 20, 256 * k, 0);
        fill(mirror, 2 << 20, 192 * k, 0); // whole clusters
        fill(mirror, 2100 * k, 10 * k, 0x63);
        fill(mirror, 4100 * k, 3 * k, 0x64);
        fill(mirror, 8 << 20, 1 << 20, 0);
        fill(mirror, 20 << 20, 64 * k, 0); // the whole cluster of the discard only
        shutDown();
        assertClean(top);
        Path want = dir.resolve("want.raw");
        Files.write(want, mirror);
        assertHolds(top, want);
    }

    @Test
    void fioRandomWritesWithCrc32cVerifyAtIodepth32() throws Exception {
        Tools.require("fio", "fio");
        Tools.require("qemu-img", "qemu-utils");
        Path top = chain();
        String uri = serve(top);
        Path json = dir.resolve("fio.json");
        Tools.Run r = Tools.run(dir, "fio", "--name=verify", "--ioengine=nbd", "--uri=" + uri,
                "--rw=randwrite", "--bsrange=4k-128k", "--size=16M", "--offset=2M",
                "--iodepth=32", "--verify=crc32c", "--verify_fatal=1",
                "--output-format=json", "--output=" + json).ok();
        String out = Files.readString(json);
        Matcher errors = Pattern.compile("\"error\" : (\\d+)").matcher(out);
        assertTrue(errors.find(), out);
        assertEquals("0", errors.group(1), r.output() + out);
        Path served = dir.resolve("served.raw");
        Tools.run(dir, "qemu-img", "convert", "-f", "raw", "-O", "raw", uri, served.toString())
                .ok();
        shutDown();
        assertClean(top);
        assertHolds(top, served);
    }
}
