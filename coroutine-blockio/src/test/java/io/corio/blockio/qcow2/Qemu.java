package io.corio.blockio.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.corio.blockio.BlockDriver;
import io.corio.blockio.Extent;
import io.corio.core.AioContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * qemu-img, qemu-io and qemu-nbd (Debian package qemu-utils) for the qcow2 tests, and for the
 * raw file driver's lock tests (hence public), run in one directory.
 */
public final class Qemu {
    final Path dir;

    public Qemu(Path dir) {
        this.dir = dir;
    }

    /** Skips the test unless qemu-img and qemu-io are installed, naming the package. */
    public static void require() {
        for (String tool : List.of("qemu-img", "qemu-io")) {
            assumeTrue(installed(tool), tool + " not found: install the Debian package"
                    + " qemu-utils (apt-get install qemu-utils)");
        }
    }

    static boolean installed(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin";
        for (String d : path.split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code command} in the directory; fails the test unless it exits 0. */
    String run(String... command) throws IOException, InterruptedException {
        Run r = runAny(command);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + ": exit " + r.exit()
                    + "\n" + r.output());
        }
        return r.output();
    }

    /** What a command printed (stdout and stderr) and its exit status. */
    public record Run(int exit, String output) {}

    /** Runs {@code command} in the directory, whatever its exit status. */
    public Run runAny(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish");
        }
        return new Run(p.exitValue(), out);
    }

    /**
     * A qemu process that holds an image open, and so its image locks, until closed: to test
     * what corio does with an image qemu uses.
     */
    public static final class Held implements AutoCloseable {
        private final Process process;
        private final StringBuilder output = new StringBuilder(); // guarded by itself

        private Held(Process process) {
            this.process = process;
            Thread.ofVirtual().start(() -> { // drains the output, so qemu never blocks on it
                try (var in = process.getInputStream()) {
                    byte[] buf = new byte[4096];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        synchronized (output) {
                            output.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        }
                    }
                } catch (IOException ignored) {
                    // the process is gone
                }
            });
        }

        /** What it printed so far. */
        public String output() {
            synchronized (output) {
                return output.toString();
            }
        }

        /** Waits until {@code ready} holds, failing the test if the process ends first. */
        private Held await(java.util.function.BooleanSupplier ready, String what)
                throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!ready.getAsBoolean()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    close();
                    throw new AssertionError(what + " did not open the image:\n" + output());
                }
                Thread.sleep(20);
            }
            return this;
        }

        /** Ends the process (SIGTERM, which qemu-io and qemu-nbd exit on) and waits for it. */
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /**
     * {@code qemu-io OPTIONS IMAGE} waiting for commands: holds the image open as qemu-io
     * does (writable unless {@code -r}) once its prompt shows, until closed.
     */
    public Held holdIo(Path image, String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-io"));
        cmd.addAll(List.of(options));
        cmd.add(image.toString());
        Held h = new Held(new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectErrorStream(true).start());
        return h.await(() -> h.output().contains("qemu-io> "), String.join(" ", cmd));
    }

    /**
     * {@code qemu-nbd OPTIONS -k SOCKET --pid-file PID IMAGE}: serves the image on a Unix
     * socket in the directory (writable unless {@code -r}), holding it open until closed.
     * Ready once the pid file is written, which qemu-nbd does after opening the image (its
     * socket exists before).
     */
    public Held holdNbd(Path image, String... options) throws IOException, InterruptedException {
        String name = "qemu-nbd-" + System.nanoTime();
        Path pid = dir.resolve(name + ".pid");
        List<String> cmd = new ArrayList<>(List.of("qemu-nbd"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-k", dir.resolve(name + ".sock").toString(), "--pid-file",
                pid.toString(), image.toString()));
        Held h = new Held(new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectErrorStream(true).start());
        return h.await(() -> {
            try {
                return Files.exists(pid) && Files.size(pid) > 0;
            } catch (IOException e) {
                return false;
            }
        }, String.join(" ", cmd));
    }

    /**
     * {@code qemu-img check --output=json}: fails the test on any corruption or check error,
     * and on leaked clusters unless {@code leaksAllowed}; answers the JSON.
     */
    String check(Path image, boolean leaksAllowed) throws IOException, InterruptedException {
        return check(image, leaksAllowed, false);
    }

    /**
     * As {@link #check(Path, boolean)}; {@code shared}: with {@code -U} (force share), for
     * an image corio holds open for writing, whose lock keeps qemu-img out otherwise.
     */
    String check(Path image, boolean leaksAllowed, boolean shared)
            throws IOException, InterruptedException {
        Run r = shared ? runAny("qemu-img", "check", "-U", "--output=json", image.toString())
                : runAny("qemu-img", "check", "--output=json", image.toString());
        String json = r.output();
        assertEquals(0L, jsonNumber(json, "check-errors"), json);
        assertEquals(0L, jsonNumber(json, "corruptions"), json);
        if (!leaksAllowed) {
            assertEquals(0L, jsonNumber(json, "leaks"), json);
            assertEquals(0, r.exit(), json);
        } else {
            assertTrue(r.exit() == 0 || r.exit() == 3, "exit " + r.exit() + ": " + json);
        }
        return json;
    }

    /** A number field of a JSON object; 0 when it is absent (qemu-img leaves zeros out). */
    static long jsonNumber(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\": (\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** {@code qemu-img compare} of the image's guest contents with {@code want}. */
    void assertContents(Path image, byte[] want) throws IOException, InterruptedException {
        Path raw = dir.resolve(image.getFileName() + ".want-" + System.nanoTime());
        Files.write(raw, want);
        String out = run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.toString(),
                image.toString());
        Files.delete(raw);
        assertTrue(out.contains("Images are identical"), out);
    }

    /** {@code qemu-img create -f qcow2 -o OPTIONS NAME SIZE}, plus any extra arguments first. */
    Path create(String name, String options, long size, String... extra)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("-o", options, name, Long.toString(size)));
        run(cmd.toArray(String[]::new));
        return dir.resolve(name);
    }

    /** Runs qemu-io commands ({@code write -P 0x11 0 64k}, ...) on a qcow2 image. */
    void io(Path image, String... commands) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(image.toString());
        String out = run(cmd.toArray(String[]::new));
        assertTrue(!out.contains("failed") && !out.contains("error"), out);
    }

    /** The image's guest contents, as {@code qemu-img convert -O raw} writes them. */
    byte[] raw(Path image) throws IOException, InterruptedException {
        Path out = dir.resolve(image.getFileName() + ".raw-" + System.nanoTime());
        run("qemu-img", "convert", "-O", "raw", image.toString(), out.toString());
        byte[] bytes = Files.readAllBytes(out);
        Files.delete(out);
        return bytes;
    }

    /** One entry of {@code qemu-img map --output=json}. */
    record MapEntry(long start, long length, boolean zero, boolean data) {}

    List<MapEntry> map(Path image) throws IOException, InterruptedException {
        String json = run("qemu-img", "map", "--output=json", image.toString());
        Matcher m = Pattern.compile("\"start\": (\\d+), \"length\": (\\d+),[^}]*"
                + "\"zero\": (true|false), \"data\": (true|false)").matcher(json);
        List<MapEntry> out = new ArrayList<>();
        while (m.find()) {
            out.add(new MapEntry(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    Boolean.parseBoolean(m.group(3)), Boolean.parseBoolean(m.group(4))));
        }
        assertTrue(!out.isEmpty(), json);
        return out;
    }

    /**
     * Reads {@code image} through {@link Qcow2#open} and checks it against qemu: the bytes
     * equal {@code qemu-img convert}'s, read whole and in pieces that straddle clusters; the
     * block status marks as data exactly what {@code qemu-img map} does, and every range it
     * marks zero reads as zero.
     */
    void assertReadsAsQemu(AioContext ctx, Path image) throws Exception {
        byte[] want = raw(image);
        try (BlockDriver d = Qcow2.open(image)) {
            assertEquals(want.length, d.length(), "virtual size");
            byte[] whole = ctx.call(() -> {
                ByteBuffer b = ByteBuffer.allocate(want.length);
                d.read(0, b);
                return b.array();
            });
            assertArrayEquals(want, whole, image + " read whole");
            byte[] pieces = ctx.call(() -> {
                ByteBuffer b = ByteBuffer.allocate(want.length);
                int step = (1 << 20) + 4097;
                for (int at = 0; at < want.length; at += step) {
                    d.read(at, b.slice(at, Math.min(step, want.length - at)));
                }
                return b.array();
            });
            assertArrayEquals(want, pieces, image + " read in pieces");
            List<Extent> status = ctx.call(() -> {
                List<Extent> all = new ArrayList<>();
                long pos = 0;
                while (pos < want.length) {
                    List<Extent> part = d.blockStatus(pos, want.length - pos);
                    for (Extent e : part) {
                        assertEquals(pos, e.offset(), "contiguous: " + part);
                        pos = e.end();
                    }
                    all.addAll(part);
                }
                assertEquals(want.length, pos, "no extent past the end");
                return all;
            });
            for (Extent e : status) {
                if ((e.flags() & Extent.ZERO) != 0) {
                    for (long i = e.offset(); i < e.end(); i++) {
                        if (want[(int) i] != 0) {
                            throw new AssertionError(image + ": " + e + " is marked zero but"
                                    + " byte " + i + " is " + want[(int) i]);
                        }
                    }
                }
            }
            for (MapEntry q : map(image)) {
                for (Extent e : status) {
                    if (e.end() > q.start() && e.offset() < q.start() + q.length()) {
                        assertEquals(q.data(), (e.flags() & Extent.HOLE) == 0, image
                                + ": qemu-img map says " + q + ", corio says " + e);
                    }
                }
            }
        }
    }
}
