package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Attach, walk, name checks, clones and the life of handles, on every back end. */
class WalkTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void theRootIsADirectory(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            assertEquals(P9.QTDIR, f.root.qid().type());
            assertTrue(Posix.isDir(f.fs.getattr(f.root, P9.GETATTR_ALL).mode()));
            assertFalse(f.fs.readOnly());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void walkFindsWhatExistsAndAnswersEnoentOtherwise(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle file = f.file("a", "x");
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            try (Handle a = f.fs.walk(f.root, "a"); Handle d = f.fs.walk(f.root, "d")) {
                assertEquals(file.qid().path(), a.qid().path());
                assertEquals(P9.QTFILE, a.qid().type());
                assertEquals(P9.QTDIR, d.qid().type());
                assertNotEquals(a.qid().path(), d.qid().path());
                fails(Errno.ENOENT, () -> f.fs.walk(d, "missing"));
            }
            fails(Errno.ENOENT, () -> f.fs.walk(f.root, "missing"));
            file.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void malformedNamesAreEinvalEverywhere(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle file = f.file("a", "x");
            for (String bad : new String[] {"", "a/b", "/", "a\0b"}) {
                fails(Errno.EINVAL, () -> f.fs.walk(f.root, bad));
                fails(Errno.EINVAL, () -> f.fs.create(f.root, bad, P9.DOTL_RDWR, 0644,
                        Fixture.ME));
                fails(Errno.EINVAL, () -> f.fs.mkdir(f.root, bad, 0755, Fixture.ME));
                fails(Errno.EINVAL, () -> f.fs.symlink(f.root, bad, "t", Fixture.ME));
                fails(Errno.EINVAL, () -> f.fs.mknod(f.root, bad, Posix.S_IFIFO | 0644, 0, 0,
                        Fixture.ME));
                fails(Errno.EINVAL, () -> f.fs.link(f.root, bad, file));
                fails(Errno.EINVAL, () -> f.fs.renameat(f.root, "a", f.root, bad));
                fails(Errno.EINVAL, () -> f.fs.renameat(f.root, bad, f.root, "b"));
                fails(Errno.EINVAL, () -> f.fs.unlinkat(f.root, bad, 0));
                fails(Errno.EINVAL, () -> f.fs.rename(file, f.root, bad));
            }
            String longName = "x".repeat(256);
            fails(Errno.ENAMETOOLONG, () -> f.fs.walk(f.root, longName));
            fails(Errno.ENAMETOOLONG, () -> f.fs.mkdir(f.root, longName, 0755, Fixture.ME));
            fails(Errno.ENAMETOOLONG, () -> f.fs.walk(f.root, "€".repeat(86)));
            f.fs.mkdir(f.root, "x".repeat(255), 0755, Fixture.ME); // the longest name is fine
            f.fs.walk(f.root, "x".repeat(255)).close();
            assertEquals("x", f.content("a"), "nothing was renamed or removed");
            file.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void dotIsHereAndDotDotStopsAtTheRoot(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            Handle d = f.walk("d");
            f.fs.mkdir(d, "e", 0755, Fixture.ME);
            try (Handle dot = f.fs.walk(d, ".");
                 Handle e = f.fs.walk(d, "e");
                 Handle up = f.fs.walk(e, "..");
                 Handle upUp = f.fs.walk(up, "..");
                 Handle above = f.fs.walk(upUp, "..");
                 Handle rootDot = f.fs.walk(f.root, "..")) {
                assertEquals(d.qid().path(), dot.qid().path());
                assertEquals(d.qid().type(), dot.qid().type());
                assertEquals(d.qid().path(), up.qid().path());
                assertEquals(f.root.qid().path(), upUp.qid().path());
                assertEquals(f.root.qid().path(), above.qid().path(), ".. at the root is the root");
                assertEquals(f.root.qid().path(), rootDot.qid().path());
                assertEquals(f.fs.getattr(f.root, P9.GETATTR_ALL).qid().path(),
                        f.fs.getattr(above, P9.GETATTR_ALL).qid().path());
            }
            d.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void dotNamesAreRefusedAsLinuxRefusesThem(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle file = f.file("a", "x");
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            for (String dot : new String[] {".", ".."}) {
                fails(Errno.EEXIST, () -> f.fs.create(f.root, dot, P9.DOTL_RDWR, 0644,
                        Fixture.ME));
                fails(Errno.EEXIST, () -> f.fs.mkdir(f.root, dot, 0755, Fixture.ME));
                fails(Errno.EEXIST, () -> f.fs.symlink(f.root, dot, "t", Fixture.ME));
                fails(Errno.EEXIST, () -> f.fs.mknod(f.root, dot, Posix.S_IFIFO | 0644, 0, 0,
                        Fixture.ME));
                fails(Errno.EEXIST, () -> f.fs.link(f.root, dot, file));
                fails(Errno.EBUSY, () -> f.fs.renameat(f.root, dot, f.root, "z"));
                fails(Errno.EBUSY, () -> f.fs.renameat(f.root, "a", f.root, dot));
                fails(Errno.EISDIR, () -> f.fs.unlinkat(f.root, dot, 0));
            }
            fails(Errno.EINVAL, () -> f.fs.unlinkat(f.root, ".", P9.AT_REMOVEDIR));
            fails(Errno.ENOTEMPTY, () -> f.fs.unlinkat(f.root, "..", P9.AT_REMOVEDIR));
            file.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void aFileIsNoDirectoryToWalkOrCreateIn(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle file = f.file("a", "x");
            fails(Errno.ENOTDIR, () -> f.fs.walk(file, "b"));
            fails(Errno.ENOTDIR, () -> f.fs.walk(file, "."));
            fails(Errno.ENOTDIR, () -> f.fs.walk(file, ".."));
            fails(Errno.ENOTDIR, () -> f.fs.create(file, "b", P9.DOTL_RDWR, 0644, Fixture.ME));
            fails(Errno.ENOTDIR, () -> f.fs.mkdir(file, "b", 0755, Fixture.ME));
            fails(Errno.ENOTDIR, () -> f.fs.unlinkat(file, "b", 0));
            fails(Errno.ENOTDIR, () -> f.fs.renameat(file, "b", f.root, "c"));
            file.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void handlesCloseOnceAndThenAnswerEbadf(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle file = f.file("a", "hello");
            Handle clone = f.fs.clone(file);
            assertFalse(clone.isOpen(), "a clone is not open");
            assertTrue(file.isOpen());
            file.close();
            file.close(); // idempotent
            assertTrue(file.isClosed());
            assertFalse(file.isOpen());
            fails(Errno.EBADF, () -> f.fs.getattr(file, P9.GETATTR_BASIC));
            fails(Errno.EBADF, () -> f.fs.read(file, 0, ByteBuffer.allocate(1)));
            fails(Errno.EBADF, () -> f.fs.walk(file, "x"));
            fails(Errno.EBADF, () -> f.fs.clone(file));
            fails(Errno.EBADF, () -> f.fs.setattr(file, new io.corio.ninep.protocol.SetAttr(0, 0,
                    0, 0, 0, 0, 0, 0, 0)));
            assertEquals(5, f.fs.getattr(clone, P9.GETATTR_BASIC).size(), "the clone lives on");
            clone.close();

            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            Handle d = f.walk("d");
            Handle child = f.fs.create(d, "c", P9.DOTL_RDWR, 0600, Fixture.ME);
            d.close();
            f.write(child, 0, "still here");
            assertEquals("still here", f.content("d", "c"), "closing the parent keeps the child");
            child.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void toStringIsOneBoundedLineWithoutContents(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            String evil = "line\nbreak\u001b[31m" + "y".repeat(200);
            Handle h = f.file(evil, "SECRET CONTENT");
            for (String s : new String[] {h.toString(), f.root.toString(), f.fs.toString()}) {
                assertFalse(s.contains("\n") || s.contains("\u001b"), s);
                assertFalse(s.contains("SECRET"), s);
                assertTrue(s.length() < 200, s);
            }
            h.close();
            assertTrue(h.toString().contains("closed"), h.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void aHandleOfAnotherBackendIsAnIllegalArgument(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind); Backend other = Backend.memory();
             Handle foreign = other.root()) {
            assertThrows(IllegalArgumentException.class, () -> f.fs.walk(foreign, "x"));
            assertThrows(IllegalArgumentException.class, () -> f.fs.getattr(null, 0));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void rootAfterCloseIsEbadfButLiveHandlesStayUsable(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle file = f.file("a", "abc");
            f.fs.close();
            f.fs.close();
            fails(Errno.EBADF, f.fs::root);
            assertEquals("abc", f.read(file, 0, 10));
            file.close();
        }
    }
}
