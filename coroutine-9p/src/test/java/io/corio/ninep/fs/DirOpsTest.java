package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.Qid;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** mkdir, symlink, mknod, link, rename(at), unlinkat and remove, with their errors. */
class DirOpsTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void mkdirMakesAnEmptyDirectoryOnce(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Qid q = f.fs.mkdir(f.root, "d", 0700, Fixture.ME);
            assertEquals(P9.QTDIR, q.type());
            fails(Errno.EEXIST, () -> f.fs.mkdir(f.root, "d", 0700, Fixture.ME));
            f.file("a", "x").close();
            fails(Errno.EEXIST, () -> f.fs.mkdir(f.root, "a", 0700, Fixture.ME));
            try (Handle d = f.walk("d")) {
                assertEquals(q.path(), d.qid().path());
                assertEquals(040700, f.fs.getattr(d, P9.GETATTR_MODE).mode());
                f.fs.open(d, P9.DOTL_RDONLY);
                assertEquals(2, f.readdirAll(d, 8192).size(), "only . and ..");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void symlinksKeepTheirTargetTextAsIs(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            String target = "../../outside dir/€uro/./x";
            Qid q = f.fs.symlink(f.root, "l", target, Fixture.ME);
            assertEquals(P9.QTSYMLINK, q.type());
            try (Handle l = f.walk("l")) {
                assertEquals(q.path(), l.qid().path());
                assertEquals(target, f.fs.readlink(l));
                Attr a = f.fs.getattr(l, P9.GETATTR_ALL);
                assertEquals(0120777, a.mode());
                assertEquals(target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
                        a.size());
                fails(Errno.ENOTDIR, () -> f.fs.walk(l, "x"));
            }
            fails(Errno.EEXIST, () -> f.fs.symlink(f.root, "l", "other", Fixture.ME));
            fails(Errno.ENOENT, () -> f.fs.symlink(f.root, "empty", "", Fixture.ME));
            try (Handle a = f.file("a", "x")) {
                fails(Errno.EINVAL, () -> f.fs.readlink(a));
                fails(Errno.EINVAL, () -> f.fs.readlink(f.root));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void mknodMakesFifosRegularFilesAndDevices(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            assertEquals(P9.QTFILE, f.fs.mknod(f.root, "fifo", Posix.S_IFIFO | 0640, 0, 0,
                    Fixture.ME).type());
            try (Handle h = f.walk("fifo")) {
                assertEquals(Posix.S_IFIFO | 0640, f.fs.getattr(h, P9.GETATTR_MODE).mode());
            }
            f.fs.mknod(f.root, "plain", 0600, 0, 0, Fixture.ME); // type 0: regular
            try (Handle h = f.walk("plain")) {
                assertEquals(Posix.S_IFREG | 0600, f.fs.getattr(h, P9.GETATTR_MODE).mode());
            }
            fails(Errno.EEXIST, () -> f.fs.mknod(f.root, "fifo", Posix.S_IFIFO | 0640, 0, 0,
                    Fixture.ME));
            fails(Errno.EPERM, () -> f.fs.mknod(f.root, "dir", Posix.S_IFDIR | 0755, 0, 0,
                    Fixture.ME));
            fails(Errno.EINVAL, () -> f.fs.mknod(f.root, "bad", 0150000 | 0644, 0, 0,
                    Fixture.ME));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void mknodMakesDeviceNodesWithTheirNumbers(Kind kind) throws Exception {
        Assumptions.assumeTrue(kind.canMakeDevices(), "device nodes under " + kind + " need root");
        try (Fixture f = new Fixture(kind)) {
            f.fs.mknod(f.root, "null", Posix.S_IFCHR | 0666, 1, 3, Fixture.ME);
            f.fs.mknod(f.root, "big", Posix.S_IFBLK | 0600, 259, 70000, Fixture.ME);
            try (Handle n = f.walk("null"); Handle b = f.walk("big")) {
                Attr a = f.fs.getattr(n, P9.GETATTR_ALL);
                assertEquals(Posix.S_IFCHR | 0666, a.mode());
                assertEquals(0x103, a.rdev(), "makedev(1, 3)");
                Attr c = f.fs.getattr(b, P9.GETATTR_ALL);
                assertEquals(Posix.S_IFBLK | 0600, c.mode());
                assertEquals(Posix.makedev(259, 70000), c.rdev());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void hardLinksShareOneFile(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle a = f.file("a", "shared");
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            try (Handle d = f.walk("d")) {
                f.fs.link(d, "b", a);
                fails(Errno.EEXIST, () -> f.fs.link(d, "b", a));
                fails(Errno.EPERM, () -> f.fs.link(f.root, "dd", d));
            }
            assertEquals(2, f.fs.getattr(a, P9.GETATTR_NLINK).nlink());
            try (Handle b = f.walk("d", "b")) {
                assertEquals(a.qid().path(), b.qid().path());
            }
            f.write(a, 0, "SHARED");
            assertEquals("SHARED", f.content("d", "b"));
            f.fs.unlinkat(f.root, "a", 0);
            assertEquals(1, f.fs.getattr(a, P9.GETATTR_NLINK).nlink());
            a.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void renameatFollowsRenameRules(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.file("a", "A").close();
            f.file("b", "B").close();
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            f.fs.mkdir(f.root, "full", 0755, Fixture.ME);
            f.fs.mkdir(f.root, "empty", 0755, Fixture.ME);
            try (Handle full = f.walk("full")) {
                f.file(full, "x", "x").close();
            }
            Handle d = f.walk("d");
            f.fs.renameat(f.root, "a", d, "a2");
            assertEquals("A", f.content("d", "a2"));
            fails(Errno.ENOENT, () -> f.walk("a"));
            f.fs.renameat(d, "a2", f.root, "b"); // replaces b
            assertEquals("A", f.content("b"));
            f.fs.renameat(f.root, "b", f.root, "b"); // same name: nothing happens
            assertEquals("A", f.content("b"));
            fails(Errno.ENOENT, () -> f.fs.renameat(f.root, "missing", f.root, "z"));
            fails(Errno.ENOTEMPTY, () -> f.fs.renameat(f.root, "d", f.root, "full"));
            fails(Errno.ENOTDIR, () -> f.fs.renameat(f.root, "d", f.root, "b"));
            fails(Errno.EISDIR, () -> f.fs.renameat(f.root, "b", f.root, "d"));
            fails(Errno.EINVAL, () -> f.fs.renameat(f.root, "d", d, "inside"));
            f.fs.renameat(f.root, "d", f.root, "empty"); // a directory over an empty one
            try (Handle e = f.walk("empty")) {
                assertEquals(d.qid().path(), e.qid().path());
            }
            d.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void renameAndRemoveByHandleUseTheNameTheHandleWasWalkedTo(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.file("a", "A").close();
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            Handle a = f.walk("a");
            try (Handle d = f.walk("d")) {
                f.fs.rename(a, d, "moved");
            }
            assertEquals("A", f.content("d", "moved"));
            f.fs.rename(a, f.root, "back"); // the handle knows its new name
            assertEquals("A", f.content("back"));
            f.fs.renameat(f.root, "back", f.root, "elsewhere"); // not through the handle
            fails(Errno.ENOENT, () -> f.fs.remove(a));
            fails(Errno.ENOENT, () -> f.fs.rename(a, f.root, "x"));
            a.close();

            try (Handle e = f.walk("elsewhere")) {
                f.fs.remove(e);
                fails(Errno.ENOENT, () -> f.walk("elsewhere"));
                fails(Errno.ENOENT, () -> f.fs.remove(e));
            }
            try (Handle d = f.walk("d")) {
                f.fs.mkdir(d, "sub", 0755, Fixture.ME);
            }
            try (Handle d = f.walk("d"); Handle m = f.walk("d", "sub"); Handle up = f.fs.walk(m,
                    "..")) {
                fails(Errno.ENOTEMPTY, () -> f.fs.remove(d));
                f.fs.remove(m);
                fails(Errno.EINVAL, () -> f.fs.remove(up)); // reached by "..": name unknown
                f.fs.remove(d);
            }
            fails(Errno.ENOENT, () -> f.walk("d"));
            fails(Errno.EBUSY, () -> f.fs.remove(f.root));
            fails(Errno.EBUSY, () -> f.fs.rename(f.root, f.root, "x"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void unlinkatFollowsUnlinkAndRmdirRules(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.file("a", "A").close();
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            f.fs.mkdir(f.root, "full", 0755, Fixture.ME);
            try (Handle full = f.walk("full")) {
                f.fs.mkdir(full, "sub", 0755, Fixture.ME);
            }
            fails(Errno.ENOENT, () -> f.fs.unlinkat(f.root, "missing", 0));
            fails(Errno.EISDIR, () -> f.fs.unlinkat(f.root, "d", 0));
            fails(Errno.ENOTDIR, () -> f.fs.unlinkat(f.root, "a", P9.AT_REMOVEDIR));
            fails(Errno.ENOTEMPTY, () -> f.fs.unlinkat(f.root, "full", P9.AT_REMOVEDIR));
            fails(Errno.EINVAL, () -> f.fs.unlinkat(f.root, "a", 0x1));
            f.fs.unlinkat(f.root, "a", 0);
            f.fs.unlinkat(f.root, "d", P9.AT_REMOVEDIR);
            fails(Errno.ENOENT, () -> f.walk("a"));
            fails(Errno.ENOENT, () -> f.walk("d"));
            f.fs.symlink(f.root, "l", "full", Fixture.ME);
            f.fs.unlinkat(f.root, "l", 0); // the link, not what it points to
            try (Handle full = f.walk("full", "sub")) {
                assertEquals(P9.QTDIR, full.qid().type());
            }
        }
    }
}
