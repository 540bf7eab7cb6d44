package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.SetAttr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Escape attempts on the local back end: symlinks pointing out, {@code ..} at the root,
 * directories moved or swapped for symlinks under held handles, and a rename race. After each
 * test the directory outside the export must be exactly as it was.
 */
class LocalConfinementTest {
    private Fixture f;
    private Path outside;

    @BeforeEach
    void setUp() throws Exception {
        f = new Fixture(Kind.PASSTHROUGH);
        outside = Files.createTempDirectory("corio-outside-");
        Files.writeString(outside.resolve("secret"), "s");
        Files.createDirectory(outside.resolve("sub"));
        Files.setLastModifiedTime(outside.resolve("secret"), FileTime.fromMillis(1_000_000_000L));
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
        assertEquals(Set.of("secret", "sub"), list(outside), "nothing appeared outside");
        assertEquals(Set.of(), list(outside.resolve("sub")));
        assertEquals("s", Files.readString(outside.resolve("secret")));
        assertEquals(1_000_000_000L,
                Files.getLastModifiedTime(outside.resolve("secret")).toMillis());
        assertEquals("rw-r--r--", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(outside.resolve("secret"))));
        Fixture.deleteTree(outside);
    }

    private static Set<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> names = new TreeSet<>();
            s.forEach(p -> names.add(p.getFileName().toString()));
            return names;
        }
    }

    @Test
    void symlinksPointingOutsideAreNeverFollowed() throws Exception {
        String abs = outside.toString();
        String rel = "../" + outside.getFileName();
        String up = "../../../../../../../../..";
        Files.createSymbolicLink(f.dir.resolve("abs"), Path.of(abs));
        Files.createSymbolicLink(f.dir.resolve("rel"), Path.of(rel));
        Files.createSymbolicLink(f.dir.resolve("up"), Path.of(up));
        Files.createSymbolicLink(f.dir.resolve("file"), outside.resolve("secret"));
        for (String[] link : new String[][] {{"abs", abs}, {"rel", rel}, {"up", up},
                {"file", outside.resolve("secret").toString()}}) {
            try (Handle l = f.walk(link[0])) {
                assertEquals(P9.QTSYMLINK, l.qid().type(), link[0]);
                assertEquals(link[1], f.fs.readlink(l), "the target text as-is");
                assertEquals(Posix.S_IFLNK, f.fs.getattr(l, P9.GETATTR_MODE).mode() & Posix.S_IFMT);
                fails(Errno.ENOTDIR, () -> f.fs.walk(l, "secret"));
                fails(Errno.ENOTDIR, () -> f.fs.walk(l, ".."));
                fails(Errno.ELOOP, () -> f.fs.open(l, P9.DOTL_RDONLY));
                fails(Errno.ELOOP, () -> f.fs.open(l, P9.DOTL_WRONLY | P9.DOTL_TRUNC));
                fails(Errno.ENOTDIR, () -> f.fs.create(l, "x", P9.DOTL_RDWR, 0644, Fixture.ME));
                fails(Errno.ENOTDIR, () -> f.fs.mkdir(l, "x", 0755, Fixture.ME));
                fails(Errno.ENOTDIR, () -> f.fs.symlink(l, "x", "y", Fixture.ME));
                fails(Errno.ENOTDIR, () -> f.fs.unlinkat(l, "secret", 0));
                fails(Errno.ENOTDIR, () -> f.fs.renameat(l, "secret", f.root, "stolen"));
                fails(Errno.ENOTDIR, () -> f.fs.readdir(l, 0, e -> true));
                fails(Errno.EOPNOTSUPP, () -> f.fs.setattr(l, new SetAttr(P9.SETATTR_MODE, 0777,
                        0, 0, 0, 0, 0, 0, 0)));
                fails(Errno.EPERM, () -> f.fs.setxattr(l, "user.x", new byte[1], 0));
                try {
                    f.fs.setattr(l, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 0, 0, 0, 0, 0));
                    throw new AssertionError("truncating through a symlink must fail");
                } catch (FsException expected) {
                    // ELOOP: the symlink itself is never opened for writing
                }
                f.fs.setattr(l, new SetAttr(P9.SETATTR_MTIME | P9.SETATTR_MTIME_SET,
                        0, 0, 0, 0, 0, 0, 42, 0)); // the link's own time
                assertEquals(42, f.fs.getattr(l, P9.GETATTR_MTIME).mtimeSec());
                int uid = f.fs.getattr(l, P9.GETATTR_UID).uid();
                int gid = f.fs.getattr(l, P9.GETATTR_GID).gid();
                f.fs.setattr(l, new SetAttr(P9.SETATTR_UID | P9.SETATTR_GID, 0, uid, gid,
                        0, 0, 0, 0, 0)); // lchown: the link's own owner
                f.fs.link(f.root, link[0] + ".hard", l); // a hard link to the link itself
            }
            try (Handle hard = f.walk(link[0] + ".hard")) {
                assertEquals(P9.QTSYMLINK, hard.qid().type());
            }
        }
    }

    @Test
    void dotDotAtTheRootStaysAtTheRoot() throws Exception {
        Path marker = Files.createTempFile(f.dir.getParent(), "corio-marker-", "");
        try {
            Handle h = f.fs.clone(f.root);
            for (int i = 0; i < 5; i++) {
                Handle up = f.fs.walk(h, "..");
                h.close();
                h = up;
                assertEquals(f.root.qid().path(), h.qid().path());
                Handle hh = h;
                fails(Errno.ENOENT, () -> f.fs.walk(hh, marker.getFileName().toString()));
            }
            long hostIno = (Long) Files.getAttribute(f.dir, "unix:ino");
            assertEquals(hostIno, f.fs.getattr(h, P9.GETATTR_INO).qid().path());
            f.fs.open(h, P9.DOTL_RDONLY);
            List<DirEntry> entries = f.readdirAll(h, 4096);
            DirEntry dotdot = entries.stream().filter(e -> e.name().equals(".."))
                    .findFirst().orElseThrow();
            assertEquals(f.root.qid().path(), dotdot.qid().path(), "no trace of the host parent");
            h.close();
        } finally {
            Files.delete(marker);
        }
    }

    @Test
    void aSymlinkSwappedInForADirectoryIsNotEntered() throws Exception {
        Files.createDirectory(f.dir.resolve("d"));
        Files.writeString(f.dir.resolve("d/inside"), "in");
        Handle held = f.walk("d");
        Files.move(f.dir.resolve("d"), f.dir.resolve("d.old"));
        Files.createSymbolicLink(f.dir.resolve("d"), outside);

        try (Handle in = f.fs.walk(held, "inside")) { // the held handle is the directory
            f.fs.open(in, P9.DOTL_RDONLY);
            assertEquals("in", f.read(in, 0, 10));
        }
        fails(Errno.ENOENT, () -> f.fs.walk(held, "secret"));
        f.fs.create(held, "made", P9.DOTL_RDWR, 0600, Fixture.ME).close();
        assertTrue(Files.exists(f.dir.resolve("d.old/made")));

        try (Handle fresh = f.walk("d")) { // a new walk finds the symlink, and stops there
            assertEquals(P9.QTSYMLINK, fresh.qid().type());
            fails(Errno.ENOTDIR, () -> f.fs.walk(fresh, "secret"));
            fails(Errno.ENOTDIR, () -> f.fs.create(fresh, "x", P9.DOTL_RDWR, 0600, Fixture.ME));
        }
        held.close();
    }

    @Test
    void aDirectoryMovedUnderAHeldHandleKeepsItsFilesAndItsWayUp() throws Exception {
        Files.createDirectories(f.dir.resolve("a/b"));
        Files.writeString(f.dir.resolve("a/b/c.txt"), "c");
        Files.createDirectory(f.dir.resolve("x"));
        Handle a = f.walk("a");
        Handle b = f.walk("a", "b");
        try (Handle x = f.walk("x")) {
            f.fs.renameat(f.root, "a", x, "a2");
        }
        assertEquals("c", f.content("x", "a2", "b", "c.txt"));
        try (Handle c = f.fs.walk(b, "c.txt")) {
            f.fs.open(c, P9.DOTL_RDONLY);
            assertEquals("c", f.read(c, 0, 10));
        }
        f.fs.create(b, "new", P9.DOTL_RDWR, 0600, Fixture.ME).close();
        assertTrue(Files.exists(f.dir.resolve("x/a2/b/new")));

        Handle up1 = f.fs.walk(b, "..");
        Handle up2 = f.fs.walk(up1, "..");
        Handle up3 = f.fs.walk(up2, "..");
        Handle up4 = f.fs.walk(up3, "..");
        assertEquals(a.qid().path(), up1.qid().path());
        assertEquals((Long) Files.getAttribute(f.dir.resolve("x"), "unix:ino"), up2.qid().path());
        assertEquals(f.root.qid().path(), up3.qid().path());
        assertEquals(f.root.qid().path(), up4.qid().path());
        for (Handle h : List.of(up1, up2, up3, up4)) {
            h.close();
        }

        // the host moves the directory out of the export: '..' no longer leads anywhere
        Files.move(f.dir.resolve("x/a2"), outside.resolve("sub/moved"));
        try {
            fails(Errno.ENOENT, () -> f.fs.walk(b, ".."));
            fails(Errno.ENOENT, () -> f.fs.walk(a, ".."));
        } finally {
            Files.move(outside.resolve("sub/moved"), f.dir.resolve("x/a2"));
        }
        a.close();
        b.close();
    }

    @Test
    void aRenameRaceNeverLetsACreateOut() throws Exception {
        Files.createDirectory(f.dir.resolve("d"));
        Files.createSymbolicLink(f.dir.resolve("lnk"), outside.resolve("sub"));
        AtomicBoolean stop = new AtomicBoolean();
        Thread swapper = Thread.ofPlatform().start(() -> {
            Path d = f.dir.resolve("d");
            Path saved = f.dir.resolve("d.saved");
            Path lnk = f.dir.resolve("lnk");
            try {
                while (!stop.get()) {
                    Files.move(d, saved); // rename(2): atomic
                    Files.move(lnk, d);
                    Files.move(d, lnk);
                    Files.move(saved, d);
                    LockSupport.parkNanos(20_000); // let some walks find the directory
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        int made = 0;
        long start = System.nanoTime();
        try {
            // at least 0.3 s of racing, longer (up to 5 s) until some creates got through
            for (int i = 0; elapsedMs(start) < 300 || (made < 10 && elapsedMs(start) < 5000); i++) {
                try (Handle d = f.walk("d")) {
                    f.fs.create(d, "f" + i, P9.DOTL_RDWR, 0600, Fixture.ME).close();
                    f.fs.mkdir(d, "m" + i, 0700, Fixture.ME);
                    made++;
                } catch (FsException e) {
                    assertTrue(e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR,
                            e.toString());
                }
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertTrue(made > 0, "some creates got through");
        // tearDown checks that nothing appeared outside
    }

    private static long elapsedMs(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
