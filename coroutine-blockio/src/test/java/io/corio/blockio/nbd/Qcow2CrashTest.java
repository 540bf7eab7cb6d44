package io.corio.blockio.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.blockio.BlockException;
import io.corio.blockio.qcow2.Qcow2;
import io.corio.core.AioContext;
import io.corio.core.Coroutine;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crash safety of qcow2 writes: the NBD server runs in a JVM of its own on a qcow2 image,
 * four connections write 4 KiB blocks (each tagged with its block and a generation) while
 * one flushes every 30 ms, and the server is killed with SIGKILL mid-run, several times over
 * the same image. After each kill {@code qemu-img check} (qemu-utils) must find no corruption
 * (leaks are allowed), and every block written and acknowledged before a completed flush
 * must hold that write or a later one, intact.
 *
 * <p>With lazy refcounts ({@code lazy_refcounts=on}) the image says dirty after a kill that
 * followed a table write-back (always in the first round, which allocates; later rounds may
 * only overwrite allocated clusters in place, and then it must check as above); when dirty,
 * {@code qemu-img check} may find only what stale refcounts explain (refcounts
 * below or above the references, COPIED flags that disagree with them); the flushed blocks
 * must be intact all the same. Then corio's next writable open repairs it: in this JVM on
 * even rounds (then {@code qemu-img check} must be clean and the blocks still intact, and a
 * snapshot taken by qemu-img makes the next round copy every cluster on write), by the next
 * server on odd ones, and once more at the end.
 */
@Timeout(150)
class Qcow2CrashTest {
    @TempDir
    Path dir;
    final AioContext ctx = AioContext.start("crash-client");
    Process server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.destroyForcibly();
        }
        ctx.close();
    }

    static final int SIZE = 32 << 20;
    static final int BLOCK = 4096;
    static final int BLOCKS = SIZE / BLOCK;
    static final int WRITERS = 4;
    static final int ROUNDS = 4;

    final AtomicLong generation = new AtomicLong();
    final AtomicLongArray acked = new AtomicLongArray(BLOCKS); // the last acknowledged write
    final long[] durable = new long[BLOCKS]; // acknowledged before a completed flush

    @ParameterizedTest(name = "lazy refcounts: {0}")
    @ValueSource(booleans = {false, true})
    void sigkillMidLoadLeavesNoCorruptionAndLosesNoFlushedWrite(boolean lazy) throws Exception {
        Tools.require("qemu-img", "qemu-utils");
        Tools.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "base.qcow2", "" + SIZE).ok();
        Tools.run(dir, "qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 8M", "base.qcow2").ok();
        Tools.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536"
                + (lazy ? ",lazy_refcounts=on" : ""), "-b", "base.qcow2", "-F", "qcow2",
                "top.qcow2", "" + SIZE).ok();
        Path top = dir.resolve("top.qcow2");
        Random rnd = new Random(7);
        int flushes = 0;
        int dirtyRounds = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (int b = 0; b < BLOCKS; b++) {
                acked.set(b, durable[b]); // what was not flushed may be gone
            }
            int port = freePort();
            server = startServer(top, port);
            List<NbdClient> clients = connect(port);
            flushes += load(clients, 800 + rnd.nextInt(1200));
            server.waitFor(10, TimeUnit.SECONDS);
            clients.forEach(NbdClient::close);
            server = null;
            Tools.Run check = Tools.run(dir, "qemu-img", "check", "--output=json",
                    top.toString());
            assertEquals(0, number(check.output(), "check-errors"), check.output());
            if (!lazy || !dirty(top)) { // lazy: no table written back since the last open
                assertTrue(!lazy || round > 0, "round 0 allocates: the image says dirty");
                assertTrue(!dirty(top), "round " + round + ": strict refcounts never set the"
                        + " dirty bit");
                assertTrue(check.exit() == 0 || check.exit() == 3, "round " + round
                        + ": exit " + check.exit() + "\n" + check.output());
                assertEquals(0, number(check.output(), "corruptions"), check.output());
                verify(top, round);
                continue;
            }
            dirtyRounds++;
            System.out.println("round " + round + ": dirty, qemu-img check exit " + check.exit()
                    + ", corruptions " + number(check.output(), "corruptions") + ", leaks "
                    + number(check.output(), "leaks"));
            assertTrue(check.exit() == 0 || check.exit() == 2 || check.exit() == 3, "round "
                    + round + ": exit " + check.exit() + "\n" + check.output());
            for (String line : check.output().split("\n")) {
                assertTrue(!line.startsWith("ERROR") || STALE_REFCOUNT.matcher(line).matches(),
                        "round " + round + ": only stale refcounts are tolerated: " + line);
            }
            verify(top, round);
            if (round % 2 == 0) { // else the next server's open repairs it
                repair(top, round);
                // every cluster shared with a snapshot: the next round copies on write, so
                // it changes metadata again (else it would only overwrite clusters in place)
                Tools.run(dir, "qemu-img", "snapshot", "-c", "s" + round, top.toString()).ok();
            }
        }
        if (lazy) {
            repair(top, ROUNDS);
            assertTrue(dirtyRounds > 0, "no round left the image dirty");
        }
        assertTrue(flushes >= ROUNDS, "flushes completed: " + flushes);
    }

    /** What qemu-img check reports about a dirty image whose refcounts lag its tables. */
    static final Pattern STALE_REFCOUNT = Pattern.compile("ERROR cluster \\d+ refcount=\\d+"
            + " reference=\\d+|ERROR OFLAG_COPIED (data|L2) cluster: .* refcount=\\d+");

    /** Opens the image for writing as the server would (which repairs it), checks it clean. */
    void repair(Path top, int round) throws Exception {
        Qcow2.openReadWrite(top).close();
        assertTrue(!dirty(top), "round " + round + ": repaired, the image is clean");
        Tools.Run check = Tools.run(dir, "qemu-img", "check", "--output=json", top.toString());
        assertEquals(0, check.exit(), "round " + round + ": after the repair\n"
                + check.output());
        verify(top, round);
    }

    static boolean dirty(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, 79);
            return (b.get(0) & 1) != 0; // incompatible feature bit 0
        }
    }

    /** Runs the writers and the flusher; kills the server after {@code millis}. */
    int load(List<NbdClient> clients, long millis) throws Exception {
        CountDownLatch done = new CountDownLatch(WRITERS + 1);
        int[] flushes = new int[1];
        for (int w = 0; w < WRITERS; w++) {
            int me = w;
            NbdClient c = clients.get(w);
            ctx.spawn("writer-" + w, () -> {
                try {
                    write(c, me);
                } finally {
                    done.countDown();
                }
            });
        }
        ctx.spawn("flusher", () -> {
            try {
                while (true) {
                    long[] before = new long[BLOCKS];
                    for (int b = 0; b < BLOCKS; b++) {
                        before[b] = acked.get(b);
                    }
                    clients.get(0).flush();
                    synchronized (durable) {
                        for (int b = 0; b < BLOCKS; b++) {
                            durable[b] = Math.max(durable[b], before[b]);
                        }
                    }
                    flushes[0]++;
                    Coroutine.sleep(Duration.ofMillis(30));
                }
            } catch (BlockException e) {
                // the server is gone
            } finally {
                done.countDown();
            }
        });
        Thread.sleep(millis);
        server.destroyForcibly(); // SIGKILL
        assertTrue(done.await(30, TimeUnit.SECONDS), "the load ended after the kill");
        return flushes[0];
    }

    /**
     * Writes until the connection breaks: runs of 1..16 blocks inside 64 KiB chunks that
     * only this writer touches, so each block's writes are ordered.
     */
    void write(NbdClient c, int me) {
        Random rnd = new Random(me * 1000L + generation.get());
        int chunks = BLOCKS / 16 / WRITERS;
        try {
            while (true) {
                int chunk = rnd.nextInt(chunks) * WRITERS + me;
                int first = chunk * 16 + rnd.nextInt(16);
                int n = 1 + rnd.nextInt(16 - first % 16);
                ByteBuffer data = ByteBuffer.allocate(n * BLOCK);
                long[] gens = new long[n];
                for (int i = 0; i < n; i++) {
                    gens[i] = generation.incrementAndGet();
                    fill(data.slice(i * BLOCK, BLOCK), first + i, gens[i]);
                }
                c.write((long) first * BLOCK, data, 0);
                for (int i = 0; i < n; i++) {
                    acked.set(first + i, gens[i]);
                }
            }
        } catch (BlockException e) {
            // the server is gone
        }
    }

    /** Block {@code b} as written at generation {@code gen}: its number, gen, then noise. */
    static void fill(ByteBuffer block, long b, long gen) {
        block.putLong(0, b).putLong(8, gen);
        long x = b * 0x9E3779B97F4A7C15L ^ gen;
        for (int i = 16; i < BLOCK; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            block.putLong(i, x);
        }
    }

    void verify(Path top, int round) throws Exception {
        Path raw = dir.resolve("after.raw");
        Tools.run(dir, "qemu-img", "convert", "-O", "raw", top.toString(), raw.toString()).ok();
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(raw));
        Files.delete(raw);
        ByteBuffer want = ByteBuffer.allocate(BLOCK);
        int checked = 0;
        for (int b = 0; b < BLOCKS; b++) {
            if (durable[b] == 0) {
                continue;
            }
            ByteBuffer got = all.slice(b * BLOCK, BLOCK);
            long gen = got.getLong(8);
            assertTrue(got.getLong(0) == b && gen >= durable[b], "round " + round + ": block "
                    + b + " holds block " + got.getLong(0) + " generation " + gen + ", but"
                    + " generation " + durable[b] + " was flushed");
            fill(want.clear(), b, gen);
            assertEquals(want.clear(), got, "round " + round + ": block " + b + " generation "
                    + gen + " is intact");
            checked++;
        }
        assertTrue(round == 0 || checked > 0, "round " + round + " checked no block");
    }

    Process startServer(Path image, int port) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.corio.blockio.nbd.cli.Main", "--file", image.toString(), "--listen",
                "127.0.0.1:" + port).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile());
        return pb.start();
    }

    List<NbdClient> connect(int port) throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<NbdClient> clients = new ArrayList<>();
        while (clients.isEmpty()) {
            try {
                clients.add(NbdClient.connect(address, ""));
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !server.isAlive()) {
                    throw new AssertionError("the server did not start: "
                            + Files.readString(dir.resolve("server.log")), e);
                }
                Thread.sleep(50);
            }
        }
        while (clients.size() < WRITERS) {
            clients.add(NbdClient.connect(address, ""));
        }
        return clients;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\": (\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
