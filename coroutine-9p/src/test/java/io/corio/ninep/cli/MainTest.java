package io.corio.ninep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.cli.Main.Export;
import io.corio.ninep.cli.Main.Options;
import io.corio.ninep.cli.Main.UsageException;
import io.corio.ninep.fs.SecurityModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of {@code ./corio 9p}, parsed in process. */
class MainTest {
    @TempDir
    Path dir;

    private String message(String... args) {
        return assertThrows(UsageException.class, () -> Main.parse(args)).getMessage();
    }

    @Test
    void fullCommandLine() throws Exception {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        Options o = Main.parse("--export", a.toString(), "--export=data=" + b, "--listen",
                "127.0.0.1:0", "--listen", "unix:" + dir.resolve("s"), "--security-model",
                "mapped-xattr", "--readonly", "--msize", "65536");
        assertEquals(List.of(new Export(a.toString(), a), new Export("data", b)), o.exports());
        assertEquals(List.of("127.0.0.1:0", "unix:" + dir.resolve("s")), o.listen());
        assertEquals(SecurityModel.MAPPED_XATTR, o.securityModel());
        assertTrue(o.readOnly());
        assertEquals(65536, o.msize());
    }

    @Test
    void defaults() throws Exception {
        Options o = Main.parse("--export", dir.toString());
        assertEquals(List.of(Main.DEFAULT_LISTEN), o.listen());
        assertEquals(SecurityModel.NONE, o.securityModel());
        assertEquals(1024 * 1024, o.msize());
    }

    @Test
    void badFlagsNameTheFlagAndValue() throws Exception {
        String d = dir.toString();
        assertEquals("--export DIR is required", message("--listen", "127.0.0.1:1"));
        assertEquals("unknown flag '--frobnicate'", message("--export", d, "--frobnicate"));
        assertTrue(message("--export", d, "stray").contains("'stray'"));
        assertEquals("--msize needs a value", message("--export", d, "--msize"));
        assertTrue(message("--export", d, "--msize", "12x").startsWith("--msize 12x"));
        assertTrue(message("--export", d, "--msize", "100").startsWith("--msize 100: must be in"));
        assertTrue(message("--export", d, "--security-model", "root")
                .startsWith("--security-model root: expected passthrough"));
        assertTrue(message("--export", d, "--listen", "localhost").startsWith("--listen localhost:"));
        assertTrue(message("--export", d, "--listen", "h:99999").contains("port 99999"));
        assertTrue(message("--export", d, "--listen", "h:p").contains("port 'p'"));
        assertTrue(message("--export", d, "--listen", "unix:").contains("no socket path"));
        assertTrue(message("--export", dir.resolve("missing").toString()).contains("is not a directory"));
        assertTrue(message("--export", "ctl=" + d).contains("reserved"));
        assertTrue(message("--export", "x=" + d, "--export", "x=" + d).contains("exported twice"));
        assertTrue(message("--export", "=" + d).contains("name before '=' is empty"));
        assertTrue(message("--export", d, "--readonly=yes").contains("--readonly"));
    }

    @Test
    void badFlagExitsWithTwoAndSaysWhy() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"--export", dir.toString(), "--msize", "nope"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("corio 9p: --msize nope"), err.toString());
    }

    @Test
    void helpPrintsUsage() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream())));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--security-model"));
    }
}
