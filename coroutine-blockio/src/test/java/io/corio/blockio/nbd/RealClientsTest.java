package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server against the real clients: qemu-io and qemu-img (Debian package qemu-utils),
 * nbdinfo and nbdcopy (libnbd-bin), fio's nbd engine (fio). Each test skips, naming the
 * package, when its tool is missing.
 */
@Timeout(120)
class RealClientsTest {
    static final long SIZE = 64 << 20;

    @TempDir
    Path dir;
    BlockDriver disk;
    Fixture f;
    String uri;

    @BeforeEach
    void start() throws Exception {
        disk = BlockDriver.memory(SIZE);
        f = new Fixture(NbdServer.builder().export("", disk, "corio memory disk")
                .export("ro", BlockDriver.readOnly(BlockDriver.memory(1 << 20))));
        uri = f.uri("");
    }

    @AfterEach
    void stop() {
        f.close();
        disk.close();
    }

    byte[] readBack(long offset, int length) throws Exception {
        return f.co(() -> {
            ByteBuffer b = ByteBuffer.allocate(length);
            disk.read(offset, b);
            return b.array();
        });
    }

    static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void qemuIoWritesReadsVerifiesZeroesDiscardsAndFlushes() throws Exception {
        Tools.require("qemu-io", "qemu-utils");
        Tools.Run r = Tools.run("qemu-io", "-f", "raw",
                "-c", "write -P 0xab 0 1M",
                "-c", "read -P 0xab 0 1M",
                "-c", "write -f -P 0xcd 1M 64k", // FUA
                "-c", "read -P 0xcd 1M 64k",
                "-c", "write -P 0xee 4M 1M",
                "-c", "write -z -u 4M 512k", // WRITE_ZEROES, may unmap
                "-c", "read -P 0 4M 512k",
                "-c", "read -P 0xee 4608k 512k",
                "-c", "discard 8M 1M",
                "-c", "flush",
                uri).ok();
        assertFalse(r.output().contains("Pattern verification failed"), r.output());
        assertFalse(r.output().toLowerCase().contains("error"), r.output());
        assertArrayEquals(filled(1 << 20, 0xab), readBack(0, 1 << 20));
        assertArrayEquals(filled(64 << 10, 0xcd), readBack(1 << 20, 64 << 10));
        assertArrayEquals(filled(512 << 10, 0), readBack(4 << 20, 512 << 10));
        assertArrayEquals(filled(512 << 10, 0xee), readBack((4 << 20) + (512 << 10), 512 << 10));

        // and a wrong pattern is caught: the check above can fail
        Tools.Run wrong = Tools.run("qemu-io", "-f", "raw", "-c", "read -P 0x11 0 4k", uri);
        assertTrue(wrong.output().contains("Pattern verification failed"), wrong.output());
    }

    @Test
    void qemuIoOnAReadOnlyExportIsRefused() throws Exception {
        Tools.require("qemu-io", "qemu-utils");
        Tools.Run r = Tools.run("qemu-io", "-f", "raw", "-c", "write -P 1 0 4k", f.uri("ro"));
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("Permission denied"), r.output()); // it sees READ_ONLY
        Tools.Run read = Tools.run("qemu-io", "-r", "-f", "raw", "-c", "read -P 0 0 1M", f.uri("ro")).ok();
        assertFalse(read.output().contains("Pattern verification failed"), read.output());
    }

    @Test
    void qemuImgInfoAndConvertBothWays() throws Exception {
        Tools.require("qemu-img", "qemu-utils");
        Tools.Run info = Tools.run("qemu-img", "info", "-f", "raw", uri).ok();
        assertTrue(info.output().contains("virtual size: 64 MiB (67108864 bytes)"), info.output());

        Path src = dir.resolve("src.img");
        byte[] content = new byte[8 << 20];
        new Random(1).nextBytes(content);
        Files.write(src, content);
        try (var file = new java.io.RandomAccessFile(src.toFile(), "rw")) {
            file.setLength(SIZE); // the same size as the export
            file.seek(32 << 20);
            file.write(filled(4096, 7)); // data past a big hole
        }
        Tools.run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), uri).ok();
        assertArrayEquals(java.util.Arrays.copyOf(content, 1 << 20), readBack(0, 1 << 20));
        assertArrayEquals(filled(4096, 7), readBack(32 << 20, 4096));

        Path out = dir.resolve("out.img");
        Tools.run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri, out.toString()).ok();
        assertEquals(sha256(src), sha256(out));
    }

    @Test
    void nbdinfoJsonShowsTheAdvertisedFlags() throws Exception {
        Tools.require("nbdinfo", "libnbd-bin");
        String json = Tools.run("nbdinfo", "--json", "--content", uri).ok().output();
        for (String flag : List.of("can_flush", "can_fua", "can_trim", "can_zero", "can_fast_zero",
                "can_df", "can_multi_conn", "can_cache", "structured")) {
            assertTrue(json.matches("(?s).*\"" + flag + "\": true.*"), flag + " in " + json);
        }
        assertTrue(json.contains("\"is_read_only\": false"), json);
        assertTrue(json.contains("\"export-size\": " + SIZE), json);
        assertTrue(json.contains("\"description\": \"corio memory disk\""), json);
        assertTrue(json.contains("\"base:allocation\""), json);
        assertTrue(json.contains("\"content\": "), "--content read the first sectors: " + json);
        String ro = Tools.run("nbdinfo", "--json", f.uri("ro")).ok().output();
        assertTrue(ro.contains("\"is_read_only\": true"), ro);
        String list = Tools.run("nbdinfo", "--list", uri).ok().output();
        assertTrue(list.contains("export=\"ro\""), list);
    }

    @Test
    void nbdinfoMapShowsDataWhereWrittenAndHolesElsewhere() throws Exception {
        Tools.require("nbdinfo", "libnbd-bin");
        f.co(() -> {
            disk.write(1 << 20, ByteBuffer.wrap(filled(1 << 20, 1)), 0);
            disk.write(10 << 20, ByteBuffer.wrap(filled(64 << 10, 2)), 0);
            return null;
        });
        String map = Tools.run("nbdinfo", "--map", uri).ok().output();
        // lines: offset length type description
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(.*)$").matcher(map);
        StringBuilder got = new StringBuilder();
        while (m.find()) {
            got.append(m.group(1)).append('+').append(m.group(2)).append(':').append(m.group(4).trim()).append('\n');
        }
        String expected = "0+1048576:hole,zero\n"
                + "1048576+1048576:data\n"
                + "2097152+8388608:hole,zero\n"
                + "10485760+65536:data\n"
                + "10551296+56557568:hole,zero\n";
        assertEquals(expected, got.toString(), map);
    }

    @Test
    void nbdcopyInAndOutKeepsEveryByte() throws Exception {
        Tools.require("nbdcopy", "libnbd-bin");
        Path src = dir.resolve("in.img");
        byte[] content = new byte[(int) SIZE];
        Random rnd = new Random(2);
        for (int i = 0; i < content.length; i += 1 << 20) { // half data, half zero megabytes
            if ((i >> 20) % 2 == 0) {
                byte[] mb = new byte[1 << 20];
                rnd.nextBytes(mb);
                System.arraycopy(mb, 0, content, i, mb.length);
            }
        }
        Files.write(src, content);
        Tools.run("nbdcopy", src.toString(), uri).ok();
        Path out = dir.resolve("out.img");
        Tools.run("nbdcopy", uri, out.toString()).ok();
        assertEquals(sha256(src), sha256(out));
    }

    @Test
    void fioRandomWritesWithCrc32cVerifyOverTwoConnections() throws Exception {
        Tools.require("fio", "fio");
        Path json = dir.resolve("fio.json");
        // two jobs, each its own NBD connection, on neighbouring 8 MiB regions
        Tools.Run r = Tools.run(dir, "fio", "--name=verify", "--ioengine=nbd", "--uri=" + uri,
                "--rw=randwrite", "--bs=4k", "--size=8M", "--iodepth=32", "--numjobs=2",
                "--offset_increment=8M", "--verify=crc32c", "--verify_fatal=1",
                "--output-format=json", "--output=" + json).ok();
        String out = Files.readString(json);
        Matcher errors = Pattern.compile("\"error\" : (\\d+)").matcher(out);
        int jobs = 0;
        while (errors.find()) {
            assertEquals("0", errors.group(1), r.output() + out);
            jobs++;
        }
        assertEquals(2, jobs, out);
        for (String op : List.of("write", "read")) {
            Matcher bytes = Pattern.compile("\"" + op + "\" : \\{\\s*\"io_bytes\" : (\\d+)").matcher(out);
            for (int job = 0; job < 2; job++) {
                assertTrue(bytes.find(), op + " of job " + job + " in " + out);
                assertEquals(8 << 20, Long.parseLong(bytes.group(1)), op + " bytes of job " + job
                        + (op.equals("read") ? ": every block read back and verified" : ""));
            }
        }
    }

    @Test
    void aFileExportWrittenByQemuIoLandsInTheFile() throws Exception {
        Tools.require("qemu-io", "qemu-utils");
        Path image = dir.resolve("disk.img");
        BlockDriver.createFile(image, 16 << 20);
        try (BlockDriver file = BlockDriver.file(image);
                Fixture g = new Fixture(NbdServer.builder().export("f", file))) {
            Tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 1M 256k", "-c", "write -f -P 0xa5 3M 4k",
                    "-c", "flush", g.uri("f")).ok();
            byte[] onDisk = Files.readAllBytes(image);
            assertArrayEquals(filled(256 << 10, 0x5a), java.util.Arrays.copyOfRange(onDisk, 1 << 20, (1 << 20) + (256 << 10)));
            assertArrayEquals(filled(4096, 0xa5), java.util.Arrays.copyOfRange(onDisk, 3 << 20, (3 << 20) + 4096));
            assertArrayEquals(new byte[1 << 20], java.util.Arrays.copyOfRange(onDisk, 0, 1 << 20));
        }
    }

    @Test
    void nbdinfoOverAUnixSocket() throws Exception {
        Tools.require("nbdinfo", "libnbd-bin");
        Path sock = dir.resolve("nbd.sock");
        f.server.listen(java.net.UnixDomainSocketAddress.of(sock));
        String out = Tools.run("nbdinfo", "nbd+unix:///ro?socket=" + sock).ok().output();
        assertTrue(out.contains("export-size: 1048576"), out);
        assertTrue(out.contains("is_read_only: true"), out);
    }

    static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
