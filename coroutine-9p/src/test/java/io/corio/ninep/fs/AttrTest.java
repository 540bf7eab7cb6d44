package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.SetAttr;
import io.corio.ninep.protocol.StatFs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** getattr, setattr and statfs. */
class AttrTest {

    private static SetAttr set(int valid) {
        return new SetAttr(valid, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void getattrReportsTheStatFields(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            long before = System.currentTimeMillis() / 1000 - 2;
            Handle h = f.file("a", "x".repeat(5000));
            Attr a = f.fs.getattr(h, P9.GETATTR_ALL);
            assertEquals(P9.GETATTR_BASIC, a.valid() & P9.GETATTR_BASIC,
                    "every basic field is valid");
            assertEquals(h.qid().path(), a.qid().path());
            assertEquals(P9.QTFILE, a.qid().type());
            assertEquals(0100644, a.mode());
            assertEquals(1, a.nlink());
            assertEquals(5000, a.size());
            assertTrue(a.blksize() > 0);
            assertTrue(a.blocks() >= 8, "5000 bytes take at least 8 blocks of 512: " + a.blocks());
            assertTrue(a.mtimeSec() >= before && a.mtimeSec() <= before + 60, "mtime "
                    + a.mtimeSec());
            assertTrue(a.ctimeSec() >= before && a.atimeSec() >= before);
            assertTrue(a.mtimeNsec() >= 0 && a.mtimeNsec() < 1_000_000_000L);

            f.fs.mkdir(f.root, "d", 0750, Fixture.ME);
            try (Handle d = f.walk("d")) {
                Attr da = f.fs.getattr(d, P9.GETATTR_BASIC);
                assertEquals(040750, da.mode());
                assertEquals(2, da.nlink());
                assertEquals(P9.QTDIR, da.qid().type());
            }
            h.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void setattrChangesModeSizeAndTimes(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle h = f.file("a", "0123456789");
            f.fs.setattr(h, new SetAttr(P9.SETATTR_MODE, 0600, 0, 0, 0, 0, 0, 0, 0));
            assertEquals(0100600, f.fs.getattr(h, P9.GETATTR_MODE).mode(), "type bits are kept");
            f.fs.setattr(h, new SetAttr(P9.SETATTR_MODE, 0100755, 0, 0, 0, 0, 0, 0, 0));
            assertEquals(0100755, f.fs.getattr(h, P9.GETATTR_MODE).mode());

            f.fs.setattr(h, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 3, 0, 0, 0, 0));
            assertEquals("012", f.read(h, 0, 100));
            f.fs.setattr(h, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 5, 0, 0, 0, 0));
            assertEquals("012\0\0", f.read(h, 0, 100));

            int both = P9.SETATTR_ATIME | P9.SETATTR_ATIME_SET | P9.SETATTR_MTIME | P9.SETATTR_MTIME_SET;
            f.fs.setattr(h, new SetAttr(both, 0, 0, 0, 0, 1_000_000_000L, 123, 1_200_000_000L,
                    456_789));
            Attr a = f.fs.getattr(h, P9.GETATTR_ALL);
            assertEquals(1_000_000_000L, a.atimeSec());
            assertEquals(123, a.atimeNsec());
            assertEquals(1_200_000_000L, a.mtimeSec());
            assertEquals(456_789, a.mtimeNsec());

            long now = System.currentTimeMillis() / 1000;
            f.fs.setattr(h, set(P9.SETATTR_MTIME));
            Attr b = f.fs.getattr(h, P9.GETATTR_ALL);
            assertTrue(Math.abs(b.mtimeSec() - now) < 60, "mtime set to now: " + b.mtimeSec());
            assertEquals(1_000_000_000L, b.atimeSec(), "atime left alone");

            f.fs.setattr(h, set(0));
            f.fs.setattr(h, set(P9.SETATTR_CTIME)); // ctime alone: nothing to do
            h.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void setattrChangesOwner(Kind kind) throws Exception {
        Assumptions.assumeTrue(kind.canChown(), "changing owners under " + kind + " needs root");
        try (Fixture f = new Fixture(kind)) {
            Handle h = f.file("a", "x");
            f.fs.setattr(h, new SetAttr(P9.SETATTR_UID | P9.SETATTR_GID, 0, 1234, 5678, 0, 0, 0, 0,
                    0));
            Attr a = f.fs.getattr(h, P9.GETATTR_ALL);
            assertEquals(1234, a.uid());
            assertEquals(5678, a.gid());
            f.fs.setattr(h, new SetAttr(P9.SETATTR_GID, 0, 999, 42, 0, 0, 0, 0, 0));
            a = f.fs.getattr(h, P9.GETATTR_ALL);
            assertEquals(1234, a.uid(), "uid not selected, not changed");
            assertEquals(42, a.gid());
            h.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void setattrRefusesWhatLinuxRefuses(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            try (Handle d = f.walk("d")) {
                fails(Errno.EISDIR, () -> f.fs.setattr(d, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 0,
                        0, 0, 0, 0)));
            }
            try (Handle h = f.file("a", "x")) {
                fails(Errno.EINVAL, () -> f.fs.setattr(h, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, -1,
                        0, 0, 0, 0)));
                fails(Errno.EINVAL, () -> f.fs.setattr(h,
                        new SetAttr(P9.SETATTR_MTIME | P9.SETATTR_MTIME_SET,
                        0, 0, 0, 0, 0, 0, 5, 2_000_000_000L)));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void symlinkTimesCanBeSetButNotItsMode(Kind kind) throws Exception {
        Assumptions.assumeFalse(kind == Kind.MAPPED_XATTR,
                "there a symlink is a regular host file");
        try (Fixture f = new Fixture(kind)) {
            f.fs.symlink(f.root, "l", "/nowhere", Fixture.ME);
            try (Handle l = f.walk("l")) {
                int both = P9.SETATTR_ATIME | P9.SETATTR_ATIME_SET | P9.SETATTR_MTIME | P9.SETATTR_MTIME_SET;
                f.fs.setattr(l, new SetAttr(both, 0, 0, 0, 0, 5, 0, 7, 0));
                Attr a = f.fs.getattr(l, P9.GETATTR_ALL);
                assertEquals(7, a.mtimeSec());
                assertEquals(0120777, a.mode());
                fails(Errno.EOPNOTSUPP, () -> f.fs.setattr(l, new SetAttr(P9.SETATTR_MODE, 0600, 0,
                        0, 0, 0, 0, 0, 0)));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void statfsDescribesTheFileSystem(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            StatFs s = f.fs.statfs(f.root);
            assertTrue(s.bsize() > 0);
            assertTrue(s.blocks() > 0 && s.bfree() <= s.blocks() && s.bavail() <= s.blocks(),
                    s.toString());
            assertEquals(255, s.namelen());
        }
    }
}
