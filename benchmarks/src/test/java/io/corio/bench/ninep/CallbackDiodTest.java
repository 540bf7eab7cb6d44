package io.corio.bench.ninep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.SecurityModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * diod's clients against the callback-style server on a local directory: {@code diodls},
 * {@code diodcat} (every Tread through the WorkerPool and a post-op) and {@code diodload} on the
 * {@code ctl} export, as {@code run-9p} drives it. Skipped when the Debian package {@code diod}
 * is not installed.
 */
@Timeout(60)
class CallbackDiodTest {
    private static final String MISSING = " not found: install the Debian package diod (apt-get install diod)";

    @TempDir
    Path dir;

    private Backend local;
    private CallbackServer server;
    private String address;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(find("diodls") != null && find("diodcat") != null, "diodls/diodcat" + MISSING);
        local = Backend.local(dir, SecurityModel.NONE, false);
        server = CallbackServer.create(Map.of(dir.toString(), local), 1024 * 1024);
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

    /** The tool's path in PATH or the sbin directories (diod installs there), or null. */
    private static String find(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/usr/local/bin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return Path.of(d, tool).toString();
            }
        }
        return null;
    }

    private record Result(int exit, byte[] out, String err) {}

    private static Result run(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(command));
        cmd.set(0, find(cmd.getFirst()));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errReader = Thread.ofVirtual().start(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException e) {
                // the process ended
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + cmd);
        errReader.join();
        return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void diodlsListsTheExport() throws Exception {
        Files.writeString(dir.resolve("hello.txt"), "hello");
        Files.createDirectory(dir.resolve("sub"));
        Result r = run("diodls", "-s", address, "-a", dir.toString(), "-l", "/");
        String out = new String(r.out(), StandardCharsets.UTF_8);
        assertEquals(0, r.exit(), out + r.err());
        assertTrue(out.contains("hello.txt"), out);
        assertTrue(out.contains("sub"), out);
    }

    @Test
    void diodcatCopiesAFileExactly() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 123];
        new Random(42).nextBytes(data);
        Files.write(dir.resolve("blob"), data);
        Result r = run("diodcat", "-s", address, "-a", dir.toString(), "blob");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(data, r.out());
    }

    /** {@code diodload}: its threads attach aname {@code ctl}, read {@code zero}, write {@code null}. */
    @Test
    void diodloadDrivesTheCtlExport() throws Exception {
        assumeTrue(find("diodload") != null, "diodload" + MISSING);
        assertLoadRan(run("diodload", "-s", address, "-n", "4", "-r", "2"));
        assertLoadRan(run("diodload", "-s", address, "-n", "4", "-r", "1", "-g"));
    }

    /** Checks the line {@code diodload: N ops/s, ...} with N > 0 and a clean exit. */
    private static void assertLoadRan(Result r) {
        String out = new String(r.out(), StandardCharsets.UTF_8) + r.err();
        assertEquals(0, r.exit(), out);
        Matcher m = Pattern.compile("diodload: (\\d+) ops/s").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Long.parseLong(m.group(1)) > 0, out);
        assertFalse(out.toLowerCase(Locale.ROOT).contains("error"), out);
    }
}
