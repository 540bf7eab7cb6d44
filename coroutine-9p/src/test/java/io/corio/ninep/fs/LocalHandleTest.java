package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Descriptors behind local handles: qid paths, no leaks, and close racing with reads. */
class LocalHandleTest {

    private static long openDescriptors() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void qidPathsAreTheHostInodesOnTheRootDevice() throws Exception {
        try (Fixture f = new Fixture(Kind.PASSTHROUGH)) {
            Set<Long> paths = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                try (Handle h = f.file("f" + i, "")) {
                    long ino = (Long) Files.getAttribute(f.dir.resolve("f" + i), "unix:ino");
                    assertEquals(ino, h.qid().path());
                    assertTrue(paths.add(h.qid().path()));
                }
            }
            assertEquals((Long) Files.getAttribute(f.dir, "unix:ino"), f.root.qid().path());
        }
    }

    @Test
    void everyDescriptorIsClosedWithItsLastHandle() throws Exception {
        try (Fixture f = new Fixture(Kind.PASSTHROUGH)) {
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            f.file("a", "x").close(); // links libc, opens whatever the JDK opens lazily
            long before = openDescriptors();
            for (int i = 0; i < 50; i++) {
                Handle d = f.walk("d");
                Handle file = f.fs.create(d, "f" + i, P9.DOTL_RDWR, 0600, Fixture.ME);
                Handle clone = f.fs.clone(file);
                Handle up = f.fs.walk(d, "..");
                d.close(); // the children keep the directory's descriptor alive
                f.write(file, 0, "data");
                f.fs.open(clone, P9.DOTL_RDONLY);
                f.fs.getattr(up, P9.GETATTR_ALL);
                f.fs.open(up, P9.DOTL_RDONLY);
                f.readdirAll(up, 4096);
                fails(Errno.EEXIST, () -> f.fs.mkdir(f.root, "d", 0755, Fixture.ME));
                fails(Errno.ENOENT, () -> f.walk("missing"));
                file.close();
                clone.close();
                up.close();
            }
            assertEquals(before, openDescriptors(), "descriptors leaked");
        }
    }

    @Test
    void closingAHandleDuringReadsNeverLetsThemReachAnotherFile() throws Exception {
        try (Fixture f = new Fixture(Kind.PASSTHROUGH)) {
            for (int round = 0; round < 8; round++) {
                Handle a = f.file("a" + round, "A".repeat(64));
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<String> wrong = new AtomicReference<>();
                List<Thread> readers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    readers.add(Thread.ofPlatform().start(() -> {
                        while (!stop.get()) {
                            try {
                                ByteBuffer b = ByteBuffer.allocate(64);
                                f.fs.read(a, 0, b);
                                String s = new String(b.array(), 0, b.position());
                                if (!s.isEmpty() && !s.equals("A".repeat(64))) {
                                    wrong.set(s);
                                }
                            } catch (FsException e) {
                                if (e.errno() != Errno.EBADF) {
                                    wrong.set(e.toString());
                                }
                            }
                        }
                    }));
                }
                Thread.sleep(2);
                a.close(); // the numbers freed here are reused at once below
                List<Handle> others = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    others.add(f.file("b" + round + "-" + i, "B".repeat(64)));
                }
                Thread.sleep(2);
                stop.set(true);
                for (Thread t : readers) {
                    t.join();
                }
                others.forEach(Handle::close);
                assertEquals(null, wrong.get());
            }
        }
    }

    @Test
    void qidMapKeepsPathsUniqueAcrossDevicesAndWideInodes() {
        QidMap map = new QidMap(10);
        assertEquals(5, map.path(10, 5), "the root's device: the inode itself");
        long other = map.path(11, 5);
        assertNotEquals(5, other);
        assertEquals(1L << 48 | 5, other, "another device: a prefix above the inode");
        assertEquals(other, map.path(11, 5), "stable");
        long wide = map.path(10, 1L << 50);
        assertTrue(wide < 0, "a wide inode is remapped into the bit-63 range");
        assertEquals(wide, map.path(10, 1L << 50));
        assertNotEquals(wide, map.path(11, 1L << 50));
        Set<Long> seen = new HashSet<>();
        for (long dev = 100; dev < 100 + 40_000; dev++) { // more devices than prefixes
            assertTrue(seen.add(map.path(dev, 7)), "dev " + dev);
        }
    }
}
