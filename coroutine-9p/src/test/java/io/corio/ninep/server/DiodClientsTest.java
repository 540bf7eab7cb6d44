package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.SecurityModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * diod's own clients ({@code diodls}, {@code diodcat}, from the Debian package {@code diod})
 * and {@code diodload} against the server over loopback TCP and a Unix socket; skipped when
 * they are not installed.
 */
@Timeout(60)
class DiodClientsTest {
    @TempDir
    Path dir;

    private Path export;
    private Backend local;
    private NinepServer server;
    private String address;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(onPath("diodls") && onPath("diodcat"),
                "diodls/diodcat not found: install the Debian package diod (apt-get install diod)");
        export = Files.createDirectory(dir.resolve("export"));
        local = Backend.local(export, SecurityModel.NONE, false);
        server = NinepServer.builder().export(export.toString(), local).build();
        InetSocketAddress bound = (InetSocketAddress) server.listen(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        address = "127.0.0.1:" + bound.getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
            local.close();
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String resolve(String tool) {
        for (String d : List.of("/usr/sbin", "/sbin", "/usr/bin", "/usr/local/bin")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool).toString();
            }
        }
        return tool;
    }

    private record Result(int exit, byte[] out, String err) {}

    private static Result run(String... command) throws Exception {
        Process p = start(command);
        byte[] out = p.getInputStream().readAllBytes();
        return finish(p, out);
    }

    /** Starts {@code command} with its stdin closed; the caller reads stdout, then {@link #finish}. */
    private static Process start(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(command));
        cmd.set(0, resolve(cmd.getFirst()));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        return p;
    }

    /** Waits for {@code p}, whose stdout was {@code out}; reads its stderr meanwhile. */
    private static Result finish(Process p, byte[] out) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + p.info().commandLine().orElse("?"));
        errReader.join();
        return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            // the process ended
        }
    }

    @Test
    void diodlsListsTheExport() throws Exception {
        Files.writeString(export.resolve("hello.txt"), "hello");
        Files.createDirectory(export.resolve("sub"));
        Result r = run("diodls", "-s", address, "-a", export.toString(), "-l", "/");
        String out = new String(r.out(), StandardCharsets.UTF_8);
        assertEquals(0, r.exit(), out + r.err());
        assertTrue(out.contains("hello.txt"), out);
        assertTrue(out.contains("sub"), out);
    }

    /**
     * A 64 MiB file of random bytes through {@code diodcat} (at its default 64 KiB msize, so
     * over a thousand Treads): the SHA-256 of what it prints is the file's. Neither side is
     * held in memory whole: the file is written and the output read in 1 MiB pieces.
     */
    @Test
    void diodcatOf64MiBHasTheFilesChecksum() throws Exception {
        long size = 64L * 1024 * 1024;
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        Random random = new Random(64);
        byte[] chunk = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(export.resolve("big"))) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                written.update(chunk);
                out.write(chunk);
            }
        }
        Process p = start("diodcat", "-s", address, "-a", export.toString(), "big");
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        long count = 0;
        try (InputStream in = p.getInputStream()) {
            for (int n; (n = in.read(chunk)) >= 0; ) {
                read.update(chunk, 0, n);
                count += n;
            }
        }
        Result r = finish(p, new byte[0]);
        assertEquals(0, r.exit(), r.err());
        assertEquals(size, count);
        assertEquals(HexFormat.of().formatHex(written.digest()), HexFormat.of().formatHex(read.digest()));
    }

    /** diod's tools take {@code -s /path/to/socket} for a Unix domain socket. */
    @Test
    void diodlsAndDiodcatOverAUnixSocket() throws Exception {
        Path socket = dir.resolve("9p.sock");
        server.listen(UnixDomainSocketAddress.of(socket));
        Files.writeString(export.resolve("hello.txt"), "hello over unix");
        Result ls = run("diodls", "-s", socket.toString(), "-a", export.toString(), "-l", "/");
        String out = new String(ls.out(), StandardCharsets.UTF_8);
        assertEquals(0, ls.exit(), out + ls.err());
        assertTrue(out.contains("hello.txt"), out);
        Result cat = run("diodcat", "-s", socket.toString(), "-a", export.toString(), "hello.txt");
        assertEquals(0, cat.exit(), cat.err());
        assertEquals("hello over unix", new String(cat.out(), StandardCharsets.UTF_8));
    }

    @Test
    void diodcatCopiesAFileExactly() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 123];
        new Random(42).nextBytes(data);
        Files.write(export.resolve("blob"), data);
        Result r = run("diodcat", "-s", address, "-a", export.toString(), "blob");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(data, r.out());
    }

    /** {@code diodload}: its threads attach aname {@code ctl}, read {@code zero}, write {@code null}. */
    @Test
    void diodloadDrivesTheCtlExport() throws Exception {
        assumeTrue(onPath("diodload"),
                "diodload not found: install the Debian package diod (apt-get install diod)");
        assertLoadRan(run("diodload", "-s", address, "-n", "4", "-r", "2"));
    }

    @Test
    void diodloadGetattrMode() throws Exception {
        assumeTrue(onPath("diodload"),
                "diodload not found: install the Debian package diod (apt-get install diod)");
        assertLoadRan(run("diodload", "-s", address, "-n", "4", "-r", "2", "-g"));
    }

    /** Checks the line {@code diodload: N ops/s, ...} with N > 0 and a clean exit. */
    private static void assertLoadRan(Result r) {
        String out = new String(r.out(), StandardCharsets.UTF_8) + r.err();
        assertEquals(0, r.exit(), out);
        Matcher m = Pattern.compile("diodload: (\\d+) ops/s").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Long.parseLong(m.group(1)) > 0, out);
        assertFalse(out.toLowerCase(java.util.Locale.ROOT).contains("error"), out);
    }
}
