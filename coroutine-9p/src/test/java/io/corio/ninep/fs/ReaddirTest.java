package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.DirEntry;
import io.corio.ninep.protocol.DirPacker;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Readdir in Treaddir-sized pieces: resumable cookies, every entry exactly once. */
class ReaddirTest {

    private static final int FILES = 60;

    /** Names of every length from 1 to 60, so entries have many sizes. */
    private static List<String> names() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= FILES; i++) {
            names.add(i % 7 == 0 ? "d" + "é".repeat(i / 2) : "f" + "x".repeat(i - 1) + i);
        }
        return names;
    }

    private static Map<String, DirEntry> byName(List<DirEntry> entries) {
        Map<String, DirEntry> m = new HashMap<>();
        for (DirEntry e : entries) {
            DirEntry old = m.put(e.name(), e);
            assertTrue(old == null, "offered twice: " + e.name());
        }
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void smallPiecesGiveEveryEntryExactlyOnce(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Map<String, Long> qids = new HashMap<>();
            for (String n : names()) {
                if (n.startsWith("d")) {
                    qids.put(n, f.fs.mkdir(f.root, n, 0755, Fixture.ME).path());
                } else {
                    try (Handle h = f.file(n, "")) {
                        qids.put(n, h.qid().path());
                    }
                }
            }
            try (Handle dir = f.fs.clone(f.root)) {
                f.fs.open(dir, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
                // the longest entry is 24 + 62 bytes: every piece holds at least one
                for (int limit : new int[] {P9.DIRENT_HEADER_SIZE + 2 * 61, 100, 333, 4096}) {
                    Map<String, DirEntry> seen = byName(f.readdirAll(dir, limit));
                    assertEquals(FILES + 2, seen.size(), "limit " + limit + ": " + seen.keySet());
                    for (String n : names()) {
                        DirEntry e = seen.get(n);
                        assertEquals(qids.get(n), e.qid().path(), n);
                        if (n.startsWith("d")) {
                            assertEquals(P9.DT_DIR, e.type());
                            assertEquals(P9.QTDIR, e.qid().type());
                        } else if (kind != Kind.MAPPED_XATTR) {
                            assertEquals(P9.DT_REG, e.type());
                        }
                    }
                    assertEquals(f.root.qid().path(), seen.get(".").qid().path());
                    assertEquals(f.root.qid().path(), seen.get("..").qid().path(),
                            "the root's .. is the root");
                }
                assertTrue(f.readdirOnce(dir, 0, 10).isEmpty(), "nothing fits in 10 bytes");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void cookiesSurviveChangesAndOtherHandles(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            Handle d = f.walk("d");
            for (String n : names()) {
                f.file(d, n, "").close();
            }
            f.fs.open(d, P9.DOTL_RDONLY);
            List<DirEntry> first = new ArrayList<>();
            long offset = 0;
            while (first.size() < 20) {
                List<DirEntry> got = f.readdirOnce(d, offset, 120);
                first.addAll(got);
                offset = got.getLast().offset();
            }
            Set<String> seenFirst = new HashSet<>();
            first.forEach(e -> seenFirst.add(e.name()));
            List<String> removed = new ArrayList<>();
            for (String n : names()) {
                if (!seenFirst.contains(n) && removed.size() < 10) {
                    f.fs.unlinkat(d, n, 0);
                    removed.add(n);
                }
            }
            for (int i = 0; i < 10; i++) {
                f.file(d, "new" + i, "").close();
            }
            // continue on a fresh handle of the same directory, from the old cookie
            try (Handle again = f.walk("d")) {
                f.fs.open(again, P9.DOTL_RDONLY);
                List<DirEntry> rest = new ArrayList<>();
                for (long off = offset; ; ) {
                    List<DirEntry> got = f.readdirOnce(again, off, 120);
                    if (got.isEmpty()) {
                        break;
                    }
                    rest.addAll(got);
                    off = got.getLast().offset();
                }
                List<DirEntry> all = new ArrayList<>(first);
                all.addAll(rest);
                Map<String, DirEntry> seen = byName(all); // no entry twice
                for (String n : names()) {
                    assertEquals(!removed.contains(n), seen.containsKey(n), n);
                }
                assertTrue(seen.containsKey(".") && seen.containsKey(".."));
            }
            d.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void readdirNeedsAnOpenDirectory(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            try (Handle dir = f.fs.clone(f.root)) {
                fails(Errno.EBADF, () -> f.fs.readdir(dir, 0, e -> true));
            }
            try (Handle file = f.file("a", "x")) {
                fails(Errno.ENOTDIR, () -> f.fs.readdir(file, 0, e -> true));
            }
            try (Handle dir = f.fs.clone(f.root)) {
                f.fs.open(dir, P9.DOTL_RDONLY);
                dir.close();
                fails(Errno.EBADF, () -> f.fs.readdir(dir, 0, e -> true));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void theSinkStopsTheListing(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            for (int i = 0; i < 5; i++) {
                f.file("f" + i, "").close();
            }
            try (Handle dir = f.fs.clone(f.root)) {
                f.fs.open(dir, P9.DOTL_RDONLY);
                List<DirEntry> got = new ArrayList<>();
                f.fs.readdir(dir, 0, e -> got.size() < 3 && got.add(e));
                assertEquals(3, got.size());
                DirPacker none = new DirPacker(0);
                f.fs.readdir(dir, 0, none::add);
                assertEquals(0, none.count());
                assertFalse(f.readdirAll(dir, 4096).isEmpty());
            }
        }
    }
}
