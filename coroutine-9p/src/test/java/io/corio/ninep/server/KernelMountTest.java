package io.corio.ninep.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.corio.ninep.fs.Backend;
import io.corio.ninep.fs.SecurityModel;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Rmessage.Rlock;
import io.corio.ninep.protocol.Tmessage.Tlock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux kernel's own 9P client against the server: {@code tools/linux-vm} boots Debian's
 * kernel under QEMU (TCG) with a busybox initramfs, mounts corio's exports with {@code trans=tcp}
 * and runs {@code src/test/vm/fileops.sh} (ls, cat, cp, mv, ln -s, ln, chmod, chown, touch,
 * truncate, mkfifo, df, flock, rm -r, xattrs, readdir of 300 entries, a write through a file
 * descriptor whose name was unlinked). The guest reports each step; the host then checks what
 * landed on disk. Skipped, naming the Debian package, without qemu-system-x86, busybox-static or
 * a kernel ({@code tools/linux-vm fetch}, from linux-image-amd64).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class KernelMountTest {
    private static final Path VM = Path.of("..", "tools", "linux-vm").toAbsolutePath().normalize();
    private static final Path SCRIPT = Path.of("src", "test", "vm", "fileops.sh").toAbsolutePath();

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    @Test
    void linuxMountsTheExportsAndOrdinaryToolsWork() throws Exception {
        assumeVmAvailable();
        Map<String, Path> exports = new LinkedHashMap<>();
        exports.put("mapped", Files.createDirectory(dir.resolve("mapped")));
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) { // passthrough stores the client's owner on the file: only root may chown
            exports.put("passthrough", Files.createDirectory(dir.resolve("passthrough")));
        }
        NinepServer.Builder builder = NinepServer.builder();
        for (var e : exports.entrySet()) {
            SecurityModel model = e.getKey().equals("mapped") ? SecurityModel.MAPPED_XATTR : SecurityModel.PASSTHROUGH;
            Backend backend = Backend.local(e.getValue(), model, false);
            resources.add(backend);
            builder.export(e.getKey(), backend);
        }
        NinepServer server = builder.build();
        resources.add(server);
        var address = (InetSocketAddress) server.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));

        // Another client (this test) holds a write lock on mapped/held for the whole run.
        Files.writeString(exports.get("mapped").resolve("held"), "locked by the host\n");
        Conn holder = new Conn(address);
        resources.add(holder);
        holder.attach(1, "mapped");
        holder.walk(1, 2, "held");
        holder.lopen(2, P9.DOTL_RDWR);
        assertEquals(P9.LOCK_SUCCESS, holder.c.call(Rlock.class,
                t -> new Tlock(t, 2, P9.LOCK_TYPE_WRLCK, 0, 0, 0, 1, "host")).status());

        Path guest = dir.resolve("guest.sh");
        Files.writeString(guest, "EXPORTS='" + String.join(" ", exports.keySet()) + "'\n"
                + "LOCKED_EXPORT=mapped\n" + Files.readString(SCRIPT));
        String console = runVm(address.getPort(), guest);

        Matcher failed = Pattern.compile("(?m)^FAIL .*$").matcher(console);
        List<String> failures = new ArrayList<>();
        while (failed.find()) {
            failures.add(failed.group());
        }
        assertEquals(List.of(), failures, console);
        assertTrue(console.contains("result fails 0"), console);
        for (String export : exports.keySet()) {
            assertTrue(console.contains("ok " + export + " umount"), console);
        }
        assertTrue(console.contains("ok mapped flock_conflict"), console);

        List<String> sums = results(console, "big-sha256");
        assertEquals(exports.size(), sums.size(), console);
        int i = 0;
        for (var e : exports.entrySet()) {
            checkOnHost(e.getKey(), e.getValue().resolve("work"), sums.get(i++));
        }
    }

    /** What the guest's operations left in an export, read directly from the host file system. */
    private static void checkOnHost(String model, Path work, String guestSum) throws Exception {
        boolean mapped = model.equals("mapped");
        Path a = work.resolve("a");
        assertEquals(guestSum, sha256(work.resolve("big")), "8 MiB file written by the guest");
        assertArrayEquals(Files.readAllBytes(work.resolve("big")), Files.readAllBytes(a.resolve("b/moved")));
        assertFalse(Files.exists(work.resolve("big.copy")));
        assertEquals("hello\n", Files.readString(a.resolve("hello.txt")));
        assertEquals(Files.getAttribute(a.resolve("hello.txt"), "unix:ino"),
                Files.getAttribute(a.resolve("hard"), "unix:ino"), "hard link");
        assertEquals(981173106L, Files.getLastModifiedTime(a.resolve("hello.txt")).toMillis() / 1000);
        assertEquals(3, Files.size(a.resolve("sparse")));
        assertFalse(Files.exists(work.resolve("trash")));
        assertFalse(Files.exists(work.resolve("d1")));
        assertEquals("x\n", Files.readString(work.resolve("d2/sub/f")));
        assertFalse(Files.exists(a.resolve("gone")));
        try (Stream<Path> many = Files.list(work.resolve("many"))) {
            assertEquals(300, many.count());
        }
        assertEquals("green", xattr(a.resolve("b/moved"), "kept"));
        Path link = a.resolve("link");
        Path fifo = a.resolve("fifo");
        if (mapped) { // ownership, mode and special files live in user.virtfs.* on plain files
            assertEquals(1234, u32(xattr(a.resolve("hello.txt"), "virtfs.uid")));
            assertEquals(5678, u32(xattr(a.resolve("hello.txt"), "virtfs.gid")));
            assertEquals(0100640, u32(xattr(a.resolve("hello.txt"), "virtfs.mode")));
            assertEquals("hello.txt", Files.readString(link));
            assertEquals(0120000, u32(xattr(link, "virtfs.mode")) & 0170000);
            assertTrue(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS));
            assertEquals(0010000, u32(xattr(fifo, "virtfs.mode")) & 0170000);
        } else {
            Path hello = a.resolve("hello.txt");
            assertEquals(1234, Files.getAttribute(hello, "unix:uid"));
            assertEquals(5678, Files.getAttribute(hello, "unix:gid"));
            assertEquals(0640, (int) Files.getAttribute(hello, "unix:mode") & 07777);
            assertEquals(Path.of("hello.txt"), Files.readSymbolicLink(link));
            assertEquals(0010000, (int) Files.getAttribute(fifo, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000);
        }
    }

    private static void assumeVmAvailable() throws Exception {
        assumeTrue(onPath("qemu-system-x86_64"),
                "qemu-system-x86_64 not found: install the Debian package qemu-system-x86");
        assumeTrue(onPath("busybox"), "busybox not found: install the Debian package busybox-static");
        Process find = new ProcessBuilder(VM.toString(), "find").redirectErrorStream(true).start();
        String out = new String(find.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(find.waitFor() == 0, "no Linux kernel with 9p.ko (Debian package linux-image-amd64): run "
                + "'tools/linux-vm fetch' (CI does): " + out.strip());
    }

    private static String runVm(int port, Path guest) throws Exception {
        Process vm = new ProcessBuilder(VM.toString(), "run", "--port", Integer.toString(port),
                "--script", guest.toString(), "--timeout", "240")
                .redirectErrorStream(true).start();
        String console = new String(vm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "");
        vm.waitFor();
        assertTrue(console.contains("corio-vm: booted"), console);
        return console;
    }

    private static List<String> results(String console, String key) {
        List<String> values = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^result " + Pattern.quote(key) + " (\\S+)$").matcher(console);
        while (m.find()) {
            values.add(m.group(1));
        }
        return values;
    }

    private static String xattr(Path file, String name) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(file,
                UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        ByteBuffer value = ByteBuffer.allocate(view.size(name));
        view.read(name, value);
        return new String(value.array(), StandardCharsets.ISO_8859_1);
    }

    private static int u32(String raw) {
        return ByteBuffer.wrap(raw.getBytes(StandardCharsets.ISO_8859_1)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
