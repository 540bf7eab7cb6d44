package io.corio.bench.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FutureServer} against the real clients: qemu-io (Debian package qemu-utils), fio's nbd
 * engine (fio), nbdinfo (libnbd-bin). Each test skips, naming the package, when its tool is
 * missing.
 */
@Timeout(120)
class FutureRealClientsTest {
    static final long SIZE = 64 << 20;

    @TempDir
    Path dir;
    FutureDriver disk;
    FutureServer server;
    String uri;

    @BeforeEach
    void start() throws IOException {
        disk = FutureDriver.memory(SIZE);
        server = FutureServer.builder().export("", disk, "corio future-style memory disk").build();
        InetSocketAddress a = (InetSocketAddress) server.listen(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        uri = "nbd://127.0.0.1:" + a.getPort() + "/";
    }

    @AfterEach
    void stop() {
        server.close();
        disk.close();
    }

    record Run(int exit, String output) {
        Run ok() {
            if (exit != 0) {
                throw new AssertionError("exit " + exit + ":\n" + output);
            }
            return this;
        }
    }

    static void require(String tool, String debianPackage) {
        boolean found = Arrays.stream((System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
        assumeTrue(found, tool + " not found: install the Debian package " + debianPackage
                + " (apt-get install " + debianPackage + ")");
    }

    Run run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes(); // ends when the tool exits
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    byte[] readBack(long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        disk.read(offset, b).join(); // the memory driver runs on any thread
        return b.array();
    }

    static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void qemuIoWritesReadsVerifiesZeroesDiscardsAndFlushes() throws Exception {
        require("qemu-io", "qemu-utils");
        Run r = run("qemu-io", "-f", "raw",
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

        Run wrong = run("qemu-io", "-f", "raw", "-c", "read -P 0x11 0 4k", uri); // the check can fail
        assertTrue(wrong.output().contains("Pattern verification failed"), wrong.output());
    }

    @Test
    void nbdinfoMapsDataAndHoles() throws Exception {
        require("nbdinfo", "libnbd-bin");
        require("qemu-io", "qemu-utils");
        run("qemu-io", "-f", "raw", "-c", "write -P 1 1M 1M", uri).ok();
        Run map = run("nbdinfo", "--map", uri).ok();
        assertEquals(List.of("0 1048576 3 hole,zero", "1048576 1048576 0 data",
                "2097152 65011712 3 hole,zero"),
                map.output().lines().map(l -> l.trim().replaceAll("\\s+", " ")).toList(), map.output());
    }

    @Test
    void fioRandomWritesWithCrc32cVerifyOverTwoConnections() throws Exception {
        require("fio", "fio");
        Path json = dir.resolve("fio.json");
        // two jobs, each its own NBD connection, on neighbouring 8 MiB regions
        Run r = run("fio", "--name=verify", "--ioengine=nbd", "--uri=" + uri,
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
        for (String op : List.of("write", "read")) { // every byte written, then read back and verified
            Matcher bytes = Pattern.compile("\"" + op + "\" : \\{\\s*\"io_bytes\" : (\\d+)").matcher(out);
            long total = 0;
            while (bytes.find()) {
                total += Long.parseLong(bytes.group(1));
            }
            assertEquals(16L << 20, total, op + " bytes: " + out);
        }
    }
}
