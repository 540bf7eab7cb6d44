package io.corio.ninep.fs;

import static io.corio.ninep.fs.Fixture.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.corio.ninep.fs.Fixture.Kind;
import io.corio.ninep.protocol.Attr;
import io.corio.ninep.protocol.Errno;
import io.corio.ninep.protocol.P9;
import io.corio.ninep.protocol.SetAttr;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Create, open flags, positional read and write, unlinked open files, fsync. */
class FileIoTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void writeThenReadAtOffsetsWithHeapAndDirectBuffers(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle h = f.file("a", "hello world");
            assertEquals("world", f.read(h, 6, 100));
            assertEquals("", f.read(h, 11, 100), "end of file");
            assertEquals("", f.read(h, 1 << 20, 100), "far past the end");
            ByteBuffer direct = ByteBuffer.allocateDirect(5);
            assertEquals(5, f.fs.read(h, 0, direct));
            assertEquals(5, direct.position());
            direct.flip();
            assertEquals("hello", StandardCharsets.UTF_8.decode(direct).toString());

            ByteBuffer src = ByteBuffer.allocateDirect(3).put("HEY".getBytes(StandardCharsets.UTF_8)).flip();
            assertEquals(3, f.fs.write(h, 0, src));
            assertEquals(0, src.remaining());
            ByteBuffer ro = ByteBuffer.wrap("!".getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
            assertEquals(1, f.fs.write(h, 11, ro));
            f.write(h, 14, "gap"); // leaves a hole of zeros
            ByteBuffer all = ByteBuffer.allocate(64);
            f.fs.read(h, 0, all);
            assertEquals("HEYlo world!\0\0gap", new String(all.array(), 0, all.position(),
                    StandardCharsets.UTF_8));
            assertEquals(17, f.fs.getattr(h, P9.GETATTR_SIZE).size());
            assertEquals(0, f.fs.read(h, 0, ByteBuffer.allocate(0)));
            h.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void anOpenedRegularFileIsReadWithoutPinningEvenAfterUnlinkAndNotAfterClose(Kind kind)
            throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.file("a", "hello world").close();
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            Handle r = f.walk("a");
            Handle w = f.walk("a");
            Handle d = f.walk("d");
            f.fs.open(r, P9.DOTL_RDONLY);
            f.fs.open(w, P9.DOTL_WRONLY);
            f.fs.open(d, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
            // a local back end reads an opened file through the JDK (no native call to pin a
            // carrier); a write-only file or a directory has no such reader
            assertEquals(kind.isLocal(), f.fs.readsWithoutPinning(r) && f.fs.mayBlock());
            assertFalse(kind.isLocal() && f.fs.readsWithoutPinning(w));
            assertFalse(kind.isLocal() && f.fs.readsWithoutPinning(d));
            // and writes through one too, unless opened for reading only, or O_APPEND (where
            // only pwrite appends whatever the offset)
            assertEquals(kind.isLocal(), f.fs.writesWithoutPinning(w) && f.fs.mayBlock());
            assertFalse(kind.isLocal() && f.fs.writesWithoutPinning(r));
            assertFalse(kind.isLocal() && f.fs.writesWithoutPinning(d));
            f.fs.unlinkat(f.root, "a", 0);
            assertEquals("world", f.read(r, 6, 100), "the unlinked file is still read");
            f.write(w, 0, "J");
            assertEquals("Jello", f.read(r, 0, 5), "the reader sees writes through another fid");
            r.close();
            fails(Errno.EBADF, () -> f.fs.read(r, 0, ByteBuffer.allocate(4)));
            assertFalse(f.fs.readsWithoutPinning(r) && kind.isLocal());
            w.close();
            fails(Errno.EBADF, () -> f.fs.write(w, 0, ByteBuffer.wrap(new byte[1])));
            assertFalse(f.fs.writesWithoutPinning(w) && kind.isLocal());
            d.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void createIsExclusiveOnlyWhenAsked(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.file("a", "kept").close();
            fails(Errno.EEXIST, () -> f.fs.create(f.root, "a",
                    P9.DOTL_RDWR | P9.DOTL_CREATE | P9.DOTL_EXCL, 0600, Fixture.ME));
            try (Handle again = f.fs.create(f.root, "a", P9.DOTL_RDWR | P9.DOTL_CREATE, 0600,
                    Fixture.USER)) {
                assertTrue(again.isOpen());
                assertEquals("kept", f.read(again, 0, 10));
                Attr attr = f.fs.getattr(again, P9.GETATTR_ALL);
                assertEquals(0100644, attr.mode(), "an existing file keeps its mode");
                assertEquals(Fixture.ME.uid(), attr.uid(), "and its owner");
            }
            try (Handle trunc = f.fs.create(f.root, "a",
                    P9.DOTL_RDWR | P9.DOTL_CREATE | P9.DOTL_TRUNC, 0600, Fixture.ME)) {
                assertEquals(0, f.fs.getattr(trunc, P9.GETATTR_SIZE).size());
            }
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            fails(Errno.EISDIR, () -> f.fs.create(f.root, "d", P9.DOTL_RDONLY | P9.DOTL_CREATE,
                    0600, Fixture.ME));
            f.fs.symlink(f.root, "l", "a", Fixture.ME);
            if (kind != Kind.MAPPED_XATTR) { // there a symlink is a regular host file
                fails(Errno.ELOOP, () -> f.fs.create(f.root, "l", P9.DOTL_RDWR | P9.DOTL_CREATE,
                        0600, Fixture.ME));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void createdFilesGetTheModeAndOwnerAsked(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Owner owner = kind.canChown() ? Fixture.USER : Fixture.ME;
            try (Handle h = f.fs.create(f.root, "a", P9.DOTL_WRONLY | P9.DOTL_CREATE, 0640,
                    owner)) {
                Attr a = f.fs.getattr(h, P9.GETATTR_ALL);
                assertEquals(0100640, a.mode());
                assertEquals(owner.uid(), a.uid());
                assertEquals(owner.gid(), a.gid());
                assertEquals(1, a.nlink());
                assertEquals(h.qid().path(), a.qid().path());
            }
            try (Handle h = f.fs.create(f.root, "odd", P9.DOTL_RDWR, 04711, Fixture.ME)) {
                assertEquals(0104711, f.fs.getattr(h, P9.GETATTR_MODE).mode(),
                        "the server's umask does not apply, set-id bits are kept");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void openFlagsDecideWhatIsAllowed(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.file("a", "0123456789").close();
            f.fs.mkdir(f.root, "d", 0755, Fixture.ME);
            try (Handle unopened = f.walk("a")) {
                fails(Errno.EBADF, () -> f.fs.read(unopened, 0, ByteBuffer.allocate(4)));
                fails(Errno.EBADF, () -> f.fs.write(unopened, 0, ByteBuffer.allocate(4)));
                fails(Errno.EBADF, () -> f.fs.fsync(unopened, false));
            }
            try (Handle ro = f.walk("a")) {
                assertEquals(P9.QTFILE, f.fs.open(ro, P9.DOTL_RDONLY).type());
                fails(Errno.EBADF, () -> f.write(ro, 0, "x"));
                fails(Errno.EINVAL, () -> f.fs.open(ro, P9.DOTL_RDONLY));
                assertEquals("0123", f.read(ro, 0, 4));
            }
            try (Handle wo = f.walk("a")) {
                f.fs.open(wo, P9.DOTL_WRONLY);
                fails(Errno.EBADF, () -> f.read(wo, 0, 4));
            }
            try (Handle app = f.walk("a")) {
                f.fs.open(app, P9.DOTL_WRONLY | P9.DOTL_APPEND);
                assertFalse(kind.isLocal() && f.fs.writesWithoutPinning(app), "O_APPEND keeps pwrite");
                f.write(app, 0, "AB");
                assertEquals("0123456789AB", f.content("a"), "append writes at the end");
            }
            try (Handle tr = f.walk("a")) {
                f.fs.open(tr, P9.DOTL_RDWR | P9.DOTL_TRUNC);
                assertEquals(0, f.fs.getattr(tr, P9.GETATTR_SIZE).size());
            }
            try (Handle d = f.walk("d")) {
                fails(Errno.EISDIR, () -> f.fs.open(d, P9.DOTL_WRONLY));
                fails(Errno.EISDIR, () -> f.fs.open(d, P9.DOTL_RDWR));
                f.fs.open(d, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY);
                fails(Errno.EISDIR, () -> f.read(d, 0, 4));
            }
            try (Handle a = f.walk("a")) {
                fails(Errno.ENOTDIR, () -> f.fs.open(a, P9.DOTL_RDONLY | P9.DOTL_DIRECTORY));
                assertTrue(!a.isOpen());
            }
            f.fs.symlink(f.root, "l", "a", Fixture.ME);
            try (Handle l = f.walk("l")) {
                fails(Errno.ELOOP, () -> f.fs.open(l, P9.DOTL_RDONLY));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void anOpenFileOutlivesItsName(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            Handle h = f.file("a", "hello");
            f.fs.unlinkat(f.root, "a", 0);
            fails(Errno.ENOENT, () -> f.walk("a"));
            Attr a = f.fs.getattr(h, P9.GETATTR_ALL);
            assertEquals(0, a.nlink());
            assertEquals(5, a.size());
            assertEquals("hello", f.read(h, 0, 10));
            f.fs.setattr(h, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 2, 0, 0, 0, 0));
            assertEquals(2, f.fs.getattr(h, P9.GETATTR_SIZE).size(), "ftruncate after unlink");
            f.write(h, 2, "LLO");
            assertEquals("heLLO", f.read(h, 0, 10));
            f.fs.fsync(h, true);
            f.fs.fsync(h, false);
            fails(Errno.ENOENT, () -> f.fs.link(f.root, "back", h));
            h.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void truncateWorksThroughAHandleOpenForReadingOnly(Kind kind) throws Exception {
        try (Fixture f = new Fixture(kind)) {
            f.file("a", "0123456789").close();
            try (Handle unopened = f.walk("a"); Handle ro = f.walk("a")) {
                f.fs.setattr(unopened, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 4, 0, 0, 0, 0));
                assertEquals("0123", f.content("a"));
                f.fs.open(ro, P9.DOTL_RDONLY);
                f.fs.setattr(ro, new SetAttr(P9.SETATTR_SIZE, 0, 0, 0, 6, 0, 0, 0, 0));
                assertEquals("0123\0\0", f.read(ro, 0, 10), "growing fills zeros");
            }
        }
    }
}
