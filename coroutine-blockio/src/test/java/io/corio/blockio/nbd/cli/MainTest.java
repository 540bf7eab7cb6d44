package io.corio.blockio.nbd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockDriver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of {@code ./corio nbd}: flags, values, errors that name the flag, the startup text. */
class MainTest {

    @Test
    void defaults() throws Exception {
        Main.Options o = Main.parse("--memory", "1G");
        assertEquals("", o.export());
        assertEquals(List.of("127.0.0.1:10809"), o.listen());
        assertFalse(o.device().readOnly());
        assertEquals(64L << 20, o.budget());
        assertEquals("memory 1 GiB", o.device().toString());
    }

    @Test
    void everyFlagInBothSpellings() throws Exception {
        Main.Options o = Main.parse("--memory=64M", "--export", "disk", "--listen=0.0.0.0:10900",
                "--listen", "unix:/tmp/x.sock", "--readonly", "--budget", "16M");
        assertEquals("disk", o.export());
        assertEquals(List.of("0.0.0.0:10900", "unix:/tmp/x.sock"), o.listen());
        assertTrue(o.device().readOnly());
        assertEquals(16L << 20, o.budget());
        assertTrue(Main.parse("--help").help());
        assertTrue(Main.parse("--bogus", "--help").help(), "--help wins over anything else");
    }

    @Test
    void qemuNbdSpellingsAreAccepted() throws Exception {
        Main.Options o = Main.parse("--memory", "1M", "--export-name", "disk", "--read-only");
        assertEquals("disk", o.export());
        assertTrue(o.device().readOnly());
        Main.Options eq = Main.parse("--memory=1M", "--export-name=other");
        assertEquals("other", eq.export());
        assertFalse(eq.device().readOnly());
    }

    @Test
    void latencyWrapsTheDevice() throws Exception {
        Main.Options o = Main.parse("--memory", "1M", "--latency", "10ms", "--readonly");
        assertEquals("memory 1 MiB, read-only, latency 10ms", o.device().toString());
        try (BlockDriver d = o.device().open()) {
            assertTrue(d.readOnly());
            assertTrue(d.toString().contains("latency"), d.toString());
        }
    }

    @Test
    void badInputNamesTheFlagAndExitsWith2() {
        String[][] cases = {
                {"--memory", "1Q"}, {}, {"--memory", "1G", "--file", "x.img"},
                {"--memory", "1G", "--memory", "2G"}, {"--memory", "1G", "--budget", "1K"},
                {"--memory", "1G", "--listen", "nowhere"}, {"--memory", "1G", "--listen", "h:99999"},
                {"--memory", "1G", "--listen", "unix:"}, {"--memory", "1G", "--readonly=yes"},
                {"--memory"}, {"--memory", "1G", "--bogus"}, {"--memory", "1G", "stray"},
                {"--memory", "1G", "--latency", "soon"}, {"--memory", "1G", "--export", "a", "--export=b"},
                {"--memory", "1G", "--budget"}, {"--memory", "1G", "--budget", "lots"}};
        String[] expected = {
                "--memory '1Q' is not a size", "no device: give --memory SIZE or --file PATH",
                "--memory and --file both given", "--memory given twice", "--budget 1K: must be at least 64 KiB",
                "--listen nowhere: expected HOST:PORT or unix:PATH", "--listen h:99999: port 99999",
                "--listen unix:: no socket path", "--readonly takes no value", "--memory needs a value",
                "unknown flag '--bogus'", "unexpected argument 'stray'", "--latency 'soon' has no unit",
                "--export given twice", "--budget needs a value", "--budget 'lots' is not a size"};
        for (int i = 0; i < cases.length; i++) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(cases[i], new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
            assertEquals(2, status, String.join(" ", cases[i]));
            assertTrue(err.toString().contains(expected[i]), err + " should say " + expected[i]);
        }
    }

    @Test
    void aMissingFileIsReportedWithStatus1(@TempDir Path dir) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"--file", dir.resolve("nope.img").toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(1, status);
        assertTrue(err.toString().startsWith("corio nbd: cannot open the device:"), err.toString());
    }

    @Test
    void startupTextShowsUrisAndClientCommands() throws Exception {
        Main.Options o = Main.parse("--memory", "1G", "--export", "my disk");
        try (BlockDriver d = BlockDriver.memory(1L << 30)) {
            String text = Main.howToConnect(o, d, List.of(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 10809),
                    UnixDomainSocketAddress.of("/run/nbd.sock")));
            assertTrue(text.startsWith("corio nbd: serving memory 1 GiB, as export 'my disk'"), text);
            assertTrue(text.contains("listening on nbd://127.0.0.1:10809/my%20disk\n"), text);
            assertTrue(text.contains("  nbdinfo 'nbd://127.0.0.1:10809/my%20disk'\n"), text);
            assertTrue(text.contains("qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'read -P 0xab 0 1M' "
                    + "'nbd://127.0.0.1:10809/my%20disk'"), text);
            assertTrue(text.contains("nbd+unix:///my%20disk?socket=/run/nbd.sock"), text);
            assertTrue(text.contains("--size=64M"), text);
        }
    }
}
