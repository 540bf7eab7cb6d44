package io.corio.bench.ninep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.bench.ninep.NinepLoad.Config;
import io.corio.bench.ninep.NinepLoad.Op;
import io.corio.bench.ninep.NinepLoad.Result;
import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.SecurityModel;
import io.corio.ninep.server.NinepServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The 9P load generator against both corio servers on a local directory (so every read takes
 * the back end's blocking path): it writes its pattern file through 9P, completes requests with
 * the right bytes, and counts a server's wrong data as errors instead of measuring it. Runs
 * take a fraction of a second; nothing here asserts a speed.
 */
@Timeout(60)
class NinepLoadTest {
    private static final long FILE_SIZE = 1 << 20;

    @TempDir
    Path dir;

    private Backend backend;
    private AutoCloseable server;
    private InetSocketAddress address;

    private void start(String style) throws Exception {
        backend = Backend.local(dir, SecurityModel.NONE, false);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (style.equals("callback")) {
            CallbackServer s = CallbackServer.create(Map.of(dir.toString(), backend), 1024 * 1024);
            server = s::close;
            address = (InetSocketAddress) s.listen(any);
        } else {
            NinepServer s = NinepServer.builder().export(dir.toString(), backend).build();
            server = s;
            address = (InetSocketAddress) s.listen(any);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
            backend.close();
        }
    }

    private Config config(Op op, int block, int concurrency, int connections) {
        return new Config(address, dir.toString(), "load.dat", FILE_SIZE, op, block, concurrency, connections,
                Duration.ofMillis(100), Duration.ofMillis(300), "nobody", 65534, 65534);
    }

    @ParameterizedTest
    @ValueSource(strings = {"coroutine", "callback"})
    void readsTheRightBytesAndGetattrs(String style) throws Exception {
        start(style);
        NinepLoad reads = new NinepLoad(config(Op.READ, 4096, 8, 2));
        assertTrue(reads.prepare());
        byte[] onDisk = Files.readAllBytes(dir.resolve("load.dat"));
        assertEquals(FILE_SIZE, onDisk.length);
        assertTrue(NinepLoad.isPattern(ByteBuffer.wrap(onDisk), 0));
        assertFalse(reads.prepare(), "a file that is the pattern is kept");

        Result r = reads.run();
        assertNull(r.firstError());
        assertEquals(0, r.errors());
        assertTrue(r.ops() > 0, "no read completed");
        assertEquals(r.ops() * 4096, r.bytes());
        assertTrue(r.p50() > 0 && r.p50() <= r.p90() && r.p90() <= r.p99() && r.p99() <= r.max(), r.toString());

        Result g = new NinepLoad(config(Op.GETATTR, 4096, 3, 3)).run();
        assertEquals(0, g.errors(), g.firstError());
        assertTrue(g.ops() > 0, "no getattr completed");

        Result big = new NinepLoad(config(Op.READ, 65536, 2, 1)).run();
        assertEquals(0, big.errors(), big.firstError());
        assertTrue(big.ops() > 0, "no 64 KiB read completed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"coroutine", "callback"})
    void writesKeepThePatternWithOddBlockSizes(String style) throws Exception {
        start(style);
        NinepLoad writes = new NinepLoad(config(Op.WRITE, 4093, 4, 2)); // not a multiple of 8
        writes.prepare();
        Files.write(dir.resolve("load.dat"), new byte[(int) FILE_SIZE]); // zeros: writes must put the pattern back
        Result w = writes.run();
        assertEquals(0, w.errors(), w.firstError());
        assertTrue(w.ops() > 0, "no write completed");
        assertEquals(w.ops() * 4093, w.bytes());
        byte[] onDisk = Files.readAllBytes(dir.resolve("load.dat"));
        int patterned = 0;
        for (int at = 0; at + 4093 <= onDisk.length; at += 4096) {
            if (NinepLoad.isPattern(ByteBuffer.wrap(onDisk, at, 4093), at)) {
                patterned++;
            }
        }
        assertTrue(patterned > 0, "no block written holds the pattern");
        for (int at = 0; at + 4093 <= onDisk.length; at += 4096) { // the rest are still zeros
            ByteBuffer b = ByteBuffer.wrap(onDisk, at, 4093);
            boolean zero = true;
            for (int i = at; i < at + 4093; i++) {
                zero &= onDisk[i] == 0;
            }
            assertTrue(zero || NinepLoad.isPattern(b, at), "block at " + at + " is neither");
        }
    }

    @Test
    void wrongBytesAreErrorsNotOps() throws Exception {
        start("coroutine");
        NinepLoad load = new NinepLoad(config(Op.READ, 4096, 4, 1));
        load.prepare();
        Files.write(dir.resolve("load.dat"), new byte[(int) FILE_SIZE]); // same size, zeroes
        Result r = load.run();
        assertEquals(0, r.ops());
        assertTrue(r.errors() > 0);
        assertTrue(r.firstError().contains("not the file's"), r.firstError());
        assertTrue(load.prepare(), "a file that is not the pattern is rewritten");
    }

    @Test
    void shortFileIsRewritten() throws Exception {
        start("coroutine");
        Files.write(dir.resolve("load.dat"), "short".getBytes(StandardCharsets.UTF_8));
        assertTrue(new NinepLoad(config(Op.READ, 4096, 1, 1)).prepare());
        assertEquals(FILE_SIZE, Files.size(dir.resolve("load.dat")));
    }

    @Test
    void commandLinePrintsJsonAndExitsZero() throws Exception {
        start("coroutine");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = LoadMain.run(new String[] {"--server", "127.0.0.1:" + address.getPort(), "--aname",
                dir.toString(), "--file-size", "1M", "--concurrency", "4", "--seconds", "0.3", "--warmup", "0.1",
                "--json"}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text + err.toString(StandardCharsets.UTF_8));
        assertTrue(text.startsWith("{\"op\": \"read\", \"block\": 4096, \"concurrency\": 4, \"connections\": 1,"), text);
        assertTrue(text.contains("\"errors\": 0, \"first_error\": null}"), text);
    }

    @Test
    void commandLineRejectsABlockTheMsizeCannotCarry() throws Exception {
        start("coroutine");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = LoadMain.run(new String[] {"--server", "127.0.0.1:" + address.getPort(), "--aname",
                dir.toString(), "--file-size", "4M", "--block", "2M", "--seconds", "0.1"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, status);
        assertNotNull(err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("the largest read is"), err.toString());
    }
}
